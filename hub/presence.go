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

// presenceFullRoom is the audience from which a room's broadcasts that wait for one another
// (presence, and the coalesced follow-ups: tallies) go out at the slowest pace,
// Config.PresenceInterval. Below it the pace grows with the room, never faster than
// CoalesceInterval: a broadcast costs one write per member, so a room sends at most about
// presenceFullRoom frames of each a second whatever its size, and a small room, where a
// broadcast costs little, sees people arrive and tallies move almost at once.
const presenceFullRoom = 1000

// broadcastInterval is the pace of a coalesced broadcast to this many (people online for
// presence, connections for the follow-ups).
func broadcastInterval(cfg *Config, audience int) time.Duration {
	d := time.Duration(int64(cfg.PresenceInterval) * int64(audience) / presenceFullRoom)
	return min(max(d, cfg.CoalesceInterval), cfg.PresenceInterval)
}

// presenceState is owned by the room goroutine. A change only arms a timer; the count is
// sent when it fires, at most once per presenceInterval, and only if it differs from what
// was last sent: in a room of thousands, joins and leaves must not each cost a broadcast.
type presenceState struct {
	count presenceCount
	k     coalescer
	timer *time.Timer
	c     <-chan time.Time // nil when not armed
	sent  *presenceFrame   // last broadcast
	now   *presenceFrame   // the count as a frame, made once per change of it (nil: changed)
}

// presenceCount is the one place a room counts who is online: distinct participants, not
// connections (a person with two tabs is one person online), each under the role and group
// of their first connection. It is kept as people come and go, so that a member going live
// gets the exact count without a walk over the room; a count over several nodes would add
// these up.
type presenceCount struct {
	online  int
	byRole  map[string]int
	byGroup map[int64]int
}

// add counts a person in (d = 1) or out (d = -1) under v.
func (c *presenceCount) add(v Viewer, d int) {
	if c.byRole == nil {
		c.byRole, c.byGroup = map[string]int{}, map[int64]int{}
	}
	c.online += d
	role := presenceRole(v)
	if c.byRole[role] += d; c.byRole[role] == 0 {
		delete(c.byRole, role)
	}
	if v.Group != 0 {
		if c.byGroup[v.Group] += d; c.byGroup[v.Group] == 0 {
			delete(c.byGroup, v.Group)
		}
	}
}

// countOf counts the people of a room from scratch (after viewers were reloaded, and in
// tests as the reference the kept count must equal).
func countOf(people map[int64][]*member) presenceCount {
	var c presenceCount
	for _, ms := range people {
		c.add(ms[0].v, 1)
	}
	return c
}

func (c *presenceCount) frame() *presenceFrame {
	f := &presenceFrame{Type: "presence", Online: c.online, ByRole: make(map[string]int, len(c.byRole)), ByGroup: make(map[string]int, len(c.byGroup))}
	maps.Copy(f.ByRole, c.byRole)
	for g, n := range c.byGroup {
		f.ByGroup[strconv.FormatInt(g, 10)] = n
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

// changed notes that a person came or went, or was counted anew: the count's frame is
// stale and a broadcast is due.
func (p *presenceState) changed(r *room) {
	p.now = nil
	p.mark(r)
}

// mark arms the broadcast, if it is not armed yet.
func (p *presenceState) mark(r *room) {
	if p.c != nil {
		return
	}
	p.k.interval = broadcastInterval(&r.h.cfg, p.count.online)
	p.c = arm(&p.timer, p.k.delay(time.Now()))
}

func (p *presenceState) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
	p.c = nil
}

// current is the exact count now, for a member that just went live: its own copy, since
// the frame is stamped with the time it is written.
func (r *room) currentPresence() *presenceFrame {
	p := &r.presence
	if p.now == nil {
		p.now = r.countPresence()
	}
	f := *p.now
	return &f
}

// countPresence is this node's count, plus the other nodes' when the room is shared
// (Config.Presence): sharing also publishes this node's count, so it runs once per change
// here or there (changed), not per member going live.
func (r *room) countPresence() *presenceFrame {
	f := r.presence.count.frame()
	share := r.h.cfg.Presence
	if share == nil {
		return f
	}
	other := share.Share(r.id, PresenceCount{Online: f.Online, ByRole: f.ByRole, ByGroup: f.ByGroup})
	// Share may keep the maps it was given: the sum goes into copies.
	sum := &presenceFrame{Type: "presence", Online: f.Online + other.Online,
		ByRole: maps.Clone(f.ByRole), ByGroup: maps.Clone(f.ByGroup)}
	for k, n := range other.ByRole {
		sum.ByRole[k] += n
	}
	for k, n := range other.ByGroup {
		sum.ByGroup[k] += n
	}
	return sum
}

// recount counts the room's people from scratch, after their viewers changed.
func (r *room) recount() {
	r.presence.count = countOf(r.people)
	r.presence.changed(r)
}

func (r *room) sendPresence() {
	p := &r.presence
	p.c = nil
	f := r.currentPresence()
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
