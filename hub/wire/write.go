package wire

import (
	"bytes"
	"log/slog"
	"runtime/debug"
	"slices"
	"time"
)

// The write side of an outbox: the direct write of whoever queues into an empty outbox,
// the write of a claimed backlog, and the writer goroutine that exists only while a
// socket is backed up.

// writeDirect is the fast path: the caller owns the write side and the outbox is empty.
func (c *Conn) writeDirect(e Entry) {
	b, ok := e.bytesAsIs()
	var buf *[]byte
	if !ok {
		buf = getWriteBuf()
		b = appendEntry((*buf)[:0], e, c.o.Now())
	}
	n, err := c.t.WriteNow(b)
	if err != nil {
		putWriteBuf(buf)
		c.broken()
		return
	}
	c.mu.Lock()
	if n > 0 && n < len(b) {
		c.o.partial.Add(1)
	}
	if n < len(b) {
		// The socket is full: the rest goes first, before anything queued meanwhile.
		c.pushLocked(Entry{Later: Raw(bytes.Clone(b[n:])), ctl: e.ctl, partial: n > 0,
			Ephemeral: e.Ephemeral && n == 0}, true)
	}
	if c.n == 0 && !c.closeReq && !c.quitting {
		c.writing = false // done: nobody was woken
	} else {
		c.spawnWriterLocked()
	}
	c.mu.Unlock()
	putWriteBuf(buf)
}

// WriteClaimed writes the backlog of the claim by, unless someone took it over.
func (c *Conn) WriteClaimed(by uint64) {
	c.mu.Lock()
	if c.claimedBy != by {
		c.mu.Unlock()
		return
	}
	c.claimedBy = 0
	c.drainLocked()
}

// drainLocked writes the outbox with non-blocking writes, as writeDirect writes one
// entry; what the socket does not take, and a connection that ends, are left to the
// writer goroutine. The caller owns the write side and holds mu; it returns with mu
// released.
func (c *Conn) drainLocked() {
	var batch [writeBatch]Entry
	for {
		k := c.peekLocked(batch[:])
		if k == 0 && !c.closeReq && !c.quitting {
			c.writing = false
			c.mu.Unlock()
			return
		}
		if k == 0 || c.closeReq || c.quitting || slices.ContainsFunc(batch[:k], Entry.heavy) {
			clear(batch[:k])
			c.spawnWriterLocked()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		// Gathered like the writer does, up to batchFlushBytes; ends[i] is where entry i
		// ends in b, so that a partial write leaves the entries after the one it cut as
		// they are.
		var ends [writeBatch]int
		b, one := batch[0].bytesAsIs()
		ends[0] = len(b)
		var buf *[]byte
		if k > 1 || !one {
			buf = getWriteBuf()
			now := c.o.Now()
			b = (*buf)[:0]
			for i, e := range batch[:k] {
				if i > 0 && len(b) >= batchFlushBytes {
					k = i
					break
				}
				b = appendEntry(b, e, now)
				ends[i] = len(b)
			}
			*buf = b
		}
		n, err := c.t.WriteNow(b)
		if err != nil {
			clear(batch[:])
			putWriteBuf(buf)
			c.broken()
			return
		}
		c.mu.Lock()
		if n == 0 {
			// The socket is full: the entries stay as they are, for the writer.
			clear(batch[:])
			putWriteBuf(buf)
			c.spawnWriterLocked()
			c.mu.Unlock()
			return
		}
		if n < len(b) {
			// The entry the socket cut is written whatever happens next (partial); the
			// ones after it stay in the outbox untouched, for the writer.
			c.o.partial.Add(1)
			j := 0
			for ends[j] <= n {
				j++
			}
			start := 0
			if j > 0 {
				start = ends[j-1]
			}
			c.popLocked(j)
			if n > start {
				cut := batch[j]
				c.popLocked(1)
				c.pushLocked(Entry{Later: Raw(bytes.Clone(b[n:ends[j]])), ctl: cut.ctl, partial: true}, true)
			}
			clear(batch[:])
			putWriteBuf(buf)
			c.spawnWriterLocked()
			c.mu.Unlock()
			return
		}
		c.popLocked(k)
		clear(batch[:])
		putWriteBuf(buf)
	}
}

// startWriterLocked makes sure someone will write what is queued (and close, if asked).
func (c *Conn) startWriterLocked() {
	if c.writing || c.done {
		return // the owner sees the new entries (or the end) before it lets go
	}
	c.writing = true
	c.spawnWriterLocked()
}

func (c *Conn) spawnWriterLocked() { go c.writer() }

// writer drains the outbox with blocking writes, then exits; it owns the write side
// from start to end. After the last entry of a closing connection it says goodbye.
func (c *Conn) writer() {
	defer func() {
		if p := recover(); p != nil {
			c.o.Log.Error("wire: panic in a connection's writer, closing it", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			c.broken()
		}
	}()
	var batch [writeBatch]Entry
	for {
		c.mu.Lock()
		if c.quitting {
			c.purgeLocked()
		}
		k := c.peekLocked(batch[:])
		if k == 0 {
			if c.closeReq || c.quitting {
				c.done = true
				c.mu.Unlock()
				c.finish()
				return
			}
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		err := c.writeOut(batch[:k])
		clear(batch[:k])
		c.mu.Lock()
		c.popLocked(k)
		c.mu.Unlock()
		if err != nil {
			c.broken()
			return
		}
	}
}

// writeOut writes entries, gathered into as few socket writes as possible.
func (c *Conn) writeOut(es []Entry) error {
	if len(es) == 1 {
		// A single piece (a tally the socket had no room for) is written as is:
		// gathering it would only copy it.
		if b, ok := es[0].bytesAsIs(); ok {
			return c.t.WriteAll(b, time.Now().Add(c.o.WriteWait))
		}
	}
	buf := getWriteBuf()
	b, err := c.gather((*buf)[:0], es)
	*buf = b
	putWriteBuf(buf)
	return err
}

// gather encodes es into b and writes it, early whenever b grows past batchFlushBytes,
// between the frames of a long payload too: a long catch-up is many writes, each with a
// fresh deadline.
func (c *Conn) gather(b []byte, es []Entry) ([]byte, error) {
	now := c.o.Now()
	var err error
	for _, e := range es {
		if e.Frame != nil {
			b = append(b, e.Frame.b...)
		} else {
			for i := range e.Later.Frames() {
				b = e.Later.AppendFrame(b, i, now)
				if len(b) >= batchFlushBytes {
					if b, err = c.flushBuf(b); err != nil {
						return b, err
					}
				}
			}
		}
		if len(b) >= batchFlushBytes {
			if b, err = c.flushBuf(b); err != nil {
				return b, err
			}
		}
	}
	return c.flushBuf(b)
}

func (c *Conn) flushBuf(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return b, nil
	}
	return b[:0], c.t.WriteAll(b, time.Now().Add(c.o.WriteWait))
}

// appendEntry appends the frames of e.
func appendEntry(b []byte, e Entry, now int64) []byte {
	if e.Frame != nil {
		return append(b, e.Frame.b...)
	}
	for i := range e.Later.Frames() {
		b = e.Later.AppendFrame(b, i, now)
	}
	return b
}
