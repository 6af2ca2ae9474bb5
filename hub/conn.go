package hub

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// transport is the write side of a WebSocket: *websocket.Conn in production, a fake in
// benchmarks. Only the write pump calls it, except Close, which is safe concurrently.
type transport interface {
	WriteMessage(messageType int, data []byte) error
	WritePreparedMessage(pm *websocket.PreparedMessage) error
	WriteControl(messageType int, data []byte, deadline time.Time) error
	SetWriteDeadline(t time.Time) error
	Close() error
}

// outbound is one entry of a connection's queue: a prepared message shared by many
// connections (pm), or one of the kinds of more. It is kept to four words because every
// connection's queue holds SendQueue of them from the start, used or not: with the seven
// fields it had, the queues were most of the memory of 10,000 idle connections.
type outbound struct {
	pm        *websocket.PreparedMessage // a broadcast frame shared by many connections, or nil
	more      any                        // when pm is nil: preparedBatch, replayBatch, frame, rawFrame or controlMsg
	ephemeral bool                       // may be dropped under pressure (presence, pong)
	closing   bool                       // close the connection after writing this
}

// several reports whether the entry is more than one frame (a commit's events, a replay).
func (ob outbound) several() bool {
	switch ob.more.(type) {
	case preparedBatch, replayBatch:
		return true
	}
	return false
}

// preparedBatch is the events of one commit for one connection, in order: one queue slot.
type preparedBatch []*websocket.PreparedMessage

// replayBatch is caught-up events, in order: one queue slot for all of them.
type replayBatch []Event

// rawFrame is a text message encoded for one reader (a private event).
type rawFrame []byte

// controlMsg is a control frame to write (a pong replying to the peer's ping).
type controlMsg struct {
	typ  int
	data []byte
}

// ctlQueue bounds what the read pump queues by itself (pongs, hub-level refusals).
const ctlQueue = 32

// conn is one WebSocket. Ownership:
//   - send is written and closed only by the room once the room accepted the join;
//   - ctl is written only by the read pump and never closed;
//   - quit may be closed by anyone (terminate), once; it makes the write pump stop soon;
//   - only the write pump writes to the socket.
type conn struct {
	h           *Hub
	wire        transport
	batch       *batchConn // under wire when it is a real socket: several frames, one write
	participant int64
	lang        string
	limiter     *connLimiter

	send      chan outbound
	ctl       chan outbound
	quit      chan struct{}
	quitOnce  sync.Once
	readDone  chan struct{} // closed when the read pump stopped reading; nil without one
	writeDone chan struct{}

	viewer  atomic.Pointer[Viewer] // set by the room, read by the read pump for commands
	joined  atomic.Bool            // a room accepted (or refused) this connection's join
	dropped atomic.Bool            // the room let go of it: accept no more commands
	revoked atomic.Bool            // closed by Disconnect: its viewer must not be reused

	mu        sync.Mutex
	closeCode int
	closeText string

	// Read pump only.
	room          *room
	closingQueued bool
}

func newConn(h *Hub, wire transport, participant int64, lang string) *conn {
	return &conn{
		h:           h,
		wire:        wire,
		participant: participant,
		lang:        lang,
		send:        make(chan outbound, h.cfg.SendQueue),
		ctl:         make(chan outbound, ctlQueue),
		quit:        make(chan struct{}),
		writeDone:   make(chan struct{}),
	}
}

// setClose records why the connection closes; the first reason wins.
func (c *conn) setClose(code int, text string) {
	c.mu.Lock()
	if c.closeCode == 0 {
		c.closeCode, c.closeText = code, text
	}
	c.mu.Unlock()
}

func (c *conn) closeInfo() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeCode == 0 {
		return websocket.CloseNormalClosure, ""
	}
	return c.closeCode, c.closeText
}

// terminate asks the write pump to close the connection soon, without draining send.
func (c *conn) terminate(code int, text string) {
	c.setClose(code, text)
	c.quitOnce.Do(func() { close(c.quit) })
}

// abort closes the socket at once: a write stuck on a peer that does not read must not
// hold the connection's goroutines for writeWait.
func (c *conn) abort(code int, text string) {
	c.terminate(code, text)
	c.wire.Close()
}

func (c *conn) stopping() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// writePump is the only writer of the socket.
func (c *conn) writePump() {
	defer close(c.writeDone)
	ticker := time.NewTicker(c.h.t.pingPeriod)
	defer ticker.Stop()
	for {
		// A terminated connection must not first drain a long queue.
		if c.stopping() {
			c.finish()
			return
		}
		select {
		case <-c.quit:
			c.finish()
			return
		case ob, ok := <-c.send:
			if !ok { // the room let go of this connection: send what is queued, then close
				c.finish()
				return
			}
			ok, open := c.writeQueued(ob)
			if !ok {
				c.wire.Close()
				return
			}
			if !open {
				c.finish()
				return
			}
		case ob := <-c.ctl:
			if !c.write(ob) {
				c.wire.Close()
				return
			}
			if ob.closing {
				c.finish()
				return
			}
		case <-ticker.C:
			err := c.wire.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.t.writeWait))
			if err != nil {
				c.wire.Close()
				return
			}
		}
	}
}

// writeBatch bounds how many queue entries one socket write gathers.
const writeBatch = 32

// writeQueued writes ob and what else is already queued (up to writeBatch entries) in one
// socket write. ok is false when the socket is broken; open is false when the room closed
// send meanwhile (everything it queued has then been written).
func (c *conn) writeQueued(ob outbound) (ok, open bool) {
	// A single frame alone in the queue (a tally to an idle member, the common case) is
	// written as is: gathering it would only copy it.
	if c.batch == nil || len(c.send) == 0 && !ob.several() {
		return c.write(ob), true
	}
	c.batch.hold()
	ok, open = c.write(ob), true
gather:
	for n := 1; ok && n < writeBatch; n++ {
		select {
		case next, more := <-c.send:
			if !more {
				open = false
				break gather
			}
			ok = c.write(next)
		default:
			break gather
		}
	}
	if c.batch.release() != nil {
		ok = false
	}
	return ok, open
}

// write sends one queue entry; false means the socket is broken.
func (c *conn) write(ob outbound) bool {
	ww := c.h.t.writeWait
	if err := c.wire.SetWriteDeadline(time.Now().Add(ww)); err != nil {
		return false
	}
	if ob.pm != nil {
		return c.wire.WritePreparedMessage(ob.pm) == nil
	}
	switch m := ob.more.(type) {
	case preparedBatch:
		for i, pm := range m {
			if i > 0 {
				if err := c.wire.SetWriteDeadline(time.Now().Add(ww)); err != nil {
					return false
				}
			}
			if err := c.wire.WritePreparedMessage(pm); err != nil {
				return false
			}
		}
		return true
	case frame:
		return c.wire.WriteMessage(websocket.TextMessage, encodeFrame(m, c.h.nowMs())) == nil
	case rawFrame:
		return c.wire.WriteMessage(websocket.TextMessage, m) == nil
	case controlMsg:
		return c.wire.WriteControl(m.typ, m.data, time.Now().Add(ww)) == nil
	case replayBatch:
		for i := range m {
			// A fresh deadline per event: a long catch-up is many messages, not one.
			if err := c.wire.SetWriteDeadline(time.Now().Add(ww)); err != nil {
				return false
			}
			b := encodeFrame(newEventFrame(&m[i]), c.h.nowMs())
			if err := c.wire.WriteMessage(websocket.TextMessage, b); err != nil {
				return false
			}
		}
	}
	return true
}

// finish says the last words (refusals and the error frame queued by the read pump),
// sends the close frame, waits briefly for the peer's close so that its reply is not
// lost to a reset, and closes the socket.
func (c *conn) finish() {
	defer c.wire.Close()
	if !c.stopping() {
		c.drainSend()
	}
	c.drainCtl()
	code, text := c.closeInfo()
	ww := c.h.t.writeWait
	_ = c.wire.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(ww))
	if c.readDone != nil {
		t := time.NewTimer(c.h.t.closeGrace)
		defer t.Stop()
		select {
		case <-c.readDone:
		case <-t.C:
		}
	}
}

// drainSend writes what the room queued before closing send (acks during a shutdown).
func (c *conn) drainSend() {
	for {
		select {
		case ob, ok := <-c.send:
			if !ok || !c.write(ob) {
				return
			}
		default:
			return // send is still open: the room did not close it, quit did
		}
	}
}

func (c *conn) drainCtl() {
	for {
		select {
		case ob := <-c.ctl:
			if ob.ephemeral {
				continue
			}
			if !c.write(ob) || ob.closing {
				return
			}
		default:
			return
		}
	}
}

// queueCtl queues a frame from the read pump. Past half full, ephemeral frames are
// dropped; when full, the peer sends faster than it reads its own refusals, and is cut.
func (c *conn) queueCtl(ob outbound) bool {
	if ob.ephemeral && len(c.ctl) >= cap(c.ctl)/2 {
		return true
	}
	select {
	case c.ctl <- ob:
		return true
	default:
		c.terminate(websocket.ClosePolicyViolation, "rate limit")
		return false
	}
}
