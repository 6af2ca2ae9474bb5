package hub

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// These tests keep the production timings (defaultTiming, Config's defaults) that every other
// hub test shortens, and run the hub's clock instead of the wall: the clock is set back by a
// production wait, so that the wait has already run out when the hub counts it. Changing a
// wait (hello within 10 minutes, say) leaves the deadline in the future, and the test fails.

// skewedClock is a clock that is offset from the wall by an amount a test changes.
type skewedClock struct{ offset atomic.Int64 }

func (c *skewedClock) now() time.Time       { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *skewedClock) set(by time.Duration) { c.offset.Store(int64(by)) }

// productionEnv is a test hub with the production timings, read deadlines on clock.
func productionEnv(t *testing.T, opt func(*Config), wrap func(net.Listener) net.Listener) (*testEnv, *skewedClock) {
	t.Helper()
	clock := &skewedClock{}
	e := newEnvWith(t, newFakeBackend(), opt, func(tm *timing) {
		*tm = defaultTiming
		tm.now = clock.now
	}, wrap)
	return e, clock
}

// TestHelloWaitIsTenSeconds: a connection that says nothing is refused once helloWait (10 s)
// has passed on the hub's clock — not later — with not_joined and 1008.
func TestHelloWaitIsTenSeconds(t *testing.T) {
	if helloWait != 10*time.Second || defaultTiming.helloWait != helloWait {
		t.Fatalf("helloWait: got %v (in use %v), want 10s as docs/security.md says", helloWait, defaultTiming.helloWait)
	}
	e, clock := productionEnv(t, nil, nil)
	e.member(1, "participant", false, 0)
	clock.set(-10 * time.Second) // the hub's clock is 10 s behind: its hello wait ends now
	c := e.dial(1)
	if m := c.nextAny(); m.Type != "error" || m.Code != CodeNotJoined {
		t.Errorf("a silent connection after 10 s: got %+v, want error %s", m, CodeNotJoined)
	}
	if code := c.closed(); code != websocket.ClosePolicyViolation {
		t.Errorf("close code: got %d, want 1008", code)
	}
	// The same hub with its clock on time lets a hello through.
	clock.set(0)
	c = e.hello(1, 0)
	c.expect("snapshot")
}

// TestPongWaitIsSixtySeconds: after the hello, a peer that sends nothing (no message, no
// pong) for pongWait (60 s) on the hub's clock is closed; one that keeps talking is not. The
// server pings before that (pingPeriod = 9/10 of it), so a live browser always answers in time.
func TestPongWaitIsSixtySeconds(t *testing.T) {
	if pongWait != 60*time.Second || defaultTiming.pongWait != pongWait || defaultTiming.pingPeriod >= pongWait {
		t.Fatalf("pongWait %v (in use %v), pingPeriod %v: want 60s, pinged before it", pongWait, defaultTiming.pongWait, defaultTiming.pingPeriod)
	}
	e, clock := productionEnv(t, nil, nil)
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	// A message read with the clock on time: the connection lives on.
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
	// The next message is read with the clock 60 s behind: the read deadline it sets has
	// passed already, so the hub ends the connection without waiting for anything more.
	clock.set(-60 * time.Second)
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
	if code := c.closed(); code != websocket.CloseGoingAway {
		t.Errorf("close code after 60 s of silence: got %d, want 1001 (timeout)", code)
	}
}

// TestSendQueueEvictsAfterSixtyFourCommits: with the default SendQueue (64), a client that
// stops reading is evicted once 64 commits wait for it, not before (a phone on a slow network
// keeps up to ten seconds of tallies), and not long after (the room does not hold its frames).
// The sockets buffer little, so that what waits is in the queue.
func TestSendQueueEvictsAfterSixtyFourCommits(t *testing.T) {
	e, _ := productionEnv(t, nil, func(l net.Listener) net.Listener { return smallBuffers{l} })
	if got := e.h.cfg.SendQueue; got != 64 {
		t.Fatalf("default SendQueue: got %d, want 64", got)
	}
	e.member(1, "moderator", true, 0)
	e.member(2, "participant", false, 0)
	w := e.join(1, 0)
	slow := e.joinSlowReader(2)
	defer slow.Close()
	// One commit at a time: each takes one slot of the slow client's queue. After each ack the
	// room has offered the commit's frame to every member (events go out before the ack).
	evictedAt := 0
	for commit := 1; commit <= 100 && evictedAt == 0; commit++ {
		id := w.command("emit", map[string]any{"name": "big", "count": 8, "size": 4000})
		w.until(isAck(id))
		if e.h.Stats().Evictions > 0 {
			evictedAt = commit
		}
	}
	t.Logf("evicted at commit %d", evictedAt)
	// The socket's own buffers (a few KiB each way) and the frame being written hold at most
	// a couple of 32 KiB commits more than the queue.
	if evictedAt < 64 || evictedAt > 64+4 {
		t.Errorf("the slow client was evicted at commit %d, want 64 (the queue) to 68 (its socket's buffers)", evictedAt)
	}
}
