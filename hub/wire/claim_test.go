package wire

import (
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire/wiretest"
)

// claimTest is one connection on a recording transport.
func claimTest(t *testing.T) (*Conn, *wiretest.Transport) {
	t.Helper()
	ft := newTransport(false)
	return newTestConn(ft, testOptions(64)), ft
}

// TestClaimedBacklogIsTakenOver: entries queued for a background writer that has not
// come yet are written, in order, by whoever queues the next entry; the background
// writer then finds nothing to do.
func TestClaimedBacklogIsTakenOver(t *testing.T) {
	c, ft := claimTest(t)
	for seq := int64(1); seq <= 2; seq++ {
		ok, claimed := c.OfferClaimed(event(seq), 1)
		if !ok || claimed != (seq == 1) {
			t.Fatalf("OfferClaimed %d: ok %v claimed %v; want true, %v", seq, ok, claimed, seq == 1)
		}
	}
	if got := seqsOf(t, ft); len(got) != 0 {
		t.Fatalf("written before anyone drained: %v", got)
	}
	if !c.Offer(event(3)) {
		t.Fatal("offer refused")
	}
	if got := seqsOf(t, ft); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("after the take-over: got %v, want [1 2 3]", got)
	}
	c.WriteClaimed(1) // the background writer comes late
	if got := seqsOf(t, ft); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("after the late writer: got %v, want [1 2 3] (nothing twice)", got)
	}
	if room, ctl := c.Queued(); room+ctl != 0 {
		t.Errorf("outbox: %d entries left, want 0", room+ctl)
	}
	if !idle(c) {
		t.Error("the write side is still owned after the backlog went out")
	}
}

// TestClaimedBacklogDrainsInBackground: the background writer writes a claimed backlog
// and lets the write side go, so that the next entry takes the direct path again.
func TestClaimedBacklogDrainsInBackground(t *testing.T) {
	c, ft := claimTest(t)
	for seq := int64(1); seq <= 40; seq++ { // more than one write's gathering (writeBatch)
		c.OfferClaimed(event(seq), 1)
	}
	c.WriteClaimed(1)
	if got := seqsOf(t, ft); !slices.Equal(got, upTo(40)) {
		t.Fatalf("drained: got %v, want 1…40", got)
	}
	c.Offer(event(41))
	if got := seqsOf(t, ft); len(got) != 41 || got[40] != 41 {
		t.Fatalf("next entry: got %v, want 41 written at once", got)
	}
}

// partSocket takes the first take bytes of non-blocking writes, then nothing (take 0: a
// full socket); its blocking writes go through once released.
type partSocket struct {
	*wiretest.Transport
	take    int
	release chan struct{}
}

func newPartSocket(take int) *partSocket {
	return &partSocket{Transport: newTransport(false), take: take, release: make(chan struct{})}
}

func (p *partSocket) WriteNow(b []byte) (int, error) {
	n := min(p.take, len(b))
	p.take -= n
	p.Record(b[:n])
	return n, nil
}

func (p *partSocket) WriteAll(b []byte, _ time.Time) error {
	<-p.release
	p.Record(b)
	return nil
}

// TestClaimedBacklogOnAFullSocket: a socket that takes nothing leaves the backlog whole
// for the writer goroutine, which writes it once the socket moves again.
func TestClaimedBacklogOnAFullSocket(t *testing.T) {
	fs := newPartSocket(0)
	c := newTestConn(fs, testOptions(64))
	c.OfferClaimed(event(1), 1)
	c.OfferClaimed(event(2), 1)
	c.WriteClaimed(1)
	if room, _ := c.Queued(); room != 2 {
		t.Fatalf("outbox after a full socket: %d entries, want 2 (nothing lost)", room)
	}
	close(fs.release)
	wiretest.Eventually(t, wait, "backlog written by the writer", func() bool { return len(seqsOf(t, fs.Transport)) == 2 })
	if got := seqsOf(t, fs.Transport); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("got %v, want [1 2]", got)
	}
	wiretest.Eventually(t, wait, "writer gone", func() bool { return idle(c) })
}

// TestClaimedConnectionThatCloses: a connection the room lets go while its backlog waits
// for the background writer still gets the backlog, then the close frame.
func TestClaimedConnectionThatCloses(t *testing.T) {
	c, ft := claimTest(t)
	c.OfferClaimed(event(1), 1)
	c.Close()
	c.WriteClaimed(1)
	waitDone(t, c)
	if got := seqsOf(t, ft); !slices.Equal(got, []int64{1}) {
		t.Fatalf("got %v, want [1] before the close", got)
	}
	if !ft.Closed() {
		t.Error("the socket was not closed")
	}
}

// TestClaimedConnectionTerminated: a connection terminated while its backlog waits for a
// claim writes none of the room's frames, only the close frame.
func TestClaimedConnectionTerminated(t *testing.T) {
	c, ft := claimTest(t)
	c.OfferClaimed(event(1), 1)
	c.OfferClaimed(event(2), 1)
	c.Terminate(websocket.CloseGoingAway, "bye")
	c.WriteClaimed(1)
	waitDone(t, c)
	msgs, closed := decoded(t, ft)
	if len(msgs) != 0 || !closed {
		t.Fatalf("got %d messages and close %v; want none, then the close frame", len(msgs), closed)
	}
}

// TestReadSideTakesOverThroughTheWriter: a frame of the read side (a pong) queued while a
// claim waits goes out after the backlog, written by the writer goroutine.
func TestReadSideTakesOverThroughTheWriter(t *testing.T) {
	c, ft := claimTest(t)
	c.OfferClaimed(event(1), 1)
	c.Reply(Entry{Later: &message{Type: "pong"}})
	wiretest.Eventually(t, wait, "backlog and pong written", func() bool { return idle(c) })
	msgs, _ := decoded(t, ft)
	if len(msgs) != 2 || msgs[0].Seq != 1 || msgs[1].Type != "pong" {
		t.Fatalf("got %+v, want event 1 then the pong", msgs)
	}
	c.WriteClaimed(1) // the claimant comes late: nothing left to do
	if msgs, _ := decoded(t, ft); len(msgs) != 2 {
		t.Errorf("messages after the late claimant: got %d, want 2", len(msgs))
	}
}

// TestClaimedBacklogPartlyWritten: when the socket takes part of the backlog, the rest of
// the frame it cut goes out first and whole, then the frames after it, untouched, then
// what was queued meanwhile.
func TestClaimedBacklogPartlyWritten(t *testing.T) {
	o := testOptions(64)
	ps := newPartSocket(10) // inside the first frame
	c := newTestConn(ps, o)
	for seq := int64(1); seq <= 3; seq++ {
		c.OfferClaimed(event(seq), 1)
	}
	c.WriteClaimed(1)
	c.mu.Lock()
	n, first := c.n, c.q[c.head]
	c.mu.Unlock()
	if _, raw := first.Later.(Raw); n != 3 || !first.partial || !raw || first.Frame != nil {
		t.Fatalf("outbox after the cut: %d entries, first %+v; want the rest of frame 1 (partial), then frames 2 and 3", n, first)
	}
	c.Offer(event(4))
	close(ps.release)
	wiretest.Eventually(t, wait, "everything written", func() bool { return idle(c) })
	if got := seqsOf(t, ps.Transport); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("got %v, want [1 2 3 4]", got)
	}
	if o.PartialWrites() == 0 {
		t.Error("the partial write was not counted")
	}
}

// TestLaterClaimTakesOver: a claim not written yet is taken over by the room's next one,
// which writes both backlogs, in order; the first claimant then finds nothing to do.
func TestLaterClaimTakesOver(t *testing.T) {
	c, ft := claimTest(t)
	if _, claimed := c.OfferClaimed(event(1), 1); !claimed {
		t.Fatal("first claim refused")
	}
	if _, claimed := c.OfferClaimed(event(2), 2); !claimed {
		t.Fatal("the later claim did not take over")
	}
	c.WriteClaimed(1)
	if got := seqsOf(t, ft); len(got) != 0 {
		t.Fatalf("the first claimant wrote after the take-over: %v", got)
	}
	c.WriteClaimed(2)
	if got := seqsOf(t, ft); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("got %v, want [1 2]", got)
	}
}
