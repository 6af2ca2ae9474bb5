package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/hub/wire"
)

// TestPongByHand: the pong the read pump encodes by hand is the frame of what
// encodeFrame makes of a pongFrame.
func TestPongByHand(t *testing.T) {
	for _, ts := range []int64{0, 5, 1_800_000_000_123, -1} {
		t.Run(fmt.Sprint(ts), func(t *testing.T) {
			want := wire.Text(encodeFrame(&pongFrame{Type: "pong"}, ts)).Bytes()
			if got := appendPong(nil, ts); !bytes.Equal(got, want) {
				t.Errorf("serverTime %d: got %q, want %q", ts, got, want)
			}
		})
	}
}

// A replayed or fanned-out event is its head, encoded once, and the time of the write: the
// same bytes as encoding the whole frame at that time, whatever the data holds.
func TestEventHeadAsEncoded(t *testing.T) {
	at := time.UnixMilli(1765000000000)
	tests := []struct {
		name string
		ev   Event
	}{
		{"vote recorded", Event{Seq: 7, Name: "vote.recorded", Data: json.RawMessage(`{"contribution":3,"value":1}`), At: at}},
		{"spaces and accents", Event{Seq: 8, Name: "question.changed", Data: json.RawMessage(`{"text": "Pendant la coupure <1> & après \u2028"}`), At: at}},
		{"without at", Event{Seq: 9, Name: "tally.updated", Data: json.RawMessage(`{"items":[]}`)}},
		{"invalid data", Event{Seq: 10, Name: "x", Data: json.RawMessage(`{"a":`)}},
		{"no data", Event{Seq: 11, Name: "x"}},
		{"a frame of 16-bit length", Event{Seq: 12, Name: "x", Data: json.RawMessage(`"` + strings.Repeat("a", 300) + `"`)}},
		{"a frame of 64-bit length", Event{Seq: 13, Name: "x", Data: json.RawMessage(`"` + strings.Repeat("b", 70000) + `"`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := eventHead(&tt.ev)
			if head == nil {
				t.Fatal("no head")
			}
			for _, now := range []int64{0, 7, 1765000000123} {
				want := appendText(nil, newEventFrame(&tt.ev), now)
				if got := appendStamped(nil, head, now); !bytes.Equal(got, want) {
					t.Errorf("at %d: got  %q\nwant %q", now, got, want)
				}
				if got := stampedFrame(head, now).Bytes(); !bytes.Equal(got, want) {
					t.Errorf("frame at %d: got  %q\nwant %q", now, got, want)
				}
				ev := tt.ev
				ev.head = head
				if got := (replay{ev}).AppendFrame(nil, 0, now); !bytes.Equal(got, want) {
					t.Errorf("replay at %d: got  %q\nwant %q", now, got, want)
				}
			}
		})
	}
}
