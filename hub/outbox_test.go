package hub

import (
	"encoding/json"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestLargeFlushKeepsEachConnectionsOrder: a delivery to a large room is written by
// background goroutines while the room goes on with the next deliveries, whose entries
// take over the backlog of members not reached yet; each connection still gets its
// broadcast events, its private events and its acks exactly in the room's order.
func TestLargeFlushKeepsEachConnectionsOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r := bareRoom(t, nil)
	var frames atomic.Int64
	const n = 3 * largeFlush
	ms := make([]*member, n)
	for i := range ms {
		ms[i] = addMember(r, Viewer{Participant: int64(i + 1), Role: "participant"}, &frames)
	}
	want := make(map[int64][]string) // participant → "e<seq>" / "a<seq>", in order
	var seq int64
	for d := range 6 {
		var dl delivery
		for k := range 8 {
			seq++
			aud := Audience{Kind: All}
			if k%3 == 1 {
				aud = Audience{Kind: Person, ID: int64((d*37+k*101)%n + 1)}
			}
			dl.events = append(dl.events, Event{Seq: seq, Name: "e", Audience: aud, Data: json.RawMessage(`{}`)})
			for p := int64(1); p <= n; p++ {
				if aud.Kind == All || aud.ID == p {
					want[p] = append(want[p], "e"+strconv.FormatInt(seq, 10))
				}
			}
		}
		for k := range 50 {
			m := ms[(d*53+k*7)%n]
			dl.outcomes = append(dl.outcomes, sentOutcome{c: m.c, out: Outcome{CommandID: newID(), Seq: seq}})
			want[m.v.Participant] = append(want[m.v.Participant], "a"+strconv.FormatInt(seq, 10))
		}
		r.deliver(dl)
	}
	r.writers.Wait()
	for _, m := range ms {
		var got []string
		for _, msg := range mustMessages(t, transportOf(m.c)) {
			switch msg.Type {
			case "event":
				got = append(got, "e"+strconv.FormatInt(msg.Seq, 10))
			case "ack":
				got = append(got, "a"+strconv.FormatInt(msg.Seq, 10))
			}
		}
		if !slices.Equal(got, want[m.v.Participant]) {
			t.Fatalf("participant %d: got %v, want %v", m.v.Participant, got, want[m.v.Participant])
		}
	}
	if e := r.h.Stats().Evictions; e != 0 {
		t.Errorf("evictions: got %d, want 0", e)
	}
}

// rawJoin joins p without any goroutine on the client side: it reads up to the snapshot
// and then nothing.
func (e *testEnv) rawJoin(p int64) *websocket.Conn {
	e.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(e.url+"?p="+strconv.FormatInt(p, 10), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "workshop": testWS}); err != nil {
		e.t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(wait))
	for {
		var m srvMsg
		if err := ws.ReadJSON(&m); err != nil {
			e.t.Fatalf("join of %d: %v", p, err)
		}
		if m.Type == "snapshot" {
			return ws
		}
	}
}

// TestIdleConnectionHasOneGoroutine: a joined connection that has nothing to write keeps
// one goroutine on the server, its read pump; there is no write pump waiting.
func TestIdleConnectionHasOneGoroutine(t *testing.T) {
	e := newEnvWith(t, newFakeBackend(), nil, func(tm *timing) {
		// No ping and no read timeout while the test looks: these clients do not read.
		tm.pongWait, tm.pingPeriod = time.Hour, 50*time.Minute
	}, nil)
	const n = 40
	for p := int64(1); p <= n+1; p++ {
		e.member(p, "participant", false, 0)
	}
	e.rawJoin(n + 1) // the room, its committer and the pool are running from here on
	eventually(t, "first join settled", func() bool {
		_, busy := connWriters(e.h)
		return busy == 0
	})
	before := runtime.NumGoroutine()
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = e.rawJoin(int64(i + 1))
	}
	var last int
	deadline := time.Now().Add(wait)
	for {
		last = runtime.NumGoroutine() - before
		// Each connection: its read pump. Presence updates and snapshots may still be
		// on their way, with a writer while they are; a few more for the runtime.
		if last <= n+5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines for %d idle connections: got %d more, want about %d (one each)", n, last, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := e.h.Stats().Connections; got != n+1 {
		t.Fatalf("connections: got %d, want %d (all still open)", got, n+1)
	}
	// Still connected and served.
	for i, ws := range conns {
		ws.SetReadDeadline(time.Now().Add(wait))
		if err := ws.WriteJSON(map[string]any{"type": "ping"}); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		for {
			var m srvMsg
			if err := ws.ReadJSON(&m); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			if m.Type == "pong" {
				break
			}
		}
	}
}

// connWriters counts the hub's connections and those with a writer at work.
func connWriters(h *Hub) (conns, busy int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.conns {
		conns++
		if c.out.Busy() {
			busy++
		}
	}
	return conns, busy
}

// TestServerPingsWithShortTiming: without a ticker per connection, the server still pings
// every pingPeriod, and the peer's pongs keep an otherwise silent connection open.
func TestServerPingsWithShortTiming(t *testing.T) {
	e := newEnvWith(t, newFakeBackend(), nil, func(tm *timing) {
		tm.pingPeriod = 20 * time.Millisecond
	}, nil)
	e.member(1, "participant", false, 0)
	ws, _, err := websocket.DefaultDialer.Dial(e.url+"?p=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	pings := make(chan struct{}, 1000)
	ws.SetPingHandler(func(data string) error {
		pings <- struct{}{}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(wait))
	})
	msgs := make(chan srvMsg, 100)
	go func() {
		defer close(msgs)
		for {
			var m srvMsg
			if err := ws.ReadJSON(&m); err != nil {
				return
			}
			msgs <- m
		}
	}()
	if err := ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "workshop": testWS}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		select {
		case <-pings:
		case <-time.After(wait):
			t.Fatalf("ping %d: none within %v", i+1, wait)
		}
	}
	if err := ws.WriteJSON(map[string]any{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	for m := range msgs {
		if m.Type == "pong" {
			return
		}
	}
	t.Fatal("connection closed after the pings, want it open")
}
