package server

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// bucket is one address's token bucket: it holds up to burst tokens and gains one every
// every; a request takes one.
type bucket struct {
	tokens float64
	last   time.Time
}

// limiter is an in-memory token bucket per key (a client address). Memory: one small entry per
// address seen recently; entries whose bucket has filled up again are dropped.
type limiter struct {
	burst float64
	every time.Duration

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

// maxBuckets bounds the memory an address-spraying client can make us hold. Past it, after a
// sweep, the table is emptied: failing open for a moment is better than refusing everyone.
const maxBuckets = 100_000

func newLimiter(burst int, per time.Duration) *limiter {
	return &limiter{burst: float64(burst), every: per / time.Duration(burst), buckets: map[string]*bucket{}}
}

// allow takes a token for key; when there is none it returns false and how long until there is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	return l.use(key, now, true)
}

// check says whether key has a token left, without taking it.
func (l *limiter) check(key string, now time.Time) (bool, time.Duration) {
	return l.use(key, now, false)
}

func (l *limiter) use(key string, now time.Time, take bool) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute || len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.last))/float64(l.every))
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.every))
	}
	if take {
		b.tokens--
	}
	return true, 0
}

// sweep drops the buckets that would be full by now (nobody to remember).
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.last))/float64(l.every) >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		l.buckets = map[string]*bucket{}
	}
}

// limits are the rate limits of the routes that anyone can call and that an attacker would
// hammer: registering (which creates rows and sends email) and trying sign-in links.
type limits struct {
	// A community centre or a social service registers many people from one address: the
	// limit is generous, and only stops a script.
	register *limiter
	// Sign-in links carry 256 random bits, so guessing is hopeless anyway; the limit keeps a
	// scanner from filling the logs and the database with lookups. Only refused links count:
	// a whole room on the venue's Wi-Fi (one address) may open its good links at once.
	signIn *limiter
	// Asking to join with a session code: only wrong or closed codes count (a room on the
	// venue's Wi-Fi shares one address; each session's queue is bounded anyway). Codes carry
	// 36 bits, so guessing them at 30 tries per 10 minutes goes nowhere.
	join *limiter
}

func newLimits() limits {
	return limits{
		register: newLimiter(30, 10*time.Minute),
		signIn:   newLimiter(60, time.Minute),
		join:     newLimiter(30, 10*time.Minute),
	}
}

// clientKey is the address a rate limit counts: the peer's IP, or its /64 for IPv6, since one
// home or phone usually holds a whole /64. X-Forwarded-For is not trusted: anyone can set it.
// Behind a reverse proxy every request comes from the proxy, so the limits then apply to
// everyone together (see docs/privacy.md).
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return ip.String()
}

// rateLimited takes a token of l for the client's address. When there is none it answers 429
// with a page in the reader's language and returns true; otherwise the handler goes on.
func (h *handler) rateLimited(w http.ResponseWriter, r *http.Request, l *limiter) bool {
	ok, wait := l.allow(clientKey(r), h.now())
	return !ok && h.tooMany(w, r, wait)
}

// failuresLimited is rateLimited for limits that count failures only: it answers 429 when the
// address has no token left, without taking one (see countFailure).
func (h *handler) failuresLimited(w http.ResponseWriter, r *http.Request, l *limiter) bool {
	ok, wait := l.check(clientKey(r), h.now())
	return !ok && h.tooMany(w, r, wait)
}

// countFailure takes a token of l for a failed attempt from the client's address.
func (h *handler) countFailure(r *http.Request, l *limiter) {
	l.allow(clientKey(r), h.now())
}

func (h *handler) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) bool {
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Cache-Control", "no-store")
	lang := h.lang(r)
	h.writeMessage(w, r, http.StatusTooManyRequests, message{
		Heading: h.catalog.T(lang, "reg.limited.title"),
		Body:    h.catalog.T(lang, "reg.limited.body"),
		Link:    "/", LinkText: h.catalog.T(lang, "nav.home"), Error: true,
	})
	return true
}
