package hub

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire"
)

var errClosing = errors.New("hub: shutting down")

// Hub holds the live rooms of one node.
type Hub struct {
	cfg      Config
	log      *slog.Logger
	t        timing
	wire     *wire.Options // every connection's write side (timing, queue bound)
	upgrader websocket.Upgrader

	// hardCtx bounds backend calls; it is cancelled only when Shutdown runs out of time,
	// so that in-flight commits can finish during a graceful shutdown.
	hardCtx    context.Context
	hardCancel context.CancelFunc
	closing    atomic.Bool
	busCancel  func()
	pool       *pool         // the rooms' side work (snapshots, catch-ups)
	joiners    *pool         // the read pumps' joins: may wait for the database and a room
	readers    *pool         // the read pumps' messages: decoding and queueing, never waiting
	viewerGen  atomic.Uint64 // bumped before every Backend.Viewers call (see room.join)
	recent     recentViewers // who recently left which room (rejoin.go)
	// revokedElsewhere: told of a person whose access another node took away (guarded by mu).
	revokedElsewhere []func(participant int64)

	mu      sync.RWMutex
	rooms   map[int64]*room
	conns   map[*conn]struct{}
	byUser  map[int64]map[*conn]struct{}
	persons map[int64]*personLimiter
	connWG  sync.WaitGroup // per connection: its read pump, and the end of its write side
	connSeq atomic.Uint32  // numbers connections (conn.shard)
	// connSerial orders connections by opening (conn.serial).
	connSerial atomic.Uint64
	lastOpened int64 // the latest conn.opened (guarded by mu): it never goes back

	stats struct {
		events, evictions, commits, commands atomic.Int64
		waiting, waited                      atomic.Int64 // commands waiting for room in a full queue; all that did
	}
}

// Stats is a snapshot of the hub's counters.
type Stats struct {
	Rooms           int   // live rooms
	Connections     int   // open WebSockets, joined or not
	EventsDelivered int64 // event messages queued to connections (live and catch-up)
	Evictions       int64 // connections closed because their outbox was full
	Commits         int64 // successful Execute and Flush calls
	Commands        int64 // commands in successful Execute calls (Commands/Commits ≈ batch size)
	CommandsWaiting int64 // commands waiting now for room in a room's full queue
	CommandsWaited  int64 // commands that found their room's queue full and waited (then queued or refused busy)
}

// New makes a hub. Backend and CheckOrigin are required: a hub without them would be
// useless or unsafe, so their absence is a programming error and panics.
func New(cfg Config) *Hub {
	if cfg.Backend == nil {
		panic("hub: New: Config.Backend is required")
	}
	if cfg.CheckOrigin == nil {
		panic("hub: New: Config.CheckOrigin is required")
	}
	cfg = cfg.withDefaults()
	h := &Hub{
		cfg:     cfg,
		log:     cfg.Logger,
		t:       defaultTiming,
		rooms:   make(map[int64]*room),
		conns:   make(map[*conn]struct{}),
		byUser:  make(map[int64]map[*conn]struct{}),
		persons: make(map[int64]*personLimiter),
		pool:    newPool(cfg.SnapshotWorkers),
		joiners: newPool(cfg.JoinWorkers),
		readers: newPool(cfg.ReadWorkers),
	}
	h.wire = h.wireOptions()
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: writeWait,
		// Client messages are small (a vote is about 120 bytes): a 1 KiB read buffer per
		// connection instead of the HTTP server's 4 KiB one, freed once the handler returns.
		// Longer frames (up to MaxMessageBytes) are read in several pieces.
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		// Idle connections are the common case: share write buffers between writes.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     cfg.CheckOrigin,
	}
	h.hardCtx, h.hardCancel = context.WithCancel(context.Background())
	h.busCancel = cfg.Bus.Subscribe(h.onCue)
	return h
}

func (h *Hub) nowMs() int64 { return h.cfg.Now().UnixMilli() }

// wireOptions are the connections' write side as h.t and the configuration set it.
func (h *Hub) wireOptions() *wire.Options {
	return &wire.Options{
		Queue:      h.cfg.SendQueue,
		WriteWait:  h.t.writeWait,
		CloseGrace: h.t.closeGrace,
		PingPeriod: h.t.pingPeriod,
		Now:        h.nowMs,
		Log:        h.log,
	}
}

func (h *Hub) translate(lang, code string) string {
	if h.cfg.Translate == nil {
		return code
	}
	if s := h.cfg.Translate(lang, code); s != "" {
		return s
	}
	return code
}

// ServeWS upgrades an already authenticated request for participant. The caller has
// checked the session; the hub checks the Origin (Config.CheckOrigin), the protocol and
// the participant's right to join the workshop named in hello. It returns once the
// connection's read pump is running, true; then ended, when not nil, is called once the
// connection has ended. False when it answered with an HTTP error or closed the socket at
// once (shutting down): ended is not called.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, participant int64, language string, ended func()) bool {
	if h.closing.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return false
	}
	hw := &wire.Hijacker{ResponseWriter: w}
	ws, err := h.upgrader.Upgrade(hw, r, nil)
	if err != nil {
		return false // Upgrade has answered with an HTTP error
	}
	c := h.newConn(hw.Socket(), participant, language, make(chan struct{}), &h.connWG)
	c.out.StartPinger()
	registered, displaced := h.register(c)
	for _, old := range displaced {
		old.out.Terminate(CloseTooManyTabs, "too many tabs")
	}
	if !registered {
		// Shutdown began during the handshake; nothing owns the socket yet, so write here.
		c.out.StopPinger()
		ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "going away"), time.Now().Add(h.t.writeWait))
		ws.Close()
		return false
	}
	// From here on, every write goes through c's outbox (package wire): there is no
	// write pump; a writer goroutine only exists while the socket is backed up.
	hw.Socket().Attach(&c.out)
	// The read pump gets a goroutine of its own and the handler returns at once: net/http
	// then lets go of what it kept for the request (the request, the response and its
	// buffers, a stack grown by the handshake), which a connection open for hours would
	// otherwise hold.
	go func() {
		defer func() {
			h.unregister(c)
			if ended != nil {
				ended()
			}
		}()
		h.guard(func() { c.readPump(ws) })
		switch {
		case c.room != nil:
			c.room.leave(c)
		case !c.closingQueued:
			c.out.Terminate(websocket.CloseNormalClosure, "")
		}
	}()
	return true
}

// guard runs a connection's pump and turns a panic into the end of that connection only: a
// bug that one client's input triggers must not take every room down. (While the read pump
// ran in the HTTP handler's goroutine, net/http recovered such panics; its own goroutine must.)
func (h *Hub) guard(pump func()) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("hub: panic in a connection, closing it", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		}
	}()
	pump()
}

// register records c for Disconnect, Shutdown and Stats; false when shutting down. When the
// person already holds MaxSocketsPerPerson sockets, it returns their oldest ones, which the
// caller closes: one person's cookie cannot open thousands of sockets, and the tab opened
// last, the one in front of them, is the one that works.
func (h *Hub) register(c *conn) (ok bool, displaced []*conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing.Load() {
		return false, nil
	}
	h.connWG.Add(2)
	h.conns[c] = struct{}{}
	set := h.byUser[c.participant]
	if set == nil {
		set = make(map[*conn]struct{})
		h.byUser[c.participant] = set
	}
	open := 0
	for o := range set {
		if !o.displaced {
			open++
		}
	}
	for ; open >= h.cfg.MaxSocketsPerPerson; open-- {
		var oldest *conn
		for o := range set {
			if !o.displaced && (oldest == nil || o.serial < oldest.serial) {
				oldest = o
			}
		}
		oldest.displaced = true
		displaced = append(displaced, oldest)
	}
	c.opened = max(h.nowMs(), h.lastOpened)
	h.lastOpened = c.opened
	set[c] = struct{}{}
	h.shareSockets(c.participant)
	p := h.persons[c.participant]
	if p == nil {
		p = &personLimiter{b: newBucket(h.cfg.PersonRate, h.cfg.PersonBurst)}
		h.persons[c.participant] = p
	}
	p.users++
	c.limiter = newConnLimiter(&h.cfg, p)
	return true, displaced
}

func (h *Hub) unregister(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	if set := h.byUser[c.participant]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.byUser, c.participant)
		}
		h.shareSockets(c.participant)
	}
	if p := h.persons[c.participant]; p != nil {
		if p.users--; p.users == 0 {
			delete(h.persons, c.participant)
		}
	}
	h.connWG.Done()
}

// room returns the running room of workshop ws, starting it (Backend.Open) if needed.
// Concurrent joiners of a new room wait for the one Open call.
func (h *Hub) room(ctx context.Context, ws int64) (*room, error) {
	h.mu.Lock()
	if h.closing.Load() {
		h.mu.Unlock()
		return nil, errClosing
	}
	r := h.rooms[ws]
	starter := r == nil
	if starter {
		r = newRoom(h, ws)
		h.rooms[ws] = r
	}
	h.mu.Unlock()
	if starter {
		h.start(ctx, r)
	}
	select {
	case <-r.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.openErr != nil {
		return nil, r.openErr
	}
	return r, nil
}

func (h *Hub) start(ctx context.Context, r *room) {
	lastSeq, epoch, wakeAt, err := h.cfg.Backend.Open(ctx, r.id)
	if err != nil {
		h.retire(r)
		r.openErr = err
		close(r.ready)
		close(r.commitDone)
		close(r.done)
		return
	}
	r.delivered, r.epoch = lastSeq, epoch
	go r.run()
	go r.commit(lastSeq, wakeAt)
	close(r.ready)
}

// retire removes r from the map so that the next join starts a fresh room.
func (h *Hub) retire(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
}

// Notify is the bus cue: workshop ws reached seq somewhere. A room on this node that is
// behind reads the gap from the log and fans it out; without a room it is a no-op.
func (h *Hub) Notify(ws, seq int64) {
	h.mu.RLock()
	r := h.rooms[ws]
	h.mu.RUnlock()
	if r != nil {
		// Safe while the room is still opening: the committer finds the cue when it starts.
		r.notify(seq)
	}
}

// onCue is what the bus hears, from this node or another.
func (h *Hub) onCue(c Cue) {
	switch c.Kind {
	case CueCommitted:
		h.Notify(c.Workshop, c.Seq)
	case CueReset:
		h.resetLocal(c.Workshop)
	case CuePresence:
		h.mu.RLock()
		r := h.rooms[c.Workshop]
		h.mu.RUnlock()
		if r != nil {
			select {
			case r.elsewhere <- struct{}{}:
			default:
			}
		}
	case CueDue:
		h.mu.RLock()
		r := h.rooms[c.Workshop]
		h.mu.RUnlock()
		if r != nil {
			r.dueElsewhere()
		}
	case CueSockets:
		h.capAcrossNodes(c.Person)
	case CueRevoked:
		h.mu.RLock()
		fns := h.revokedElsewhere
		h.mu.RUnlock()
		for _, fn := range fns {
			fn(c.Person)
		}
		h.disconnectLocal(c.Person)
	case CueLost:
		h.mu.RLock()
		rooms := make([]*room, 0, len(h.rooms))
		for _, r := range h.rooms {
			rooms = append(rooms, r)
		}
		h.mu.RUnlock()
		for _, r := range rooms {
			r.recheck()
		}
	}
}

// Disconnect closes every socket of participant promptly (logout, revocation, erasure),
// and makes their next join ask the Backend again who they are. It does not wait for the
// sockets to be closed. The other nodes hear it through the bus and close theirs too.
func (h *Hub) Disconnect(participant int64) {
	h.disconnectLocal(participant)
	if err := h.cfg.Bus.Publish(h.hardCtx, Cue{Kind: CueRevoked, Person: participant}); err != nil {
		h.log.Error("hub: revocation not published: the person's sockets on other nodes stay open",
			"participant", participant, "err", err)
	}
}

// OnRevokedElsewhere registers fn, called with a person whose access another node took away
// after this node closed their sockets: what this node keeps of their sessions must go too.
func (h *Hub) OnRevokedElsewhere(fn func(participant int64)) {
	h.mu.Lock()
	h.revokedElsewhere = append(h.revokedElsewhere, fn)
	h.mu.Unlock()
}

func (h *Hub) disconnectLocal(participant int64) {
	h.mu.RLock()
	cs := make([]*conn, 0, len(h.byUser[participant]))
	for c := range h.byUser[participant] {
		cs = append(cs, c)
	}
	h.mu.RUnlock()
	for _, c := range cs {
		c.revoked.Store(true) // its room must not remember it for a quick rejoin
		c.out.Terminate(websocket.ClosePolicyViolation, "session ended")
	}
	h.recent.forget(participant)
}

// ResetLog tells the hub that the history of workshop ws was rewritten (an erasure cleared
// its log) and its epoch changed in the database. The room, if this node runs one, forgets
// everything it keeps of the old history — its recent events, its presence, its members'
// catch-ups, and the hub's memory of who recently left it — closes every connection with
// 1012 ("log reset") and stops; the next join opens a fresh room, which reads the new epoch,
// and clients that resume with the old one get a snapshot. It does not wait for the room to
// stop. Call it after the commit that rewrote the log. The other nodes hear it through
// the bus and do the same with their rooms of the workshop.
func (h *Hub) ResetLog(ws int64) {
	h.resetLocal(ws)
	if err := h.cfg.Bus.Publish(h.hardCtx, Cue{Kind: CueReset, Workshop: ws}); err != nil {
		h.log.Error("hub: log reset not published: other nodes keep the old history until their rooms close",
			slog.Int64("workshop", ws), slog.Any("err", err))
	}
}

func (h *Hub) resetLocal(ws int64) {
	h.recent.forgetWorkshop(ws)
	h.mu.RLock()
	r := h.rooms[ws]
	h.mu.RUnlock()
	if r != nil {
		r.resetLog()
	}
}

// Shutdown refuses new connections and joins, lets in-flight commits finish and their
// acks go out, closes every socket with 1001 and stops the rooms. If ctx ends first, it
// cancels backend calls, drops the sockets and returns ctx.Err().
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing.Store(true)
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	h.busCancel()

	for _, r := range rooms {
		r.stop()
	}
	for _, c := range conns {
		if !c.joined.Load() { // rooms close their own members, after the last acks
			c.out.Terminate(websocket.CloseGoingAway, "going away")
		}
	}
	done := make(chan struct{})
	go func() {
		for _, r := range rooms {
			<-r.done
		}
		h.connWG.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		h.hardCancel()
		for _, c := range conns {
			c.out.Abort(websocket.CloseGoingAway, "going away")
		}
	}
	h.hardCancel()
	if err == nil {
		h.pool.stop()
		h.joiners.stop()
		h.readers.stop()
	}
	return err
}

// Stats reports the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	s := Stats{Rooms: len(h.rooms), Connections: len(h.conns)}
	h.mu.RUnlock()
	s.EventsDelivered = h.stats.events.Load()
	s.Evictions = h.stats.evictions.Load()
	s.Commits = h.stats.commits.Load()
	s.Commands = h.stats.commands.Load()
	s.CommandsWaiting = h.stats.waiting.Load()
	s.CommandsWaited = h.stats.waited.Load()
	return s
}
