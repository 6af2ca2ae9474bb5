package server

import (
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/assises/assises/server/edge"
)

// Deadlines bound how long a client may take to send a request, or to take its answer, so
// that a client that trickles its headers or its body (one byte every few seconds), or that
// asks and never reads, cannot hold a connection, a goroutine and a file descriptor for good.
// A WebSocket, once upgraded, has its own deadlines (the hub's pongs, and a bound on each
// write in hub/wire); these stop at the upgrade.
type Deadlines struct {
	Header time.Duration // the request line and headers, from the first byte (http.Server.ReadHeaderTimeout)
	Body   time.Duration // a whole request body, from the end of the headers (signed-in routes)
	Form   time.Duration // the same for the routes anyone can call without signing in (small forms)
	Idle   time.Duration // a kept-alive connection between two requests
	// Write bounds how long a client may leave a piece of an answer (at most writeChunk
	// bytes) unread: a stall, not the whole answer, so that a slow phone that keeps reading
	// gets a large export, and the time a handler takes to compute is not counted.
	Write time.Duration
}

// DefaultDeadlines are the production deadlines. A body is at most 1 MiB (maxRequestBody):
// 30 s lets a phone on a poor 3G link send one; the anonymous forms are a few hundred bytes.
// 30 s to take 64 KiB of an answer is 2 KiB/s, below any link a phone still browses on.
var DefaultDeadlines = Deadlines{Header: 10 * time.Second, Body: 30 * time.Second, Form: 10 * time.Second, Idle: 120 * time.Second,
	Write: 30 * time.Second}

func (d Deadlines) withDefaults() Deadlines {
	set := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	set(&d.Header, DefaultDeadlines.Header)
	set(&d.Body, DefaultDeadlines.Body)
	set(&d.Form, DefaultDeadlines.Form)
	set(&d.Idle, DefaultDeadlines.Idle)
	set(&d.Write, DefaultDeadlines.Write)
	return d
}

// HTTPServer is the http.Server for handler with the header and idle deadlines of d (the
// body deadlines are set per route by the handler New returns, given the same d).
func HTTPServer(handler http.Handler, d Deadlines) *http.Server {
	d = d.withDefaults()
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: d.Header,
		IdleTimeout:       d.Idle,
		MaxHeaderBytes:    64 << 10,
	}
}

// UseEdge makes srv serve through the edge listener l: l learns which connections wait for a
// request or a body (and may be shed when the server is full).
func UseEdge(srv *http.Server, l *edge.Listener) {
	srv.ConnState = l.ConnState
	srv.ConnContext = l.ConnContext
}

// anonymousChanges are the state-changing routes anyone may call without a session: their
// bodies are small forms, so they get the short body deadline.
var anonymousChanges = map[string]bool{
	"POST /join/request":      true,
	"POST /p/{slug}/register": true,
	"POST /signout":           true,
}

// bodyDeadline sets the read deadline of a request's body, by its route, through the
// connection (http.ResponseController); once the body has been read whole the deadline is
// lifted, so that a handler that takes its time afterwards is not cut (net/http reads ahead
// on an idle connection, and a deadline passing then would cancel the request's context).
// A request without a body (every GET, the WebSocket upgrade) gets none.
func (h *handler) bodyDeadline(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return
	}
	_, pattern := h.mux.Handler(r)
	d := h.deadlines.Body
	if anonymousChanges[pattern] {
		d = h.deadlines.Form
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(d)) != nil {
		return // not a connection that has deadlines (a test's recorder)
	}
	// While the body comes in, a full server may shed this connection (server/edge).
	ctx := r.Context()
	edge.Uploading(ctx, true)
	r.Body = &deadlineBody{ReadCloser: r.Body, left: r.ContentLength, lift: func() {
		rc.SetReadDeadline(time.Time{})
		edge.Uploading(ctx, false)
	}}
}

// writeChunk is the most one write to a client may carry under one deadline: a larger write
// is cut in pieces, each with its own, so that the deadline bounds a stall and not the size.
const writeChunk = 64 << 10

// writeDeadline bounds how long the client may leave each piece of the answer unread
// (Deadlines.Write): it returns the writer the handler writes through, and the function to
// call once the handler returns, which bounds net/http's last flush of the answer. The
// connection's deadline is cleared first: the one a previous answer on this kept-alive
// connection left must not cut this one, nor may the handler's own time count. A WebSocket
// upgrade is left alone: once hijacked, the connection has the hub's deadlines.
func (h *handler) writeDeadline(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, func()) {
	rc := http.NewResponseController(w)
	if r.Header.Get("Upgrade") != "" || rc.SetWriteDeadline(time.Time{}) != nil {
		return w, func() {}
	}
	sw := &stallWriter{ResponseWriter: w, rc: rc, wait: h.deadlines.Write}
	return sw, sw.arm
}

// stallWriter sets the write deadline afresh before each piece it hands on.
type stallWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	wait time.Duration
}

func (s *stallWriter) arm() { _ = s.rc.SetWriteDeadline(time.Now().Add(s.wait)) }

func (s *stallWriter) WriteHeader(code int) {
	s.arm()
	s.ResponseWriter.WriteHeader(code)
}

func (s *stallWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		piece := p[:min(len(p), writeChunk)]
		s.arm()
		m, err := s.ResponseWriter.Write(piece)
		n += m
		if err != nil {
			return n, err
		}
		p = p[len(piece):]
	}
	return n, nil
}

// Flush is http.Flusher's, for the handlers that stream.
func (s *stallWriter) Flush() {
	s.arm()
	_ = s.rc.Flush()
}

func (s *stallWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// deadlineBody lifts the body's deadline when the body has been read to its end: EOF, or
// as many bytes as the request said (a JSON decoder stops there without asking for EOF).
type deadlineBody struct {
	io.ReadCloser
	left int64 // bytes still to come when the length is known; -1 when it is not
	lift func()
	once sync.Once
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	if err == io.EOF || b.left == 0 {
		b.once.Do(b.lift)
	}
	return n, err
}

// proxiedRequests bounds the requests in progress of one client that comes through a trusted
// reverse proxy: the listener cannot tell such clients apart (they share the proxy's
// connections), so they are counted here, by X-Forwarded-For, as the listener counts the
// connections of the others (server/edge).
type proxiedRequests struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

// enter counts a request of key in; false when key already has max in progress.
func (p *proxiedRequests) enter(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[key] >= p.max {
		return false
	}
	p.n[key]++
	return true
}

func (p *proxiedRequests) leave(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[key]--; p.n[key] <= 0 {
		delete(p.n, key)
	}
}

// proxiedClient returns the client's key when the request came through a trusted proxy
// (with the proxies configured), or "" when the peer is the client itself.
func (h *handler) proxiedClient(r *http.Request) string {
	if len(h.trustedProxies) == 0 || h.proxied.max <= 0 {
		return ""
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !isTrusted(ap.Addr(), h.trustedProxies) {
		return ""
	}
	return clientKey(r, h.trustedProxies)
}

// tooManyInProgress answers a proxied client over its bound: 503, try again in a moment.
func (h *handler) tooManyInProgress(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(1))
	http.Error(w, "too many requests in progress from your address", http.StatusServiceUnavailable)
}
