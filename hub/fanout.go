package hub

import (
	"runtime"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire"
)

// deliver fans out a committed batch, then sends its outcomes: a client that gets an ack
// has already been sent the events of its command.
func (r *room) deliver(d delivery) {
	if d.reset {
		r.reset(d.resetTo)
		return
	}
	applied := d.viewers == nil
	for i := range d.events {
		ev := &d.events[i]
		if ev.Seq <= r.delivered {
			continue // already fanned out (the log and a commit overlapped)
		}
		ev.head = eventHead(ev)
		r.fanout(ev)
		r.delivered = ev.Seq
		r.ring.push(*ev)
		if !applied && ev.ReloadViewers {
			r.flushBatches() // the viewer frames come after the events before them
			r.applyViewers(d.viewers, d.viewersGen)
			applied = true
		}
	}
	r.flushBatches()
	if !applied {
		r.applyViewers(d.viewers, d.viewersGen)
	}
	for _, o := range d.outcomes {
		r.sendOutcome(o)
	}
	r.flushOut()
	if len(d.events) > 0 {
		r.h.cfg.Observer.FannedOut(time.Since(d.committed))
	}
}

// fanout encodes ev once, as a complete frame, and adds it to the batch of every member
// the audience includes; flushBatches hands the batches over. It never writes to a socket
// and never blocks.
//
// A private event (a voter's vote.recorded) has one reader. It is posted at once when the
// member has nothing batched yet in this delivery, which keeps the order; flushOut writes
// it with the voter's ack.
func (r *room) fanout(ev *Event) {
	var wf *wire.Frame
	var evict []*member
	one := func(m *member) {
		if !ev.Audience.Includes(m.v) {
			return
		}
		if m.catching {
			m.pending = append(m.pending, pendingItem{ev: ev})
			if len(m.pending) > r.maxPending() {
				evict = append(evict, m)
			}
			return
		}
		if ev.Seq <= m.last {
			return
		}
		if wf == nil {
			if ev.head != nil {
				wf = stampedFrame(ev.head, r.h.nowMs())
			} else {
				wf = prepare(newEventFrame(ev), r.h.nowMs())
			}
		}
		m.last = ev.Seq
		if ev.Audience.Kind == Person && len(m.batch) == 0 {
			r.post(m, wire.Entry{Frame: wf}, 1)
			return
		}
		if len(m.batch) == 0 {
			r.batched = append(r.batched, m)
		}
		m.batch = append(m.batch, wf)
	}
	if ev.Audience.Kind == Person {
		// A private event concerns one person: skip the scan of the whole room.
		for _, m := range r.people[ev.Audience.ID] {
			one(m)
		}
	} else {
		for _, m := range r.members {
			one(m)
		}
	}
	for _, m := range evict {
		r.evict(m)
	}
}

// flushBatches hands each member's batch over as one entry.
func (r *room) flushBatches() {
	for _, m := range r.batched {
		b := m.batch
		e := wire.Entry{Frame: b[0]}
		if len(b) == 1 {
			// The common case: keep the array for the next delivery, no allocation.
			b[0] = nil
			m.batch = b[:0]
		} else {
			e = wire.Entry{Later: b} // the outbox entry owns it now
			m.batch = nil
		}
		if r.members[m.c] != m {
			continue // evicted meanwhile
		}
		r.post(m, e, len(b))
	}
	clear(r.batched)
	r.batched = r.batched[:0]
}

// maxPending bounds what a catching-up member may accumulate; past it the member is
// evicted and resumes later, rather than holding the room's memory hostage.
func (r *room) maxPending() int { return r.h.cfg.RingSize + r.h.cfg.SendQueue }

// post is an entry on its way to a member's outbox, with the number of events it carries.
type post struct {
	m      *member
	e      wire.Entry
	events int
}

// post collects an entry for m; flushOut hands the collected entries over, in order.
// Whatever the room does next to a member (another entry queued at once, a drop) flushes
// first, so that a connection's entries always go out in the order the room made them.
func (r *room) post(m *member, e wire.Entry, events int) {
	r.out = append(r.out, post{m: m, e: e, events: events})
}

// largeFlush: from this many entries on, flushOut leaves the writing to background writers.
const largeFlush = 256

// maxFlushShards bounds the background writers of one delivery.
const maxFlushShards = 16

// flushOut hands the posted entries to the members' outboxes, in order, and has them
// written: a member's entries of one delivery together, in one system call (a voter's
// vote.recorded and ack are one write, and one wake-up of the phone). A small delivery
// (acks, private events, a group's events) is written there and then. A large one (a tally
// to a whole room: thousands of system calls, tens of milliseconds on a busy machine) is
// written by background goroutines while the room goes on; a later delivery to a member
// they have not reached yet writes that member's backlog itself (wire.Conn.OfferClaimed), so
// that acks and private events are not kept waiting behind a tally's turn through the
// room. The room stays the only one that orders what a connection gets. A member whose
// outbox is full is evicted afterwards.
func (r *room) flushOut() {
	out := r.out
	if len(out) == 0 {
		return
	}
	r.out, r.spare = r.spare[:0], nil
	r.claims++
	by := r.claims
	shards := 1
	if len(out) >= largeFlush {
		// One writer per processor. Measured on 2 cores: one writer left a processor to
		// the room and the network but made a tally to 10,000 people 40 % slower to
		// arrive (p99 173 against 123 ms); two keep the fan-out as fast as the room's own
		// writing was, and the acks still go out between (p99 ack 70 against 132 ms).
		shards = max(1, min(runtime.GOMAXPROCS(0), maxFlushShards, len(out)/largeFlush))
	}
	parts := make([][]*conn, shards)
	if shards == 1 && len(out) < largeFlush {
		parts[0] = r.claimed[:0] // written before flushOut returns: the room's buffer will do
	} else {
		for i := range parts {
			parts[i] = make([]*conn, 0, len(out)/shards+1)
		}
	}
	var failed []*member
	var events int64
	for _, p := range out {
		ok, claimed := p.m.c.out.OfferClaimed(p.e, by)
		if !ok {
			failed = append(failed, p.m)
			continue
		}
		events += int64(p.events)
		if claimed {
			i := p.m.c.shard % uint32(shards)
			parts[i] = append(parts[i], p.m.c)
		}
	}
	r.h.stats.events.Add(events)
	if len(out) < largeFlush {
		for _, c := range parts[0] {
			c.out.WriteClaimed(by)
		}
		clear(parts[0])
		r.claimed = parts[0][:0]
	} else {
		for _, cs := range parts {
			if len(cs) > 0 {
				r.writers.Go(func() {
					for _, c := range cs {
						c.out.WriteClaimed(by)
					}
				})
			}
		}
	}
	clear(out)
	if r.spare == nil {
		r.spare = out[:0]
	}
	for _, m := range failed {
		r.evict(m)
	}
}

// enqueue queues e for m at once, without blocking, after what was posted before. Past
// half full, ephemeral messages are dropped (true: nothing is wrong); when full, it
// reports false and the caller evicts.
func (r *room) enqueue(m *member, e wire.Entry) bool {
	r.flushOut()
	return m.c.out.Offer(e)
}

func (r *room) evict(m *member) {
	if r.members[m.c] != m {
		return // already gone
	}
	r.h.stats.evictions.Add(1)
	r.drop(m, dropAbort, websocket.CloseTryAgainLater, "too slow")
}

func (r *room) sendOutcome(o sentOutcome) {
	if !o.at.IsZero() {
		r.h.cfg.Observer.Answered(time.Since(o.at))
	}
	if o.reply != nil {
		o.reply <- o.out // buffered for this one outcome: never blocks the room
		return
	}
	m := r.members[o.c]
	if m == nil {
		return // the connection left; the client will resend the same id
	}
	var f frame
	if o.out.Code == "" {
		f = &ackFrame{Type: "ack", ID: o.out.CommandID, Seq: o.out.Seq}
	} else {
		f = &rejectFrame{
			Type: "reject", ID: o.out.CommandID, Code: o.out.Code,
			Message: r.h.translate(m.c.language(), o.out.Code), Detail: o.out.Message,
		}
	}
	r.send(m, f)
}

// send queues a per-connection frame, behind pending events during a catch-up.
func (r *room) send(m *member, f frame) {
	if m.catching {
		m.pending = append(m.pending, pendingItem{f: f})
		return
	}
	r.post(m, wire.Entry{Later: f}, 0)
}

// applyViewers installs the viewers loaded after a ReloadViewers event. A member whose
// membership is gone is closed: it may no longer see the workshop at all.
func (r *room) applyViewers(vs map[int64]Viewer, gen uint64) {
	r.viewers, r.viewersGen = vs, gen
	changed := false
	for c, m := range r.members {
		nv, ok := vs[m.v.Participant]
		if !ok {
			r.dropWithError(m, websocket.ClosePolicyViolation, CodeForbidden)
			continue
		}
		nv = mergeViewer(m.v, nv)
		m.gen = gen
		if nv == m.v {
			continue
		}
		m.v = nv
		c.viewer.Store(&nv)
		changed = true
		r.send(m, &viewerFrame{
			Type: "viewer", You: nv.Participant, Role: nv.Role, Moderator: nv.Moderator, Group: nv.Group,
		})
	}
	// Person fan-out keys on the participant, which never changes, so people stays valid.
	if changed {
		r.recount() // a role or a group moved: rare enough to count the room again
	}
}

// reset closes every member after the committer lost track of the log; clients
// reconnect and resume by seq from the database, which is the truth.
func (r *room) reset(to int64) {
	for _, m := range r.members {
		r.dropWithError(m, websocket.CloseInternalServerErr, CodeUnavailable)
	}
	r.ring.reset()
	if to > r.delivered {
		r.delivered = to
	}
}
