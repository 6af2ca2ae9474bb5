package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// allNames are the events that go to the whole room in the generator's scenarios (no
// break-out groups, results shown, no pre-moderation): every connection must receive each
// of them exactly once, which is how loss is detected. Private events (vote.recorded) are
// checked against the acknowledgements instead.
var allNames = map[string]bool{
	"phase.changed": true, "question.changed": true, "timer.changed": true, "tally.updated": true,
	"contribution.posted": true, "comment.posted": true, "vote.method.changed": true,
}

// dialer opens sockets from several 127.0.0.x source addresses: one address has about
// 28,000 ephemeral ports towards one server port.
type dialer struct {
	url, origin string
	ws          []*websocket.Dialer // one per source address
}

func newDialer(wsURL, origin string, sources []net.IP) *dialer {
	d := &dialer{url: wsURL, origin: origin}
	pool := &sync.Pool{} // idle connections need no write buffer of their own
	if len(sources) == 0 {
		sources = []net.IP{nil}
	}
	for _, ip := range sources {
		nd := &net.Dialer{Timeout: 30 * time.Second}
		if ip != nil {
			nd.LocalAddr = &net.TCPAddr{IP: ip}
		}
		d.ws = append(d.ws, &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: 30 * time.Second,
			ReadBufferSize:   2048,
			WriteBufferSize:  512,
			WriteBufferPool:  pool,
		})
	}
	return d
}

// outcome is an ack or a reject as a waiting caller sees it.
type outcome struct {
	seq  int64
	code string
}

// client is one participant's connection. The reader goroutine owns the sequence state;
// everything others read is under mu.
type client struct {
	idx    int
	cookie string
	ws     int64 // workshop
	st     *stats
	d      *dialer
	keep   bool // keep snapshots and event data (the moderator and observers)
	onData func(name string, data []byte)

	wmu  sync.Mutex // one writer at a time
	conn *websocket.Conn

	mu         sync.Mutex
	you        int64
	moderator  bool
	lastSeq    int64
	firstSeq   int64   // the seq of the first snapshot: expected events start after it
	allSeqs    []int64 // seqs of whole-room events received
	dups       int
	personal   int // vote.recorded received
	acked      int // votes acknowledged
	early      int // acks that arrived before their command's event
	pending    map[string]sentCmd
	waiters    map[string]chan outcome
	snapshot   []byte
	covered    [][2]int64 // (from, to] seq ranges a later snapshot stood in for
	waitSeq    int64
	waitCh     chan struct{}
	snapshots  int
	closed     error
	done       chan struct{}
	errorCodes []string
	pingSent   time.Time
}

type sentCmd struct {
	sched time.Time // when the schedule said to send it: latency is measured from here
	sent  time.Time // when it was handed to the socket (later than sched if the generator lags)
	kind  cmdKind
	name  string
}

// cmdKind says how a command's outcome is counted.
type cmdKind uint8

const (
	setupCmd cmdKind = iota // setup and markers: not measured
	voteCmd                 // a vote of the load: ack latency, durable votes, vote.recorded audit
	otherCmd                // another command of the load (session): ack latency
)

func newClient(idx int, cookie string, workshop int64, st *stats, d *dialer) *client {
	return &client{idx: idx, cookie: cookie, ws: workshop, st: st, d: d,
		pending: map[string]sentCmd{}, waiters: map[string]chan outcome{}}
}

// connect opens the socket, says hello with since and reads the welcome. The rest (the
// snapshot or the replay, then live events) arrives on the reader goroutine.
func (c *client) connect(ctx context.Context, since int64) error {
	h := http.Header{}
	h.Set("Origin", c.d.origin)
	// A browser that chose French sends the language cookie: the server needs no lookup.
	h.Set("Cookie", c.cookie+"; assises_lang=fr")
	wd := c.d.ws[c.idx%len(c.d.ws)]
	conn, resp, err := wd.DialContext(ctx, c.d.url, h)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return fmt.Errorf("dial: %w", err)
	}
	hello := `{"type":"hello","v":1,"workshop":` + strconv.FormatInt(c.ws, 10) + `,"since":` + strconv.FormatInt(since, 10) + `}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
		conn.Close()
		return fmt.Errorf("hello: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := conn.ReadMessage()
	if err != nil {
		conn.Close()
		return fmt.Errorf("welcome: %w", err)
	}
	conn.SetReadDeadline(time.Time{})
	var w struct {
		Type      string `json:"type"`
		You       int64  `json:"you"`
		Moderator bool   `json:"moderator"`
		Code      string `json:"code"`
	}
	if err := json.Unmarshal(b, &w); err != nil || w.Type != "welcome" {
		conn.Close()
		return fmt.Errorf("got %q before welcome (%s)", w.Type, w.Code)
	}
	c.mu.Lock()
	c.you, c.moderator = w.You, w.Moderator
	c.mu.Unlock()
	if since == 0 {
		// The snapshot comes next: the room holds presence and live events back until it is
		// queued. Reading it here makes connect return once the client is live.
		conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		_, b, err := conn.ReadMessage()
		conn.SetReadDeadline(time.Time{})
		var m msg
		if err != nil || !scanMsg(b, &m) || string(m.typ) != "snapshot" {
			conn.Close()
			return fmt.Errorf("snapshot: %v %q %s", err, m.typ, m.code)
		}
		c.handle(&m, time.Now())
	}
	done := make(chan struct{})
	c.mu.Lock()
	c.closed, c.done = nil, done
	c.mu.Unlock()
	c.wmu.Lock()
	c.conn = conn
	c.wmu.Unlock()
	go c.read(conn, done)
	return nil
}

// reached returns a channel closed once the client has every event up to seq.
func (c *client) reached(seq int64) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if c.lastSeq >= seq {
		close(ch)
		return ch
	}
	c.waitSeq, c.waitCh = seq, ch
	return ch
}

// checkWaitLocked wakes a reached waiter.
func (c *client) checkWaitLocked() {
	if c.waitCh != nil && c.lastSeq >= c.waitSeq {
		close(c.waitCh)
		c.waitCh = nil
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func (c *client) read(conn *websocket.Conn, done chan struct{}) {
	defer close(done)
	var m msg
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			c.mu.Lock()
			c.closed = err
			for id, w := range c.waiters {
				close(w)
				delete(c.waiters, id)
			}
			c.mu.Unlock()
			return
		}
		bp := bufPool.Get().(*[]byte)
		buf, err := readAll(r, (*bp)[:0])
		*bp = buf[:0]
		if err != nil {
			bufPool.Put(bp)
			continue // the next NextReader reports the broken connection
		}
		now := time.Now()
		if scanMsg(buf, &m) {
			c.handle(&m, now)
		} else {
			c.st.badFrames.Add(1)
		}
		bufPool.Put(bp)
	}
}

func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func (c *client) handle(m *msg, now time.Time) {
	nowUs := now.UnixMicro()
	switch string(m.typ) {
	case "event":
		name := string(m.name)
		all := allNames[name]
		c.mu.Lock()
		if m.seq <= c.lastSeq {
			c.dups++
			c.mu.Unlock()
			c.st.dups.Add(1)
			return
		}
		c.lastSeq = m.seq
		c.checkWaitLocked()
		if all {
			c.allSeqs = append(c.allSeqs, m.seq)
		}
		if name == "vote.recorded" {
			c.personal++
		}
		c.mu.Unlock()
		c.st.events.Add(1)
		if all && m.at > 0 && c.st.measuring.Load() {
			// Two clocks of the same host: the hub stamps serverTime when it starts the
			// fan-out (the message is encoded once, then queued to every connection); at is
			// when the transaction began, so the second figure includes the commit.
			c.st.fanout.record(c.idx, nowUs-m.serverTime*1000)
			c.st.commitToReceipt.record(c.idx, nowUs-m.at*1000)
		}
		if c.onData != nil {
			c.onData(name, m.data)
		}
	case "snapshot":
		c.mu.Lock()
		if c.snapshots == 0 {
			c.firstSeq = m.seq
		} else if m.seq > c.lastSeq {
			// A resume that was too old: the snapshot replaces the events it covers.
			c.covered = append(c.covered, [2]int64{c.lastSeq, m.seq})
		}
		if m.seq > c.lastSeq {
			c.lastSeq = m.seq
		}
		c.checkWaitLocked()
		c.snapshots++
		if c.keep {
			c.snapshot = bytes.Clone(m.data)
		}
		c.mu.Unlock()
		c.st.snapshots.Add(1)
	case "ack", "reject":
		id := string(m.id)
		code := string(m.code)
		c.mu.Lock()
		s, ok := c.pending[id]
		delete(c.pending, id)
		if ok && s.kind == voteCmd && code == "" {
			c.acked++
			if c.personal < c.acked {
				c.early++ // the protocol sends a command's events before its ack
			}
		}
		w := c.waiters[id]
		delete(c.waiters, id)
		c.mu.Unlock()
		if ok && s.kind != setupCmd {
			c.st.outcome(c.idx, s, code, nowUs-s.sched.UnixMicro())
			if s.kind == voteCmd && code == "" && m.serverTime > 0 {
				c.st.ackParts(c.idx, s, m.serverTime*1000, nowUs)
			}
		}
		if w != nil {
			w <- outcome{seq: m.seq, code: code}
		}
	case "pong":
		c.mu.Lock()
		sent := c.pingSent
		c.mu.Unlock()
		if !sent.IsZero() {
			c.st.pong.record(c.idx, nowUs-sent.UnixMicro())
		}
	case "error":
		c.mu.Lock()
		c.errorCodes = append(c.errorCodes, string(m.code))
		c.mu.Unlock()
		c.st.errorFrames.Add(1)
	}
}

// send writes a command; sched is when the schedule wanted it sent.
func (c *client) send(id, name string, args []byte, sched time.Time, kind cmdKind) error {
	b := make([]byte, 0, 96+len(args))
	b = append(b, `{"type":"command","id":"`...)
	b = append(b, id...)
	b = append(b, `","name":"`...)
	b = append(b, name...)
	b = append(b, `","args":`...)
	b = append(b, args...)
	b = append(b, '}')
	c.mu.Lock()
	c.pending[id] = sentCmd{sched: sched, sent: time.Now(), kind: kind, name: name}
	c.mu.Unlock()
	c.wmu.Lock()
	conn := c.conn
	var err error
	if conn == nil {
		err = errors.New("not connected")
	} else {
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		err = conn.WriteMessage(websocket.TextMessage, b)
	}
	c.wmu.Unlock()
	if err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		c.st.sendErrors.Add(1)
	}
	return err
}

// do sends a command and waits for its outcome (setup and markers, not measured load).
func (c *client) do(ctx context.Context, name string, args any) (outcome, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return outcome{}, err
	}
	id := newID()
	w := make(chan outcome, 1)
	c.mu.Lock()
	c.waiters[id] = w
	c.mu.Unlock()
	if err := c.send(id, name, raw, time.Now(), setupCmd); err != nil {
		return outcome{}, err
	}
	select {
	case o, ok := <-w:
		if !ok {
			return outcome{}, fmt.Errorf("%s: connection closed", name)
		}
		if o.code != "" {
			return o, fmt.Errorf("%s refused: %s", name, o.code)
		}
		return o, nil
	case <-ctx.Done():
		return outcome{}, fmt.Errorf("%s: %w", name, ctx.Err())
	}
}

func (c *client) ping() {
	c.mu.Lock()
	c.pingSent = time.Now()
	c.mu.Unlock()
	c.wmu.Lock()
	if c.conn != nil {
		c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		c.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
	}
	c.wmu.Unlock()
}

// drop cuts the socket without a close handshake, like a phone losing its network.
func (c *client) drop() {
	c.wmu.Lock()
	conn := c.conn
	c.conn = nil
	c.wmu.Unlock()
	if conn != nil {
		conn.NetConn().Close()
		<-c.doneChan()
	}
}

// close says goodbye properly.
func (c *client) close() {
	c.wmu.Lock()
	conn := c.conn
	c.conn = nil
	if conn != nil {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	}
	c.wmu.Unlock()
	if conn != nil {
		select {
		case <-c.doneChan():
		case <-time.After(2 * time.Second):
		}
		conn.Close()
	}
}

func (c *client) doneChan() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

func (c *client) seq() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSeq
}

// ids are UUID-shaped (the hub accepts nothing else): a random prefix per process and a
// counter, cheaper than crypto/rand per command and still unique across runs.
var (
	idPrefix  = randomHex(10)
	idCounter atomic.Uint64
)

func newID() string {
	n := idCounter.Add(1)
	var b [36]byte
	copy(b[:], idPrefix[:8])
	b[8] = '-'
	copy(b[9:], idPrefix[8:12])
	b[13] = '-'
	copy(b[14:], idPrefix[12:16])
	b[18] = '-'
	copy(b[19:], idPrefix[16:20])
	b[23] = '-'
	const digits = "0123456789abcdef"
	for i := 35; i >= 24; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
