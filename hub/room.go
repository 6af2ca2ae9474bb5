package hub

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire"
)

// joinReq hands a connection to its room. gen is the hub's viewer generation read before
// the Backend.Viewer call, to tell whether the room's own viewers map is fresher.
type joinReq struct {
	c     *conn
	v     Viewer
	gen   uint64
	since int64
	epoch int64 // the log epoch the client's since belongs to (0: none)
}

type cmdReq struct {
	c     *conn
	cmd   Command
	at    time.Time      // when it was read (the Observer's answer time)
	reply chan<- Outcome // instead of c: a command from outside a socket (Submit); room for one
}

// sentOutcome is an outcome on its way back to the connection (or the Submit) that sent
// the command.
type sentOutcome struct {
	c     *conn
	out   Outcome
	at    time.Time // when the command was read
	reply chan<- Outcome
}

// delivery is what the committer hands to the room, in commit order.
type delivery struct {
	events     []Event          // contiguous, ascending
	outcomes   []sentOutcome    // sent after the events
	viewers    map[int64]Viewer // non-nil: applied right after the first ReloadViewers event
	viewersGen uint64
	// reset means the committer lost track of the log (a gap it could not read, or
	// viewers it could not load): every member is closed and resumes by seq.
	reset   bool
	resetTo int64
	// committed is when the committer had the events (the Observer's fan-out time).
	committed time.Time
}

// member is a connection as the room sees it.
type member struct {
	c    *conn
	v    Viewer
	gen  uint64 // the hub's viewer generation v is known to be current at
	last int64  // highest seq queued to this connection; later fan-out skips <= last
	// The events of the delivery being fanned out, queued as one entry when it ends:
	// a commit of many events takes one slot of the queue, not one per event.
	batch wire.Frames

	// A catch-up (snapshot or log) is running in the pool: live events and outcomes
	// wait in pending, in order, until it completes.
	catching bool
	from     int64 // room's delivered seq when the catch-up started
	pending  []pendingItem
}

type pendingItem struct {
	ev *Event // or
	f  frame
}

// room is one live workshop. Everything below "owned" is touched only by run.
type room struct {
	h  *Hub
	id int64

	joins      chan joinReq // unbuffered: only a running room can accept a join
	leaves     chan *conn
	deliveries chan delivery // committed batches, in commit order (deliveryQueue of them)
	caughtUp   chan catchUpResult
	inbox      chan cmdReq   // the committer's bounded command queue
	cue        chan struct{} // a bus cue is pending (see notified and rechecking)
	notified   atomic.Int64
	rechecking atomic.Bool   // the bus may have lost cues: read the log past what the room has
	dueHeard   atomic.Bool   // another node made follow-ups due (CueDue)
	audience   atomic.Int64  // connections in the room: the committer paces the follow-ups by it
	elsewhere  chan struct{} // other nodes' presence changed

	ready   chan struct{} // closed when Open returned
	openErr error         // set before ready is closed

	quit       chan struct{} // Shutdown asks the room to stop
	quitOnce   sync.Once
	resetC     chan struct{} // ResetLog asks the room to forget its history and stop
	resetOnce  sync.Once
	stopCommit chan struct{} // the room asks the committer to finish
	commitDone chan struct{}
	done       chan struct{} // closed when the room goroutine has exited

	// owned by run
	members    map[*conn]*member
	people     map[int64][]*member // by participant: Person fan-out and presence
	delivered  int64               // seq of the last event fanned out by this room
	epoch      int64               // the log's epoch when the room opened (set before run)
	ring       *ring
	viewers    map[int64]Viewer // from the last ReloadViewers, nil before
	viewersGen uint64
	presence   presenceState
	batched    []*member      // members with a non-empty batch
	out, spare []post         // entries on their way to outboxes (flushOut), and a spare list
	writers    sync.WaitGroup // the background writers of large deliveries (flushOut)
	claims     uint64         // numbers flushOut's claims on outboxes (wire.Conn.OfferClaimed)
	claimed    []*conn        // flushOut's buffer for a small delivery's claims
	idle       *time.Timer
	idleC      <-chan time.Time
}

// deliveryQueue is how many committed batches may wait for the room's fan-out. With a few
// of them, the committer starts the next transaction while the room is still handing the
// last tally to ten thousand connections, instead of waiting for it: commits and fan-out
// overlap, and commands no longer pile up into "busy" behind a slow fan-out.
const deliveryQueue = 16

func newRoom(h *Hub, id int64) *room {
	return &room{
		h:          h,
		id:         id,
		joins:      make(chan joinReq),
		leaves:     make(chan *conn, 64),
		deliveries: make(chan delivery, deliveryQueue),
		caughtUp:   make(chan catchUpResult),
		inbox:      make(chan cmdReq, h.cfg.CommandQueue),
		cue:        make(chan struct{}, 1),
		elsewhere:  make(chan struct{}, 1),
		ready:      make(chan struct{}),
		quit:       make(chan struct{}),
		resetC:     make(chan struct{}),
		stopCommit: make(chan struct{}),
		commitDone: make(chan struct{}),
		done:       make(chan struct{}),
		members:    make(map[*conn]*member),
		people:     make(map[int64][]*member),
		ring:       newRing(h.cfg.RingSize),
	}
}

func (r *room) stop() { r.quitOnce.Do(func() { close(r.quit) }) }

func (r *room) resetLog() { r.resetOnce.Do(func() { close(r.resetC) }) }

// notify records a bus cue; the committer reads the log if it is behind.
func (r *room) notify(seq int64) {
	for {
		old := r.notified.Load()
		if seq <= old || r.notified.CompareAndSwap(old, seq) {
			break
		}
	}
	select {
	case r.cue <- struct{}{}:
	default: // a cue is already pending; it will read up to notified
	}
}

// recheck makes the committer read the log past what it has, whatever the cues said.
func (r *room) recheck() {
	r.rechecking.Store(true)
	select {
	case r.cue <- struct{}{}:
	default:
	}
}

// dueElsewhere records that another node made follow-ups due: the committer flushes them
// if this node holds the lease.
func (r *room) dueElsewhere() {
	r.dueHeard.Store(true)
	select {
	case r.cue <- struct{}{}:
	default:
	}
}

// submit queues a command for the committer if there is room, without waiting: CodeBusy
// means the queue is full (the pump may then wait, awaitRoom).
func (r *room) submit(req cmdReq) string {
	select {
	case <-r.stopCommit:
		return CodeShuttingDown
	default:
	}
	select {
	case r.inbox <- req:
		return ""
	default:
		return CodeBusy
	}
}

func (r *room) leave(c *conn) {
	select {
	case r.leaves <- c:
	case <-r.done:
	}
}

// run owns the room's state until the room stops (idle or shutdown).
func (r *room) run() {
	defer close(r.done)
	r.armIdle()
	for {
		select {
		case req := <-r.joins:
			r.join(req)
		case c := <-r.leaves:
			if m := r.members[c]; m != nil {
				r.drop(m, dropPrompt, 0, "")
			}
		case d := <-r.deliveries:
			r.deliver(d)
		case res := <-r.caughtUp:
			r.finishCatchUp(res)
		case <-r.presence.c:
			r.sendPresence()
		case <-r.elsewhere:
			r.presence.changed(r)
		case <-r.idleC:
			r.idleC = nil
			if len(r.members) == 0 {
				r.h.retire(r)
				r.shutdown(websocket.CloseGoingAway, "going away")
				return
			}
		case <-r.quit:
			r.h.retire(r)
			r.shutdown(websocket.CloseGoingAway, "going away")
			return
		case <-r.resetC:
			// Its ring, presence and pending catch-ups hold the old history: all of it goes
			// with the room. It leaves the map only once its committer has finished, so
			// that the next room's Open reads the log after the last commit of this one.
			r.shutdown(websocket.CloseServiceRestart, "log reset")
			r.h.recent.forgetWorkshop(r.id) // again: a member may have left since ResetLog
			r.h.retire(r)
			return
		}
	}
}

// shutdown lets the committer finish its batch (acks included), then closes every
// member gracefully: queued messages first, then the close code (1001 going away, or 1012
// after a log reset).
func (r *room) shutdown(code int, text string) {
	close(r.stopCommit)
	for waiting := true; waiting; {
		select {
		case d := <-r.deliveries:
			r.deliver(d)
		case <-r.commitDone:
			waiting = false
		}
	}
	// The committer is done: what it queued before finishing still goes out, in order.
	for drained := false; !drained; {
		select {
		case d := <-r.deliveries:
			r.deliver(d)
		default:
			drained = true
		}
	}
	for _, m := range r.members {
		r.drop(m, dropGraceful, code, text)
	}
	r.presence.stop()
	if r.idle != nil {
		r.idle.Stop()
	}
	r.writers.Wait() // they never block: what is left of a tally is on its way
}

func (r *room) armIdle() {
	if r.idle == nil {
		r.idle = time.NewTimer(r.h.cfg.IdleRoomTimeout)
	} else {
		r.idle.Reset(r.h.cfg.IdleRoomTimeout)
	}
	r.idleC = r.idle.C
}

func (r *room) join(req joinReq) {
	c, v, gen := req.c, req.v, req.gen
	if r.viewers != nil && r.viewersGen > req.gen {
		// Memberships changed after the joiner read its viewer: the room's map is fresher.
		nv, ok := r.viewers[c.participant]
		if !ok {
			r.refuse(c, CodeForbidden)
			return
		}
		v = mergeViewer(v, nv)
		c.viewer.Store(&v)
		gen = r.viewersGen
	}
	m := &member{c: c, v: v, gen: gen}
	r.add(m)
	if r.idleC != nil {
		r.idle.Stop()
		r.idleC = nil
	}
	// The welcome, the replay from the ring and the presence are posted, and go out together
	// when join returns: one system call, and one wake-up of the client, per return.
	defer r.flushOut()
	r.post(m, wire.Entry{Later: &welcomeFrame{
		Type: "welcome", V: ProtocolVersion, Workshop: r.id, Epoch: r.epoch, You: v.Participant,
		Role: v.Role, Moderator: v.Moderator, Group: v.Group,
	}}, 0)
	if req.epoch != r.epoch {
		// The client's since counts in another history (an erasure or a restore came in
		// between), or it named none: only a snapshot is right.
		r.resume(m, 0)
		return
	}
	r.resume(m, req.since)
}

// refuse closes a connection the room will not take, with an error frame.
func (r *room) refuse(c *conn, code string) {
	c.out.SetClose(websocket.ClosePolicyViolation, code)
	c.dropped.Store(true)
	c.out.Offer(wire.Entry{Later: &errorFrame{Type: "error", Code: code, Message: r.h.translate(c.language(), code)}})
	c.out.Close()
}

type dropMode uint8

const (
	dropGraceful dropMode = iota // write what is queued, then close (shutdown, refusals)
	dropPrompt                   // close without draining (the peer left or is leaving)
	dropAbort                    // close the socket now (slow consumer)
)

// drop removes m from the room, after handing over what the room has for it.
func (r *room) drop(m *member, mode dropMode, code int, text string) {
	r.flushOut()
	c := m.c
	r.remove(m)
	if code != 0 {
		c.out.SetClose(code, text)
	}
	if mode != dropGraceful && !c.revoked.Load() {
		// The peer left or was too slow: it may well be back in a moment (rejoin.go). A
		// graceful drop is a refusal or a shutdown, and a revoked one lost its access.
		r.h.recent.remember(r.id, m.v, m.gen, r.h.cfg.Now())
	}
	c.dropped.Store(true)
	switch mode {
	case dropGraceful:
		c.out.Close()
	case dropPrompt:
		c.out.Terminate(websocket.CloseNormalClosure, "")
	case dropAbort:
		c.out.Abort(code, text)
	}
	if len(r.members) == 0 {
		r.armIdle()
	}
}

// add puts m in the room. A person's first connection counts them online (presence.go).
func (r *room) add(m *member) {
	r.members[m.c] = m
	r.audience.Store(int64(len(r.members)))
	ps := r.people[m.v.Participant]
	if len(ps) == 0 {
		r.presence.count.add(m.v, 1)
		r.presence.changed(r)
	}
	r.people[m.v.Participant] = append(ps, m)
}

// remove takes m out of the room. A person is counted under their first connection's
// viewer: when that one goes, the next one counts instead.
func (r *room) remove(m *member) {
	delete(r.members, m.c)
	r.audience.Store(int64(len(r.members)))
	ps := r.people[m.v.Participant]
	first := len(ps) > 0 && ps[0] == m
	for i, pm := range ps {
		if pm == m {
			ps = append(ps[:i:i], ps[i+1:]...)
			break
		}
	}
	if len(ps) == 0 {
		delete(r.people, m.v.Participant)
	} else {
		r.people[m.v.Participant] = ps
	}
	if !first {
		return
	}
	r.presence.count.add(m.v, -1)
	if len(ps) > 0 {
		r.presence.count.add(ps[0].v, 1)
	}
	r.presence.changed(r)
}

// dropWithError closes m after an error frame (graceful, so the frame goes out).
func (r *room) dropWithError(m *member, closeCode int, code string) {
	f := &errorFrame{Type: "error", Code: code, Message: r.h.translate(m.c.language(), code)}
	r.flushOut()
	m.c.out.Offer(wire.Entry{Later: f}) // if the outbox is full, the close frame alone
	r.drop(m, dropGraceful, closeCode, code)
}

func mergeViewer(old, nv Viewer) Viewer {
	nv.Participant = old.Participant
	if nv.Language == "" {
		nv.Language = old.Language
	}
	return nv
}
