package hub

import (
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens per second, at most burst stored. It is not safe
// for concurrent use; callers hold the owner's lock or own it outright.
type bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int, now time.Time) bucket {
	return bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take spends one token if there is one.
func (b *bucket) take(now time.Time) bool {
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(b.burst, b.tokens+dt.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// connLimiter is owned by one connection's read pump. The flood bucket allows
// floodFactor times the normal rate for floodWindow; a client that drains it is not
// merely eager but flooding, and is disconnected.
type connLimiter struct {
	normal bucket
	flood  bucket
	person *personLimiter
}

func newConnLimiter(cfg *Config, person *personLimiter, now time.Time) *connLimiter {
	floodRate := floodFactor * cfg.ConnRate
	floodBurst := int(floodRate*floodWindow.Seconds()) + cfg.ConnBurst
	return &connLimiter{
		normal: newBucket(cfg.ConnRate, cfg.ConnBurst, now),
		flood:  newBucket(floodRate, floodBurst, now),
		person: person,
	}
}

// allow counts one incoming message against the connection and the participant. The
// flood bucket is checked separately, before decoding.
func (l *connLimiter) allow(now time.Time) bool {
	if !l.normal.take(now) {
		return false
	}
	return l.person == nil || l.person.take(now)
}

// personLimiter is shared by all connections of one participant on this hub, so opening
// more tabs does not multiply a person's allowance.
type personLimiter struct {
	mu    sync.Mutex
	b     bucket
	users int // connections holding it; guarded by the hub's connection lock
}

func (p *personLimiter) take(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.b.take(now)
}
