package hub

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"sync"
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

func TestBatchConnGathersFramesWhileHolding(t *testing.T) {
	rc := &recordConn{}
	b := &batchConn{Conn: rc}
	b.Write([]byte("handshake")) // not holding: straight through
	b.hold()
	t1, t2 := time.Unix(100, 0), time.Unix(200, 0)
	b.SetWriteDeadline(t1)
	b.Write([]byte("one,"))
	b.SetWriteDeadline(t2)
	b.Write([]byte("two"))
	if len(rc.writes) != 1 {
		t.Fatalf("writes during the hold: got %d, want none yet", len(rc.writes)-1)
	}
	if err := b.release(); err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("after"))
	want := []string{"handshake", "one,two", "after"}
	if len(rc.writes) != len(want) {
		t.Fatalf("got %q, want %q", rc.writes, want)
	}
	for i, w := range want {
		if string(rc.writes[i]) != w {
			t.Errorf("write %d: got %q, want %q", i, rc.writes[i], w)
		}
	}
	if !rc.deadlines[1].Equal(t2) {
		t.Errorf("deadline of the gathered write: got %v, want the last one asked for, %v", rc.deadlines[1], t2)
	}
	if b.buf != nil {
		t.Error("an idle connection still holds a buffer after release")
	}
}

func TestBatchConnWritesBigBurstsEarly(t *testing.T) {
	rc := &recordConn{}
	b := &batchConn{Conn: rc}
	b.hold()
	chunk := bytes.Repeat([]byte("x"), 1000)
	for range 40 {
		b.Write(chunk)
	}
	if len(rc.writes) != 1 {
		t.Fatalf("writes during a 40 KB hold: got %d, want 1 (past %d bytes)", len(rc.writes), batchFlushBytes)
	}
	b.release()
	total := 0
	for _, w := range rc.writes {
		total += len(w)
	}
	if total != 40000 {
		t.Errorf("bytes written: got %d, want 40000", total)
	}
}

// pumpOverPipe starts a write pump whose socket is one end of a pipe, with queued entries.
func pumpOverPipe(t *testing.T, queued ...outbound) (net.Conn, *countingConn) {
	t.Helper()
	client, server := net.Pipe()
	rc := &countingConn{Conn: server}
	r := bareRoom(t, nil)
	req := httptest.NewRequest("GET", "/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-Websocket-Version", "13")
	req.Header.Set("Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	bw := &batchingWriter{ResponseWriter: &hijacker{c: rc}}
	go func() { // the handshake answer goes through net.Pipe: read it
		buf := make([]byte, 1024)
		client.Read(buf)
	}()
	ws, err := r.h.upgrader.Upgrade(bw, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newConn(r.h, ws, 1, "fr")
	c.batch = bw.bc
	for _, ob := range queued {
		c.send <- ob
	}
	rc.reset()
	go c.writePump()
	t.Cleanup(func() { client.Close(); c.abort(websocket.CloseGoingAway, ""); <-c.writeDone })
	return client, rc
}

// TestWritePumpGathersQueuedEntries: what the room queued while the pump was busy goes out
// in one socket write, as frames a client reads one by one, in order; so does a replay.
func TestWritePumpGathersQueuedEntries(t *testing.T) {
	ack := func(seq int64) outbound { return outbound{more: &ackFrame{Type: "ack", ID: "id", Seq: seq}} }
	ev := func(seq int64) Event { return Event{Seq: seq, Name: "e", Data: []byte(`{}`)} }
	for name, queued := range map[string][]outbound{
		"three acks": {ack(1), ack(2), ack(3)},
		"a replay":   {{more: replayBatch{ev(1), ev(2), ev(3)}}},
	} {
		t.Run(name, func(t *testing.T) {
			client, rc := pumpOverPipe(t, queued...)
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

func TestBatchConnSkipsNearlyEqualDeadlines(t *testing.T) {
	rc := &recordConn{}
	b := &batchConn{Conn: rc}
	base := time.Unix(1000, 0)
	steps := []struct {
		set  time.Time
		want time.Time // what the socket has afterwards
	}{
		{base, base},
		{base.Add(300 * time.Millisecond), base},           // within the slack: kept
		{base.Add(deadlineSlack), base.Add(deadlineSlack)}, // a second later: re-armed
		{base, base},                                       // earlier: always re-armed
		{time.Time{}, time.Time{}},                         // no deadline: always set
		{base.Add(10 * time.Millisecond), base.Add(10 * time.Millisecond)},
	}
	for i, s := range steps {
		b.SetWriteDeadline(s.set)
		if !rc.deadline.Equal(s.want) {
			t.Errorf("step %d: socket deadline got %v, want %v", i, rc.deadline, s.want)
		}
	}
}
