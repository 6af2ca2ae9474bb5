package hub

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire/wiretest"
)

// smallBuffers makes accepted sockets buffer little, so that a peer that does not read
// blocks the server's writes after kilobytes instead of megabytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

func TestSlowClientIsEvictedOthersKeepReceiving(t *testing.T) {
	fb := newFakeBackend()
	e := newEnvWith(t, fb, func(c *Config) { c.SendQueue = 8 }, nil,
		func(l net.Listener) net.Listener { return smallBuffers{l} })
	e.member(1, "moderator", true, 0)
	e.member(2, "participant", false, 0)
	e.member(3, "participant", false, 0)
	w, fast := e.join(1, 0), e.join(2, 0)

	// The slow client joins, then never reads again.
	slow := e.joinSlowReader(3)
	defer slow.Close()

	// One commit at a time, so that each takes one slot of every queue: the slow
	// client's queue fills after SendQueue commits. The reading client reads each commit
	// before the next is made (a client that reads keeps up with the room; how far a
	// reader may lag is SendQueue commits, which this test is not about).
	const rounds, per = 25, 8
	const n = rounds * per
	var fastMsgs []srvMsg
	for round := range rounds {
		id := w.command("emit", map[string]any{"name": "big", "count": per, "size": 4000})
		w.until(isAck(id))
		last := int64((round + 1) * per)
		fastMsgs = append(fastMsgs, fast.until(func(m srvMsg) bool { return m.Seq == last })...)
	}
	if got := eventSeqs(fastMsgs); !slices.Equal(got, seqRange(1, n)) {
		t.Fatalf("the reading client's events: got %d events, want 1..%d in order", len(got), n)
	}
	eventually(t, "slow client evicted", func() bool { return e.h.Stats().Evictions == 1 })
	// The slow client's connection is over: reading drains what was buffered, then fails.
	slow.SetReadDeadline(time.Now().Add(wait))
	got := 0
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("slow client: still connected after %d messages", got)
			}
			break
		}
		got++
	}
	if got >= n {
		t.Errorf("slow client's messages: got %d, want fewer than %d", got, n)
	}
}

// fakeTransport records what the room's frames become on the wire.
type fakeTransport = wiretest.Transport

func newFakeTransport(frames *atomic.Int64, stalled bool) *fakeTransport {
	return wiretest.NewTransport(frames, stalled)
}

// messagesOf parses what was written to f: the messages, in order, and whether a close
// frame ended the stream.
func messagesOf(t *testing.T, f *fakeTransport) (msgs []srvMsg, closed bool) {
	t.Helper()
	return wiretest.Decoded[srvMsg](t, f)
}

// transportOf is the fake transport a test connection writes to.
func transportOf(c *conn) *fakeTransport { return c.out.Transport().(*fakeTransport) }

// bareRoom is a room without goroutines: a test drives its methods directly and looks
// at the members' queues.
func bareRoom(tb testing.TB, cfg func(*Config)) *room {
	tb.Helper()
	c := Config{
		Backend:     newFakeBackend(),
		CheckOrigin: func(*http.Request) bool { return true },
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if cfg != nil {
		cfg(&c)
	}
	h := New(c)
	tb.Cleanup(func() { h.Shutdown(context.Background()) })
	return newRoom(h, testWS)
}

// addMember puts a connection with a fake transport in r, live.
func addMember(r *room, v Viewer, frames *atomic.Int64) *member {
	return addMemberOn(r, v, newFakeTransport(frames, false))
}

func addMemberOn(r *room, v Viewer, ft *fakeTransport) *member {
	c := newConn(r.h, ft, v.Participant, "fr")
	m := &member{c: c, v: v}
	r.add(m)
	return m
}

func TestBackPressureDropsEphemeralThenEvicts(t *testing.T) {
	r := bareRoom(t, func(c *Config) { c.SendQueue = 4 })
	var frames atomic.Int64
	stalled := newFakeTransport(&frames, true)
	slow := addMemberOn(r, Viewer{Participant: 1}, stalled)
	ok := addMember(r, Viewer{Participant: 2}, &frames)
	okWire := transportOf(ok.c)
	ev := func(seq int64) { // one commit of one event
		r.deliver(delivery{events: []Event{{Seq: seq, Name: "e", Data: json.RawMessage(`{}`)}}})
	}
	queued := func(m *member) int { n, _ := m.c.out.Queued(); return n }

	ev(1)              // the slow socket takes nothing: queued, and a writer waits on the socket
	ev(2)              // slow's queue is half full
	r.presence.mark(r) // arms a timer we do not wait for
	r.presence.stop()
	r.sendPresence() // ephemeral: dropped for slow, written for ok
	if got := queued(slow); got != 2 {
		t.Fatalf("slow queue after presence: got %d, want 2 (presence dropped past half full)", got)
	}
	if msgs, _ := messagesOf(t, okWire); len(msgs) != 3 || msgs[2].Type != "presence" || queued(ok) != 0 {
		t.Fatalf("ok member: got %d messages (%+v) and %d queued, want events 1, 2 and presence written", len(msgs), msgs, queued(ok))
	}
	ev(3)
	ev(4) // slow's queue is full, but events are never dropped
	if got := queued(slow); got != 4 {
		t.Fatalf("slow queue: got %d, want 4", got)
	}
	ev(5) // no room left: evict
	if r.members[slow.c] != nil {
		t.Fatalf("slow member after a full queue: still in the room, want evicted")
	}
	if !stalled.Closed() {
		t.Errorf("slow socket: got open, want closed")
	}
	if code, _ := slow.c.out.CloseReason(); code != websocket.CloseTryAgainLater {
		t.Errorf("slow close code: got %d, want %d", code, websocket.CloseTryAgainLater)
	}
	if r.members[ok.c] == nil {
		t.Errorf("other member: got evicted, want present")
	}
	if got := eventSeqs(mustMessages(t, okWire)); !slices.Equal(got, seqRange(1, 5)) {
		t.Errorf("other member's events: got %v, want 1..5", got)
	}
	// The writer that waited on the slow socket ends with it.
	select {
	case <-slow.c.out.Done():
	case <-time.After(wait):
		t.Fatal("slow connection's write side still running after the eviction")
	}
	if got := r.h.Stats().Evictions; got != 1 {
		t.Errorf("evictions: got %d, want 1", got)
	}
}

func mustMessages(t *testing.T, f *fakeTransport) []srvMsg {
	t.Helper()
	msgs, _ := messagesOf(t, f)
	return msgs
}

func TestPresenceOnlyWhenChanged(t *testing.T) {
	r := bareRoom(t, nil)
	var frames atomic.Int64
	a := addMember(r, Viewer{Participant: 1, Role: "participant", Group: 5}, &frames)
	addMember(r, Viewer{Participant: 1, Role: "participant", Group: 5}, &frames) // second tab
	// Appointed to moderate this workshop, a participant of the process counts as a moderator.
	addMember(r, Viewer{Participant: 2, Role: "participant", Moderator: true}, &frames)
	ft := transportOf(a.c)
	r.sendPresence()
	if got := len(mustMessages(t, ft)); got != 1 {
		t.Fatalf("messages after the first presence: got %d, want 1", got)
	}
	f := r.currentPresence()
	if f.Online != 2 || f.ByRole["participant"] != 1 || f.ByRole["moderator"] != 1 || f.ByGroup["5"] != 1 {
		t.Errorf("presence: got %+v, want 2 online (distinct people), 1 participant, 1 moderator, group 5: 1", f)
	}
	r.sendPresence()
	if got := len(mustMessages(t, ft)); got != 1 {
		t.Errorf("messages after an unchanged presence: got %d, want still 1", got)
	}
	addMember(r, Viewer{Participant: 3, Role: "participant", Group: 6}, &frames)
	r.sendPresence()
	msgs := mustMessages(t, ft)
	if len(msgs) != 2 || msgs[1].Type != "presence" || msgs[1].Online != 3 {
		t.Errorf("messages after a changed presence: got %+v, want a second presence of 3", msgs)
	}
}

func TestPresenceEndToEnd(t *testing.T) {
	e := newEnv(t, newFakeBackend(), nil)
	e.member(1, "participant", false, 5)
	e.member(2, "participant", false, 6)
	e.member(3, "moderator", true, 0)
	a := e.join(1, 0)
	e.join(2, 0)
	e.join(3, 0)
	want := map[string]int{"participant": 2, "moderator": 1}
	for {
		m := a.nextAny()
		if m.Type == "presence" && m.Online == 3 {
			if !maps.Equal(m.ByRole, want) || m.ByGroup["5"] != 1 || m.ByGroup["6"] != 1 || m.ServerTime == 0 {
				t.Errorf("presence: got %+v, want byRole %v, byGroup 5:1 6:1", m, want)
			}
			break
		}
	}
	// A second tab of someone already online changes nothing, yet gets the presence.
	tab := e.join(1, 0)
	for {
		m := tab.nextAny()
		if m.Type == "presence" {
			if m.Online != 3 {
				t.Errorf("second tab's presence: got online %d, want 3", m.Online)
			}
			break
		}
	}
}

// A saturated committer makes commands wait for room in its queue, not be refused: once the
// batch in flight commits, every waiting command is queued, committed and acknowledged, in
// each connection's order. Other connections are served meanwhile.
func TestInboxFullCommandsWaitThenCommit(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	e := newEnv(t, fb, func(c *Config) { c.CommandQueue, c.CommandWait = 2, time.Minute })
	for p := int64(1); p <= 3; p++ {
		e.member(p, "participant", false, 0)
	}
	a, b, idle := e.join(1, 0), e.join(2, 0), e.join(3, 0)
	held := a.emit("x", "all")
	eventually(t, "first batch executing", func() bool { return calls.Load() == 1 })
	r := e.theRoom()
	queued := []string{a.emit("x", "all"), a.emit("x", "all")}
	eventually(t, "queue full", func() bool { return len(r.inbox) == 2 })
	overA, overB := a.emit("x", "all"), b.emit("x", "all")
	eventually(t, "two commands waiting", func() bool { return e.h.Stats().CommandsWaiting == 2 })
	a.emit("x", "all") // read only once the one waiting before it is queued: a's order holds

	// The hub's workers are free: another connection is answered while those wait.
	idle.send(map[string]any{"type": "ping"})
	if m := idle.expect("pong"); m.Type != "pong" {
		t.Fatalf("ping while commands wait: got %+v, want pong", m)
	}
	close(release)
	ackSeq := map[string]int64{}
	for _, c := range []*client{a, b} {
		last := overB
		if c == a {
			last = overA
		}
		for _, m := range c.until(isAck(last)) {
			switch m.Type {
			case "reject":
				t.Errorf("command %s: got reject %s, want it to wait and commit", m.ID, m.Code)
			case "ack":
				ackSeq[m.ID] = m.Seq
			}
		}
	}
	order := append([]string{held}, queued...)
	order = append(order, overA)
	for i := 1; i < len(order); i++ {
		if ackSeq[order[i]] <= ackSeq[order[i-1]] {
			t.Errorf("a's commands: acks at seqs %v for %v, want increasing", ackSeq, order)
			break
		}
	}
	if ackSeq[overB] == 0 {
		t.Errorf("b's waiting command: not acknowledged (acks %v)", ackSeq)
	}
	if s := e.h.Stats(); s.CommandsWaited < 2 || s.CommandsWaiting != 0 {
		t.Errorf("stats: got %d waited, %d waiting; want at least 2 and 0", s.CommandsWaited, s.CommandsWaiting)
	}
}

// A command waiting for room when the hub shuts down is refused shutting_down (the phone
// resends it after reconnecting), while the batch in flight still commits.
func TestCommandWaitingAtShutdownIsRefused(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	e := newEnv(t, fb, func(c *Config) { c.CommandQueue, c.CommandWait = 1, time.Minute })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	held := c.emit("x", "all")
	eventually(t, "first batch executing", func() bool { return calls.Load() == 1 })
	c.emit("x", "all")
	eventually(t, "queue full", func() bool { return len(e.theRoom().inbox) == 1 })
	waiting := c.emit("x", "all")
	eventually(t, "one command waiting", func() bool { return e.h.Stats().CommandsWaiting == 1 })
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		done <- e.h.Shutdown(ctx)
	}()
	if m := c.until(isAck(waiting)); m[len(m)-1].Type != "reject" || m[len(m)-1].Code != CodeShuttingDown {
		t.Errorf("waiting command at shutdown: got %+v, want reject shutting_down", m[len(m)-1])
	}
	close(release)
	if m := c.until(isAck(held)); m[len(m)-1].Type != "ack" {
		t.Errorf("command in flight: got %+v, want ack", m[len(m)-1])
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// After a command waited CommandWait in vain, the connection's next commands that find the
// queue full are refused at once, without waiting: what a connection sent during an overload
// is answered promptly instead of each command adding its wait. Another connection still
// waits.
func TestAfterAVainWaitNextCommandsAreRefusedAtOnce(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	// The shedding lasts CommandWait after the vain wait: long enough that reading the next
	// commands never outlasts it, however loaded the machine.
	// The pong wait is the production one: a pump waiting CommandWait does not read pongs.
	const commandWait = 5 * time.Second
	e := newEnvWith(t, fb, func(c *Config) { c.CommandQueue, c.CommandWait = 1, commandWait },
		func(tm *timing) { tm.pongWait, tm.pingPeriod = pongWait, pongWait*9/10 }, nil)
	e.member(1, "participant", false, 0)
	e.member(2, "participant", false, 0)
	a, b := e.join(1, 0), e.join(2, 0)
	a.emit("x", "all")
	eventually(t, "first batch executing", func() bool { return calls.Load() == 1 })
	a.emit("x", "all")
	eventually(t, "queue full", func() bool { return len(e.theRoom().inbox) == 1 })
	first := a.emit("x", "all")
	if m := a.until(isAck(first)); m[len(m)-1].Code != CodeBusy {
		t.Fatalf("first command past the queue: got %+v, want busy after the wait", m[len(m)-1])
	}
	next := []string{a.emit("x", "all"), a.emit("x", "all"), a.emit("x", "all")}
	for _, id := range next {
		if m := a.until(isAck(id)); m[len(m)-1].Type != "reject" || m[len(m)-1].Code != CodeBusy {
			t.Fatalf("next command: got %+v, want busy", m[len(m)-1])
		}
	}
	if s := e.h.Stats(); s.CommandsWaited != 1 {
		t.Errorf("commands that waited: got %d, want 1 (the next ones refused at once)", s.CommandsWaited)
	}
	other := b.emit("x", "all")
	eventually(t, "the other connection's command waiting", func() bool { return e.h.Stats().CommandsWaiting == 1 })
	close(release)
	if m := b.until(isAck(other)); m[len(m)-1].Type != "ack" {
		t.Errorf("the other connection's command: got %+v, want it to wait and commit", m[len(m)-1])
	}
}

// What a client sent at its allowed pace while its pump waited for room is not a burst when
// the pump reads it all at once afterwards: the rate limit judges the client, not the
// server's delay. (The burst of 3 is spent by the three commands that fill the pipeline; the
// six sent during the wait, one per 0.55 s at 2 per second allowed, are read at once.)
func TestBacklogReadAfterAWaitIsNotABurst(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	e := newEnv(t, fb, func(c *Config) {
		c.CommandQueue, c.CommandWait = 1, time.Minute
		c.ConnRate, c.ConnBurst, c.PersonRate, c.PersonBurst = 2, 3, 1000, 1000
	})
	e.member(1, "participant", false, 0)
	a := e.join(1, 0)
	a.emit("x", "all")
	eventually(t, "first batch executing", func() bool { return calls.Load() == 1 })
	a.emit("x", "all")
	eventually(t, "queue full", func() bool { return len(e.theRoom().inbox) == 1 })
	a.emit("x", "all")
	eventually(t, "one command waiting", func() bool { return e.h.Stats().CommandsWaiting == 1 })
	var backlog []string
	for range 6 {
		time.Sleep(550 * time.Millisecond)
		backlog = append(backlog, a.emit("x", "all"))
	}
	close(release)
	answers := map[string]srvMsg{} // a refusal may come before the acks of earlier commands
	for len(answers) < len(backlog) {
		m := a.next()
		if slices.Contains(backlog, m.ID) && (m.Type == "ack" || m.Type == "reject") {
			answers[m.ID] = m
		}
	}
	for i, id := range backlog {
		if m := answers[id]; m.Type != "ack" {
			t.Errorf("command %d sent during the wait: got %s %s, want ack", i, m.Type, m.Code)
		}
	}
}
