package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// sessionCacheTTL is how long the WebSocket handshake trusts the database's last word on a
// session cookie. A room coming back at once (an access point restarting) would otherwise
// ask the database once per handshake. Every revocation this node makes forgets the entry at
// once (handler.revoke); the TTL bounds only what the node cannot hear of, a revocation
// made on another node, and a session that expires sooner is trusted only until then.
const sessionCacheTTL = 5 * time.Second

// sessionCache remembers who a session cookie signs in, by the cookie's hash.
type sessionCache struct {
	// gen is bumped by every forget: a lookup that began before it neither fills the cache
	// nor trusts the socket it opened without asking the database again (ws.go).
	gen   atomic.Uint64
	now   func() time.Time // the site's clock
	mu    sync.Mutex
	by    map[string]cachedSession
	sweep *time.Timer // armed while entries are kept: a quiet node does not keep them
}

type cachedSession struct {
	participant int64
	until       time.Time
}

func (c *sessionCache) generation() uint64 { return c.gen.Load() }

// get returns the participant of a session confirmed less than sessionCacheTTL ago.
func (c *sessionCache) get(hash string, now time.Time) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.by[hash]
	if !ok || !now.Before(e.until) {
		return 0, false
	}
	return e.participant, true
}

// put records what the database said, unless something was forgotten since gen was read.
func (c *sessionCache) put(hash string, participant int64, expires time.Time, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if c.by == nil {
		c.by = map[string]cachedSession{}
	}
	c.by[hash] = cachedSession{participant: participant, until: minTime(now.Add(sessionCacheTTL), expires)}
	if c.sweep == nil {
		c.sweep = time.AfterFunc(sessionCacheTTL, c.sweepExpired)
	}
}

// sweepExpired drops what has expired, and comes back while anything is left.
func (c *sessionCache) sweepExpired() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	for h, e := range c.by {
		if !now.Before(e.until) {
			delete(c.by, h)
		}
	}
	switch {
	case len(c.by) == 0:
		c.sweep = nil
	case c.sweep == nil:
		c.sweep = time.AfterFunc(sessionCacheTTL, c.sweepExpired)
	default:
		c.sweep.Reset(sessionCacheTTL)
	}
}

// forgetSession drops one cookie (its browser signed out).
func (c *sessionCache) forgetSession(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.by, hash)
	c.gen.Add(1)
}

// forgetParticipant drops every cookie of a person (revoked, erased, removed).
func (c *sessionCache) forgetParticipant(participant int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.by {
		if e.participant == participant {
			delete(c.by, h)
		}
	}
	c.gen.Add(1)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
