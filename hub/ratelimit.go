package hub

import (
	"sync"
	"time"
)

// A connection's messages are limited by what the client sent, judged when it sent them.
// The server cannot see that moment, only when its read pump got round to a message, and a
// pump that the server held (a command waiting for room in a full queue, workers busy, a
// starved machine) reads what piled up in the socket all at once: a client that kept to its
// rate would be charged for a burst it never sent as one.
//
// So a bucket keeps the tokens it earns while the pump is behind, past its burst; only when
// the pump has caught up with the socket (it waited for the client's next message for at
// least one interval of the rate: nothing was unread) does the burst bound them again.
// Between two such moments every message read arrived after the first, so a client is
// refused only if it provably sent more than burst + rate × time. A client cannot hoard
// tokens this way: the pump stays "behind" only while messages come faster than the rate,
// which spends more than the bucket earns; what it keeps is at most what the server's delay
// earned it, and maxLagCredit bounds even that.

// maxLagCredit bounds the tokens a bucket keeps past its burst while its pump is behind: the
// rate times this long.
const maxLagCredit = time.Minute

// bucket is a token bucket: rate tokens per second, full (burst) at the start. The burst
// caps the stored tokens only when settle says the pump has caught up (see above). Safe for
// concurrent use: a participant's bucket is shared by their connections.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	most   float64 // burst + what maxLagCredit earns
	tokens float64
	last   time.Time // when tokens was last brought up to date; zero before the first use
}

func newBucket(perSecond float64, burst int) *bucket {
	b := float64(burst)
	return &bucket{rate: perSecond, burst: b, most: b + perSecond*maxLagCredit.Seconds(), tokens: b}
}

// earn brings the tokens up to now; b.mu is held. A clock going backwards earns nothing.
func (b *bucket) earn(now time.Time) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.tokens+now.Sub(b.last).Seconds()*b.rate, b.most)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
}

// take spends one token if there is one.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.earn(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// settle bounds the stored tokens by the burst: the pump has caught up with the socket.
func (b *bucket) settle(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.earn(now)
	b.tokens = min(b.tokens, b.burst)
}

// connLimiter is owned by one connection's read pump. The flood bucket allows
// floodFactor times the normal rate for floodWindow; a client that drains it is not
// merely eager but flooding, and is disconnected.
type connLimiter struct {
	normal *bucket
	flood  *bucket
	person *personLimiter
	// caughtUp: a wait this long for the client's next message means nothing was unread
	// (one interval of the connection's rate: a client sending faster spends more than it
	// earns, so a shorter wait never lets tokens pile up).
	caughtUp time.Duration
}

func newConnLimiter(cfg *Config, person *personLimiter) *connLimiter {
	floodRate := floodFactor * cfg.ConnRate
	floodBurst := int(floodRate*floodWindow.Seconds()) + cfg.ConnBurst
	return &connLimiter{
		normal:   newBucket(cfg.ConnRate, cfg.ConnBurst),
		flood:    newBucket(floodRate, floodBurst),
		person:   person,
		caughtUp: time.Duration(float64(time.Second) / cfg.ConnRate),
	}
}

// allow counts one incoming message against the connection and the participant. The
// flood bucket is checked separately, before decoding.
func (l *connLimiter) allow(now time.Time) bool {
	if !l.normal.take(now) {
		return false
	}
	return l.person == nil || l.person.b.take(now)
}

// settle is called when the pump waited at least caughtUp for the message it is about to
// charge: it had caught up with the socket, so the bursts bound again.
func (l *connLimiter) settle(now time.Time) {
	l.normal.settle(now)
	l.flood.settle(now)
	if l.person != nil {
		l.person.b.settle(now)
	}
}

// personLimiter is shared by all connections of one participant on this hub, so opening
// more tabs does not multiply a person's allowance. One connection that has caught up
// settles it for all: a backlog on another tab of the same person is judged as before.
type personLimiter struct {
	b     *bucket
	users int // connections holding it; guarded by the hub's connection lock
}
