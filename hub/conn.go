package hub

import (
	"sync"
	"sync/atomic"

	"github.com/assises/assises/hub/wire"
)

// conn is one WebSocket as the hub sees it: who is on it, its limits, its room. Its write
// side is out, an outbox of the wire package (whose comment says who may write when): the
// room offers it frames and never waits for the client; the read pump queues its own
// answers there too. An idle connection has one goroutine, its read pump.
type conn struct {
	out         wire.Conn
	h           *Hub
	participant int64
	lang        string
	limiter     *connLimiter
	shard       uint32        // spreads the room's background writes over goroutines (flushOut)
	serial      uint64        // order of opening: the person's oldest socket goes first
	opened      int64         // Unix ms of its registration, compared across nodes (sockets.go)
	displaced   bool          // closed for a newer socket of the same person (guarded by h.mu)
	readDone    chan struct{} // closed when the read pump stopped reading; nil without one

	viewer  atomic.Pointer[Viewer] // set by the room, read by the read pump for commands
	joined  atomic.Bool            // a room accepted (or refused) this connection's join
	dropped atomic.Bool            // the room let go of it: accept no more commands
	revoked atomic.Bool            // closed by Disconnect: its viewer must not be reused

	// Read pump only.
	room          *room
	closingQueued bool
	// shedUntil (Unix ns): after a command waited CommandWait in vain, the connection's
	// next commands that find the queue full are refused at once until then, so that what it
	// sent meanwhile is answered, not left to wait in turn (awaitRoom).
	shedUntil int64
}

// newConn is a connection without a read pump, over t (tests and benchmarks).
func newConn(h *Hub, t wire.Transport, participant int64, lang string) *conn {
	return h.newConn(t, participant, lang, nil, nil)
}

// newConn makes a connection; readDone and ended as wire.Conn.Init takes them.
func (h *Hub) newConn(t wire.Transport, participant int64, lang string, readDone chan struct{}, ended *sync.WaitGroup) *conn {
	c := &conn{
		h:           h,
		participant: participant,
		lang:        lang,
		shard:       uint32(h.connSeq.Add(1)),
		serial:      h.connSerial.Add(1),
		readDone:    readDone,
	}
	c.out.Init(t, h.wire, readDone, ended)
	return c
}
