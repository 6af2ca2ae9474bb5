package hub

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire"
)

// readPump runs on a goroutine of its own for the connection's life: hello, join, then one
// message at a time. It is the only goroutine of an idle connection.
//
// The pump idles for hours in gorilla's read path, where the collector cannot shrink its
// stack: whatever size the stack grew to, it keeps. So the pump itself only reads and
// answers pings, the one message an idle client sends, in a few shallow calls; the join
// (a database query, perhaps a room to open) and every other message (JSON to decode, a
// refusal to encode) run on the hub's workers (pool.run) while the pump waits, which
// keeps the connection's messages in order.
func (c *conn) readPump(ws *websocket.Conn) {
	defer close(c.readDone)
	t := c.h.t
	ws.SetReadLimit(c.h.cfg.MaxMessageBytes)
	// Control frames go through the outbox like everything else (package wire).
	ws.SetPingHandler(func(data string) error {
		c.out.Pong([]byte(data))
		return nil
	})
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(t.deadline(t.pongWait)) })
	ws.SetCloseHandler(func(code int, _ string) error {
		if code == websocket.CloseNoStatusReceived || code == websocket.CloseAbnormalClosure {
			code = websocket.CloseNormalClosure
		}
		c.out.SetClose(code, "") // echoed by the close frame
		return nil
	})

	ws.SetReadDeadline(t.deadline(t.helloWait))
	if !c.hello(ws) {
		if c.closingQueued {
			c.linger(ws)
		}
		return
	}
	for {
		asked := time.Now()
		typ, r, err := ws.NextReader()
		if err != nil {
			c.readFailed(ws, err)
			return
		}
		// How long the client kept the pump waiting says whether it had caught up with
		// the socket (ratelimit.go): messages read from a backlog are not a burst.
		if time.Since(asked) >= c.limiter.caughtUp {
			c.limiter.settle(c.h.cfg.Now())
		}
		// The buffer is taken once a message has begun, not while waiting for one: an
		// idle connection holds none.
		buf := readBufs.Get().(*[]byte)
		data, err := readAll(r, (*buf)[:0])
		if err != nil {
			readBufs.Put(buf)
			c.readFailed(ws, err)
			return
		}
		ws.SetReadDeadline(t.deadline(t.pongWait))
		ok := c.handle(typ, data)
		// handle keeps nothing of data (the decoders copy what they keep): the buffer
		// serves the next message of any connection.
		if cap(data) <= maxPooledRead {
			*buf = data[:0]
		}
		readBufs.Put(buf)
		if !ok {
			c.linger(ws)
			return
		}
	}
}

// maxPooledRead bounds the read buffers kept for reuse: a rare large message does not
// pin its size in the pool.
const maxPooledRead = 4 << 10

// readBufs holds the buffers messages are read into: one per message being handled, not
// one per connection.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// readAll is io.ReadAll appending to b (websocket.Conn.ReadMessage allocates a slice for
// every message).
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// hello reads the first message, which must be a hello, and joins the room.
func (c *conn) hello(ws *websocket.Conn) bool {
	typ, data, err := ws.ReadMessage()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.fail(websocket.ClosePolicyViolation, "hello expected", CodeNotJoined)
			return false
		}
		c.readFailed(ws, err)
		return false
	}
	var joined bool
	c.h.joiners.run(func() { joined = c.helloJoin(typ, data) })
	if !joined {
		return false
	}
	ws.SetReadDeadline(c.h.t.deadline(c.h.t.pongWait))
	return true
}

// helloJoin checks the hello message and joins.
func (c *conn) helloJoin(typ int, data []byte) bool {
	if typ != websocket.TextMessage || !utf8.Valid(data) {
		c.fail(websocket.CloseInvalidFramePayloadData, "invalid message", CodeBadMessage)
		return false
	}
	m, err := DecodeClientMessage(data)
	if err != nil {
		var pe *ProtocolError
		errors.As(err, &pe)
		c.fail(websocket.ClosePolicyViolation, pe.Reason, pe.Code)
		return false
	}
	if m.Type != "hello" {
		c.fail(websocket.ClosePolicyViolation, "hello expected", CodeNotJoined)
		return false
	}
	return c.join(m)
}

// join finds out who the participant is in the workshop and hands the connection to the
// room, starting the room if needed. The viewer is read before the room is started so
// that a forbidden hello never opens a room.
func (c *conn) join(m ClientMessage) bool {
	h := c.h
	if h.closing.Load() {
		c.fail(websocket.CloseGoingAway, "going away", CodeShuttingDown)
		return false
	}
	ctx, cancel := context.WithTimeout(h.hardCtx, joinWait)
	defer cancel()
	gen := h.viewerGen.Load()
	// Someone who left this room moments ago is who they were (rejoin.go): a room coming
	// back at once must not ask the database about each of its members again.
	v, recent := h.recent.recall(m.Workshop, c.participant, gen, h.cfg.Now())
	if !recent {
		var err error
		v, err = h.cfg.Backend.Viewer(ctx, m.Workshop, c.participant)
		switch {
		case errors.Is(err, ErrForbidden):
			c.fail(websocket.ClosePolicyViolation, "forbidden", CodeForbidden)
			return false
		case err != nil:
			h.log.Error("hub: viewer", slog.Int64("workshop", m.Workshop), slog.Any("err", err))
			c.fail(websocket.CloseInternalServerErr, "unavailable", CodeUnavailable)
			return false
		}
	}
	v.Participant = c.participant // the authenticated id, whatever the Backend echoed
	if v.Language == "" {
		v.Language = c.lang
	}
	c.viewer.Store(&v)
	for {
		r, err := h.room(ctx, m.Workshop) // may Open the room
		if errors.Is(err, errClosing) {
			c.fail(websocket.CloseGoingAway, "going away", CodeShuttingDown)
			return false
		}
		if err != nil {
			h.log.Error("hub: open room", slog.Int64("workshop", m.Workshop), slog.Any("err", err))
			c.fail(websocket.CloseInternalServerErr, "unavailable", CodeUnavailable)
			return false
		}
		select {
		case r.joins <- joinReq{c: c, v: v, gen: gen, since: m.Since, epoch: m.Epoch}:
			c.room = r
			c.joined.Store(true)
			return true
		case <-r.done:
			// The room stopped between lookup and join (idle timeout or shutdown); the
			// next lookup starts a fresh one or reports the shutdown.
		case <-ctx.Done():
			c.fail(websocket.CloseInternalServerErr, "unavailable", CodeUnavailable)
			return false
		case <-c.out.Quit():
			return false
		}
	}
}

// pingMessage is the client's ping as clients send it: recognised without decoding.
var pingMessage = []byte(`{"type":"ping"}`)

// handle processes one message of a joined connection; false means stop reading. A
// well-formed ping is answered on the pump; the rest runs on a worker (see readPump).
func (c *conn) handle(typ int, data []byte) bool {
	if c.out.Stopping() || c.dropped.Load() { // closing: accept nothing more from this socket
		return false
	}
	var ok bool
	if typ == websocket.TextMessage && bytes.Equal(data, pingMessage) {
		// As handleMessage would, without decoding.
		now := c.h.cfg.Now()
		switch {
		case !c.limiter.flood.take(now):
			c.h.readers.run(func() { c.fail(websocket.ClosePolicyViolation, "rate limit", CodeRateLimited) })
			return false
		case !c.limiter.allow(now):
			c.h.readers.run(func() { ok = c.refuse("", CodeRateLimited, "") })
			return ok
		}
		return c.out.Reply(wire.Entry{Later: &pongFrame{Type: "pong"}, Ephemeral: true})
	}
	var full *cmdReq
	c.h.readers.run(func() { ok, full = c.handleMessage(typ, data) })
	if ok && full != nil {
		return c.awaitRoom(*full)
	}
	return ok
}

// awaitRoom waits, on the pump, for room in the committer's queue: a burst that fills the
// queue makes commands wait a little rather than be refused at once. The pump waits and
// its worker does not, so other connections go on being served; this connection's next
// messages wait behind the command, which keeps them in order. Past CommandWait the command
// is refused busy (the client resends it later with the same id), and so, for another
// CommandWait, is each next command of the connection that finds the queue full: under a
// sustained overload its commands are answered within about CommandWait of being read,
// instead of each adding its wait to those queued behind it.
func (c *conn) awaitRoom(req cmdReq) bool {
	r := c.room
	code, quit := CodeBusy, false
	if time.Now().UnixNano() >= c.shedUntil {
		t := time.NewTimer(c.h.cfg.CommandWait)
		c.h.stats.waited.Add(1)
		c.h.stats.waiting.Add(1)
		select {
		case r.inbox <- req:
			code = ""
		case <-t.C:
			c.shedUntil = time.Now().Add(c.h.cfg.CommandWait).UnixNano()
		case <-r.stopCommit:
			code = CodeShuttingDown
		case <-c.out.Quit():
			code, quit = "", true
		}
		t.Stop()
		c.h.stats.waiting.Add(-1)
	}
	if code == "" {
		return !quit
	}
	var ok bool
	c.h.readers.run(func() {
		c.h.cfg.Observer.Command(req.cmd.Name, code)
		ok = c.refuse(req.cmd.ID, code, "")
	})
	return ok
}

// handleMessage is handle for every message but a well-formed ping. A command that finds
// the room's queue full comes back as full, for the pump to wait with (awaitRoom).
func (c *conn) handleMessage(typ int, data []byte) (ok bool, full *cmdReq) {
	if typ != websocket.TextMessage {
		return c.refuse("", CodeBadMessage, "text frames only"), nil
	}
	if !utf8.Valid(data) {
		c.fail(websocket.CloseInvalidFramePayloadData, "invalid UTF-8", CodeBadMessage)
		return false, nil
	}
	now := c.h.cfg.Now()
	// Flooding is judged before decoding so that a flood costs as little as possible.
	if !c.limiter.flood.take(now) {
		c.fail(websocket.ClosePolicyViolation, "rate limit", CodeRateLimited)
		return false, nil
	}
	m, err := DecodeClientMessage(data)
	if !c.limiter.allow(now) {
		return c.refuse(m.ID, CodeRateLimited, ""), nil
	}
	if err != nil {
		var pe *ProtocolError
		errors.As(err, &pe)
		return c.refuse(m.ID, pe.Code, pe.Reason), nil
	}
	switch m.Type {
	case "ping":
		return c.out.Reply(wire.Entry{Later: &pongFrame{Type: "pong"}, Ephemeral: true}), nil
	case "hello":
		return c.refuse("", CodeBadMessage, "already joined"), nil
	}
	if c.h.closing.Load() {
		c.h.cfg.Observer.Command(m.Name, CodeShuttingDown)
		return c.refuse(m.ID, CodeShuttingDown, ""), nil
	}
	req := cmdReq{c: c, cmd: Command{ID: m.ID, Name: m.Name, Args: m.Args, By: *c.viewer.Load()}, at: time.Now()}
	switch code := c.room.submit(req); code {
	case "":
	case CodeBusy:
		return true, &req
	default:
		c.h.cfg.Observer.Command(m.Name, code)
		return c.refuse(m.ID, code, ""), nil
	}
	return true, nil
}

// refuse answers a message with a reject; false when the connection is being cut.
func (c *conn) refuse(id, code, detail string) bool {
	return c.out.Reply(wire.Entry{Later: &rejectFrame{
		Type: "reject", ID: id, Code: code, Message: c.h.translate(c.language(), code), Detail: detail,
	}})
}

// language is the one the socket was opened with (ServeWS: the server resolved the person's
// current choice); the viewer's registered language only when the socket came without one.
func (c *conn) language() string {
	if c.lang != "" {
		return c.lang
	}
	if v := c.viewer.Load(); v != nil {
		return v.Language
	}
	return ""
}

// fail queues an error frame and a close with code; the read pump then stops reading.
func (c *conn) fail(code int, text, errCode string) {
	c.out.SetClose(code, text)
	ef := &errorFrame{Type: "error", Code: errCode, Message: c.h.translate(c.language(), errCode)}
	if c.out.Reply(wire.Entry{Later: ef, Last: true}) {
		c.closingQueued = true
	}
}

// readFailed records why reading stopped.
func (c *conn) readFailed(ws *websocket.Conn, err error) {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		// The peer closed; the close handler recorded its code.
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla already sent close 1009; record it for conn.finish, then drain what
		// is left of the oversized frame so that closing does not reset the connection.
		c.out.SetClose(websocket.CloseMessageTooBig, "message too large")
		c.linger(ws)
	case errors.As(err, &ne) && ne.Timeout():
		c.out.SetClose(websocket.CloseGoingAway, "timeout")
	}
}

// linger keeps reading (and discarding) for a moment after the server decided to close,
// so that the peer's unread bytes do not turn our close into a TCP reset that would
// destroy the close frame (and error frame) before the peer reads them.
func (c *conn) linger(ws *websocket.Conn) {
	deadline := time.Now().Add(c.h.t.closeGrace)
	ws.SetReadDeadline(deadline)
	for {
		if _, _, err := ws.NextReader(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return // the close handshake is complete
			}
			break
		}
	}
	nc := ws.NetConn()
	nc.SetReadDeadline(deadline)
	io.Copy(io.Discard, nc)
}
