package wire

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// Transport is the write side of a socket as a Conn uses it: *Socket in production, a
// test's in tests. Only the owner of the Conn's write side calls WriteNow and WriteAll;
// Close is safe at any time.
type Transport interface {
	// NonBlocking reports whether WriteNow can write at all. Without it (TLS, pipes),
	// everything goes through the writer goroutine.
	NonBlocking() bool
	// WriteNow writes what the socket takes at once and never waits: n < len(p) with a nil
	// error means the socket is full and the rest must wait for the writer.
	WriteNow(p []byte) (n int, err error)
	// WriteAll writes p whole, waiting at most until deadline.
	WriteAll(p []byte, deadline time.Time) error
	Close() error
}

// NonBlockingWriter is what a test's net.Conn implements for a Socket over it to take the
// direct-write path, as a TCP socket does.
type NonBlockingWriter interface {
	WriteNonBlocking(p []byte) (int, error)
}

// Socket is the network connection under gorilla's *websocket.Conn, which only reads from
// it once the connection is set up. Until Attach, writes go straight through (the
// handshake's answer, a refusal during a shutdown); after it, every write goes through the
// Conn's outbox (see the package comment).
type Socket struct {
	net.Conn
	raw   syscall.RawConn   // non-blocking writes on the file descriptor; nil if none
	nb    NonBlockingWriter // or a test socket's
	owner *Conn             // set by Attach, before the read side starts; then read only
	armed time.Time         // the write deadline the socket has (owner of the write side only)

	// The direct write's state, so that it allocates nothing (owner of the write side only).
	wp   []byte
	wn   int
	werr error
	wfn  func(fd uintptr) bool // s.writeFD, bound once
}

var _ Transport = (*Socket)(nil)

// NewSocket wraps a network connection.
func NewSocket(nc net.Conn) *Socket {
	s := &Socket{Conn: nc}
	switch c := nc.(type) {
	case NonBlockingWriter:
		s.nb = c
	case syscall.Conn:
		// A TCP socket: Go already keeps its descriptor non-blocking (the poller waits
		// for it), so a plain write(2) on it never blocks.
		if raw, err := c.SyscallConn(); err == nil {
			s.raw = raw
			s.wfn = s.writeFD
		}
	}
	return s
}

// Attach hands the socket's write side to c.
func (s *Socket) Attach(c *Conn) { s.owner = c }

// Write is gorilla's write path: after Attach, a frame it writes from the read side (a
// close after a protocol error or an oversized message) is queued like any other.
func (s *Socket) Write(p []byte) (int, error) {
	if c := s.owner; c != nil {
		c.queueGorilla(p)
		return len(p), nil
	}
	return s.Conn.Write(p)
}

// SetWriteDeadline is gorilla's; once attached, the Conn sets its own deadlines.
func (s *Socket) SetWriteDeadline(t time.Time) error {
	if s.owner != nil {
		return nil
	}
	return s.Conn.SetWriteDeadline(t)
}

func (s *Socket) NonBlocking() bool { return s.raw != nil || s.nb != nil }

func (s *Socket) WriteNow(p []byte) (int, error) {
	switch {
	case s.nb != nil:
		return s.nb.WriteNonBlocking(p)
	case s.raw == nil:
		return 0, nil
	}
	s.wp, s.wn, s.werr = p, 0, nil
	err := s.raw.Write(s.wfn)
	n, werr := s.wn, s.werr
	s.wp, s.werr = nil, nil
	if werr != nil {
		return n, werr
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The last writer's deadline has passed: not a failure of this socket. The
			// writer goroutine sets a fresh one and writes.
			return n, nil
		}
		return n, err
	}
	return n, nil
}

// writeFD writes s.wp to the descriptor with write(2), as much as it takes now.
func (s *Socket) writeFD(fd uintptr) bool {
	for s.wn < len(s.wp) {
		m, e := syscall.Write(int(fd), s.wp[s.wn:])
		if m > 0 {
			s.wn += m
		}
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			return true // full: the writer goroutine waits for it, not us
		case e != nil:
			s.werr = e
			return true
		case m <= 0:
			return true
		}
	}
	// Always true: returning false would make RawConn.Write park this goroutine until
	// the socket is writable, which is exactly what the caller must not do.
	return true
}

// WriteAll is a blocking write under deadline. A deadline less than deadlineSlack after
// the one the socket already has is not set again: re-arming the socket's timer for each
// of tens of thousands of writes a second was a measurable share of a fan-out, and a
// write may so time out up to that much earlier than asked (WriteWait is ten times longer).
func (s *Socket) WriteAll(p []byte, deadline time.Time) error {
	if s.armed.IsZero() || deadline.Before(s.armed) || deadline.Sub(s.armed) >= deadlineSlack || time.Until(s.armed) <= 0 {
		if err := s.Conn.SetWriteDeadline(deadline); err != nil {
			return err
		}
		s.armed = deadline
	}
	_, err := s.Conn.Write(p)
	return err
}

// deadlineSlack: see WriteAll.
const deadlineSlack = time.Second

// Hijacker hands the WebSocket upgrader a Socket when it hijacks the connection.
type Hijacker struct {
	http.ResponseWriter
	sock *Socket
}

// Socket is the hijacked connection; nil before the upgrade hijacked it.
func (w *Hijacker) Socket() *Socket { return w.sock }

func (w *Hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("wire: the response writer cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.sock = NewSocket(nc)
	return w.sock, brw, nil
}
