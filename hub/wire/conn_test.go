package wire

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire/wiretest"
)

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

func (c *countingConn) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// TestWriterGathersQueuedEntries: what was queued while someone was writing goes out in
// one socket write, as frames a client reads one by one, in order; so does a payload of
// several frames (a catch-up).
func TestWriterGathersQueuedEntries(t *testing.T) {
	ack := func(seq int64) Entry { return Entry{Later: &message{Type: "ack", ID: "id", Seq: seq}} }
	for name, queued := range map[string][]Entry{
		"three acks": {ack(1), ack(2), ack(3)},
		"a replay":   {{Later: messages{{Type: "event", Seq: 1}, {Type: "event", Seq: 2}, {Type: "event", Seq: 3}}, Heavy: true}},
	} {
		t.Run(name, func(t *testing.T) {
			client, server := net.Pipe()
			rc := &countingConn{Conn: server}
			c := newTestConn(NewSocket(rc), testOptions(64))
			c.mu.Lock()
			c.writing = true // as if a writer were busy while these are queued
			c.mu.Unlock()
			for _, e := range queued {
				c.Offer(e)
			}
			c.mu.Lock()
			c.spawnWriterLocked()
			c.mu.Unlock()
			t.Cleanup(func() { client.Close(); c.Abort(websocket.CloseGoingAway, ""); <-c.Done() })
			br := &byteReader{r: client}
			for i := range 3 {
				_, b, err := br.frame()
				if err != nil {
					t.Fatal(err)
				}
				if want := `"seq":` + strconv.Itoa(i+1); !bytes.Contains(b, []byte(want)) {
					t.Fatalf("message %d: got %s, want %s", i, b, want)
				}
			}
			if n := rc.count(); n != 1 {
				t.Errorf("socket writes: got %d, want 1", n)
			}
		})
	}
}

func TestSocketSkipsNearlyEqualDeadlines(t *testing.T) {
	rc := &wiretest.RecordConn{}
	s := &Socket{Conn: rc}
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
		s.WriteAll([]byte("x"), st.set)
		if got := rc.Deadline(); !got.Equal(st.want) {
			t.Errorf("step %d: socket deadline got %v, want %v", i, got, st.want)
		}
	}
	// A deadline that has passed is always replaced.
	past := time.Now().Add(-time.Millisecond)
	s.armed = past
	rc.SetWriteDeadline(past)
	s.WriteAll([]byte("x"), past.Add(500*time.Millisecond))
	if rc.Deadline().Equal(past) {
		t.Error("an expired deadline was kept")
	}
}

// TestPartialWriteContinuesInOrder: a direct write the socket takes only part of leaves
// the rest at the head of the outbox; the writer goroutine writes it, then everything
// queued behind it, and the peer reads exactly the bytes of every frame, in the order
// they were queued. Then the writer exits, and the next frame is written directly again.
func TestPartialWriteContinuesInOrder(t *testing.T) {
	o := testOptions(10000)
	server, peer := loopbackPair(t)
	sc := NewSocket(server)
	if !sc.NonBlocking() {
		t.Fatal("a TCP socket: got no non-blocking writes")
	}
	c := newTestConn(sc, o)
	sizes := []int{1, 125, 126, 3000, 65535, 65536, 20, 7000}
	for round := range 3 {
		partialBefore := o.PartialWrites()
		var want []byte
		// The first frame is far larger than the socket's buffers: the direct write
		// can only take part of it.
		big := Text(payloadOf(round, 1<<20))
		want = append(want, big.b...)
		if !c.Offer(Entry{Frame: big}) {
			t.Fatal("offer refused")
		}
		for i := range 400 {
			var e Entry
			if i%5 == 4 { // a per-connection frame, encoded when written
				e = Entry{Later: Raw(newFrame(opText, payloadOf(i, 33)))}
			} else {
				e = Entry{Frame: Text(payloadOf(i, sizes[i%len(sizes)]))}
			}
			b, _ := e.bytesAsIs()
			want = append(want, b...)
			if !c.Offer(e) {
				t.Fatalf("round %d, frame %d: offer refused", round, i)
			}
		}
		if o.PartialWrites() == partialBefore {
			t.Fatalf("round %d: no partial direct write (the test did not exercise the path)", round)
		}
		if q, _ := c.Queued(); q == 0 {
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
		wiretest.Eventually(t, wait, "writer gone after the backlog", func() bool { return idle(c) })
	}
}

// TestTwoProducersNeverInterleave: the room's frames and the read side's frames queued at
// the same time each arrive whole and in their own order, through partial writes.
func TestTwoProducersNeverInterleave(t *testing.T) {
	server, peer := loopbackPair(t)
	c := newTestConn(NewSocket(server), testOptions(10000))
	const n = 600
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			f := Text([]byte(`{"type":"event","seq":` + strconv.Itoa(i+1) + `,"id":"` + string(payloadOf(i, 2000+i%3000)) + `"}`))
			if !c.Offer(Entry{Frame: f}) {
				t.Errorf("room frame %d refused", i)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range ctlQueue / 2 {
			c.Reply(Entry{Later: &message{Type: "reject", ID: strconv.Itoa(i)}})
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
		var m message
		if op != wiretest.OpText || json.Unmarshal(payload, &m) != nil {
			t.Fatalf("frame op %d %q: want a JSON text message", op, payload[:min(len(payload), 40)])
		}
		if m.Type == "event" {
			seqs = append(seqs, m.Seq)
		} else {
			ids = append(ids, m.ID)
		}
	}
	if want := upTo(n); !slices.Equal(seqs, want) {
		t.Errorf("room frames out of order: %v…", seqs[:min(len(seqs), 20)])
	}
	for i, id := range ids {
		if id != strconv.Itoa(i) {
			t.Fatalf("read-side frames out of order: %v", ids)
		}
	}
}

// TestFullOutboxRefusesUntilEvicted: past half full an ephemeral entry is dropped and
// nothing is wrong; when full, Offer reports false, and keeps refusing even once the
// socket drained, since nothing may go out after a gap.
func TestFullOutboxRefusesUntilEvicted(t *testing.T) {
	ft := newTransport(true) // a peer that does not read
	c := newTestConn(ft, testOptions(4))
	for seq := int64(1); seq <= 2; seq++ {
		if !c.Offer(event(seq)) {
			t.Fatalf("entry %d refused", seq)
		}
	}
	if !c.Offer(Entry{Later: &message{Type: "presence"}, Ephemeral: true}) {
		t.Fatal("an ephemeral entry past half full: got false, want true (dropped, nothing wrong)")
	}
	if room, _ := c.Queued(); room != 2 {
		t.Fatalf("queued: got %d, want 2 (the ephemeral entry dropped)", room)
	}
	for seq := int64(3); seq <= 4; seq++ {
		if !c.Offer(event(seq)) {
			t.Fatalf("entry %d refused before the outbox is full", seq)
		}
	}
	if c.Offer(event(5)) {
		t.Fatal("a full outbox took an entry")
	}
	if c.Offer(Entry{Later: &message{Type: "presence"}, Ephemeral: true}) {
		t.Fatal("a full outbox: got true for a later entry, want false until evicted")
	}
	c.Abort(websocket.CloseTryAgainLater, "too slow")
	waitDone(t, c)
}
