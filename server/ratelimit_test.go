package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/storage/storagetest"
)

func TestLimiterRefillsAndForgets(t *testing.T) {
	l := newLimiter(3, 3*time.Minute) // one token a minute
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	ok, wait := l.allow("a", now)
	if ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("past the burst: got %v (wait %v), want a refusal with a wait of at most a minute", ok, wait)
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Fatal("another address was refused")
	}
	if ok, _ := l.allow("a", now.Add(61*time.Second)); !ok {
		t.Fatal("no token after a minute")
	}
	// A sweep forgets the addresses whose bucket is full again.
	l.allow("c", now.Add(10*time.Minute))
	if _, ok := l.buckets["a"]; ok {
		t.Error("a full bucket was kept after the sweep")
	}
}

func TestClientKey(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8:ffff::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"ipv4 peer", "203.0.113.7:5123", nil, nil, "203.0.113.7"},
		{"ipv6 peer: its /64", "[2001:db8:1:2:aaaa::1]:443", nil, nil, "2001:db8:1:2::"},
		{"same /64: one home", "[2001:db8:1:2:bbbb::9]:443", nil, nil, "2001:db8:1:2::"},
		{"header ignored without trusted proxies", "203.0.113.7:1", []string{"198.51.100.1"}, nil, "203.0.113.7"},
		{"header ignored from an untrusted peer", "203.0.113.7:1", []string{"198.51.100.1"}, proxies, "203.0.113.7"},
		{"trusted proxy: the address it appended", "10.1.2.3:1", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"a forged address left of the real one is not believed", "10.1.2.3:1", []string{"192.0.2.66, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"two proxies of ours: skipped from the right", "10.1.2.3:1", []string{"198.51.100.1", "10.9.9.9"}, proxies, "198.51.100.1"},
		{"ipv6 client behind an ipv6 proxy: its /64", "[2001:db8:ffff::1]:1", []string{"2001:db8:5:6:7::1"}, proxies, "2001:db8:5:6::"},
		{"malformed hop: the nearest believable address", "10.1.2.3:1", []string{"nonsense, 10.4.4.4"}, proxies, "10.4.4.4"},
		{"no header from a proxy: the proxy", "10.1.2.3:1", nil, proxies, "10.1.2.3"},
		{"ipv4-mapped peer in an ipv4 prefix", "[::ffff:10.1.2.3]:1", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientKey(r, tt.trusted); got != tt.want {
				t.Errorf("clientKey(%s, %v): got %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.1 ,192.168.0.0/16,, ::1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.1/32", "192.168.0.0/16", "::1/128"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d: got %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"proxy.example.org", "10.0.0.0/33", "10.0.0"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestRateLimitedRoutes drives the real handler from several addresses: past the limit an
// address gets a translated 429 page with Retry-After; other addresses, and the other limit,
// are unaffected.
func TestRateLimitedRoutes(t *testing.T) {
	db := storagetest.Open(t, "sqlite")
	u, _ := url.Parse("http://assises.test")
	// A frozen clock: on a busy machine sixty attempts can take seconds, and the buckets would
	// refill meanwhile (one sign-in token a second).
	frozen := time.Now()
	h, err := New(Config{DB: db, PublicURL: u, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return frozen }})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, ip, lang string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader("displayName=x"))
		r.RemoteAddr = ip + ":40000"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if lang != "" {
			r.Header.Set("Accept-Language", lang)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	centre := "198.51.100.10" // a community centre: many people, one address
	for i := 0; i < 30; i++ {
		if w := do("POST", "/p/assises/register", centre, ""); w.Code == http.StatusTooManyRequests {
			t.Fatalf("registration %d from one address refused: the limit must allow 30 in 10 minutes", i+1)
		}
	}
	w := do("POST", "/p/assises/register", centre, "nl-BE")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "Te veel aanvragen") {
		t.Fatalf("31st registration: got %d (Retry-After %q), want a Dutch 429 page", w.Code, w.Header().Get("Retry-After"))
	}
	if w := do("POST", "/p/assises/register", "198.51.100.11", ""); w.Code == http.StatusTooManyRequests {
		t.Error("another address was limited too")
	}
	if w := do("GET", "/i/"+strings.Repeat("A", 43), centre, ""); w.Code != http.StatusNotFound {
		t.Errorf("sign-in from the limited address: got %d, want 404 (the other limit is untouched)", w.Code)
	}
	// Good links do not count: a whole room on the venue's Wi-Fi signs in at once.
	org, _, err := people.EnsurePlatformOrganiser(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := people.CreateInvitation(context.Background(), db, org.ID, nil, time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	venue := "192.0.2.10"
	for i := 0; i < 100; i++ {
		if w := do("GET", "/i/"+good, venue, ""); w.Code != http.StatusSeeOther {
			t.Fatalf("good sign-in %d from the venue: got %d, want 303", i+1, w.Code)
		}
	}
	scanner := "192.0.2.66"
	for i := 0; i < 60; i++ {
		if w := do("GET", "/i/"+strings.Repeat("B", 43), scanner, ""); w.Code == http.StatusTooManyRequests {
			t.Fatalf("sign-in attempt %d refused: the limit must allow 60 a minute", i+1)
		}
	}
	if w := do("GET", "/i/"+strings.Repeat("C", 43), scanner, "fr"); w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "Trop de demandes") {
		t.Errorf("61st sign-in attempt: got %d, want a French 429 page", w.Code)
	}
	if w := do("GET", "/i/"+strings.Repeat("C", 43), "192.0.2.67", ""); w.Code != http.StatusNotFound {
		t.Errorf("sign-in from another address: got %d, want 404", w.Code)
	}
}
