package server

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestSessionCache(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		fill   func(c *sessionCache) // what happens before the lookup
		at     time.Time
		want   int64
		wantOK bool
	}{
		{"confirmed a moment ago", func(c *sessionCache) { c.put("a", 7, now.Add(time.Hour), c.generation(), now) }, now.Add(time.Second), 7, true},
		{"confirmed too long ago", func(c *sessionCache) { c.put("a", 7, now.Add(time.Hour), c.generation(), now) }, now.Add(sessionCacheTTL), 0, false},
		{"the session expires sooner", func(c *sessionCache) { c.put("a", 7, now.Add(time.Second), c.generation(), now) }, now.Add(2 * time.Second), 0, false},
		{"signed out", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			c.forgetSession("a")
		}, now, 0, false},
		{"the person revoked", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			c.forgetParticipant(7)
		}, now, 0, false},
		{"someone else revoked", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			c.forgetParticipant(8)
		}, now, 7, true},
		{"a lookup that began before a revocation does not fill", func(c *sessionCache) {
			gen := c.generation()
			c.forgetParticipant(7) // commits while the lookup reads the database
			c.put("a", 7, now.Add(time.Hour), gen, now)
		}, now, 0, false},
		{"a socket opened with it is still open", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			c.pin("a", 7, c.generation())
		}, now.Add(10 * time.Minute), 7, true},
		{"its socket ended a moment ago", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			c.release(c.pin("a", 7, c.generation()), now.Add(time.Minute))
		}, now.Add(time.Minute + sessionSocketGrace - time.Second), 7, true},
		{"its socket ended too long ago", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			c.release(c.pin("a", 7, c.generation()), now.Add(time.Minute))
		}, now.Add(time.Minute + sessionSocketGrace), 0, false},
		{"one of its two sockets ended", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			c.pin("a", 7, c.generation())
			c.release(c.pin("a", 7, c.generation()), now.Add(time.Minute))
		}, now.Add(time.Hour - time.Second), 7, true},
		{"a socket open, but the session expired", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Minute), c.generation(), now)
			c.pin("a", 7, c.generation())
		}, now.Add(time.Minute), 0, false},
		{"revoked while its socket is open", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			c.pin("a", 7, c.generation())
			c.forgetParticipant(7)
		}, now, 0, false},
		{"a socket whose lookup overlapped a revocation is not counted", func(c *sessionCache) {
			gen := c.generation()
			c.put("a", 7, now.Add(time.Hour), gen, now)
			c.forgetParticipant(8) // someone else: the entry stays, but the generation moved
			if c.pin("a", 7, gen) != nil {
				panic("pinned across a revocation")
			}
		}, now.Add(sessionCacheTTL), 0, false},
		{"a socket that outlived a revocation does not vouch for a new entry", func(c *sessionCache) {
			c.put("a", 7, now.Add(time.Hour), c.generation(), now)
			old := c.pin("a", 7, c.generation())
			c.forgetParticipant(7)
			c.put("a", 7, now.Add(time.Hour), c.generation(), now) // the database says yes again
			c.release(old, now)
		}, now.Add(sessionCacheTTL), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c sessionCache
			tt.fill(&c)
			if got, ok := c.get("a", tt.at); got != tt.want || ok != tt.wantOK {
				t.Errorf("get: got %d %v, want %d %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestSessionCacheSweeps: a node that goes quiet does not keep the cookies it saw.
func TestSessionCacheSweeps(t *testing.T) {
	var clock atomic.Int64
	start := time.Now()
	c := sessionCache{now: func() time.Time { return start.Add(time.Duration(clock.Load())) }}
	c.put("a", 7, start.Add(time.Hour), c.generation(), start)
	c.sweepExpired()
	if n := c.size(); n != 1 {
		t.Fatalf("entries before they expire: got %d, want 1", n)
	}
	clock.Store(int64(sessionCacheTTL))
	c.sweepExpired()
	if n := c.size(); n != 0 {
		t.Fatalf("entries after they expired: got %d, want 0", n)
	}

	// A cookie whose socket is open stays until the socket has ended sessionSocketGrace ago.
	c.put("b", 8, start.Add(time.Hour), c.generation(), start.Add(sessionCacheTTL))
	pin := c.pin("b", 8, c.generation())
	clock.Store(int64(10 * time.Minute))
	c.sweepExpired()
	if n := c.size(); n != 1 {
		t.Fatalf("entries with an open socket: got %d, want 1", n)
	}
	c.release(pin, start.Add(10*time.Minute))
	clock.Store(int64(10*time.Minute + sessionSocketGrace))
	c.sweepExpired()
	if n := c.size(); n != 0 {
		t.Fatalf("entries after their socket ended: got %d, want 0", n)
	}
}

func (c *sessionCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.by)
}
