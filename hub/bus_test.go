package hub

import (
	"context"
	"slices"
	"testing"

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
	fb := newFakeBackend()
	bus := &LocalBus{}
	n1 := newEnv(t, fb, func(c *Config) { c.Bus = bus })
	n2 := newEnv(t, fb, func(c *Config) { c.Bus = bus })
	n1.member(1, "participant", false, 0)
	n1.member(2, "participant", false, 0)
	a, b := n1.join(1, 0), n2.join(2, 0)
	n1.h.ResetLog(testWS)
	for name, c := range map[string]*client{"node 1": a, "node 2": b} {
		if code := c.closed(); code != websocket.CloseServiceRestart {
			t.Errorf("%s: close code %d, want %d (log reset)", name, code, websocket.CloseServiceRestart)
		}
	}
}
