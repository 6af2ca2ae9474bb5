package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/deliberation"
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
	tests := []struct{ remote, want string }{
		{"203.0.113.7:5123", "203.0.113.7"},
		{"[2001:db8:1:2:aaaa::1]:443", "2001:db8:1:2::"},
		{"[2001:db8:1:2:bbbb::9]:443", "2001:db8:1:2::"}, // same /64: one home
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if got := clientKey(r); got != tt.want {
			t.Errorf("clientKey(%s): got %q, want %q", tt.remote, got, tt.want)
		}
	}
}

// TestRateLimitedRoutes drives the real handler from several addresses: past the limit an
// address gets a translated 429 page with Retry-After; other addresses, and the other limit,
// are unaffected.
func TestRateLimitedRoutes(t *testing.T) {
	db := storagetest.Open(t, "sqlite")
	u, _ := url.Parse("http://assises.test")
	h, err := New(Config{DB: db, PublicURL: u, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
	org, _, err := deliberation.EnsurePlatformOrganiser(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := deliberation.CreateInvitation(context.Background(), db, org.ID, nil, time.Hour, false)
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
