package hub

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newBucket(2, 3) // 2/s, burst 3
	for i := range 3 {
		if !b.take(t0) {
			t.Fatalf("take %d within the burst: got false, want true", i)
		}
	}
	if b.take(t0) {
		t.Fatalf("take past the burst: got true, want false")
	}
	if !b.take(t0.Add(500 * time.Millisecond)) {
		t.Fatalf("take after 0.5 s at 2/s: got false, want true")
	}
	if b.take(t0.Add(500 * time.Millisecond)) {
		t.Fatalf("second take after 0.5 s: got true, want false")
	}
	// A long pause of a pump that caught up refills to the burst, not beyond.
	later := t0.Add(time.Hour)
	b.settle(later)
	n := 0
	for b.take(later) {
		n++
	}
	if n != 3 {
		t.Errorf("takes after a long pause: got %d, want 3", n)
	}
}

// A pump that has not caught up keeps what the bucket earned past the burst, up to
// maxLagCredit; settling bounds it by the burst again.
func TestBucketBehind(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name   string
		behind time.Duration
		settle bool
		want   int
	}{
		{"behind 2 s", 2 * time.Second, false, 4}, // 2/s for 2 s, past the burst of 3
		{"behind 2 s, then caught up", 2 * time.Second, true, 3},
		{"behind an hour", time.Hour, false, 3 + int(2*maxLagCredit.Seconds())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBucket(2, 3)
			for b.take(t0) {
			}
			now := t0.Add(tc.behind)
			if tc.settle {
				b.settle(now)
			}
			n := 0
			for b.take(now) {
				n++
			}
			if n != tc.want {
				t.Errorf("takes after spending everything at t0: got %d, want %d", n, tc.want)
			}
		})
	}
}

func TestConnLimiterFlood(t *testing.T) {
	cfg := Config{ConnRate: 10, ConnBurst: 5, PersonRate: 100, PersonBurst: 100}
	t0 := time.Unix(1000, 0)
	l := newConnLimiter(&cfg, &personLimiter{b: newBucket(100, 100)})
	// At a frozen clock the flood bucket holds 5×10×2 + 5 = 105 messages.
	allowed, limited := 0, 0
	for i := 0; ; i++ {
		if !l.flood.take(t0) {
			break
		}
		if l.allow(t0) {
			allowed++
		} else {
			limited++
		}
		if i > 1000 {
			t.Fatal("never flooding")
		}
	}
	if allowed != 5 || limited != 100 {
		t.Errorf("allowed, limited before flooding: got %d, %d, want 5, 100", allowed, limited)
	}
}

func TestPersonLimiterShared(t *testing.T) {
	cfg := Config{ConnRate: 100, ConnBurst: 100, PersonRate: 1, PersonBurst: 3}
	t0 := time.Unix(1000, 0)
	p := &personLimiter{b: newBucket(cfg.PersonRate, cfg.PersonBurst)}
	a, b := newConnLimiter(&cfg, p), newConnLimiter(&cfg, p)
	got := []bool{a.allow(t0), b.allow(t0), a.allow(t0), b.allow(t0)}
	want := []bool{true, true, true, false}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("message %d across two connections: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestCoalescer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	k := coalescer{interval: 200 * time.Millisecond}
	if d := k.delay(t0); d != 0 {
		t.Errorf("first delay: got %v, want 0", d)
	}
	k.last = t0
	tests := []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 200 * time.Millisecond},
		{50 * time.Millisecond, 150 * time.Millisecond},
		{200 * time.Millisecond, 0},
		{time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("at ", tt.at), func(t *testing.T) {
			if d := k.delay(t0.Add(tt.at)); d != tt.want {
				t.Errorf("delay at +%v: got %v, want %v", tt.at, d, tt.want)
			}
		})
	}
}

func TestLocalBus(t *testing.T) {
	var b LocalBus
	var got []int64
	cancel := b.Subscribe(func(c Cue) { got = append(got, c.Workshop*100+c.Seq) })
	b.Publish(context.Background(), Cue{Workshop: 1, Seq: 2})
	cancel()
	cancel() // idempotent
	b.Publish(context.Background(), Cue{Workshop: 1, Seq: 3})
	if len(got) != 1 || got[0] != 102 {
		t.Errorf("cues: got %v, want [102]", got)
	}
}

func TestPool(t *testing.T) {
	p := newPool(2)
	done := make(chan int, 10)
	for i := range 10 {
		if !p.submit(func() { done <- i }) {
			t.Fatalf("submit %d: got false, want true", i)
		}
	}
	seen := map[int]bool{}
	for range 10 {
		select {
		case i := <-done:
			seen[i] = true
		case <-time.After(wait):
			t.Fatal("job not run")
		}
	}
	p.stop()
	if len(seen) != 10 {
		t.Errorf("jobs run: got %d, want 10", len(seen))
	}
	if p.submit(func() {}) {
		t.Errorf("submit after stop: got true, want false")
	}
}
