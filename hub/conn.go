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

// outbound is one entry of a connection's queue; exactly one of pm, pms, f, replay or
// control is set.
type outbound struct {
	pm        *websocket.PreparedMessage   // a broadcast frame shared by many connections
	pms       []*websocket.PreparedMessage // the events of one commit, in order: one slot
	f         frame                        // a frame for this connection only
	replay    []Event                      // caught-up events, in order, one queue slot for all
	control   int                          // a control frame type (pong reply), with data
	data      []byte                       // control payload
	ephemeral bool                         // may be dropped under pressure (presence, pong)
	closing   bool                         // close the connection after writing this
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
			if !c.write(ob) {
				c.wire.Close()
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

// write sends one queue entry; false means the socket is broken.
func (c *conn) write(ob outbound) bool {
	ww := c.h.t.writeWait
	if err := c.wire.SetWriteDeadline(time.Now().Add(ww)); err != nil {
		return false
	}
	switch {
	case ob.pm != nil:
		return c.wire.WritePreparedMessage(ob.pm) == nil
	case ob.pms != nil:
		for i, pm := range ob.pms {
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
	case ob.f != nil:
		return c.wire.WriteMessage(websocket.TextMessage, encodeFrame(ob.f, c.h.nowMs())) == nil
	case ob.control != 0:
		return c.wire.WriteControl(ob.control, ob.data, time.Now().Add(ww)) == nil
	}
	for i := range ob.replay {
		// A fresh deadline per event: a long catch-up is many messages, not one.
		if err := c.wire.SetWriteDeadline(time.Now().Add(ww)); err != nil {
			return false
		}
		b := encodeFrame(newEventFrame(&ob.replay[i]), c.h.nowMs())
		if err := c.wire.WriteMessage(websocket.TextMessage, b); err != nil {
			return false
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
