package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

// The middleware refuses a change that a browser says comes from another site, whatever
// token it carries; a same-origin change passes and still needs its token.
func TestCrossOriginChangesRefused(t *testing.T) {
	s := sitetest.OnSQLite(t)
	c, csrf := s.OrganiserDesk(t)
	u := s.Server.URL + "/api/organise/processes"
	tests := []struct {
		name   string
		token  string
		header []string
		want   int
	}{
		{"cross-site by Sec-Fetch-Site, good token", csrf, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example.org"}, 403},
		{"same-site subdomain by Sec-Fetch-Site", csrf, []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub." + strings.TrimPrefix(s.Server.URL, "http://")}, 403},
		{"foreign Origin from a browser without Sec-Fetch-Site", csrf, []string{"Origin", "https://evil.example.org"}, 403},
		{"same-origin by Sec-Fetch-Site", csrf, []string{"Sec-Fetch-Site", "same-origin", "Origin", s.Server.URL}, 201},
		{"same origin by Origin", csrf, []string{"Origin", s.Server.URL}, 201},
		{"no browser headers", csrf, nil, 201},
		{"same origin without the token", "", []string{"Sec-Fetch-Site", "same-origin"}, 403},
	}
	var created int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e sitetest.APIError
			got := sitetest.Call(t, c, "POST", u, tt.token, map[string]any{"title": "Assises " + tt.name}, &e, tt.header...)
			if got != tt.want {
				t.Fatalf("got %d %+v, want %d", got, e.Error, tt.want)
			}
			if got == 403 && e.Error.Code != "org_csrf" {
				t.Errorf("code %q, want org_csrf", e.Error.Code)
			}
			if got == 201 {
				created++
			}
		})
	}
	n, err := s.DB.NewSelect().Model((*record.Process)(nil)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != created {
		t.Errorf("processes in the database: got %d, want %d (only the accepted posts)", n, created)
	}
}

// Signing out is refused from another site (by Sec-Fetch-Site) and, from a browser that sends
// no Sec-Fetch-Site, without the session's token: another site cannot sign a moderator out in
// the middle of a session.
func TestCrossOriginSignOutRefused(t *testing.T) {
	s := sitetest.OnSQLite(t)
	c, csrf := s.OrganiserDesk(t)
	signOut := func(header ...string) int {
		req, _ := http.NewRequest("POST", s.Server.URL+"/signout", nil)
		resp, _ := sitetest.Do(t, noRedirect(c), req, header...)
		return resp.StatusCode
	}
	stillIn := func(what string) {
		t.Helper()
		if resp, _ := sitetest.Get(t, c, s.Server.URL+"/organise"); resp.StatusCode != 200 {
			t.Fatalf("organise page after %s: got %d, want 200 (still signed in)", what, resp.StatusCode)
		}
	}
	if got := signOut("Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example.org", "X-CSRF-Token", csrf); got != http.StatusForbidden {
		t.Fatalf("cross-site sign-out: got %d, want 403", got)
	}
	stillIn("a cross-site sign-out")
	if got := signOut("Origin", "null"); got != http.StatusForbidden {
		t.Fatalf("sign-out without a token from a browser without Sec-Fetch-Site: got %d, want 403", got)
	}
	stillIn("a sign-out without a token")
	// A token that differs from the real one in its first character, whatever that is.
	wrong := string(csrf[0]^1) + csrf[1:]
	if got := signOut("Sec-Fetch-Site", "same-origin", "Origin", "null", "X-CSRF-Token", wrong); got != http.StatusForbidden {
		t.Fatalf("same-origin sign-out with a wrong token: got %d, want 403", got)
	}
	stillIn("a sign-out with a wrong token")
	if got := signOut("Sec-Fetch-Site", "same-origin", "Origin", "null", "X-CSRF-Token", csrf); got != http.StatusSeeOther {
		t.Fatalf("same-origin sign-out: got %d, want 303", got)
	}
	if resp, _ := sitetest.Get(t, noRedirect(c), s.Server.URL+"/organise"); resp.StatusCode == 200 {
		t.Fatalf("organise page after signing out: got 200, want a refusal")
	}
}

// noRedirect is c without following redirects, so that a test sees the 303 itself.
func noRedirect(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}
