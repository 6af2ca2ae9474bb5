package wire

import (
	"bytes"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Options are shared by every connection of a hub.
type Options struct {
	Queue      int           // entries of the room an outbox holds (see the package comment)
	WriteWait  time.Duration // time allowed for one blocking write
	CloseGrace time.Duration // how long a closing connection waits for the read side to end
	PingPeriod time.Duration // a ping this often keeps a quiet peer's pongs coming
	Now        func() int64  // server time in Unix milliseconds, stamped into Payloads
	Log        *slog.Logger

	partial atomic.Int64
}

// PartialWrites counts the non-blocking writes the socket took only part of.
func (o *Options) PartialWrites() int64 { return o.partial.Load() }

// Entry is one slot of an outbox. Four words.
type Entry struct {
	Frame *Frame  // a complete frame shared by its audience, or nil
	Later Payload // when Frame is nil: encoded when written
	// Ephemeral entries may be dropped under pressure (presence, pongs, pings).
	Ephemeral bool
	// Heavy entries (a snapshot, a catch-up) are long to encode: only the writer goroutine
	// encodes them, never whoever queues them.
	Heavy bool
	// Last (read side): close the connection once this and what is queued is written.
	Last bool
	// ctl: queued by the read side or the pinger, counted against ctlQueue.
	ctl bool
	// partial: the rest of a frame of which some bytes are already on the wire.
	partial bool
}

// bytesAsIs returns the entry's bytes when it is already one complete piece to write.
func (e Entry) bytesAsIs() ([]byte, bool) {
	if e.Frame != nil {
		return e.Frame.b, true
	}
	if b, ok := e.Later.(Raw); ok {
		return b, true
	}
	return nil, false
}

func (e Entry) heavy() bool { return e.Heavy }

// ctlQueue bounds what the read side queues by itself (pongs, refusals).
const ctlQueue = 32

// writeBatch bounds how many outbox entries one socket write gathers.
const writeBatch = 32

// batchFlushBytes: a writer writes out early past this, so that a long catch-up is several
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

// Conn is the write side of one WebSocket: an outbox, not a goroutine (see the package
// comment for who owns what). A Conn is set up with Init and must not be copied.
type Conn struct {
	o        *Options
	t        Transport
	ended    *sync.WaitGroup // Done once the write side is over; nil: not tracked
	readDone <-chan struct{} // closed when the read side stopped; nil without one

	quit      chan struct{} // closed by Terminate
	quitOnce  sync.Once
	writeDone chan struct{} // closed when the write side is over (socket closed)
	pinger    *time.Timer   // pings the peer every PingPeriod; nil until StartPinger
	over      atomic.Bool   // the write side is over (end ran)
	closeSent atomic.Bool   // gorilla wrote a close frame from the read side

	mu        sync.Mutex
	closeCode int
	closeText string
	// The outbox: a ring of n entries from head; nil when empty. Up to two entries (the
	// usual: a voter's event and ack, a tally) live in inline, without an allocation.
	q       []Entry
	inline  [2]Entry
	head, n int
	nRoom   int  // entries offered by the room (bounded by Options.Queue)
	nCtl    int  // entries queued by the read side (bounded by ctlQueue)
	writing bool // the write side has an owner
	// claimedBy: the write side belongs to a claim (OfferClaimed) that has not written yet.
	claimedBy          uint64
	full               bool // the outbox overflowed: evict, accept nothing more from the room
	closeReq, quitting bool // Close / Terminate asked (see the package comment)
	done               bool // the close frame is going out or the socket failed
}

// Init sets c up over t. readDone, when not nil, is closed when the read side stops
// reading; ended, when not nil, is Done once when the write side is over.
func (c *Conn) Init(t Transport, o *Options, readDone <-chan struct{}, ended *sync.WaitGroup) {
	c.o, c.t, c.readDone, c.ended = o, t, readDone, ended
	c.quit = make(chan struct{})
	c.writeDone = make(chan struct{})
}

// Transport is what c writes to.
func (c *Conn) Transport() Transport { return c.t }

// Quit is closed by Terminate: the connection is going, accept nothing more from it.
func (c *Conn) Quit() <-chan struct{} { return c.quit }

// Stopping reports whether Quit is closed.
func (c *Conn) Stopping() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// Done is closed when the write side is over: the socket is closed.
func (c *Conn) Done() <-chan struct{} { return c.writeDone }

// SetClose records the code and text of the close frame; the first reason wins.
func (c *Conn) SetClose(code int, text string) {
	c.mu.Lock()
	if c.closeCode == 0 {
		c.closeCode, c.closeText = code, text
	}
	c.mu.Unlock()
}

// CloseReason is the code and text the close frame carries (or will).
func (c *Conn) CloseReason() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeCode == 0 {
		return websocket.CloseNormalClosure, ""
	}
	return c.closeCode, c.closeText
}

// Terminate closes the connection soon, without writing what the room queued: what the
// read side queued, the rest of a begun frame, then the close frame.
func (c *Conn) Terminate(code int, text string) {
	c.SetClose(code, text)
	c.quitOnce.Do(func() { close(c.quit) })
	c.mu.Lock()
	c.quitting = true
	c.startWriterLocked()
	c.mu.Unlock()
}

// Abort is Terminate that also closes the socket at once.
func (c *Conn) Abort(code int, text string) {
	c.Terminate(code, text)
	c.t.Close()
}

// Close is the room letting go: what is queued is written, then the close frame.
func (c *Conn) Close() {
	c.mu.Lock()
	c.closeReq = true
	c.startWriterLocked()
	c.mu.Unlock()
}

// Offer queues an entry of the room without blocking, and writes it at once when nothing
// is waiting. Past half full, ephemeral entries are dropped (true: nothing is wrong); when
// full, it reports false, and keeps refusing: the caller evicts the connection, since
// nothing may go out after a gap.
func (c *Conn) Offer(e Entry) bool {
	c.mu.Lock()
	if take, ok := c.admitLocked(e); !take {
		c.mu.Unlock()
		return ok
	}
	c.put(e) // unlocks
	return true
}

// OfferClaimed is Offer without the write: e is queued, and the claim by (never 0) owns
// the write side when nobody else writes: claimed then says the claimant must call
// WriteClaimed. A claim not written yet is taken over by this one.
func (c *Conn) OfferClaimed(e Entry, by uint64) (ok, claimed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if take, ok := c.admitLocked(e); !take {
		return ok, false
	}
	c.pushLocked(e, false)
	switch {
	case c.claimedBy == by:
		return true, false // queued behind this claim's earlier entries
	case c.claimedBy != 0:
		c.claimedBy = by // an earlier claim, not written yet: this one writes it all
		return true, true
	case c.writing || c.done || c.quitting || !c.t.NonBlocking():
		c.startWriterLocked() // an owner is there already, or this socket needs the writer
		return true, false
	}
	c.writing, c.claimedBy = true, by
	return true, true
}

// admitLocked applies the outbox's bounds to an entry of the room: take it, or not, and
// then whether all is well (false: full, evict).
func (c *Conn) admitLocked(e Entry) (take, ok bool) {
	if c.full {
		return false, false
	}
	if c.done || c.closeReq || c.quitting {
		return false, true // the connection is closing: nothing more from the room goes out
	}
	limit := c.o.Queue
	if e.Ephemeral && c.nRoom >= limit/2 {
		return false, true
	}
	if c.nRoom >= limit {
		c.full = true
		return false, false
	}
	return true, true
}

// Reply queues an entry of the read side. Past half full, ephemeral entries are dropped;
// when full, the peer sends faster than it reads its own refusals: the connection is
// terminated and Reply reports false.
func (c *Conn) Reply(e Entry) bool {
	e.ctl = true
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return true
	}
	if e.Ephemeral && c.nCtl >= ctlQueue/2 {
		c.mu.Unlock()
		return true
	}
	if c.nCtl >= ctlQueue {
		c.mu.Unlock()
		c.Terminate(websocket.ClosePolicyViolation, "rate limit")
		return false
	}
	if e.Last {
		c.closeReq = true // these are the last words: the close frame follows them
	}
	c.put(e)
	return true
}

// Pong answers a WebSocket ping of the peer.
func (c *Conn) Pong(data []byte) {
	c.Reply(Entry{Later: Raw(newFrame(opPong, data)), Ephemeral: true})
}

// queueGorilla queues a frame gorilla wrote by itself from the read side (see Socket).
func (c *Conn) queueGorilla(p []byte) {
	if len(p) > 0 && int(p[0]&0x0f) == opClose {
		c.closeSent.Store(true)
	}
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	c.put(Entry{Later: Raw(bytes.Clone(p)), ctl: true})
}

// ping is the pinger's: a ping frame every PingPeriod, so that the peer's pong keeps the
// read deadline of a quiet connection alive. One timer per connection, no goroutine
// between pings.
func (c *Conn) ping() {
	c.mu.Lock()
	if c.done || c.closeReq || c.quitting {
		c.mu.Unlock()
		return
	}
	if c.nCtl >= ctlQueue/2 {
		c.mu.Unlock() // backed up: the last pings have not gone out yet
	} else {
		c.put(Entry{Later: Raw(pingFrame), ctl: true, Ephemeral: true})
	}
	c.pinger.Reset(c.o.PingPeriod)
}

// StartPinger arms the pinger; the end of the write side stops it.
func (c *Conn) StartPinger() {
	// Armed only once c.pinger is set: ping uses it.
	c.pinger = time.AfterFunc(time.Hour, c.ping)
	c.pinger.Reset(c.o.PingPeriod)
}

// StopPinger stops the pinger of a connection that never got going.
func (c *Conn) StopPinger() {
	if c.pinger != nil {
		c.pinger.Stop()
	}
}

// put adds e, or writes it at once when the outbox is empty and nobody is writing.
// Called with mu held; returns with it released.
func (c *Conn) put(e Entry) {
	if c.claimedBy != 0 {
		// A claim has not written its backlog yet: write it and e now rather than wait
		// for it. Not on the read side, though: the backlog may hold frames to encode,
		// which would grow the read goroutine's stack for good; the writer goroutine does it.
		c.claimedBy = 0
		c.pushLocked(e, false)
		if e.ctl {
			c.spawnWriterLocked()
			c.mu.Unlock()
			return
		}
		c.drainLocked()
		return
	}
	if !c.writing && c.n == 0 && !c.quitting && c.t.NonBlocking() && !e.Heavy {
		c.writing = true
		c.mu.Unlock()
		c.writeDirect(e)
		return
	}
	c.pushLocked(e, false)
	c.startWriterLocked()
	c.mu.Unlock()
}

// pushLocked adds e at the back of the outbox (at the front: the rest of a direct write).
func (c *Conn) pushLocked(e Entry, front bool) {
	if c.q == nil {
		c.q = c.inline[:]
	}
	if c.n == len(c.q) {
		q := make([]Entry, max(4, 2*len(c.q)))
		for i := range c.n {
			q[i] = c.q[(c.head+i)%len(c.q)]
		}
		clear(c.q) // the inline entries, if these were they, must not keep frames alive
		c.q, c.head = q, 0
	}
	if front {
		c.head = (c.head - 1 + len(c.q)) % len(c.q)
		c.q[c.head] = e
	} else {
		c.q[(c.head+c.n)%len(c.q)] = e
	}
	c.n++
	if e.ctl {
		c.nCtl++
	} else {
		c.nRoom++
	}
}

// peekLocked copies up to len(dst) entries from the front; they stay in the outbox (and
// count against its bounds) until popLocked, after they are written.
func (c *Conn) peekLocked(dst []Entry) int {
	k := min(c.n, len(dst))
	for i := range k {
		dst[i] = c.q[(c.head+i)%len(c.q)]
	}
	return k
}

func (c *Conn) popLocked(k int) {
	for range k {
		e := c.q[c.head]
		c.q[c.head] = Entry{}
		c.head = (c.head + 1) % len(c.q)
		c.n--
		if e.ctl {
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
func (c *Conn) purgeLocked() {
	kept := 0
	for i := range c.n {
		e := c.q[(c.head+i)%len(c.q)]
		if e.partial || e.ctl && !e.Ephemeral {
			c.q[(c.head+kept)%len(c.q)] = e
			kept++
		} else if e.ctl {
			c.nCtl--
		} else {
			c.nRoom--
		}
	}
	for i := kept; i < c.n; i++ {
		c.q[(c.head+i)%len(c.q)] = Entry{}
	}
	c.n = kept
	if c.n == 0 {
		c.q, c.head = nil, 0
	}
}

// finish says goodbye: the close frame (unless gorilla already sent one), a short wait
// for the peer's close so that its reply is not lost to a reset, and the socket closed.
// The caller owns the write side and has set done.
func (c *Conn) finish() {
	if !c.closeSent.Load() {
		code, text := c.CloseReason()
		_ = c.t.WriteAll(closeFrame(code, text), time.Now().Add(c.o.WriteWait))
	}
	if c.readDone != nil {
		t := time.NewTimer(c.o.CloseGrace)
		select {
		case <-c.readDone:
		case <-t.C:
		}
		t.Stop()
	}
	c.t.Close()
	c.end()
}

// broken ends the write side of a socket that failed: closed at once, nothing more
// written. The caller owns the write side.
func (c *Conn) broken() {
	c.t.Close()
	c.end()
}

// end records that the write side is over, once.
func (c *Conn) end() {
	if !c.over.CompareAndSwap(false, true) {
		return
	}
	c.mu.Lock()
	c.done, c.writing, c.claimedBy = true, true, 0
	c.q, c.head, c.n, c.nRoom, c.nCtl = nil, 0, 0, 0, 0
	clear(c.inline[:])
	c.mu.Unlock()
	c.StopPinger()
	close(c.writeDone)
	if c.ended != nil {
		c.ended.Done()
	}
}

// Busy reports whether someone owns the write side: a direct write, a claim, a writer.
func (c *Conn) Busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writing && !c.done
}

// Queued is how many entries wait in the outbox, of the room and of the read side.
func (c *Conn) Queued() (room, ctl int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nRoom, c.nCtl
}
