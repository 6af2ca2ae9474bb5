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
}

func (c *sessionCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.by)
}
