package hub

import (
	"time"

	"golang.org/x/time/rate"
)

// bucket is a token bucket from golang.org/x/time/rate: rate tokens per second, at most
// burst stored, full at the start. The library's is tested, safe for concurrent use (a
// participant's bucket is shared by their connections) and takes the clock as an argument,
// so the hub's configurable clock drives it.
type bucket struct{ lim *rate.Limiter }

func newBucket(perSecond float64, burst int) bucket {
	return bucket{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// take spends one token if there is one.
func (b bucket) take(now time.Time) bool { return b.lim.AllowN(now, 1) }

// connLimiter is owned by one connection's read pump. The flood bucket allows
// floodFactor times the normal rate for floodWindow; a client that drains it is not
// merely eager but flooding, and is disconnected.
type connLimiter struct {
	normal bucket
	flood  bucket
	person *personLimiter
}

func newConnLimiter(cfg *Config, person *personLimiter) *connLimiter {
	floodRate := floodFactor * cfg.ConnRate
	floodBurst := int(floodRate*floodWindow.Seconds()) + cfg.ConnBurst
	return &connLimiter{
		normal: newBucket(cfg.ConnRate, cfg.ConnBurst),
		flood:  newBucket(floodRate, floodBurst),
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
	b     bucket
	users int // connections holding it; guarded by the hub's connection lock
}

func (p *personLimiter) take(now time.Time) bool { return p.b.take(now) }
