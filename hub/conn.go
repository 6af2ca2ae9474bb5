package hub

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// outbound is one entry of a connection's outbox: a frame shared by many connections
// (wf), or one of the kinds of more. Four words.
type outbound struct {
	wf   *wireFrame // a complete frame, encoded once for its audience, or nil
	more any        // when wf is nil: wireBatch, replayBatch, frame or rawBytes
	// ephemeral entries may be dropped under pressure (presence, pong, ping).
	ephemeral bool
	// closing (read side): close the connection once this and what is queued is written.
	closing bool
	// ctl: queued by the read side (or the pinger), counted against ctlQueue.
	ctl bool
	// partial: the rest of a frame of which some bytes are already on the wire; it is
	// written whatever happens next, or the stream would be corrupt.
	partial bool
}

// bytesAsIs returns the entry's bytes when it is already one complete piece to write.
func (ob outbound) bytesAsIs() ([]byte, bool) {
	if ob.wf != nil {
		return ob.wf.b, true
	}
	if b, ok := ob.more.(rawBytes); ok {
		return b, true
	}
	return nil, false
}

// heavy entries are encoded by the writer goroutine, never by whoever queues them: a
// snapshot or a replay is long to encode, and the room must not do it for its members.
func (ob outbound) heavy() bool {
	switch ob.more.(type) {
	case replayBatch, *snapshotFrame:
		return true
	}
	return false
}

// wireBatch is the events of one commit for one connection, in order: one queue slot.
type wireBatch []*wireFrame

// replayBatch is caught-up events, in order: one queue slot for all of them.
type replayBatch []Event

// rawBytes are bytes to write as they are: the rest of a frame a direct write began, a
// control frame, a frame gorilla wrote from the read side.
type rawBytes []byte

// ctlQueue bounds what the read side queues by itself (pongs, hub-level refusals).
const ctlQueue = 32

// writeBatch bounds how many outbox entries one socket write gathers.
const writeBatch = 32

// batchFlushBytes: a writer writes out early past this, so that a long replay is several
// writes, each with a fresh deadline, and never one huge buffer.
const batchFlushBytes = 32 << 10

var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

func getWriteBuf() *[]byte { return writeBufs.Get().(*[]byte) }

func putWriteBuf(b *[]byte) {
	if b != nil && cap(*b) <= 64<<10 { // do not keep what a rare burst grew
		*b = (*b)[:0]
		writeBufs.Put(b)
	}
}

// conn is one WebSocket.
//
// Its write side is an outbox, not a goroutine. Whoever has something for the socket (the
// room's fan-out, the read pump's pong or refusal, the pinger) takes the outbox's lock.
// When the outbox is empty and nobody is writing, it becomes the writer itself and writes
// the frame with a non-blocking write: in the common case (a tally to a member whose
// socket has room) the frame is on the wire and no goroutine was woken. When the socket
// is full, or someone is writing already, the entry waits in the outbox; a writer goroutine
// exists only while there is a backlog, writes it with ordinary blocking writes under the
// write deadline, and exits when the outbox is empty. An idle connection thus has one
// goroutine, its read pump.
//
// Ownership: writing is true while exactly one goroutine (a direct writer or the writer
// goroutine) owns the socket's write side; only it writes to the socket and removes
// entries from the front of the outbox. Entries are added at the back, in the order they
// were queued, under mu; bytes of two frames never interleave.
type conn struct {
	h           *Hub
	wire        transport
	participant int64
	lang        string
	limiter     *connLimiter
	shard       uint32 // spreads the room's direct writes over goroutines (flushOut)
	tracked     bool   // registered with the hub: the write side's end is counted in connWG

	quit      chan struct{} // closed by terminate
	quitOnce  sync.Once
	readDone  chan struct{} // closed when the read pump stopped reading; nil without one
	writeDone chan struct{} // closed when the write side is over (socket closed)
	pinger    *time.Timer   // pings the peer every pingPeriod; nil without a read pump
	ended     atomic.Bool
	closeSent atomic.Bool // gorilla wrote a close frame from the read side

	viewer  atomic.Pointer[Viewer] // set by the room, read by the read pump for commands
	joined  atomic.Bool            // a room accepted (or refused) this connection's join
	dropped atomic.Bool            // the room let go of it: accept no more commands
	revoked atomic.Bool            // closed by Disconnect: its viewer must not be reused

	mu        sync.Mutex
	closeCode int
	closeText string
	// The outbox: a ring of n entries from head; nil when empty. Up to two entries (the
	// usual: a voter's event and ack, a tally) live in inline, without an allocation.
	q       []outbound
	inline  [2]outbound
	head, n int
	nRoom   int  // entries queued by the room (bounded by SendQueue)
	nCtl    int  // entries queued by the read side (bounded by ctlQueue)
	writing bool // someone owns the write side (see above)
	// claimedBy: the write side belongs to a claim of the room's (flushOut) that has not
	// written yet; 0 = none. A large delivery's background writer may take a while to come:
	// whoever queues an entry meanwhile takes the backlog over and writes it at once (put,
	// or a later claim), so that an ack never waits for a tally's turn through the room.
	claimedBy uint64
	full      bool // the room found the outbox full: it evicts, nothing more from it
	// closeReq: the room let go (or the read side queued its last words): write what
	// is queued, then the close frame. quitting: terminate: write only what must be
	// written (read-side frames, the rest of a begun frame), then the close frame.
	closeReq, quitting bool
	done               bool // the close frame is going out or the socket failed: accept nothing

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
		shard:       uint32(h.connSeq.Add(1)),
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

// terminate closes the connection soon, without writing what the room queued: what the
// read side queued, then the close frame.
func (c *conn) terminate(code int, text string) {
	c.setClose(code, text)
	c.quitOnce.Do(func() { close(c.quit) })
	c.mu.Lock()
	c.quitting = true
	c.startWriterLocked()
	c.mu.Unlock()
}

// abort closes the socket at once: a write stuck on a peer that does not read must not
// hold the connection for writeWait.
func (c *conn) abort(code int, text string) {
	c.terminate(code, text)
	c.wire.Close()
}

// closeGraceful is the room letting go: what is queued is written, then the close frame.
func (c *conn) closeGraceful() {
	c.mu.Lock()
	c.closeReq = true
	c.startWriterLocked()
	c.mu.Unlock()
}

func (c *conn) stopping() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// offer queues an entry of the room without blocking. Past half full, ephemeral entries
// are dropped (true: nothing is wrong); when full, it reports false, and keeps refusing:
// the caller evicts the connection, and nothing may go out after a gap.
func (c *conn) offer(ob outbound) bool {
	c.mu.Lock()
	if take, ok := c.admitLocked(ob); !take {
		c.mu.Unlock()
		return ok
	}
	c.put(ob) // unlocks
	return true
}

// offerLater is offer without the write: ob is queued, and the claim by (the room's,
// never 0) owns the write side when nobody else writes: claimed then says the claimant
// must call drainClaimed. A claim not written yet is taken over.
func (c *conn) offerLater(ob outbound, by uint64) (ok, claimed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if take, ok := c.admitLocked(ob); !take {
		return ok, false
	}
	c.pushLocked(ob, false)
	switch {
	case c.claimedBy == by:
		return true, false // queued behind this claim's earlier entries
	case c.claimedBy != 0:
		c.claimedBy = by // an earlier claim, not written yet: this one writes it all
		return true, true
	case c.writing || c.done || c.quitting || !c.wire.nonBlocking():
		c.startWriterLocked() // an owner is there already, or this socket needs the writer
		return true, false
	}
	c.writing, c.claimedBy = true, by
	return true, true
}

// admitLocked applies the outbox's bounds to an entry of the room: take it, or not, and
// then whether all is well (false: full, evict).
func (c *conn) admitLocked(ob outbound) (take, ok bool) {
	if c.full {
		return false, false
	}
	if c.done || c.closeReq || c.quitting {
		return false, true // the connection is closing: nothing more from the room goes out
	}
	limit := c.h.cfg.SendQueue
	if ob.ephemeral && c.nRoom >= limit/2 {
		return false, true
	}
	if c.nRoom >= limit {
		c.full = true
		return false, false
	}
	return true, true
}

// queueCtl queues a frame from the read side. Past half full, ephemeral frames are
// dropped; when full, the peer sends faster than it reads its own refusals, and is cut.
func (c *conn) queueCtl(ob outbound) bool {
	ob.ctl = true
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return true
	}
	if ob.ephemeral && c.nCtl >= ctlQueue/2 {
		c.mu.Unlock()
		return true
	}
	if c.nCtl >= ctlQueue {
		c.mu.Unlock()
		c.terminate(websocket.ClosePolicyViolation, "rate limit")
		return false
	}
	if ob.closing {
		c.closeReq = true // these are the last words: the close frame follows them
	}
	c.put(ob)
	return true
}

// queueRaw queues a frame gorilla wrote by itself from the read side (see sockConn).
func (c *conn) queueRaw(p []byte) {
	if len(p) > 0 && int(p[0]&0x0f) == opClose {
		c.closeSent.Store(true)
	}
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	c.put(outbound{more: rawBytes(bytes.Clone(p)), ctl: true})
}

// ping is the pinger's: a ping frame every pingPeriod, so that the peer's pong keeps the
// read deadline of a quiet connection alive. One timer per connection, no goroutine
// between pings.
func (c *conn) ping() {
	c.mu.Lock()
	if c.done || c.closeReq || c.quitting {
		c.mu.Unlock()
		return
	}
	if c.nCtl >= ctlQueue/2 {
		c.mu.Unlock() // backed up: the last pings have not gone out yet
	} else {
		c.put(outbound{more: rawBytes(pingFrame), ctl: true, ephemeral: true})
	}
	c.pinger.Reset(c.h.t.pingPeriod)
}

// startPinger arms the pinger; the write side's end stops it.
func (c *conn) startPinger() {
	// Armed only once c.pinger is set: ping uses it.
	c.pinger = time.AfterFunc(time.Hour, c.ping)
	c.pinger.Reset(c.h.t.pingPeriod)
}

// put adds ob, or writes it at once when the outbox is empty and nobody is writing.
// Called with mu held; returns with it released.
func (c *conn) put(ob outbound) {
	if c.claimedBy != 0 {
		// A claim of the room's has not written its backlog yet: write it and ob now
		// rather than wait for it. Not on the read side, though: the backlog may hold
		// frames to encode, which would grow the read pump's stack for good (read.go); the
		// writer goroutine does it.
		c.claimedBy = 0
		c.pushLocked(ob, false)
		if ob.ctl {
			c.spawnWriterLocked()
			c.mu.Unlock()
			return
		}
		c.drainLocked()
		return
	}
	if !c.writing && c.n == 0 && !c.quitting && c.wire.nonBlocking() && !ob.heavy() {
		c.writing = true
		c.mu.Unlock()
		c.writeDirect(ob)
		return
	}
	c.pushLocked(ob, false)
	c.startWriterLocked()
	c.mu.Unlock()
}

// pushLocked adds ob at the back of the outbox (at the front: the rest of a direct write).
func (c *conn) pushLocked(ob outbound, front bool) {
	if c.q == nil {
		c.q = c.inline[:]
	}
	if c.n == len(c.q) {
		q := make([]outbound, max(4, 2*len(c.q)))
		for i := range c.n {
			q[i] = c.q[(c.head+i)%len(c.q)]
		}
		clear(c.q) // the inline entries, if these were they, must not keep frames alive
		c.q, c.head = q, 0
	}
	if front {
		c.head = (c.head - 1 + len(c.q)) % len(c.q)
		c.q[c.head] = ob
	} else {
		c.q[(c.head+c.n)%len(c.q)] = ob
	}
	c.n++
	if ob.ctl {
		c.nCtl++
	} else {
		c.nRoom++
	}
}

// peekLocked copies up to len(dst) entries from the front; they stay in the outbox (and
// count against its bounds) until popLocked, after they are written.
func (c *conn) peekLocked(dst []outbound) int {
	k := min(c.n, len(dst))
	for i := range k {
		dst[i] = c.q[(c.head+i)%len(c.q)]
	}
	return k
}

func (c *conn) popLocked(k int) {
	for range k {
		ob := c.q[c.head]
		c.q[c.head] = outbound{}
		c.head = (c.head + 1) % len(c.q)
		c.n--
		if ob.ctl {
			c.nCtl--
		} else {
			c.nRoom--
		}
	}
	if c.n == 0 {
		c.q, c.head = nil, 0 // an idle connection holds no queue
	}
}

// purgeLocked keeps what a terminated connection still writes: the rest of a begun
// frame, and what the read side queued (refusals, its error frame), ephemeral excepted.
func (c *conn) purgeLocked() {
	kept := 0
	for i := range c.n {
		ob := c.q[(c.head+i)%len(c.q)]
		if ob.partial || ob.ctl && !ob.ephemeral {
			c.q[(c.head+kept)%len(c.q)] = ob
			kept++
		} else if ob.ctl {
			c.nCtl--
		} else {
			c.nRoom--
		}
	}
	for i := kept; i < c.n; i++ {
		c.q[(c.head+i)%len(c.q)] = outbound{}
	}
	c.n = kept
	if c.n == 0 {
		c.q, c.head = nil, 0
	}
}

// finish says goodbye: the close frame (unless gorilla already sent one), a short wait
// for the peer's close so that its reply is not lost to a reset, and the socket closed.
// The caller owns the write side and has set done.
func (c *conn) finish() {
	if !c.closeSent.Load() {
		code, text := c.closeInfo()
		_ = c.wire.writeAll(closeFrame(code, text), time.Now().Add(c.h.t.writeWait))
	}
	if c.readDone != nil {
		t := time.NewTimer(c.h.t.closeGrace)
		select {
		case <-c.readDone:
		case <-t.C:
		}
		t.Stop()
	}
	c.wire.Close()
	c.end()
}

// broken ends the write side of a socket that failed: closed at once, nothing more
// written. The caller owns the write side.
func (c *conn) broken() {
	c.wire.Close()
	c.end()
}

// end records that the write side is over, once.
func (c *conn) end() {
	if !c.ended.CompareAndSwap(false, true) {
		return
	}
	c.mu.Lock()
	c.done, c.writing, c.claimedBy = true, true, 0
	c.q, c.head, c.n, c.nRoom, c.nCtl = nil, 0, 0, 0, 0
	clear(c.inline[:])
	c.mu.Unlock()
	if c.pinger != nil {
		c.pinger.Stop()
	}
	close(c.writeDone)
	if c.tracked {
		c.h.connWG.Done()
	}
}

// queued is how many entries wait in the outbox (tests).
func (c *conn) queued() (room, ctl int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nRoom, c.nCtl
}
