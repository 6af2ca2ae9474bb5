package hub

import (
	"sync"
	"time"
)

// rejoinWindow is how long the hub remembers who a participant was in a room after their
// connection ended. A whole room dropping at once (a Wi-Fi access point restarting, a
// proxy reloading) comes back within seconds; without this, each of the thousands of
// joins asks the database again who the person is, and the reconnection storm becomes the
// database storm DESIGN.md warns about.
//
// Reusing the viewer within the window grants nothing a connection that had stayed open
// would not have had: access is otherwise checked at join only. Every change of access
// that the hub hears of ends it: Disconnect (sign-out, revocation, erasure, a registration
// cancelled), and any reload of memberships (an event with ReloadViewers, in any room).
const rejoinWindow = 30 * time.Second

// recentViewers holds the viewers of connections that ended lately, per participant and
// workshop. Its own lock: joins run on the read pumps, leaves on the room goroutines.
type recentViewers struct {
	mu    sync.Mutex
	by    map[int64]map[int64]recentViewer // participant → workshop → viewer
	swept time.Time
}

type recentViewer struct {
	v     Viewer
	gen   uint64 // the hub's viewer generation the viewer was read at
	until time.Time
}

// remember records the viewer of a connection that ended.
func (rv *recentViewers) remember(ws int64, v Viewer, gen uint64, now time.Time) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.by == nil {
		rv.by = map[int64]map[int64]recentViewer{}
	}
	if now.Sub(rv.swept) > rejoinWindow {
		rv.sweepLocked(now)
	}
	m := rv.by[v.Participant]
	if m == nil {
		m = map[int64]recentViewer{}
		rv.by[v.Participant] = m
	}
	m[ws] = recentViewer{v: v, gen: gen, until: now.Add(rejoinWindow)}
}

// recall returns the remembered viewer when it is recent and no membership was reloaded
// since (gen is the hub's current viewer generation).
func (rv *recentViewers) recall(ws, participant int64, gen uint64, now time.Time) (Viewer, bool) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	e, ok := rv.by[participant][ws]
	if !ok || e.gen != gen || !now.Before(e.until) {
		return Viewer{}, false
	}
	return e.v, true
}

// forget drops everything remembered about a participant.
func (rv *recentViewers) forget(participant int64) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	delete(rv.by, participant)
}

// forgetWorkshop drops everything remembered about a workshop's room (its log was reset).
func (rv *recentViewers) forgetWorkshop(ws int64) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	for p, m := range rv.by {
		delete(m, ws)
		if len(m) == 0 {
			delete(rv.by, p)
		}
	}
}

func (rv *recentViewers) sweepLocked(now time.Time) {
	rv.swept = now
	for p, m := range rv.by {
		for ws, e := range m {
			if !now.Before(e.until) {
				delete(m, ws)
			}
		}
		if len(m) == 0 {
			delete(rv.by, p)
		}
	}
}
