package hub

import (
	"fmt"
	"slices"
	"testing"
)

func TestRingAfter(t *testing.T) {
	r := newRing(4)
	if _, ok := r.after(0); ok {
		t.Fatalf("empty ring after(0): got ok, want not ok")
	}
	for s := int64(1); s <= 6; s++ { // keeps 3..6
		r.push(Event{Seq: s})
	}
	tests := []struct {
		since  int64
		want   []int64
		wantOK bool
	}{
		{1, nil, false}, // 2 is gone
		{2, []int64{3, 4, 5, 6}, true},
		{4, []int64{5, 6}, true},
		{6, []int64{}, true},
		{7, nil, false}, // the future
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("after %d", tt.since), func(t *testing.T) {
			evs, ok := r.after(tt.since)
			var got []int64
			for _, ev := range evs {
				got = append(got, ev.Seq)
			}
			if ok != tt.wantOK || (ok && !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0) {
				t.Errorf("after(%d): got %v %v, want %v %v", tt.since, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	r.reset()
	if _, ok := r.after(6); ok {
		t.Errorf("after reset: got ok, want not ok")
	}
}
