package door_test

import (
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/server/sitetest"
)

// phoneFrom is a browser of its own (cookies, no redirects) whose connections leave from the
// loopback address ip (127.0.0.x: Linux answers on the whole 127/8), as a phone on another
// network would.
func phoneFrom(ip string) *http.Client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestJoinFloodFromOneAddress: a script on one address asks to join a session a hundred times
// with the right code (it is on the projector); it gets a quarter of the queue, then 429,
// while a phone on another address still gets its place; and a phone that asks again keeps
// one place, not two.
func TestJoinFloodFromOneAddress(t *testing.T) {
	s := sitetest.OnSQLite(t)
	f := sitetest.NewFixture(t, s.DB)
	ask := func(phone *http.Client, name string) int {
		tok := sitetest.FormToken(t, phone, s.Server.URL+"/join")
		resp, _ := sitetest.PostForm(t, phone, s.Server.URL+"/join/request", url.Values{"csrf": {tok}, "code": {f.Open.Code}, "name": {name}})
		return resp.StatusCode
	}
	accepted, refused := 0, 0
	for range 100 {
		switch got := ask(phoneFrom("127.0.0.2"), "Robot"); got {
		case http.StatusSeeOther:
			accepted++
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("flood request: got %d, want 303 or 429", got)
		}
	}
	if accepted != people.MaxPendingJoinsPerAddress || refused != 100-accepted {
		t.Fatalf("from one address: %d accepted, %d refused; want %d accepted, the rest refused", accepted, refused, people.MaxPendingJoinsPerAddress)
	}
	walkIn := phoneFrom("127.0.0.3")
	if got := ask(walkIn, "Aïcha"); got != http.StatusSeeOther {
		t.Fatalf("a phone on another address during the flood: got %d, want 303", got)
	}
	// The same phone tapping again replaces its request.
	if got := ask(walkIn, "Aïcha B."); got != http.StatusSeeOther {
		t.Fatalf("the same phone asking again: got %d, want 303", got)
	}
	n, err := s.DB.NewSelect().Model((*people.JoinRequest)(nil)).Where("source = ?", "127.0.0.3").Count(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("requests of the phone that asked twice: %d (%v), want 1", n, err)
	}
	countJoins(t, s.DB, people.MaxPendingJoinsPerAddress+1)
}
