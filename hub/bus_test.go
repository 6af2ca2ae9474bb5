package hub

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestLostCuesAreReadBackAfterCueLost: node 1 hears none of node 2's commits (its bus lost
// them); when its bus says it may have lost cues, the room reads the log and the member gets
// every event it missed, in order, once.
func TestLostCuesAreReadBackAfterCueLost(t *testing.T) {
	fb := newFakeBackend()
	bus1 := &LocalBus{} // node 1 alone on it: node 2's cues never arrive
	n1 := newEnv(t, fb, func(c *Config) { c.Bus = bus1 })
	n2 := newEnv(t, fb, func(c *Config) { c.Bus = &LocalBus{} })
	n1.member(1, "participant", false, 0)
	n1.member(2, "participant", false, 0)
	a, b := n1.join(1, 0), n2.join(2, 0)
	for _, name := range []string{"n2-a", "n2-b", "n2-c"} {
		id := b.emit(name, "all")
		b.until(isAck(id))
	}
	bus1.Publish(context.Background(), Cue{Kind: CueLost})
	msgs := a.until(isEvent("n2-c"))
	if got := eventSeqs(msgs); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("node 1 after the recheck: got seqs %v, want [1 2 3]", got)
	}
	// And nothing twice: its own next commit follows on.
	id := a.emit("n1", "all")
	if got := eventSeqs(a.until(isAck(id))); !slices.Equal(got, []int64{4}) {
		t.Errorf("node 1's own commit: got seqs %v, want [4]", got)
	}
}

// TestLogResetReachesOtherNodes: an erasure handled by node 1 rewrites the log; node 2's
// room of the workshop hears it on the bus and closes its members with 1012 like node 1's.
func TestLogResetReachesOtherNodes(t *testing.T) {
	n1, _, a, b := twoNodes(t, &LocalBus{})
	n1.h.ResetLog(testWS)
	for name, c := range map[string]*client{"node 1": a, "node 2": b} {
		if code := c.closed(); code != websocket.CloseServiceRestart {
			t.Errorf("%s: close code %d, want %d (log reset)", name, code, websocket.CloseServiceRestart)
		}
	}
}

// TestMissedLogResetIsFoundOnCueLost: node 2 never hears the reset node 1 published (its bus
// was deaf); when its bus says cues may have been lost, its room finds the epoch changed and
// drops its history like a reset: its members are closed with 1012.
func TestMissedLogResetIsFoundOnCueLost(t *testing.T) {
	fb := newFakeBackend()
	bus2 := &LocalBus{}
	n1 := newEnv(t, fb, func(c *Config) { c.Bus = &LocalBus{} })
	n2 := newEnv(t, fb, func(c *Config) { c.Bus = bus2 })
	n1.member(1, "participant", false, 0)
	n1.member(2, "participant", false, 0)
	n1.join(1, 0)
	b := n2.join(2, 0)
	fb.mu.Lock()
	fb.epoch = 99 // what the erasure's transaction did in the database
	fb.mu.Unlock()
	n1.h.ResetLog(testWS)
	bus2.Publish(context.Background(), Cue{Kind: CueLost})
	if code := b.closed(); code != websocket.CloseServiceRestart {
		t.Errorf("node 2 after the recheck: close code %d, want %d (log reset)", code, websocket.CloseServiceRestart)
	}
}

// switchLease is a TickLease a test hands from node to node.
type switchLease struct {
	mu       sync.Mutex
	holder   string
	released []string
}

func (l *switchLease) set(node string) { l.mu.Lock(); l.holder = node; l.mu.Unlock() }

func (l *switchLease) node(name string) TickLease { return leaseOf{l, name} }

type leaseOf struct {
	l    *switchLease
	name string
}

func (o leaseOf) Holds(context.Context, int64) bool {
	o.l.mu.Lock()
	defer o.l.mu.Unlock()
	return o.l.holder == o.name
}

func (o leaseOf) Release(context.Context, int64) {
	o.l.mu.Lock()
	defer o.l.mu.Unlock()
	o.l.released = append(o.l.released, o.name)
}

// TestTicksRunWhereTheLeaseIs: a wake-up that falls due on a node without the workshop's
// lease runs no tick there; the node that gets the lease runs one at once (it may never have
// heard when the next is due); a room that stops gives the lease up.
func TestTicksRunWhereTheLeaseIs(t *testing.T) {
	fb := newFakeBackend()
	fb.wakeAt = time.Now() // due at once, on whichever node opens the room
	lease := &switchLease{holder: "elsewhere"}
	e := newEnv(t, fb, func(c *Config) { c.Ticks = lease.node("here"); c.TickRetry = 20 * time.Millisecond })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	ticks := func() int {
		_, _, _, _, flushes := fb.counts()
		n := 0
		for _, keys := range flushes {
			if slices.Equal(keys, []string{"tick"}) {
				n++
			}
		}
		return n
	}
	// A barrier through the committer: the wake-up, due before it, has been handled.
	id := c.emit("barrier", "all")
	c.until(isAck(id))
	if n := ticks(); n != 0 {
		t.Fatalf("ticks without the lease: got %d, want 0", n)
	}
	lease.set("here")
	eventually(t, "a tick once the lease is taken", func() bool { return ticks() >= 1 })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	lease.mu.Lock()
	defer lease.mu.Unlock()
	if !slices.Equal(lease.released, []string{"here"}) {
		t.Errorf("released on stop: got %v, want [here]", lease.released)
	}
}
