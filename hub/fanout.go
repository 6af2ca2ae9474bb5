package hub

import (
	"github.com/gorilla/websocket"
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
}

// fanout encodes ev once and adds the same prepared message to the batch of every member
// the audience includes; flushBatches queues the batches. It never writes to a socket
// and never blocks.
//
// A private event (a voter's vote.recorded: half of the messages of a vote) has one
// reader: it is encoded once and queued as plain bytes, because preparing a message for
// many costs more than the single write it would serve. It goes straight to the queue when
// the member has nothing batched yet in this delivery, which keeps the order.
func (r *room) fanout(ev *Event) {
	var pm *websocket.PreparedMessage
	var raw rawFrame
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
		if ev.Audience.Kind == Person && len(m.batch) == 0 {
			if raw == nil {
				raw = encodeFrame(newEventFrame(ev), r.h.nowMs())
			}
			if !r.enqueue(m, outbound{more: raw}) {
				evict = append(evict, m)
				return
			}
			r.h.stats.events.Add(1)
			m.last = ev.Seq
			return
		}
		if pm == nil {
			pm = prepare(newEventFrame(ev), r.h.nowMs())
		}
		if len(m.batch) == 0 {
			r.batched = append(r.batched, m)
		}
		m.batch = append(m.batch, pm)
		m.last = ev.Seq
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

// flushBatches queues each member's batch as one entry; a member whose queue is full is
// evicted.
func (r *room) flushBatches() {
	for _, m := range r.batched {
		b := m.batch
		ob := outbound{pm: b[0]}
		if len(b) == 1 {
			// The common case: keep the array for the next delivery, no allocation.
			b[0] = nil
			m.batch = b[:0]
		} else {
			ob = outbound{more: preparedBatch(b)} // the queue entry owns it now
			m.batch = nil
		}
		if r.members[m.c] != m {
			continue // evicted meanwhile
		}
		if !r.enqueue(m, ob) {
			r.evict(m)
			continue
		}
		r.h.stats.events.Add(int64(len(b)))
	}
	clear(r.batched)
	r.batched = r.batched[:0]
}

// maxPending bounds what a catching-up member may accumulate; past it the member is
// evicted and resumes later, rather than holding the room's memory hostage.
func (r *room) maxPending() int { return r.h.cfg.RingSize + r.h.cfg.SendQueue }

// enqueue queues ob for m without blocking. Past half full, ephemeral messages are
// dropped (true: nothing is wrong); when full, it reports false and the caller evicts.
func (r *room) enqueue(m *member, ob outbound) bool {
	q := m.c.send
	if ob.ephemeral && len(q) >= cap(q)/2 {
		return true
	}
	select {
	case q <- ob:
		return true
	default:
		return false
	}
}

func (r *room) evict(m *member) {
	if r.members[m.c] != m {
		return // already gone
	}
	r.h.stats.evictions.Add(1)
	r.drop(m, dropAbort, websocket.CloseTryAgainLater, "too slow")
}

func (r *room) sendOutcome(o sentOutcome) {
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
	if !r.enqueue(m, outbound{more: f}) {
		r.evict(m)
	}
}

// applyViewers installs the viewers loaded after a ReloadViewers event. A member whose
// membership is gone is closed: it may no longer see the workshop at all.
func (r *room) applyViewers(vs map[int64]Viewer, gen uint64) {
	r.viewers, r.viewersGen = vs, gen
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
		r.presence.mark(r)
		r.send(m, &viewerFrame{
			Type: "viewer", You: nv.Participant, Role: nv.Role, Moderator: nv.Moderator, Group: nv.Group,
		})
	}
	// Person fan-out keys on the participant, which never changes, so people stays valid.
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
