// Package wiretest helps test what writes WebSocket frames through package wire: a
// transport that records what is written to it (or stalls like a peer that does not
// read), and a parser of server frames.
package wiretest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Opcodes of server frames (RFC 6455, section 5.2).
const (
	OpText  = 1
	OpClose = 8
	OpPing  = 9
	OpPong  = 10
)

// Transport records the frames written to it; it implements wire.Transport. Stalled, it
// is a socket whose peer does not read: a non-blocking write takes nothing and a blocking
// one waits until the socket is closed.
type Transport struct {
	frames  *atomic.Int64 // frames written, shared by the transports of a test
	stalled bool
	Discard bool // count, do not keep (benchmarks)
	mu      sync.Mutex
	data    []byte // everything written, in order
	writes  int    // the writes that took something: system calls, on a socket
	closed  atomic.Bool
	gate    chan struct{} // closed by Close
	once    sync.Once
}

// NewTransport makes a transport that adds the frames written to it to frames.
func NewTransport(frames *atomic.Int64, stalled bool) *Transport {
	return &Transport{frames: frames, stalled: stalled, gate: make(chan struct{})}
}

func (f *Transport) NonBlocking() bool { return true }

func (f *Transport) WriteNow(p []byte) (int, error) {
	if f.closed.Load() {
		return 0, net.ErrClosed
	}
	if f.stalled {
		return 0, nil
	}
	f.Record(p)
	return len(p), nil
}

func (f *Transport) WriteAll(p []byte, _ time.Time) error {
	if f.stalled {
		<-f.gate
	}
	if f.closed.Load() {
		return net.ErrClosed
	}
	f.Record(p)
	return nil
}

// Record keeps p as written.
func (f *Transport) Record(p []byte) {
	f.mu.Lock()
	f.writes++
	if !f.Discard {
		f.data = append(f.data, p...)
	}
	f.mu.Unlock()
	f.frames.Add(CountFrames(p))
}

// Writes is how many writes took something.
func (f *Transport) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

func (f *Transport) Close() error {
	f.closed.Store(true)
	f.once.Do(func() { close(f.gate) })
	return nil
}

// Closed reports whether Close was called.
func (f *Transport) Closed() bool { return f.closed.Load() }

// Texts parses what was written: the text messages' payloads, in order, and whether a
// close frame ended the stream.
func (f *Transport) Texts(t testing.TB) (texts [][]byte, closed bool) {
	t.Helper()
	f.mu.Lock()
	data := bytes.Clone(f.data)
	f.mu.Unlock()
	for len(data) > 0 {
		op, payload, rest, err := ParseFrame(data)
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		data = rest
		switch op {
		case OpText:
			texts = append(texts, payload)
		case OpClose:
			closed = true
		}
	}
	return texts, closed
}

// RecordConn is a net.Conn that keeps every write to it, and the write deadline set last.
type RecordConn struct {
	net.Conn
	mu       sync.Mutex
	written  []byte
	deadline time.Time
}

func (r *RecordConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.written = append(r.written, p...)
	return len(p), nil
}

func (r *RecordConn) SetWriteDeadline(t time.Time) error {
	r.mu.Lock()
	r.deadline = t
	r.mu.Unlock()
	return nil
}

// Deadline is the write deadline set last.
func (r *RecordConn) Deadline() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.deadline
}

// Written is everything written so far, in order.
func (r *RecordConn) Written() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.written)
}

// Forget drops what was written so far (a handshake, say).
func (r *RecordConn) Forget() {
	r.mu.Lock()
	r.written = nil
	r.mu.Unlock()
}

// Eventually polls cond until it holds, for at most wait.
func Eventually(t testing.TB, wait time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still false after %v", what, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Decoded is Texts with each message decoded from JSON into a T.
func Decoded[T any](t testing.TB, f *Transport) (msgs []T, closed bool) {
	t.Helper()
	texts, closed := f.Texts(t)
	for _, p := range texts {
		var m T
		if err := json.Unmarshal(p, &m); err != nil {
			t.Fatalf("message %q: %v", p, err)
		}
		msgs = append(msgs, m)
	}
	return msgs, closed
}

// ParseFrame splits the first frame off data: a final, unmasked server frame.
func ParseFrame(data []byte) (op int, payload, rest []byte, err error) {
	if len(data) < 2 {
		return 0, nil, nil, fmt.Errorf("frame header: %d bytes left", len(data))
	}
	if data[0]&0xf0 != 0x80 {
		return 0, nil, nil, fmt.Errorf("frame header %#x: want FIN and no reserved bits", data[0])
	}
	if data[1]&0x80 != 0 {
		return 0, nil, nil, errors.New("a server frame is masked")
	}
	op = int(data[0] & 0x0f)
	n, head := int(data[1]&0x7f), 2
	switch n {
	case 126:
		if len(data) < 4 {
			return 0, nil, nil, errors.New("short 16-bit length")
		}
		n, head = int(binary.BigEndian.Uint16(data[2:4])), 4
	case 127:
		if len(data) < 10 {
			return 0, nil, nil, errors.New("short 64-bit length")
		}
		n, head = int(binary.BigEndian.Uint64(data[2:10])), 10
	}
	if len(data) < head+n {
		return 0, nil, nil, fmt.Errorf("frame of %d bytes: %d left", n, len(data)-head)
	}
	return op, data[head : head+n], data[head+n:], nil
}

// CountFrames counts the whole server frames in p (one write may carry several).
func CountFrames(p []byte) int64 {
	var n int64
	for len(p) >= 2 {
		size, head := int(p[1]&0x7f), 2
		switch size {
		case 126:
			size, head = int(binary.BigEndian.Uint16(p[2:4])), 4
		case 127:
			size, head = int(binary.BigEndian.Uint64(p[2:10])), 10
		}
		p = p[min(len(p), head+size):]
		n++
	}
	return n
}
