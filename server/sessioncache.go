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

// sessionSocketGrace is how long after the last socket opened with a cookie on this node has
// ended the handshake still trusts that cookie from memory, past sessionCacheTTL. While such
// a socket is open, trusting the cookie for another grants nothing it does not already have
// (a revocation this node does not hear of does not close it either); a socket that dropped
// with a whole room comes back within seconds, and that storm should not ask the database
// ten thousand times. The same reasoning and the same window as the hub's rejoin
// (hub/rejoin.go); every revocation this node makes still forgets the entry at once.
const sessionSocketGrace = 30 * time.Second

// sessionCache remembers who a session cookie signs in, by the cookie's hash.
type sessionCache struct {
	// gen is bumped by every forget: a lookup that began before it neither fills the cache
	// nor trusts the socket it opened without asking the database again (ws.go).
	gen   atomic.Uint64
	now   func() time.Time // the site's clock
	mu    sync.Mutex
	by    map[string]*cachedSession
	sweep *time.Timer // armed while entries are kept: a quiet node does not keep them
}

// cachedSession is what the node knows of one cookie. Times are Unix nanoseconds of the
// site's clock: an entry is kept for every open socket, so it stays small.
type cachedSession struct {
	participant int64
	until       int64 // confirmed by the database: trusted until then
	expires     int64 // the session's own end: never trusted past it
	sockets     int32 // sockets opened with the cookie on this node, still open (pin)
	left        int64 // when the last of them ended (release)
}

// trusted reports whether e may stand for the database at now.
func (e *cachedSession) trusted(now int64) bool {
	if now < e.until {
		return true
	}
	return now < e.expires && (e.sockets > 0 || e.left != 0 && now < e.left+int64(sessionSocketGrace))
}

func (c *sessionCache) generation() uint64 { return c.gen.Load() }

// get returns the participant of a session confirmed less than sessionCacheTTL ago, or
// whose cookie opened a socket on this node that is still open or ended less than
// sessionSocketGrace ago.
func (c *sessionCache) get(hash string, now time.Time) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.by[hash]
	if !ok || !e.trusted(now.UnixNano()) {
		return 0, false
	}
	return e.participant, true
}

// pin counts a socket about to open with the cookie of hash for participant, and returns
// what release takes when it ends; nil (nothing to release) when the entry is gone or
// something was forgotten since gen was read, before the lookup began.
func (c *sessionCache) pin(hash string, participant int64, gen uint64) *cachedSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.by[hash]
	if e == nil || e.participant != participant || c.gen.Load() != gen {
		return nil
	}
	e.sockets++
	return e
}

// release counts the end of a socket pin counted. An entry forgotten meanwhile is no longer
// in the memory: releasing it changes nothing.
func (c *sessionCache) release(e *cachedSession, now time.Time) {
	if e == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.sockets--; e.sockets == 0 {
		e.left = now.UnixNano()
	}
}

// put records what the database said, unless something was forgotten since gen was read.
func (c *sessionCache) put(hash string, participant int64, expires time.Time, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if c.by == nil {
		c.by = map[string]*cachedSession{}
	}
	until := minTime(now.Add(sessionCacheTTL), expires).UnixNano()
	if e := c.by[hash]; e != nil && e.participant == participant {
		e.until, e.expires = until, expires.UnixNano() // the sockets it counts stay counted
	} else {
		c.by[hash] = &cachedSession{participant: participant, until: until, expires: expires.UnixNano()}
	}
	if c.sweep == nil {
		c.sweep = time.AfterFunc(sessionCacheTTL, c.sweepExpired)
	}
}

// sweepExpired drops what is no longer trusted, and comes back while anything is left.
func (c *sessionCache) sweepExpired() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	for h, e := range c.by {
		if !e.trusted(now.UnixNano()) {
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
