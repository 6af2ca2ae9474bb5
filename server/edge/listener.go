// Package edge guards the server's listener, before any byte of a request is read: it caps
// the connections one address may hold, keeps a reserve of file descriptors so that the
// process never runs out of them (the database, its files and the rooms' sockets keep
// working), and, when the server is full, makes room for a newcomer from an address that
// holds less than its share by closing the connection that has waited longest without asking
// anything (a stalled, idle or trickling one), or refuses the new one at once. Refusing is a close right after accept: the client learns in a round trip, it
// does not wait in the kernel's queue while accept fails.
//
// The listener counts what it accepted until the connection is closed, hijacked sockets
// (WebSockets) included; the HTTP server tells it, through ConnState, which connections are
// waiting for a request (new, or idle between two requests), and the server's middleware,
// through Uploading, which are receiving a body: those may be shed. A request being answered
// and a WebSocket never are.
package edge

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Config says how many connections to hold.
type Config struct {
	// PerAddress bounds the open connections of one peer address (an IPv4 address, an IPv6
	// /64); 0 = no bound. Peers in Trusted are not bounded: a reverse proxy carries many
	// clients (the server counts those by X-Forwarded-For, per request).
	PerAddress int
	Trusted    []netip.Prefix
	// Max bounds the open connections in all; 0 = the process's limit of open files minus
	// Reserve.
	Max int
	// Reserve is how many descriptors are left for everything else (database connections and
	// files, logs, outgoing mail) when Max comes from the limit; 0 = 64 + a tenth of the limit.
	Reserve int
	Log     *slog.Logger // nil = slog.Default()
}

// Listener is a net.Listener with the bounds of Config. Give its ConnState to the
// http.Server, so that it knows which connections may be shed.
type Listener struct {
	net.Listener
	perAddress int
	trusted    []netip.Prefix
	max        int
	log        *slog.Logger

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int
	// waiting holds the connections that may be shed when full: those with no request in
	// progress (new, or idle between two requests) and those receiving a request's body, in
	// the order they became so, the one waiting longest first.
	waiting list.List

	refused, shed atomic.Int64
	lastWarn      atomic.Int64 // unix seconds of the last "full" warning (one a minute)
}

// Listen wraps ln with the bounds of cfg.
func Listen(ln net.Listener, cfg Config) *Listener {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Max <= 0 {
		limit := openFileLimit()
		reserve := cfg.Reserve
		if reserve <= 0 {
			reserve = 64 + limit/10
		}
		cfg.Max = max(limit-reserve, 1)
	}
	return &Listener{Listener: ln, perAddress: cfg.PerAddress, trusted: cfg.Trusted, max: cfg.Max,
		log: cfg.Log, byAddr: map[netip.Addr]int{}}
}

// Max is the bound on open connections in all.
func (l *Listener) Max() int { return l.max }

// Stats says how many connections are open, and how many were refused at accept or shed
// since the start.
func (l *Listener) Stats() (open int, refused, shed int64) {
	l.mu.Lock()
	open = l.open
	l.mu.Unlock()
	return open, l.refused.Load(), l.shed.Load()
}

// Accept returns the next connection within the bounds; the ones beyond are closed here.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c := l.admit(nc); c != nil {
			return c, nil
		}
	}
}

// admit counts nc in, or closes it. When the server is full, a connection from an address
// that holds less than its share (fewer connections than the mean of the addresses connected)
// takes the place of the connection that has waited longest for a request; nc is closed when
// its address holds its share already, or when no connection waits. So a flood from many
// addresses is refused at accept, cheaply, instead of shedding itself round and round, while
// a newcomer (a load balancer's health check, a phone) still gets in.
func (l *Listener) admit(nc net.Conn) net.Conn {
	key, bounded := l.key(nc.RemoteAddr())
	l.mu.Lock()
	if bounded && l.perAddress > 0 && l.byAddr[key] >= l.perAddress {
		l.mu.Unlock()
		l.refuse(nc, "per address")
		return nil
	}
	var victim *conn
	if l.open >= l.max {
		if bounded && l.byAddr[key]*len(l.byAddr) >= l.open {
			l.mu.Unlock()
			l.refuse(nc, "full")
			return nil
		}
		front := l.waiting.Front()
		if front == nil {
			l.mu.Unlock()
			l.refuse(nc, "full")
			return nil
		}
		victim = front.Value.(*conn)
		l.waiting.Remove(front)
		victim.waiting = nil
	}
	c := &conn{Conn: nc, l: l, key: key, bounded: bounded}
	l.open++
	if bounded {
		l.byAddr[key]++
	}
	c.waiting = l.waiting.PushBack(c)
	l.mu.Unlock()
	if victim != nil {
		l.shed.Add(1)
		l.warnFull()
		victim.Close()
	}
	return c
}

func (l *Listener) refuse(nc net.Conn, why string) {
	l.refused.Add(1)
	if why == "full" {
		l.warnFull()
	}
	// A reset rather than an orderly close: the refused client learns at once, and no
	// descriptor lingers in TIME_WAIT on our side.
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	nc.Close()
}

func (l *Listener) warnFull() {
	now := time.Now().Unix()
	if last := l.lastWarn.Load(); now-last >= 60 && l.lastWarn.CompareAndSwap(last, now) {
		open, refused, shed := l.Stats()
		l.log.Warn("edge: the server is full: shedding waiting connections, refusing new ones",
			"open", open, "max", l.max, "refused", refused, "shed", shed)
	}
}

// key is the address a bound counts: the peer's IP, its /64 for IPv6. bounded is false for a
// trusted proxy (and an address that cannot be read, as a unix socket's).
func (l *Listener) key(a net.Addr) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}, false
	}
	ip := ap.Addr().Unmap()
	for _, p := range l.trusted {
		if p.Contains(ip) {
			return ip, false
		}
	}
	if ip.Is6() {
		ip = netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return ip, true
}

// ConnState is the http.Server's hook: a connection waiting for a request (new or idle) may
// be shed; one serving a request, or hijacked (a WebSocket), may not (but see Uploading).
func (l *Listener) ConnState(nc net.Conn, state http.ConnState) {
	if c, ok := nc.(*conn); ok {
		l.mark(c, state == http.StateNew || state == http.StateIdle)
	}
}

// connKey is where ConnContext puts the connection in a request's context.
type connKey struct{}

// ConnContext is the http.Server's hook that lets a handler find its connection (Uploading).
func (l *Listener) ConnContext(ctx context.Context, nc net.Conn) context.Context {
	if c, ok := nc.(*conn); ok && c.l == l {
		return context.WithValue(ctx, connKey{}, c)
	}
	return ctx
}

// Uploading says that the request of ctx is receiving its body (true) or has it whole
// (false). While it is receiving, its connection may be shed like a waiting one: a client
// trickling a body would otherwise hold its place until the body's deadline, and enough of
// them would fill the server with connections that cannot be shed.
func Uploading(ctx context.Context, receiving bool) {
	if c, ok := ctx.Value(connKey{}).(*conn); ok {
		c.l.mark(c, receiving)
	}
}

// mark puts c at the end of the queue of connections that may be shed, or takes it out.
func (l *Listener) mark(c *conn, sheddable bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.released {
		return
	}
	if c.waiting != nil {
		l.waiting.Remove(c.waiting)
		c.waiting = nil
	}
	if sheddable {
		c.waiting = l.waiting.PushBack(c)
	}
}

// conn is an admitted connection; closing it (also after a hijack) gives its place back.
type conn struct {
	net.Conn
	l       *Listener
	key     netip.Addr
	bounded bool

	// Guarded by l.mu.
	waiting  *list.Element
	released bool
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	l := c.l
	l.mu.Lock()
	if !c.released {
		c.released = true
		l.open--
		if c.bounded {
			if l.byAddr[c.key]--; l.byAddr[c.key] <= 0 {
				delete(l.byAddr, c.key)
			}
		}
		if c.waiting != nil {
			l.waiting.Remove(c.waiting)
			c.waiting = nil
		}
	}
	l.mu.Unlock()
	return err
}

// SyscallConn passes the descriptor through: the hub's sockets write to it without blocking
// (hub/wire).
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}
