package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/assises/assises/attempts"
	"github.com/assises/assises/server/web"
)

// limiter is an in-memory token bucket per key (a client address), each a rate.Limiter from
// golang.org/x/time/rate: the library's bucket is tested, takes the clock as an argument
// (the handler's clock drives it) and reads its tokens without taking one (check). Memory:
// one small entry per address seen recently; entries whose bucket has filled up again are
// dropped.
type limiter struct {
	burst  int
	refill rate.Limit // tokens per second

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

// maxBuckets bounds the memory an address-spraying client can make us hold. Past it, after a
// sweep, the table is emptied: failing open for a moment is better than refusing everyone.
const maxBuckets = 100_000

func newLimiter(burst int, per time.Duration) *limiter {
	return &limiter{burst: burst, refill: rate.Every(per / time.Duration(burst)), buckets: map[string]*rate.Limiter{}}
}

// allow takes a token for key; when there is none it returns false and how long until there is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, now)
	if b.AllowN(now, 1) {
		return true, 0
	}
	return false, l.wait(b, now)
}

// wait is how long until b holds a whole token.
func (l *limiter) wait(b *rate.Limiter, now time.Time) time.Duration {
	return time.Duration((1 - b.TokensAt(now)) / float64(l.refill) * float64(time.Second))
}

// bucket returns key's bucket, made full on first sight. l.mu is held: a sweep cannot drop a
// bucket between finding it and taking its token.
func (l *limiter) bucket(key string, now time.Time) *rate.Limiter {
	if now.Sub(l.lastSweep) > time.Minute || len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(l.refill, l.burst)
		l.buckets[key] = b
	}
	return b
}

// sweep drops the buckets that would be full by now (nobody to remember).
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		l.buckets = map[string]*rate.Limiter{}
	}
}

// limits are the rate limits of the routes that anyone can call and that an attacker would
// hammer: registering (which creates rows and sends email) and trying codes and sign-in links.
// What every attempt spends is counted in memory, per node; failed guesses are counted in the
// database (package attempts), so that adding nodes does not multiply a guesser's budget.
type limits struct {
	// A community centre or a social service registers many people from one address: the
	// limit is generous, and only stops a script.
	register *limiter
	// Sign-in links carry 256 random bits, so guessing is hopeless anyway; the limit keeps a
	// scanner from filling the logs and the database with lookups. Only refused links count:
	// a whole room on the venue's Wi-Fi (one address) may open its good links at once.
	signIn attempts.Budget
	// Asking to join with a session code: only wrong or closed codes count (a room on the
	// venue's Wi-Fi shares one address; each session's queue is bounded anyway). Codes carry
	// 36 bits, so guessing them at 30 tries per 10 minutes goes nowhere.
	join attempts.Budget
	// Joining an open session: every join counts (each creates a participant). A plenary on
	// the venue's Wi-Fi shares one address, so the limit is generous; the room's capacity is
	// the hard bound (people.OpenCapacity).
	openJoin *limiter
	// Typing a personal code (/code): only wrong codes count. Codes carry 43 bits; at 20
	// wrong tries per 10 minutes an address would need millions of years to find any of
	// thousands of live codes, while a room sharing the venue's address can still mistype.
	code attempts.Budget
}

func newLimits() limits {
	return limits{
		register: newLimiter(30, 10*time.Minute),
		signIn:   attempts.Budget{Kind: "signin", Max: 60, Window: time.Minute},
		join:     attempts.Budget{Kind: "join", Max: 30, Window: 10 * time.Minute},
		openJoin: newLimiter(300, 10*time.Minute),
		code:     attempts.Budget{Kind: "code", Max: 20, Window: 10 * time.Minute},
	}
}

// clientKey is the address a rate limit counts: the client's IP, or its /64 for IPv6, since
// one home or phone usually holds a whole /64. The client is the peer, unless the peer is one
// of trusted (a reverse proxy of ours): then it is the nearest address in X-Forwarded-For that
// is not one of trusted. Anyone can write X-Forwarded-For, so only what our own proxies
// appended is believed: the header is read from the right and the first address that is not
// a trusted proxy is the client, whatever a client put further left.
func clientKey(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if isTrusted(ip, trusted) {
		ip = forwardedClient(r.Header.Values("X-Forwarded-For"), trusted, ip)
	}
	ip = ip.Unmap()
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().Addr().String()
	}
	return ip.String()
}

// forwardedClient walks the X-Forwarded-For lists from the right past the trusted proxies;
// it returns the first other address, or the leftmost trusted one when all are trusted (a
// request from a proxy itself), or peer when the header is absent or malformed.
func forwardedClient(headers []string, trusted []netip.Prefix, peer netip.Addr) netip.Addr {
	var hops []string
	for _, h := range headers {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return client // a malformed hop: do not believe anything left of it
		}
		client = ip
		if !isTrusted(ip, trusted) {
			return ip
		}
	}
	return client
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	ip = ip.Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR prefixes of the
// reverse proxies in front of the server ("" = none).
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an IP address or a CIDR prefix", f)
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// rateLimited takes a token of l for the client's address. When there is none it answers 429
// with a page in the reader's language and returns true; otherwise the handler goes on.
func (h *handler) rateLimited(w http.ResponseWriter, r *http.Request, l *limiter) bool {
	ok, wait := l.allow(clientKey(r, h.trustedProxies), h.now())
	return !ok && h.tooMany(w, r, wait)
}

// failuresLimited answers 429 when the client's address has spent its budget b of failed
// guesses, without counting this attempt (see countFailure). When the database cannot say,
// the attempt goes on: the lookup it guards asks the same database, and a person must not be
// locked out by a count that could not be read.
func (h *handler) failuresLimited(w http.ResponseWriter, r *http.Request, b attempts.Budget) bool {
	ok, wait, err := h.guesses.Left(r.Context(), b, clientKey(r, h.trustedProxies), h.now())
	if err != nil {
		h.log.Warn("rate limit: failed guesses could not be counted", "kind", b.Kind, "err", err)
		return false
	}
	return !ok && h.tooMany(w, r, wait)
}

// countFailure counts a failed guess of b's kind from the client's address.
func (h *handler) countFailure(r *http.Request, b attempts.Budget) {
	if err := h.guesses.Fail(r.Context(), b, clientKey(r, h.trustedProxies), h.now()); err != nil {
		h.log.Warn("rate limit: a failed guess could not be counted", "kind", b.Kind, "err", err)
	}
}

func (h *handler) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) bool {
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Cache-Control", "no-store")
	lang := web.Lang(r)
	h.site.WriteMessage(w, r, http.StatusTooManyRequests, web.Message{
		Heading: h.catalog.T(lang, "reg.limited.title"),
		Body:    h.catalog.T(lang, "reg.limited.body"),
		Link:    "/", LinkText: h.catalog.T(lang, "nav.home"), Error: true,
	})
	return true
}
