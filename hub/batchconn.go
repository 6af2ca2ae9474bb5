package hub

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// batchConn sits under gorilla's *websocket.Conn. It lets the write pump put several
// frames into one write to the socket, and spares the socket's timer most deadline changes
// (see deadlineSlack). Batching: while it holds, frames are appended to a buffer;
// release writes them at once. A voter's vote.recorded and ack, or a tally behind them,
// then cost one system call instead of two or three, on the server and on the client.
// Outside a hold (the handshake, control frames from the read side) writes go straight
// through. The buffer comes from a pool and goes back at release: an idle connection holds
// none.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	holding  bool
	deadline time.Time // the last write deadline asked for during the hold
	armed    time.Time // the write deadline the socket has
	buf      *[]byte
}

// batchFlushBytes: a hold writes out early past this, so a burst never builds a huge buffer.
const batchFlushBytes = 32 << 10

var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

func (b *batchConn) hold() {
	b.mu.Lock()
	b.holding = true
	b.mu.Unlock()
}

// release ends the hold and writes what it gathered, with the last deadline set.
func (b *batchConn) release() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.holding = false
	return b.flushLocked()
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.holding {
		return b.Conn.Write(p)
	}
	if b.buf == nil {
		b.buf = batchBufs.Get().(*[]byte)
	}
	*b.buf = append(*b.buf, p...)
	if len(*b.buf) >= batchFlushBytes {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// deadlineSlack: a new write deadline less than this after the one the socket already has
// is not set again. gorilla sets one per frame, and re-arming the socket's timer for each of
// fifty thousand tallies a second was a measurable share of the fan-out; a write may so
// time out up to this much earlier than asked (writeWait is ten times longer).
const deadlineSlack = time.Second

// SetWriteDeadline is remembered during a hold (the socket only needs the one of the write
// that really happens), and not re-armed when the socket's is nearly the same.
func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.holding {
		b.deadline = t
		return nil
	}
	return b.setDeadlineLocked(t)
}

func (b *batchConn) setDeadlineLocked(t time.Time) error {
	if !b.armed.IsZero() && !t.IsZero() && !t.Before(b.armed) && t.Sub(b.armed) < deadlineSlack {
		return nil
	}
	b.armed = t
	return b.Conn.SetWriteDeadline(t)
}

func (b *batchConn) flushLocked() error {
	if b.buf == nil {
		return nil
	}
	buf := b.buf
	b.buf = nil
	defer func() {
		if cap(*buf) <= 64<<10 { // do not keep what a rare burst grew
			*buf = (*buf)[:0]
			batchBufs.Put(buf)
		}
	}()
	if len(*buf) == 0 {
		return nil
	}
	if !b.deadline.IsZero() {
		if err := b.setDeadlineLocked(b.deadline); err != nil {
			return err
		}
	}
	_, err := b.Conn.Write(*buf)
	return err
}

// batchingWriter hands the upgrader a batchConn when it hijacks the connection.
type batchingWriter struct {
	http.ResponseWriter
	bc *batchConn
}

func (w *batchingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hub: the response writer cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.bc = &batchConn{Conn: nc}
	return w.bc, brw, nil
}
