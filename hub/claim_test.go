package hub

import (
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// claimTest is one connection on a fake transport, and frames to queue on it.
func claimTest(t *testing.T, stalled bool) (*room, *member, *fakeTransport, func(seq int64) outbound) {
	t.Helper()
	r := bareRoom(t, nil)
	var frames atomic.Int64
	ft := newFakeTransport(&frames, stalled)
	m := addMemberOn(r, Viewer{Participant: 1, Role: "participant"}, ft)
	ev := func(seq int64) outbound {
		return outbound{wf: prepare(newEventFrame(&Event{Seq: seq, Name: "e", Data: json.RawMessage(`{}`)}), 0)}
	}
	return r, m, ft, ev
}

func seqsOf(t *testing.T, ft *fakeTransport) []int64 {
	t.Helper()
	var got []int64
	for _, msg := range mustMessages(t, ft) {
		got = append(got, msg.Seq)
	}
	return got
}

// TestClaimedBacklogIsTakenOver: entries queued for a background writer that has not
// come yet are written, in order, by whoever queues the next entry; the background
// writer then finds nothing to do.
func TestClaimedBacklogIsTakenOver(t *testing.T) {
	_, m, ft, ev := claimTest(t, false)
	c := m.c
	for seq := int64(1); seq <= 2; seq++ {
		ok, claimed := c.offerLater(ev(seq), 1)
		if !ok || claimed != (seq == 1) {
			t.Fatalf("offerLater %d: ok %v claimed %v; want true, %v", seq, ok, claimed, seq == 1)
		}
	}
	if got := seqsOf(t, ft); len(got) != 0 {
		t.Fatalf("written before anyone drained: %v", got)
	}
	if !c.offer(ev(3)) {
		t.Fatal("offer refused")
	}
	if got := seqsOf(t, ft); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("after the take-over: got %v, want [1 2 3]", got)
	}
	c.drainClaimed(1) // the background writer comes late
	if got := seqsOf(t, ft); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("after the late writer: got %v, want [1 2 3] (nothing twice)", got)
	}
	if room, ctl := c.queued(); room+ctl != 0 {
		t.Errorf("outbox: %d entries left, want 0", room+ctl)
	}
	c.mu.Lock()
	writing := c.writing
	c.mu.Unlock()
	if writing {
		t.Error("the write side is still owned after the backlog went out")
	}
}

// TestClaimedBacklogDrainsInBackground: the background writer writes a claimed backlog
// and lets the write side go, so that the next entry takes the direct path again.
func TestClaimedBacklogDrainsInBackground(t *testing.T) {
	_, m, ft, ev := claimTest(t, false)
	c := m.c
	for seq := int64(1); seq <= 40; seq++ { // more than one write's gathering (writeBatch)
		c.offerLater(ev(seq), 1)
	}
	c.drainClaimed(1)
	want := make([]int64, 0, 41)
	for seq := int64(1); seq <= 40; seq++ {
		want = append(want, seq)
	}
	if got := seqsOf(t, ft); !slices.Equal(got, want) {
		t.Fatalf("drained: got %v, want 1…40", got)
	}
	c.offer(ev(41))
	if got := seqsOf(t, ft); len(got) != 41 || got[40] != 41 {
		t.Fatalf("next entry: got %v, want 41 written at once", got)
	}
}

// TestClaimedBacklogOnAFullSocket: a socket that takes nothing leaves the backlog whole
// for the writer goroutine, which writes it once the socket moves again.
func TestClaimedBacklogOnAFullSocket(t *testing.T) {
	r, _, _, ev := claimTest(t, false)
	fs := newPartSocket(0)
	c := newConn(r.h, fs, 2, "fr")
	c.offerLater(ev(1), 1)
	c.offerLater(ev(2), 1)
	c.drainClaimed(1)
	if room, _ := c.queued(); room != 2 {
		t.Fatalf("outbox after a full socket: %d entries, want 2 (nothing lost)", room)
	}
	close(fs.release)
	eventually(t, "backlog written by the writer", func() bool { return len(seqsOf(t, fs.fakeTransport)) == 2 })
	if got := seqsOf(t, fs.fakeTransport); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("got %v, want [1 2]", got)
	}
	eventually(t, "writer gone", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return !c.writing
	})
}

// TestClaimedConnectionThatCloses: a connection the room lets go while its backlog waits
// for the background writer still gets the backlog, then the close frame.
func TestClaimedConnectionThatCloses(t *testing.T) {
	_, m, ft, ev := claimTest(t, false)
	c := m.c
	c.offerLater(ev(1), 1)
	c.closeGraceful()
	c.drainClaimed(1)
	waitDone(t, c)
	if got := seqsOf(t, ft); !slices.Equal(got, []int64{1}) {
		t.Fatalf("got %v, want [1] before the close", got)
	}
	if !ft.closed.Load() {
		t.Error("the socket was not closed")
	}
}

func waitDone(t *testing.T, c *conn) {
	t.Helper()
	select {
	case <-c.writeDone:
	case <-time.After(wait):
		t.Fatal("the connection's write side did not end")
	}
}

// TestClaimedConnectionTerminated: a connection terminated while its backlog waits for a
// claim writes none of the room's frames, only the close frame.
func TestClaimedConnectionTerminated(t *testing.T) {
	_, m, ft, ev := claimTest(t, false)
	c := m.c
	c.offerLater(ev(1), 1)
	c.offerLater(ev(2), 1)
	c.terminate(websocket.CloseGoingAway, "bye")
	c.drainClaimed(1)
	waitDone(t, c)
	msgs, closed := ft.messages(t)
	if len(msgs) != 0 || !closed {
		t.Fatalf("got %d messages and close %v; want none, then the close frame", len(msgs), closed)
	}
}

// TestReadSideTakesOverThroughTheWriter: a frame of the read side (a pong) queued while a
// claim waits goes out after the backlog, written by the writer goroutine.
func TestReadSideTakesOverThroughTheWriter(t *testing.T) {
	_, m, ft, ev := claimTest(t, false)
	c := m.c
	c.offerLater(ev(1), 1)
	c.queueCtl(outbound{more: &pongFrame{Type: "pong"}})
	eventually(t, "backlog and pong written", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.n == 0 && !c.writing
	})
	msgs := mustMessages(t, ft)
	if len(msgs) != 2 || msgs[0].Seq != 1 || msgs[1].Type != "pong" {
		t.Fatalf("got %+v, want event 1 then the pong", msgs)
	}
	c.drainClaimed(1) // the claimant comes late: nothing left to do
	if got := len(mustMessages(t, ft)); got != 2 {
		t.Errorf("messages after the late claimant: got %d, want 2", got)
	}
}

// partSocket takes the first take bytes of non-blocking writes, then nothing (take 0: a
// full socket); its blocking writes go through once released.
type partSocket struct {
	*fakeTransport
	take    int
	release chan struct{}
}

func newPartSocket(take int) *partSocket {
	return &partSocket{fakeTransport: newFakeTransport(new(atomic.Int64), false), take: take, release: make(chan struct{})}
}

func (p *partSocket) writeNow(b []byte) (int, error) {
	n := min(p.take, len(b))
	p.take -= n
	p.record(b[:n])
	return n, nil
}

func (p *partSocket) writeAll(b []byte, _ time.Time) error {
	<-p.release
	p.record(b)
	return nil
}

// TestClaimedBacklogPartlyWritten: when the socket takes part of the backlog, the rest of
// the frame it cut goes out first and whole, then the frames after it, untouched, then
// what was queued meanwhile.
func TestClaimedBacklogPartlyWritten(t *testing.T) {
	r, _, _, ev := claimTest(t, false)
	ps := newPartSocket(30)
	c := newConn(r.h, ps, 2, "fr")
	for seq := int64(1); seq <= 3; seq++ {
		c.offerLater(ev(seq), 1)
	}
	c.drainClaimed(1)
	c.mu.Lock()
	n, first := c.n, c.q[c.head]
	c.mu.Unlock()
	if _, raw := first.more.(rawBytes); n != 3 || !first.partial || !raw || first.wf != nil {
		t.Fatalf("outbox after the cut: %d entries, first %+v; want the rest of frame 1 (partial), then frames 2 and 3", n, first)
	}
	c.offer(ev(4))
	close(ps.release)
	eventually(t, "everything written", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.n == 0 && !c.writing
	})
	if got := seqsOf(t, ps.fakeTransport); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("got %v, want [1 2 3 4]", got)
	}
	if r.h.stats.partial.Load() == 0 {
		t.Error("the partial write was not counted")
	}
}

// TestLaterClaimTakesOver: a claim not written yet is taken over by the room's next one,
// which writes both backlogs, in order; the first claimant then finds nothing to do.
func TestLaterClaimTakesOver(t *testing.T) {
	_, m, ft, ev := claimTest(t, false)
	c := m.c
	if _, claimed := c.offerLater(ev(1), 1); !claimed {
		t.Fatal("first claim refused")
	}
	if _, claimed := c.offerLater(ev(2), 2); !claimed {
		t.Fatal("the later claim did not take over")
	}
	c.drainClaimed(1)
	if got := seqsOf(t, ft); len(got) != 0 {
		t.Fatalf("the first claimant wrote after the take-over: %v", got)
	}
	c.drainClaimed(2)
	if got := seqsOf(t, ft); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("got %v, want [1 2]", got)
	}
}

// writeCounter counts the non-blocking writes of a fake transport.
type writeCounter struct {
	*fakeTransport
	writes atomic.Int64
}

func (w *writeCounter) writeNow(p []byte) (int, error) {
	w.writes.Add(1)
	return w.fakeTransport.writeNow(p)
}

// TestVoteIsOneWrite: a committed vote's private event and its ack reach the voter in
// one system call.
func TestVoteIsOneWrite(t *testing.T) {
	r := bareRoom(t, nil)
	var frames atomic.Int64
	w := &writeCounter{fakeTransport: newFakeTransport(&frames, false)}
	c := newConn(r.h, w, 1, "fr")
	m := &member{c: c, v: Viewer{Participant: 1, Role: "participant"}}
	r.members[c], r.people[1] = m, []*member{m}
	r.deliver(delivery{
		events:   []Event{{Seq: 1, Name: "vote.recorded", Audience: Audience{Kind: Person, ID: 1}, Data: json.RawMessage(`{}`)}},
		outcomes: []sentOutcome{{c: c, out: Outcome{CommandID: "v1", Seq: 1}}},
	})
	msgs := mustMessages(t, w.fakeTransport)
	if len(msgs) != 2 || msgs[0].Type != "event" || msgs[1].Type != "ack" {
		t.Fatalf("got %+v, want the event then the ack", msgs)
	}
	if n := w.writes.Load(); n != 1 {
		t.Errorf("writes: got %d, want 1", n)
	}
}
