package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire"
)

// catchUpResult is what a pool worker hands back to the room.
type catchUpResult struct {
	m        *member
	snapshot bool
	viewer   Viewer          // the viewer the snapshot was made for
	seq      int64           // last seq included (snapshot) or read (log)
	state    json.RawMessage // snapshot
	events   []Event         // log, contiguous after the client's since
	err      error
}

// resume brings a joining member from its since to live:
//   - since == delivered: nothing to send;
//   - since in the ring: the ring's later events, from memory;
//   - since older but within MaxCatchUp: the log, read in the pool;
//   - anything else (0, unknown, too old, in the future): a snapshot, made in the pool.
//
// Pool work runs while live events keep flowing: they wait in the member's pending list
// and are merged by seq when the work completes (no loss, no duplicate).
func (r *room) resume(m *member, since int64) {
	switch {
	case since > 0 && since == r.delivered:
		m.last = since
		r.goLive(m)
		return
	case since > 0 && since < r.delivered:
		if evs, ok := r.ring.after(since); ok {
			m.last = since
			r.replay(m, evs, true)
			r.goLive(m)
			return
		}
		if r.delivered-since <= int64(r.h.cfg.MaxCatchUp) {
			r.startCatchUp(m, since, false)
			return
		}
	}
	r.startCatchUp(m, 0, true)
}

// replay posts the events of evs that m has not had yet (and may see, when filter is set)
// as one entry; the caller's flushOut hands it over (and evicts m if its outbox is full).
// Events from the ring were encoded when the room fanned them out: writing them is a copy,
// which whoever writes may do. Others (from the log) are encoded by the writer goroutine.
func (r *room) replay(m *member, evs []Event, filter bool) {
	var out []Event
	encoded := true
	for i := range evs {
		if evs[i].Seq > m.last && (!filter || evs[i].Audience.Includes(m.v)) {
			out = append(out, evs[i])
			encoded = encoded && evs[i].head != nil
		}
	}
	if len(evs) > 0 && evs[len(evs)-1].Seq > m.last {
		m.last = evs[len(evs)-1].Seq
	}
	if len(out) == 0 {
		return
	}
	r.post(m, wire.Entry{Later: replay(out), Heavy: !encoded}, len(out))
}

// goLive ends a member's catch-up and gives it the exact presence of now: the room's
// broadcasts of it are spaced out (presence.go) and only sent when it changes.
func (r *room) goLive(m *member) {
	m.catching = false
	m.pending = nil
	r.post(m, wire.Entry{Later: r.currentPresence(), Ephemeral: true}, 0)
}

func (r *room) startCatchUp(m *member, since int64, snapshot bool) {
	if !m.catching { // a restarted snapshot keeps what is pending since the first start
		m.catching = true
		m.from = r.delivered
		m.pending = nil
	}
	h, ws, v, target := r.h, r.id, m.v, r.delivered
	job := func() {
		res := catchUpResult{m: m, snapshot: snapshot, viewer: v}
		ctx, cancel := context.WithTimeout(h.hardCtx, callWait)
		defer cancel()
		if snapshot {
			res.seq, res.state, res.err = h.cfg.Backend.Snapshot(ctx, ws, v)
		} else {
			res.events, res.err = readLog(ctx, h.cfg.Backend, ws, since, target)
			res.seq = target
		}
		select {
		case r.caughtUp <- res:
		case <-r.done:
		}
	}
	if !h.pool.submit(job) {
		r.dropWithError(m, websocket.CloseGoingAway, CodeShuttingDown)
	}
}

// readLog reads the events in (after, upto] and checks they are contiguous.
func readLog(ctx context.Context, b Backend, ws, after, upto int64) ([]Event, error) {
	var out []Event
	for after < upto {
		page, err := b.EventsAfter(ctx, ws, after, int(min(int64(logPage), upto-after)))
		if err != nil {
			return nil, fmt.Errorf("hub: read log after %d: %w", after, err)
		}
		if len(page) == 0 {
			return nil, fmt.Errorf("hub: read log after %d: log ends before %d", after, upto)
		}
		for _, ev := range page {
			if ev.Seq > upto {
				break
			}
			if ev.Seq != after+1 {
				return nil, fmt.Errorf("hub: read log: got seq %d after %d", ev.Seq, after)
			}
			out = append(out, ev)
			after = ev.Seq
		}
	}
	return out, nil
}

func (r *room) finishCatchUp(res catchUpResult) {
	defer r.flushOut() // what replay and goLive posted
	m := res.m
	if r.members[m.c] != m || !m.catching {
		return // the member left or was evicted meanwhile
	}
	if res.err != nil {
		r.h.log.Error("hub: catch-up", slog.Int64("workshop", r.id), slog.Bool("snapshot", res.snapshot), slog.Any("err", res.err))
		r.dropWithError(m, websocket.CloseInternalServerErr, CodeUnavailable)
		return
	}
	if res.snapshot && res.viewer != m.v {
		// The member's role or group changed while the snapshot was made for the old
		// one: that state may show too much or too little. Make another.
		r.startCatchUp(m, 0, true)
		return
	}
	if res.snapshot {
		if !r.enqueue(m, wire.Entry{Later: &snapshotFrame{Type: "snapshot", Seq: res.seq, State: res.state}, Heavy: true}) {
			r.evict(m)
			return
		}
		m.last = res.seq
	} else {
		m.last = 0 // replay filters on last: the log starts right after since
		r.replay(m, res.events, true)
		m.last = res.seq
	}
	if m.last < m.from {
		// A snapshot older than what the room had delivered when the member joined: the
		// missing events are older than pending; take them from the ring.
		evs, ok := r.ring.after(m.last)
		if !ok {
			r.dropWithError(m, websocket.CloseInternalServerErr, CodeUnavailable)
			return
		}
		var older []Event
		for _, ev := range evs {
			if ev.Seq <= m.from {
				older = append(older, ev)
			}
		}
		r.replay(m, older, true)
	}
	if !r.flushPending(m) {
		return
	}
	r.goLive(m)
}

// flushPending queues what arrived during the catch-up, in order, skipping events the
// member already has. Consecutive events share one queue entry.
func (r *room) flushPending(m *member) bool {
	var run []Event
	flushRun := func() {
		if len(run) > 0 {
			r.replay(m, run, false) // filtered when they were queued
			run = nil
		}
	}
	for _, p := range m.pending {
		if p.ev != nil {
			run = append(run, *p.ev)
			continue
		}
		flushRun()
		if !r.enqueue(m, wire.Entry{Later: p.f}) {
			r.evict(m)
			return false
		}
	}
	flushRun()
	return true
}
