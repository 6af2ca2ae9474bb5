package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/assises/assises/internal/liveclient"
)

// allNames are the events that go to the whole room in the generator's scenarios (no
// break-out groups, results shown, no pre-moderation): every connection must receive each
// of them exactly once, which is how loss is detected. Private events (vote.recorded) are
// checked against the acknowledgements instead.
var allNames = map[string]bool{
	"phase.changed": true, "question.changed": true, "timer.changed": true, "tally.updated": true,
	"contribution.posted": true, "comment.posted": true, "vote.method.changed": true,
}

// outcome is an ack or a reject as a waiting caller sees it.
type outcome struct {
	seq  int64
	code string
}

// client is one participant as the generator measures them: a liveclient.Socket speaks the
// protocol, and the client counts what it sees. The reader goroutine owns the sequence state;
// everything others read is under mu.
type client struct {
	idx    int
	cookie string
	ws     int64 // workshop
	st     *stats
	d      *liveclient.Dialer
	keep   bool // keep snapshots and event data (the moderator and observers)
	onData func(name string, data []byte)

	smu  sync.Mutex // guards sock, which a reconnection replaces
	sock *liveclient.Socket

	mu         sync.Mutex
	you        int64
	moderator  bool
	epoch      int64 // the log epoch of the last welcome: a resume hands it back
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

func newClient(idx int, cookie string, workshop int64, st *stats, d *liveclient.Dialer) *client {
	return &client{idx: idx, cookie: cookie, ws: workshop, st: st, d: d,
		pending: map[string]sentCmd{}, waiters: map[string]chan outcome{}}
}

// connect opens the socket, says hello with since and reads the welcome. The rest (the
// snapshot or the replay, then live events) arrives on the reader goroutine.
func (c *client) connect(ctx context.Context, since int64) error {
	// A browser that chose French sends the language cookie: the server needs no lookup.
	c.mu.Lock()
	epoch := c.epoch
	c.mu.Unlock()
	sock, w, err := c.d.Join(ctx, liveclient.Join{Cookie: c.cookie + "; assises_lang=fr", Workshop: c.ws, Since: since, Epoch: epoch, Source: c.idx})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.you, c.moderator, c.epoch = w.You, w.Moderator, w.Epoch
	c.mu.Unlock()
	if since == 0 {
		// The snapshot comes next: the room holds presence and live events back until it is
		// queued. Reading it here makes connect return once the client is live.
		b, err := sock.Next(nil, 60*time.Second)
		var m liveclient.Frame
		if err != nil || !liveclient.ScanFrame(b, &m) || string(m.Type) != "snapshot" {
			sock.Close()
			return fmt.Errorf("snapshot: %v %q %s", err, m.Type, m.Code)
		}
		c.handle(&m, time.Now())
	}
	done := make(chan struct{})
	c.mu.Lock()
	c.closed, c.done = nil, done
	c.mu.Unlock()
	c.smu.Lock()
	c.sock = sock
	c.smu.Unlock()
	go c.read(sock, done)
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

func (c *client) read(sock *liveclient.Socket, done chan struct{}) {
	defer close(done)
	var m liveclient.Frame
	err := sock.Read(func(frame []byte, at time.Time) {
		if liveclient.ScanFrame(frame, &m) {
			if string(m.Name) == "tally.updated" {
				c.st.noteTally(len(frame))
			}
			c.handle(&m, at)
		} else {
			c.st.badFrames.Add(1)
		}
	})
	c.mu.Lock()
	c.closed = err
	for id, w := range c.waiters {
		close(w)
		delete(c.waiters, id)
	}
	c.mu.Unlock()
}

func (c *client) handle(m *liveclient.Frame, now time.Time) {
	nowUs := now.UnixMicro()
	switch string(m.Type) {
	case "event":
		name := string(m.Name)
		all := allNames[name]
		c.mu.Lock()
		if m.Seq <= c.lastSeq {
			c.dups++
			c.mu.Unlock()
			c.st.dups.Add(1)
			return
		}
		c.lastSeq = m.Seq
		c.checkWaitLocked()
		if all {
			c.allSeqs = append(c.allSeqs, m.Seq)
		}
		if name == "vote.recorded" {
			c.personal++
		}
		c.mu.Unlock()
		c.st.events.Add(1)
		if all && m.At > 0 && c.st.measuring.Load() {
			// Two clocks of the same host: the hub stamps serverTime when it starts the
			// fan-out (the message is encoded once, then queued to every connection); at is
			// when the transaction began, so the second figure includes the commit.
			c.st.fanout.record(c.idx, nowUs-m.ServerTime*1000)
			c.st.commitToReceipt.record(c.idx, nowUs-m.At*1000)
		}
		if c.onData != nil {
			c.onData(name, m.Data)
		}
	case "snapshot":
		c.mu.Lock()
		if c.snapshots == 0 {
			c.firstSeq = m.Seq
		} else if m.Seq > c.lastSeq {
			// A resume that was too old: the snapshot replaces the events it covers.
			c.covered = append(c.covered, [2]int64{c.lastSeq, m.Seq})
		}
		if m.Seq > c.lastSeq {
			c.lastSeq = m.Seq
		}
		c.checkWaitLocked()
		c.snapshots++
		if c.keep {
			c.snapshot = bytes.Clone(m.Data)
		}
		c.mu.Unlock()
		c.st.snapshots.Add(1)
	case "ack", "reject":
		id := string(m.ID)
		code := string(m.Code)
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
			if s.kind == voteCmd && code == "" && m.ServerTime > 0 {
				c.st.ackParts(c.idx, s, m.ServerTime*1000, nowUs)
			}
		}
		if w != nil {
			w <- outcome{seq: m.Seq, code: code}
		}
	case "presence":
		c.st.presence.Add(1)
	case "pong":
		c.mu.Lock()
		sent := c.pingSent
		c.mu.Unlock()
		if !sent.IsZero() {
			c.st.pong.record(c.idx, nowUs-sent.UnixMicro())
		}
	case "error":
		c.mu.Lock()
		c.errorCodes = append(c.errorCodes, string(m.Code))
		c.mu.Unlock()
		c.st.errorFrames.Add(1)
	}
}

// send writes a command; sched is when the schedule wanted it sent.
func (c *client) send(id, name string, args []byte, sched time.Time, kind cmdKind) error {
	c.mu.Lock()
	c.pending[id] = sentCmd{sched: sched, sent: time.Now(), kind: kind, name: name}
	c.mu.Unlock()
	c.smu.Lock()
	sock := c.sock
	c.smu.Unlock()
	err := liveclient.ErrNotConnected
	if sock != nil {
		err = sock.Command(id, name, args)
	}
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
	id := liveclient.NewCommandID()
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
	c.smu.Lock()
	sock := c.sock
	c.smu.Unlock()
	if sock != nil {
		sock.Ping()
	}
}

// takeSock hands over the current socket, if any, to the caller that ends it.
func (c *client) takeSock() *liveclient.Socket {
	c.smu.Lock()
	defer c.smu.Unlock()
	sock := c.sock
	c.sock = nil
	return sock
}

// drop cuts the socket without a close handshake, like a phone losing its network.
func (c *client) drop() {
	sock := c.takeSock()
	if sock != nil {
		sock.Drop()
		<-c.doneChan()
	}
}

// close says goodbye properly.
func (c *client) close() {
	sock := c.takeSock()
	if sock != nil {
		sock.Leave()
		select {
		case <-c.doneChan():
		case <-time.After(2 * time.Second):
		}
		sock.Close()
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
