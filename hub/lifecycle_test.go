package hub

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestShutdownFinishesInFlightBatch(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	e := newEnv(t, fb, nil)
	e.member(1, "participant", false, 0)
	e.member(2, "participant", false, 0)
	c, other := e.join(1, 0), e.join(2, 0)
	pending := e.dial(2) // connected, no hello yet
	held := c.emit("x", "all")
	eventually(t, "batch executing", func() bool { return calls.Load() == 1 })

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		done <- e.h.Shutdown(ctx)
	}()
	eventually(t, "shutting down", e.h.closing.Load)

	// New upgrades are refused with 503.
	_, resp, err := websocket.DefaultDialer.Dial(e.url+"?p=2", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("upgrade during shutdown: got %v %v, want 503", err, resp)
	}
	// New commands are refused; the one in flight still commits and is acked.
	late := c.emit("y", "all")
	if m := c.next(); m.Type != "reject" || m.ID != late || m.Code != CodeShuttingDown {
		t.Errorf("late command: got %+v, want reject shutting_down", m)
	}
	close(release)
	msgs := c.until(isAck(held))
	if last := msgs[len(msgs)-1]; last.Type != "ack" || !slices.Equal(eventSeqs(msgs), []int64{1}) {
		t.Errorf("in-flight command: got %+v, want event 1 then ack", msgs)
	}
	for name, cl := range map[string]*client{"issuer": c, "other": other, "before hello": pending} {
		if code := cl.closed(); code != websocket.CloseGoingAway {
			t.Errorf("%s close code: got %d, want 1001", name, code)
		}
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: got %v, want nil", err)
	}
	if s := e.h.Stats(); s.Rooms != 0 || s.Connections != 0 {
		t.Errorf("after Shutdown: got %d rooms %d connections, want 0 and 0", s.Rooms, s.Connections)
	}
}

func TestShutdownDeadline(t *testing.T) {
	fb := newFakeBackend()
	fb.beforeExecute = func([]Command) { time.Sleep(time.Hour) }
	e := newEnv(t, fb, nil)
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	c.emit("x", "all")
	eventually(t, "batch executing", func() bool { return fb.inCommit.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := e.h.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown with a stuck backend: got %v, want %v", err, context.DeadlineExceeded)
	}
	c.closed() // the socket was dropped
}

func TestDisconnectClosesEverySocketOfThePerson(t *testing.T) {
	e := newEnv(t, newFakeBackend(), nil)
	e.member(1, "participant", false, 0)
	e.member(2, "participant", false, 0)
	a1, a2, b := e.join(1, 0), e.join(1, 0), e.join(2, 0)
	e.h.Disconnect(1)
	for i, c := range []*client{a1, a2} {
		if code := c.closed(); code != websocket.ClosePolicyViolation {
			t.Errorf("tab %d close code: got %d, want 1008", i, code)
		}
	}
	id := b.emit("x", "all")
	if m := b.until(isAck(id)); m[len(m)-1].Type != "ack" {
		t.Errorf("other participant: got %+v, want ack", m)
	}
}

func TestIdleRoomStopsAndRestarts(t *testing.T) {
	fb := newFakeBackend()
	e := newEnv(t, fb, func(c *Config) { c.IdleRoomTimeout = 30 * time.Millisecond })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	id := c.emit("x", "all")
	c.until(isAck(id))
	c.ws.Close()
	eventually(t, "room stopped", func() bool { return e.h.Stats().Rooms == 0 })
	c = e.join(1, 1)
	id = c.emit("y", "all")
	if m := c.until(isAck(id)); !slices.Equal(eventSeqs(m), []int64{2}) {
		t.Errorf("after restart: got %+v, want event 2", m)
	}
	if opens, _, _, _, _ := fb.counts(); opens != 2 {
		t.Errorf("Open calls: got %d, want 2", opens)
	}
}

// nopBus loses every cue, as a real bus may.
type nopBus struct{}

func (nopBus) Publish(context.Context, Cue) error  { return nil }
func (nopBus) Subscribe(func(Cue)) (cancel func()) { return func() {} }

func TestTwoNodesThroughTheBus(t *testing.T) {
	_, _, a, b := twoNodes(t, &LocalBus{})
	id := b.emit("from-n2", "all")
	b.until(isAck(id))
	if m := a.expect("event"); m.Name != "from-n2" || m.Seq != 1 {
		t.Errorf("event on node 1: got %+v, want from-n2 seq 1", m)
	}
}

func TestGapFromAnotherNodeIsReadBeforeOwnEvents(t *testing.T) {
	_, _, a, b := twoNodes(t, nopBus{})
	for _, name := range []string{"n2-a", "n2-b"} { // seqs 1, 2: node 1 hears nothing
		id := b.emit(name, "all")
		b.until(isAck(id))
	}
	id := a.emit("n1", "all") // seq 3: node 1 must first read 1 and 2 from the log
	msgs := a.until(isAck(id))
	if got, want := names(msgs), []string{"n2-a", "n2-b", "n1"}; !slices.Equal(got, want) {
		t.Errorf("node 1 events: got %v, want %v", got, want)
	}
	if got := eventSeqs(msgs); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("node 1 seqs: got %v, want [1 2 3]", got)
	}
}

func TestDeferredKeysAreCoalesced(t *testing.T) {
	fb := newFakeBackend()
	e := newEnv(t, fb, func(c *Config) { c.CoalesceInterval = time.Hour })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	id := c.command("defer", map[string]any{"key": "tally:1"})
	c.until(isAck(id))
	c.until(isEvent("flushed")) // the first flush runs at once
	for _, key := range []string{"tally:2", "tally:1", "tally:2"} {
		id = c.command("defer", map[string]any{"key": key})
		c.until(isAck(id))
	}
	id = c.emit("barrier", "all")
	c.until(isAck(id))
	if _, _, _, _, flushes := fb.counts(); len(flushes) != 1 {
		t.Fatalf("flushes within the interval: got %v, want 1", flushes)
	}
	// The committer runs a last flush with what is pending when the room stops.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, _, _, flushes := fb.counts()
	want := [][]string{{"tally:1"}, {"tally:1", "tally:2"}}
	if !slices.EqualFunc(flushes, want, slices.Equal) {
		t.Errorf("flushes: got %v, want %v", flushes, want)
	}
}

// TestWakeAtRunsTick: the wake-up the backend asks for when a room opens runs a "tick" flush.
// It is due at once, so nothing depends on the wall clock: the test waits for the backend's
// record of the flush, then for a marker command's ack (everything before it has reached the
// client), and finds the tick's event either in the join's snapshot (committed before it) or
// among the events sent after it.
func TestWakeAtRunsTick(t *testing.T) {
	fb := newFakeBackend()
	fb.wakeAt = time.Now()
	e := newEnv(t, fb, nil)
	e.member(1, "participant", false, 0)
	c := e.hello(1, 0)
	snap := c.expect("snapshot")
	eventually(t, "the tick flush", func() bool {
		_, _, _, _, flushes := fb.counts()
		return slices.ContainsFunc(flushes, func(keys []string) bool { return slices.Equal(keys, []string{"tick"}) })
	})
	var tick int64
	for seq := int64(1); seq <= fb.lastSeq(testWS); seq++ {
		if ev := fb.event(testWS, seq); ev.Name == "flushed" && string(ev.Data) == `{"keys":["tick"]}` {
			tick = seq
		}
	}
	if tick == 0 {
		t.Fatal("no flushed event with the tick key in the log")
	}
	marker := c.emit("marker", "all")
	msgs := c.until(isAck(marker))
	if tick <= snap.Seq {
		return // in the snapshot
	}
	for _, m := range msgs {
		if m.Type == "event" && m.Seq == tick {
			if string(m.Data) != `{"keys":["tick"]}` {
				t.Errorf("tick event data: got %s, want {\"keys\":[\"tick\"]}", m.Data)
			}
			return
		}
	}
	t.Errorf("the tick's event (seq %d, after the snapshot's %d) never reached the client before the marker", tick, snap.Seq)
}

// TestSocketsPerPersonCapped: a person may hold MaxSocketsPerPerson sockets; one more closes
// their oldest with CloseTooManyTabs, the newer ones keep working, and someone else's socket
// is served all along.
func TestSocketsPerPersonCapped(t *testing.T) {
	e := newEnv(t, newFakeBackend(), func(c *Config) { c.MaxSocketsPerPerson = 3 })
	e.member(1, "participant", false, 0)
	e.member(2, "participant", false, 0)
	other := e.join(2, 0)
	var tabs []*client
	for range 3 {
		tabs = append(tabs, e.join(1, 0))
	}
	id := other.emit("x", "all")
	other.until(isAck(id))
	for i := range 3 {
		tabs = append(tabs, e.join(1, 0))
		if code := tabs[i].closed(); code != CloseTooManyTabs {
			t.Fatalf("tab %d after opening tab %d: close code %d, want %d", i+1, i+4, code, CloseTooManyTabs)
		}
	}
	eventually(t, "3 sockets of person 1 and 1 of person 2", func() bool { return e.h.Stats().Connections == 4 })
	for i, c := range tabs[3:] {
		id := c.emit(fmt.Sprintf("tab%d", i), "all")
		if m := c.until(isAck(id)); m[len(m)-1].Type != "ack" {
			t.Errorf("tab %d: got %+v, want ack", i+4, m)
		}
	}
	id = other.emit("y", "all")
	if m := other.until(isAck(id)); m[len(m)-1].Type != "ack" {
		t.Errorf("other participant: got %+v, want ack", m)
	}
}
