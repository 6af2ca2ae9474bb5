package hub

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
)

// preparingBackend is the fake backend as a FlushPreparer: PrepareFlush waits at a gate
// and returns a commit naming its keys; every flush records what it was given.
type preparingBackend struct {
	*fakeBackend
	gate chan struct{} // PrepareFlush waits for a value on it
	fail bool          // PrepareFlush fails

	mu       sync.Mutex
	started  [][]string // keys of the preparations begun
	returned int        // preparations that returned
	finished []string   // keys and preparation of each flush, one entry per call
}

func (p *preparingBackend) PrepareFlush(ctx context.Context, ws int64, keys []string) (PreparedFlush, error) {
	p.mu.Lock()
	p.started = append(p.started, keys)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.returned++
		p.mu.Unlock()
	}()
	select {
	case <-p.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if p.fail {
		return func(context.Context) (Result, error) { panic("a failed preparation was used") }, errFake
	}
	prepared := "prepared " + strings.Join(keys, ",")
	return func(ctx context.Context) (Result, error) { return p.flush(ctx, ws, keys, prepared) }, nil
}

// Flush is a flush without preparation.
func (p *preparingBackend) Flush(ctx context.Context, ws int64, keys []string) (Result, error) {
	return p.flush(ctx, ws, keys, "nil")
}

func (p *preparingBackend) flush(ctx context.Context, ws int64, keys []string, prepared string) (Result, error) {
	p.mu.Lock()
	p.finished = append(p.finished, strings.Join(keys, ",")+" ← "+prepared)
	p.mu.Unlock()
	return p.fakeBackend.Flush(ctx, ws, keys)
}

func (p *preparingBackend) record() (started [][]string, finished []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.started), slices.Clone(p.finished)
}

// TestPreparedFlushDoesNotHoldCommands: while a flush is being prepared, commands of the
// room go on committing; the flush then commits with its preparation, and the keys that
// came meanwhile make the next one.
func TestPreparedFlushDoesNotHoldCommands(t *testing.T) {
	fb := newFakeBackend()
	pb := &preparingBackend{fakeBackend: fb, gate: make(chan struct{})}
	e := newEnv(t, fb, func(c *Config) { c.Backend = pb })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	c.until(isAck(c.command("defer", map[string]any{"key": "tally:1"})))
	eventually(t, "preparation started", func() bool { s, _ := pb.record(); return len(s) == 1 })

	// The preparation is held: commands still commit and are acknowledged.
	c.until(isAck(c.emit("meanwhile", "all")))
	c.until(isAck(c.command("defer", map[string]any{"key": "tally:2"})))
	if _, fin := pb.record(); len(fin) != 0 {
		t.Fatalf("flushed before its preparation ended: %v", fin)
	}

	pb.gate <- struct{}{}
	c.until(isEvent("flushed"))
	pb.gate <- struct{}{} // the next flush, for the key that came meanwhile
	c.until(isEvent("flushed"))
	started, finished := pb.record()
	if want := [][]string{{"tally:1"}, {"tally:2"}}; !slices.EqualFunc(started, want, slices.Equal) {
		t.Errorf("preparations: got %v, want %v", started, want)
	}
	if want := []string{"tally:1 ← prepared tally:1", "tally:2 ← prepared tally:2"}; !slices.Equal(finished, want) {
		t.Errorf("flushes: got %v, want %v", finished, want)
	}
	if n := fb.overlaps.Load(); n != 0 {
		t.Errorf("commits overlapped %d times", n)
	}
}

// TestFailedPreparationStillFlushes: a preparation that fails is not used, and the flush
// runs without it; a preparation still running when the room stops is replaced by a
// plain flush of its keys.
func TestFailedPreparationStillFlushes(t *testing.T) {
	fb := newFakeBackend()
	pb := &preparingBackend{fakeBackend: fb, gate: make(chan struct{}), fail: true}
	e := newEnv(t, fb, func(c *Config) { c.Backend = pb })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	c.until(isAck(c.command("defer", map[string]any{"key": "tally:1"})))
	pb.gate <- struct{}{}
	c.until(isEvent("flushed"))
	if _, fin := pb.record(); !slices.Equal(fin, []string{"tally:1 ← nil"}) {
		t.Errorf("after a failed preparation: got %v, want the flush without it", fin)
	}

	c.until(isAck(c.command("defer", map[string]any{"key": "tally:3"})))
	eventually(t, "second preparation started", func() bool { s, _ := pb.record(); return len(s) == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.h.Shutdown(ctx); err != nil { // the preparation is still held at the gate
		t.Fatal(err)
	}
	_, _, _, _, flushes := fb.counts()
	if last := flushes[len(flushes)-1]; !slices.Equal(last, []string{"tally:3"}) {
		t.Errorf("last flush at shutdown: got %v, want [tally:3]", last)
	}
	if _, fin := pb.record(); !slices.Equal(fin, []string{"tally:1 ← nil", "tally:3 ← nil"}) {
		t.Errorf("flushes: got %v, want both without preparation (the last one at shutdown)", fin)
	}
	pb.mu.Lock()
	started, returned := len(pb.started), pb.returned
	pb.mu.Unlock()
	if returned != started {
		t.Errorf("preparations: %d started, %d returned by the end of the shutdown", started, returned)
	}
}
