package hub

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// recordConn records every write to it and the deadline in force at that moment.
type recordConn struct {
	net.Conn
	mu        sync.Mutex
	writes    [][]byte
	deadlines []time.Time
	deadline  time.Time
}

func (r *recordConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, bytes.Clone(p))
	r.deadlines = append(r.deadlines, r.deadline)
	return len(p), nil
}

func (r *recordConn) SetWriteDeadline(t time.Time) error {
	r.mu.Lock()
	r.deadline = t
	r.mu.Unlock()
	return nil
}

// countingConn counts the writes to a socket.
type countingConn struct {
	net.Conn
	mu sync.Mutex
	n  int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingConn) reset() { c.mu.Lock(); c.n = 0; c.mu.Unlock() }

func (c *countingConn) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// readServerFrame reads one unmasked text frame of a server (payloads under 64 KiB).
func readServerFrame(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:2]); err != nil {
		return nil, err
	}
	if h[0] != 0x81 {
		return nil, fmt.Errorf("got frame header %#x, want a final text frame", h[0])
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		if _, err := io.ReadFull(r, h[2:4]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint16(h[2:4]))
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

// TestWriterGathersQueuedEntries: what was queued while someone was writing goes out in
// one socket write, as frames a client reads one by one, in order; so does a replay.
func TestWriterGathersQueuedEntries(t *testing.T) {
	ack := func(seq int64) outbound { return outbound{more: &ackFrame{Type: "ack", ID: "id", Seq: seq}} }
	ev := func(seq int64) Event { return Event{Seq: seq, Name: "e", Data: []byte(`{}`)} }
	for name, queued := range map[string][]outbound{
		"three acks": {ack(1), ack(2), ack(3)},
		"a replay":   {{more: replayBatch{ev(1), ev(2), ev(3)}}},
	} {
		t.Run(name, func(t *testing.T) {
			client, server := net.Pipe()
			rc := &countingConn{Conn: server}
			r := bareRoom(t, nil)
			go func() { // the handshake answer goes through net.Pipe: read it
				buf := make([]byte, 1024)
				client.Read(buf)
			}()
			_, sc := hubSocket(t, r.h, rc)
			c := newConn(r.h, sc, 1, "fr")
			rc.reset()
			c.mu.Lock()
			c.writing = true // as if a writer were busy while these are queued
			c.mu.Unlock()
			for _, ob := range queued {
				c.offer(ob)
			}
			c.mu.Lock()
			c.spawnWriterLocked()
			c.mu.Unlock()
			t.Cleanup(func() { client.Close(); c.abort(websocket.CloseGoingAway, ""); <-c.writeDone })
			for i := range 3 {
				b, err := readServerFrame(client)
				if err != nil {
					t.Fatal(err)
				}
				if want := `"seq":` + string(rune('1'+i)); !bytes.Contains(b, []byte(want)) {
					t.Fatalf("message %d: got %s, want %s", i, b, want)
				}
			}
			if n := rc.count(); n != 1 {
				t.Errorf("socket writes: got %d, want 1", n)
			}
		})
	}
}

func TestSockConnSkipsNearlyEqualDeadlines(t *testing.T) {
	rc := &recordConn{}
	s := &sockConn{Conn: rc}
	base := time.Now().Add(time.Hour)
	steps := []struct {
		set  time.Time
		want time.Time // what the socket has afterwards
	}{
		{base, base},
		{base.Add(300 * time.Millisecond), base},           // within the slack: kept
		{base.Add(deadlineSlack), base.Add(deadlineSlack)}, // a second later: re-armed
		{base, base},                                       // earlier: always re-armed
		{base.Add(10 * time.Millisecond), base},            // within the slack again
	}
	for i, st := range steps {
		s.writeAll([]byte("x"), st.set)
		if !rc.deadline.Equal(st.want) {
			t.Errorf("step %d: socket deadline got %v, want %v", i, rc.deadline, st.want)
		}
	}
	// A deadline that has passed is always replaced.
	past := time.Now().Add(-time.Millisecond)
	s.armed = past
	rc.deadline = past
	s.writeAll([]byte("x"), past.Add(500*time.Millisecond))
	if rc.deadline.Equal(past) {
		t.Error("an expired deadline was kept")
	}
}

// loopbackPair is a real TCP connection on loopback with small buffers: the server side's
// send buffer and the peer's receive buffer hold a few tens of kilobytes. (Not a few:
// with both tiny, delayed acknowledgements slow loopback down to kilobytes a second.)
func loopbackPair(t *testing.T) (server *net.TCPConn, peer *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	pc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer = pc.(*net.TCPConn)
	peer.SetReadBuffer(32 << 10)
	sc := <-accepted
	if sc == nil {
		t.Fatal("accept failed")
	}
	server = sc.(*net.TCPConn)
	server.SetWriteBuffer(16 << 10)
	t.Cleanup(func() { server.Close(); peer.Close() })
	return server, peer
}

// TestPartialWriteContinuesInOrder: a direct write the socket takes only part of leaves
// the rest at the head of the outbox; the writer goroutine writes it, then everything
// queued behind it, and the peer reads exactly the bytes of every frame, in the order
// they were queued. Then the writer exits, and the next frame is written directly again.
func TestPartialWriteContinuesInOrder(t *testing.T) {
	r := bareRoom(t, func(c *Config) { c.SendQueue = 10000 })
	h := r.h
	server, peer := loopbackPair(t)
	sc := newSockConn(server)
	if !sc.nonBlocking() {
		t.Fatal("a TCP socket: got no non-blocking writes")
	}
	c := newConn(h, sc, 1, "fr")
	sizes := []int{1, 125, 126, 3000, 65535, 65536, 20, 7000}
	for round := range 3 {
		partialBefore := h.stats.partial.Load()
		var want []byte
		// The first frame is far larger than the socket's buffers: the direct write
		// can only take part of it.
		big := &wireFrame{b: serverFrame(opText, payloadOf(round, 1<<20))}
		want = append(want, big.b...)
		if !c.offer(outbound{wf: big}) {
			t.Fatal("offer refused")
		}
		for i := range 400 {
			var ob outbound
			if i%5 == 4 { // a per-connection frame, encoded when written
				ob = outbound{more: rawBytes(serverFrame(opText, payloadOf(i, 33)))}
			} else {
				ob = outbound{wf: &wireFrame{b: serverFrame(opText, payloadOf(i, sizes[i%len(sizes)]))}}
			}
			b, _ := ob.bytesAsIs()
			want = append(want, b...)
			if !c.offer(ob) {
				t.Fatalf("round %d, frame %d: offer refused", round, i)
			}
		}
		if h.stats.partial.Load() == partialBefore {
			t.Fatalf("round %d: no partial direct write (the test did not exercise the path)", round)
		}
		if q, _ := c.queued(); q == 0 {
			t.Fatalf("round %d: nothing waits in the outbox while the peer does not read", round)
		}
		// Only now does the peer read.
		got := make([]byte, len(want))
		peer.SetReadDeadline(time.Now().Add(wait))
		if n, err := io.ReadFull(peer, got); err != nil {
			t.Fatalf("round %d: read %v after %d of %d bytes", round, err, n, len(want))
		}
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && got[i] == want[i] {
				i++
			}
			t.Fatalf("round %d: the stream differs from what was queued at byte %d of %d", round, i, len(want))
		}
		eventually(t, "writer gone after the backlog", func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return !c.writing && c.n == 0 && c.q == nil
		})
	}
}

// TestTwoProducersNeverInterleave: the room's frames and the read side's frames queued at
// the same time each arrive whole and in their own order, through partial writes.
func TestTwoProducersNeverInterleave(t *testing.T) {
	r := bareRoom(t, func(c *Config) { c.SendQueue = 10000 })
	server, peer := loopbackPair(t)
	c := newConn(r.h, newSockConn(server), 1, "fr")
	const n = 600
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			f := &wireFrame{b: serverFrame(opText, []byte(`{"type":"event","seq":`+strconv.Itoa(i)+`,"data":"`+string(payloadOf(i, 2000+i%3000))+`"}`))}
			if !c.offer(outbound{wf: f}) {
				t.Errorf("room frame %d refused", i)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range ctlQueue / 2 {
			c.queueCtl(outbound{more: &rejectFrame{Type: "reject", ID: strconv.Itoa(i), Code: "x"}})
		}
	})
	wg.Wait()
	peer.SetReadDeadline(time.Now().Add(wait))
	var seqs []int64
	var ids []string
	br := &byteReader{r: peer}
	for len(seqs) < n || len(ids) < ctlQueue/2 {
		op, payload, err := br.frame()
		if err != nil {
			t.Fatalf("after %d events and %d rejects: %v", len(seqs), len(ids), err)
		}
		var m srvMsg
		if op != opText || json.Unmarshal(payload, &m) != nil {
			t.Fatalf("frame op %d %q: want a JSON text message", op, payload[:min(len(payload), 40)])
		}
		if m.Type == "event" {
			seqs = append(seqs, m.Seq)
		} else {
			ids = append(ids, m.ID)
		}
	}
	if !slices.Equal(seqs, seqRange(0, n-1)) {
		t.Errorf("room frames out of order: %v…", seqs[:min(len(seqs), 20)])
	}
	for i, id := range ids {
		if id != strconv.Itoa(i) {
			t.Fatalf("read-side frames out of order: %v", ids)
		}
	}
}

// byteReader reads whole server frames from a stream.
type byteReader struct {
	r   io.Reader
	buf []byte
}

func (b *byteReader) frame() (int, []byte, error) {
	for {
		if op, payload, rest, err := parseServerFrame(b.buf); err == nil {
			b.buf = rest
			return op, payload, nil
		}
		chunk := make([]byte, 64<<10)
		n, err := b.r.Read(chunk)
		if err != nil {
			return 0, nil, err
		}
		b.buf = append(b.buf, chunk[:n]...)
	}
}

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
		for _, msg := range mustMessages(t, m.c.wire.(*fakeTransport)) {
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
		c.mu.Lock()
		if c.writing {
			busy++
		}
		c.mu.Unlock()
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
