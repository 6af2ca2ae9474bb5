package hub

import (
	"maps"
	"strconv"
	"time"

	"github.com/assises/assises/hub/wire"
)

// coalescer spaces out a recurring action: at most one per interval.
type coalescer struct {
	interval time.Duration
	last     time.Time // when the action last ran; zero = never
}

// delay is how long to wait from now before the action may run again.
func (k *coalescer) delay(now time.Time) time.Duration {
	if k.last.IsZero() {
		return 0
	}
	return max(0, k.last.Add(k.interval).Sub(now))
}

// arm sets *t to fire after d and returns its channel. A room keeps one timer per job and
// reuses it, so that arming often (every join, every deferred write) makes no garbage.
func arm(t **time.Timer, d time.Duration) <-chan time.Time {
	if *t == nil {
		*t = time.NewTimer(d)
	} else {
		(*t).Reset(d)
	}
	return (*t).C
}

// presenceState is owned by the room goroutine. A change only arms a timer; the count
// is made and sent when it fires, at most once per CoalesceInterval, and only if it
// differs from what was last sent: in a room of thousands, joins and leaves must not
// each cost a broadcast.
type presenceState struct {
	k     coalescer
	timer *time.Timer
	c     <-chan time.Time // nil when not armed
	sent  *presenceFrame   // last broadcast
}

// mark notes that presence may have changed.
func (p *presenceState) mark(r *room) {
	if p.c != nil {
		return
	}
	p.k.interval = r.h.cfg.CoalesceInterval
	p.c = arm(&p.timer, p.k.delay(time.Now()))
}

func (p *presenceState) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
	p.c = nil
}

// current is a copy of the last broadcast, for a member that just went live.
func (p *presenceState) current() *presenceFrame {
	if p.sent == nil {
		return nil
	}
	f := *p.sent
	return &f
}

// countPresence counts distinct participants, not connections: a person with two tabs
// is one person online.
func (r *room) countPresence() *presenceFrame {
	f := &presenceFrame{Type: "presence", ByRole: map[string]int{}, ByGroup: map[string]int{}}
	for _, ms := range r.people {
		v := ms[0].v
		f.Online++
		f.ByRole[presenceRole(v)]++
		if v.Group != 0 {
			f.ByGroup[strconv.FormatInt(v.Group, 10)]++
		}
	}
	if share := r.h.cfg.Presence; share != nil {
		other := share.Share(r.id, PresenceCount{Online: f.Online, ByRole: f.ByRole, ByGroup: f.ByGroup})
		f = &presenceFrame{Type: "presence", Online: f.Online + other.Online,
			ByRole: maps.Clone(f.ByRole), ByGroup: maps.Clone(f.ByGroup)}
		for k, n := range other.ByRole {
			f.ByRole[k] += n
		}
		for k, n := range other.ByGroup {
			f.ByGroup[k] += n
		}
	}
	return f
}

// presenceRole is the role a person is counted under: someone appointed to moderate this
// workshop counts as a moderator even when their role in the process is participant, so that
// the room's count of participants is the count of people who may vote.
func presenceRole(v Viewer) string {
	if v.Moderator && v.Role == "participant" {
		return "moderator"
	}
	return v.Role
}

func (r *room) sendPresence() {
	p := &r.presence
	p.c = nil
	f := r.countPresence()
	if s := p.sent; s != nil && s.Online == f.Online && maps.Equal(s.ByRole, f.ByRole) && maps.Equal(s.ByGroup, f.ByGroup) {
		return
	}
	p.sent = f
	p.k.last = time.Now()
	var wf *wire.Frame
	for _, m := range r.members {
		if m.catching {
			continue // gets the current presence when it goes live
		}
		if wf == nil {
			wf = prepare(f, r.h.nowMs())
		}
		// Presence is ephemeral: dropped past half full, never a reason to evict alone.
		r.post(m, wire.Entry{Frame: wf, Ephemeral: true}, 0)
	}
	r.flushOut()
}
