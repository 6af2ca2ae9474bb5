package server

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/assises/assises/server/web"
)

// TestLanguageSwitchTargets: on a page answering a POST the switch leads to the nearest page
// above the posted address, never to an address that only takes a POST (a 405 or a 404 on a
// GET); on a page answering a GET it keeps the page's other parameters and never prints its
// path (which may carry a token).
func TestLanguageSwitchTargets(t *testing.T) {
	h := &handler{publicURL: &url.URL{Scheme: "https", Host: "assises.example.org"}}
	h.mux = h.routes()
	site := &web.Site{PublicURL: h.publicURL, NearestPage: h.nearestPage}
	for _, c := range []struct{ method, target, want string }{
		{"POST", "/p/assises/register", "/p/assises?lang=nl"},
		{"POST", "/code", "/code?lang=nl"},
		{"POST", "/me/cancel", "/me?lang=nl"},
		{"POST", "/w/12/door/checkin", "/w/12/door?lang=nl"},
		{"POST", "/w/12/door/scan", "/w/12/door?lang=nl"},
		{"POST", "/w/12/door/walkin", "/w/12/door?lang=nl"},
		{"POST", "/w/12/door/joins/7", "/w/12/door?lang=nl"},
		{"POST", "/join/request", "/join?lang=nl"},
		{"POST", "/signout", "/?lang=nl"},
		{"GET", "/p/assises/registered?lang=fr", "?lang=nl"},
		{"GET", "/w/12/door?q=zo%C3%A9&done=3", "?done=3&lang=nl&q=zo%C3%A9"},
		{"GET", "/i/secret-token-value", "?lang=nl"},
	} {
		r := httptest.NewRequest(c.method, c.target, nil)
		if got := site.LangHref(r, "nl"); got != c.want {
			t.Errorf("%s %s: switch to %q, want %q", c.method, c.target, got, c.want)
		}
	}
}
