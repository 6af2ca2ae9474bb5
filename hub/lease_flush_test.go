package hub

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"
)

// markingBackend is a fakeBackend that keeps the follow-ups it defers marked until a Flush
// covers them, as the engine does in tally_pending (DueReader).
type markingBackend struct {
	*fakeBackend
	mu    sync.Mutex
	marks map[string]bool
}

func (m *markingBackend) Execute(ctx context.Context, ws int64, cmds []Command) (Result, error) {
	res, err := m.fakeBackend.Execute(ctx, ws, cmds)
	m.mu.Lock()
	for _, k := range res.Deferred {
		m.marks[k] = true
	}
	m.mu.Unlock()
	return res, err
}

func (m *markingBackend) Flush(ctx context.Context, ws int64, keys []string) (Result, error) {
	res, err := m.fakeBackend.Flush(ctx, ws, keys)
	if err == nil {
		m.mu.Lock()
		for _, k := range keys {
			delete(m.marks, k)
		}
		m.mu.Unlock()
	}
	return res, err
}

func (m *markingBackend) DueKeys(context.Context, int64) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.marks)), nil
}

// TestTallyFlushesRunWhereTheLeaseIs: with a DueReader Backend, a room on a node without the
// workshop's lease flushes none of its commits' follow-ups and cues the holder instead; the
// node that gets the lease flushes what is marked due at once.
func TestTallyFlushesRunWhereTheLeaseIs(t *testing.T) {
	fb := newFakeBackend()
	mb := &markingBackend{fakeBackend: fb, marks: map[string]bool{}}
	lease := &switchLease{holder: "elsewhere"}
	bus := &LocalBus{}
	var mu sync.Mutex
	var dues []int64
	bus.Subscribe(func(c Cue) {
		if c.Kind == CueDue {
			mu.Lock()
			dues = append(dues, c.Workshop)
			mu.Unlock()
		}
	})
	e := newEnv(t, fb, func(c *Config) {
		c.Backend, c.Bus = mb, bus
		c.Ticks = lease.node("here")
		c.TickRetry = 20 * time.Millisecond
	})
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	flushed := func(key string) int {
		_, _, _, _, flushes := fb.counts()
		n := 0
		for _, keys := range flushes {
			if slices.Contains(keys, key) {
				n++
			}
		}
		return n
	}
	c.until(isAck(c.command("defer", map[string]any{"key": "tally:1"})))
	// A barrier through the committer: what the commit deferred has been handled.
	c.until(isAck(c.emit("barrier", "all")))
	if n := flushed("tally:1"); n != 0 {
		t.Fatalf("flushes of tally:1 without the lease: got %d, want 0", n)
	}
	mu.Lock()
	cued := slices.Contains(dues, testWS)
	mu.Unlock()
	if !cued {
		t.Error("no CueDue for the workshop after a commit without the lease")
	}
	lease.set("here")
	eventually(t, "tally:1 flushed once the lease is taken", func() bool { return flushed("tally:1") == 1 })
	if keys, _ := mb.DueKeys(context.Background(), testWS); len(keys) != 0 {
		t.Errorf("still due after the holder's flush: %v", keys)
	}
}
