package hub

import (
	"log/slog"
	"net/http"
	"runtime"
	"time"
)

// Timing of a connection. Named so that the relation between them stays visible:
// the server pings before the peer's read deadline can expire.
const (
	writeWait  = 10 * time.Second      // time allowed to write one message
	pongWait   = 60 * time.Second      // time allowed between two messages or pongs from the peer
	pingPeriod = pongWait * 9 / 10     // send pings at this period; must be less than pongWait
	helloWait  = 10 * time.Second      // the first message (hello) must arrive within this
	closeGrace = 2 * time.Second       // how long a closing connection waits for the peer's close
	joinWait   = 15 * time.Second      // bound on Backend.Viewer + room start during a join
	callWait   = 30 * time.Second      // bound on one backend call from a room or a worker
	retryPause = 50 * time.Millisecond // first pause before retrying a failed log read
)

// Protocol and defaults.
const (
	// CloseTooManyTabs closes a person's oldest socket when they open one more than
	// MaxSocketsPerPerson allows (docs/protocol.md). The client must not reconnect on its own:
	// it would close the next oldest tab, and so on, for ever.
	CloseTooManyTabs = 4001
	// ProtocolVersion is the only wire version this hub speaks.
	ProtocolVersion = 1
	// DefaultMaxMessageBytes bounds a client frame and a command's args.
	DefaultMaxMessageBytes = 16 << 10
	// floodFactor and floodWindow define a flood: sustaining floodFactor times the allowed
	// rate for floodWindow closes the connection with 1008.
	floodFactor = 5
	floodWindow = 2 * time.Second
	// logPage is how many events one EventsAfter call reads.
	logPage = 500
)

// Config holds the hub's dependencies and tunables. Zero tunables get sane defaults.
type Config struct {
	Backend Backend // required
	Bus     Bus     // nil = a LocalBus
	// Presence adds the other nodes' counts to each room's presence; nil = this node only.
	Presence PresenceShare
	// Sockets makes MaxSocketsPerPerson count a person's sockets on every node; nil = this
	// node's only.
	Sockets SocketShare
	// Ticks, when set, says whether this node runs a workshop's ticks (timers, agenda): the
	// node that holds its lease (nil = always). A room whose node does not hold it asks
	// again every TickRetry, and runs a tick at once when it gets the lease. With a
	// DueReader Backend, the lease holder also runs the flushes of deferred keys (tallies).
	Ticks     TickLease
	TickRetry time.Duration // (1 s)
	Logger    *slog.Logger  // nil = slog.Default()
	// CheckOrigin is required: the server compares the whole Origin (scheme, host, port).
	CheckOrigin func(r *http.Request) bool
	// Translate gives the message for a refusal code in a language; nil = the code itself.
	Translate func(lang, code string) string
	// Now is the clock for serverTime and rate limits; nil = time.Now.
	Now func() time.Time
	// Observer counts what the hub does (metrics); nil = nothing is counted.
	Observer Observer

	IdleRoomTimeout  time.Duration // an empty room stops after this (1 min)
	CoalesceInterval time.Duration // at most one Flush per room per interval, and presence, in a small room (200 ms)
	PresenceInterval time.Duration // Flush and presence in a room of a thousand or more; smaller rooms sooner (presence.go) (1 s)
	SendQueue        int           // messages queued per connection before eviction (64)
	MaxBatch         int           // commands per commit (256)
	CommandQueue     int           // commands queued per room; past it a command waits for room (4 × MaxBatch)
	CommandWait      time.Duration // how long a command waits for room in a full queue before "busy" (2 s)
	RingSize         int           // recent events kept per room for resume (4096)
	MaxMessageBytes  int64         // largest client frame (16 KiB)
	MaxCatchUp       int           // largest gap served from the log; more = snapshot (2000)
	ConnRate         float64       // messages per second per connection (20)
	ConnBurst        int           // (40)
	PersonRate       float64       // messages per second per participant, all connections (30)
	PersonBurst      int           // (60)
	SnapshotWorkers  int           // concurrent snapshots and log catch-ups per hub (4)
	JoinWorkers      int           // concurrent joins (who is it, open the room) per hub (32)
	ReadWorkers      int           // goroutines handling client messages per hub (2 × GOMAXPROCS)
	// MaxSocketsPerPerson bounds one signed-in person's open sockets (a few tabs and devices);
	// a new one closes their oldest with CloseTooManyTabs (5). With Sockets, on every node
	// (sockets.go).
	MaxSocketsPerPerson int
}

func (c Config) withDefaults() Config {
	if c.Bus == nil {
		c.Bus = &LocalBus{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	setDur := func(p *time.Duration, d time.Duration) {
		if *p <= 0 {
			*p = d
		}
	}
	setInt := func(p *int, d int) {
		if *p <= 0 {
			*p = d
		}
	}
	setDur(&c.IdleRoomTimeout, time.Minute)
	setDur(&c.CoalesceInterval, 200*time.Millisecond)
	setDur(&c.TickRetry, time.Second)
	setDur(&c.PresenceInterval, time.Second)
	c.PresenceInterval = max(c.PresenceInterval, c.CoalesceInterval)
	// Long enough to ride out a burst or a slow commit, short enough that a phone refused
	// busy resends while the person is still looking at the card they tapped. The waiting
	// pump reads nothing, pongs included: keep it far below pongWait.
	setDur(&c.CommandWait, 2*time.Second)
	// 64 entries: a commit's events take one, presence is dropped past half full, so a
	// client must miss about ten seconds of tallies (on top of its socket's buffers) to be
	// evicted, and it then resumes from the ring. Every connection allocates its queue
	// whole; at 256 the queues were most of the memory of an idle room.
	setInt(&c.SendQueue, 64)
	setInt(&c.MaxBatch, 256)
	setInt(&c.CommandQueue, 4*c.MaxBatch)
	setInt(&c.RingSize, 4096)
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	setInt(&c.MaxCatchUp, 2000)
	if c.ConnRate <= 0 {
		c.ConnRate = 20
	}
	setInt(&c.ConnBurst, 40)
	if c.PersonRate <= 0 {
		c.PersonRate = 30
	}
	setInt(&c.PersonBurst, 60)
	setInt(&c.SnapshotWorkers, 4)
	setInt(&c.JoinWorkers, 32)
	setInt(&c.ReadWorkers, 2*runtime.GOMAXPROCS(0))
	setInt(&c.MaxSocketsPerPerson, 5)
	// A queue of one cannot hold "half full": keep at least two slots.
	if c.SendQueue < 2 {
		c.SendQueue = 2
	}
	return c
}

// timing groups the connection timers so tests can shorten them; production uses the
// constants above.
type timing struct {
	writeWait, pongWait, pingPeriod, helloWait, closeGrace time.Duration
	// now is the clock the read deadlines (hello, pong) are counted from; nil = time.Now. A
	// test sets it back by a production wait to see that wait expire at once: it runs the
	// clock, not the wall.
	now func() time.Time
}

// deadline is d from now on the timing's clock.
func (t timing) deadline(d time.Duration) time.Time {
	if t.now != nil {
		return t.now().Add(d)
	}
	return time.Now().Add(d)
}

var defaultTiming = timing{
	writeWait:  writeWait,
	pongWait:   pongWait,
	pingPeriod: pingPeriod,
	helloWait:  helloWait,
	closeGrace: closeGrace,
}
