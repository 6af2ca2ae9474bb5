package hub

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// transport is the write side of a connection's socket, as the outbox uses it:
// *sockConn in production, fakes in tests and benchmarks. Only the current owner of the
// connection's write side (conn.writing) calls writeNow and writeAll; Close is safe at any
// time.
type transport interface {
	// nonBlocking reports whether writeNow can write at all. Without it (TLS, pipes),
	// everything goes through the connection's writer goroutine.
	nonBlocking() bool
	// writeNow writes what the socket takes at once and never waits: n < len(p) with a
	// nil error means the socket is full and the rest must wait for the writer.
	writeNow(p []byte) (n int, err error)
	// writeAll writes p whole, waiting at most until deadline.
	writeAll(p []byte, deadline time.Time) error
	Close() error
}

// nonBlockingWriter is what a test socket implements to take the direct-write path.
type nonBlockingWriter interface {
	writeNonBlocking(p []byte) (int, error)
}

// sockConn is the socket under gorilla's *websocket.Conn, which only reads from it once
// the connection is set up: every write of the hub goes through the connection's outbox
// (conn.go). Until attach, writes go straight through (the handshake's answer, a refusal
// during a shutdown). After it, the rare frames gorilla writes by itself from the read
// side (a close frame after a protocol error or an oversized message) are queued in the
// outbox like any other, so that they never interleave with the hub's frames.
type sockConn struct {
	net.Conn
	raw   syscall.RawConn   // non-blocking writes on the file descriptor; nil if none
	nb    nonBlockingWriter // or a test socket's
	owner *conn             // set by attach, before the read pump starts; then read only
	armed time.Time         // the write deadline the socket has (owner of the write side only)

	// The direct write's state, so that it allocates nothing (owner of the write side only).
	wp   []byte
	wn   int
	werr error
	wfn  func(fd uintptr) bool // s.writeFD, bound once
}

func newSockConn(nc net.Conn) *sockConn {
	s := &sockConn{Conn: nc}
	switch c := nc.(type) {
	case nonBlockingWriter:
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

// attach hands the socket's write side to c (see sockConn).
func (s *sockConn) attach(c *conn) { s.owner = c }

// Write is gorilla's write path (see sockConn).
func (s *sockConn) Write(p []byte) (int, error) {
	if c := s.owner; c != nil {
		c.queueRaw(p)
		return len(p), nil
	}
	return s.Conn.Write(p)
}

// SetWriteDeadline is gorilla's; once attached, the outbox sets its own deadlines.
func (s *sockConn) SetWriteDeadline(t time.Time) error {
	if s.owner != nil {
		return nil
	}
	return s.Conn.SetWriteDeadline(t)
}

func (s *sockConn) nonBlocking() bool { return s.raw != nil || s.nb != nil }

func (s *sockConn) writeNow(p []byte) (int, error) {
	switch {
	case s.nb != nil:
		return s.nb.writeNonBlocking(p)
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
func (s *sockConn) writeFD(fd uintptr) bool {
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

// writeAll is a blocking write under deadline. A deadline less than deadlineSlack after
// the one the socket already has is not set again: re-arming the socket's timer for each
// of tens of thousands of writes a second was a measurable share of a fan-out, and a
// write may so time out up to that much earlier than asked (writeWait is ten times longer).
func (s *sockConn) writeAll(p []byte, deadline time.Time) error {
	if s.armed.IsZero() || deadline.Before(s.armed) || deadline.Sub(s.armed) >= deadlineSlack || time.Until(s.armed) <= 0 {
		if err := s.Conn.SetWriteDeadline(deadline); err != nil {
			return err
		}
		s.armed = deadline
	}
	_, err := s.Conn.Write(p)
	return err
}

// deadlineSlack: see writeAll.
const deadlineSlack = time.Second

// hijackWriter hands the upgrader a sockConn when it hijacks the connection.
type hijackWriter struct {
	http.ResponseWriter
	sc *sockConn
}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hub: the response writer cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.sc = newSockConn(nc)
	return w.sc, brw, nil
}
