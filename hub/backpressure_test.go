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
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, _, err := d.Dial(e.url+"?p=3", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.WriteJSON(map[string]any{"type": "hello", "v": 1, "workshop": testWS})
	for _, want := range []string{"welcome", "snapshot"} {
		var m srvMsg
		for m.Type != want {
			if err := slow.ReadJSON(&m); err != nil {
				t.Fatalf("slow client's %s: %v", want, err)
			}
		}
	}

	// One commit at a time, so that each takes one slot of every queue: the slow
	// client's queue fills after SendQueue commits.
	const rounds, per = 25, 8
	const n = rounds * per
	var fastMsgs []srvMsg
	for range rounds {
		id := w.command("emit", map[string]any{"name": "big", "count": per, "size": 4000})
		w.until(isAck(id))
	}
	fastMsgs = fast.until(func(m srvMsg) bool { return m.Seq == n })
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

// fakeTransport counts writes instead of sending them.
type fakeTransport struct {
	writes *atomic.Int64
	closed atomic.Bool
}

func (f *fakeTransport) WriteMessage(int, []byte) error { f.writes.Add(1); return nil }
func (f *fakeTransport) WritePreparedMessage(*websocket.PreparedMessage) error {
	f.writes.Add(1)
	return nil
}
func (f *fakeTransport) WriteControl(int, []byte, time.Time) error { return nil }
func (f *fakeTransport) SetWriteDeadline(time.Time) error          { return nil }
func (f *fakeTransport) Close() error                              { f.closed.Store(true); return nil }

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
func addMember(r *room, v Viewer, writes *atomic.Int64) *member {
	c := newConn(r.h, &fakeTransport{writes: writes}, v.Participant, "fr")
	m := &member{c: c, v: v}
	r.members[c] = m
	r.people[v.Participant] = append(r.people[v.Participant], m)
	return m
}

func TestBackPressureDropsEphemeralThenEvicts(t *testing.T) {
	r := bareRoom(t, func(c *Config) { c.SendQueue = 4 })
	var writes atomic.Int64
	slow := addMember(r, Viewer{Participant: 1}, &writes)
	ok := addMember(r, Viewer{Participant: 2}, &writes)
	drain := func() {
		for len(ok.c.send) > 0 {
			<-ok.c.send
		}
	}
	ev := func(seq int64) { // one commit of one event
		r.deliver(delivery{events: []Event{{Seq: seq, Name: "e", Data: json.RawMessage(`{}`)}}})
	}

	ev(1)
	ev(2) // slow's queue is half full
	drain()
	r.presence.mark(r) // arms a timer we do not wait for
	r.presence.stop()
	r.sendPresence() // ephemeral: dropped for slow, queued for ok
	if got := len(slow.c.send); got != 2 {
		t.Fatalf("slow queue after presence: got %d, want 2 (presence dropped past half full)", got)
	}
	if got := len(ok.c.send); got != 1 {
		t.Fatalf("ok queue after presence: got %d, want 1", got)
	}
	drain()
	ev(3)
	ev(4) // slow's queue is full, but events are never dropped
	if got := len(slow.c.send); got != 4 {
		t.Fatalf("slow queue: got %d, want 4", got)
	}
	drain()
	ev(5) // no room left: evict
	if r.members[slow.c] != nil {
		t.Fatalf("slow member after a full queue: still in the room, want evicted")
	}
	if !slow.c.wire.(*fakeTransport).closed.Load() {
		t.Errorf("slow socket: got open, want closed")
	}
	if code, _ := slow.c.closeInfo(); code != websocket.CloseTryAgainLater {
		t.Errorf("slow close code: got %d, want %d", code, websocket.CloseTryAgainLater)
	}
	if r.members[ok.c] == nil || len(ok.c.send) != 1 {
		t.Errorf("other member: got present %v with %d queued, want present with 1", r.members[ok.c] != nil, len(ok.c.send))
	}
	// The room closed send: the queue ends after what was already in it.
	n := 0
	for range slow.c.send {
		n++
	}
	if n != 4 {
		t.Errorf("slow queue after eviction: got %d entries then closed, want 4", n)
	}
}

func TestPresenceOnlyWhenChanged(t *testing.T) {
	r := bareRoom(t, nil)
	var writes atomic.Int64
	a := addMember(r, Viewer{Participant: 1, Role: "participant", Group: 5}, &writes)
	addMember(r, Viewer{Participant: 1, Role: "participant", Group: 5}, &writes) // second tab
	addMember(r, Viewer{Participant: 2, Role: "moderator", Moderator: true}, &writes)
	r.sendPresence()
	if got := len(a.c.send); got != 1 {
		t.Fatalf("queue after the first presence: got %d, want 1", got)
	}
	ob := <-a.c.send
	if !ob.ephemeral || ob.pm == nil {
		t.Errorf("presence entry: got %+v, want an ephemeral prepared message", ob)
	}
	f := r.presence.current()
	if f.Online != 2 || f.ByRole["participant"] != 1 || f.ByRole["moderator"] != 1 || f.ByGroup["5"] != 1 {
		t.Errorf("presence: got %+v, want 2 online (distinct people), 1 participant, 1 moderator, group 5: 1", f)
	}
	r.sendPresence()
	if got := len(a.c.send); got != 0 {
		t.Errorf("queue after an unchanged presence: got %d, want 0", got)
	}
	addMember(r, Viewer{Participant: 3, Role: "participant", Group: 6}, &writes)
	r.sendPresence()
	if got := len(a.c.send); got != 1 {
		t.Errorf("queue after a changed presence: got %d, want 1", got)
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
