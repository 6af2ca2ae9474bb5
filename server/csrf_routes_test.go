package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

// TestEveryChangeRefusesCrossSite walks every POST, PUT and DELETE route of routes.go (read
// with go/ast, so a route added tomorrow is walked too) as a signed-in organiser and proves
// two lines of defence on each: a request that the browser marks cross-site is refused even
// with the right token (the middleware), and a request from a browser that sends no
// Sec-Fetch-Site and Origin "null" is refused without the token (the route's own check).
// Nothing may change: the organiser stays signed in and no row appears.
func TestEveryChangeRefusesCrossSite(t *testing.T) {
	s := sitetest.OnSQLite(t)
	f := sitetest.NewFixture(t, s.DB)
	person := f.Person(t, s.DB, "Alice Martin", "COOP", nil, f.Open)
	c, csrf := s.OrganiserDesk(t)
	// Real ids where the pattern names one, so that a handler reaches its token check rather
	// than stopping at "not found".
	values := map[string]string{
		"slug": f.Proc.Slug, "participant": strconv.FormatInt(person.ID, 10),
		"contribution": "1", "theme": "1", "req": "1", "lang": "nl", "subject": "theme", "sid": "1",
	}
	idOf := func(pattern string) string {
		switch {
		case strings.Contains(pattern, "/processes/{id}"):
			return strconv.FormatInt(f.Proc.ID, 10)
		case strings.Contains(pattern, "/people/{id}"):
			return strconv.FormatInt(person.ID, 10)
		}
		return strconv.FormatInt(f.Open.ID, 10)
	}
	count := func() int64 {
		var n int64
		for _, table := range []string{"processes", "workshops", "participants", "registrations", "join_requests", "auth_sessions", "invitations", "themes", "workshop_roles", "notebook_versions", "followup_entries", "notebook_items", "notebook_translations"} {
			m, err := s.DB.NewSelect().Table(table).Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			n += m
		}
		return n
	}
	before := count()
	walked := 0
	for _, pattern := range routerPatterns(t) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok || method != "POST" && method != "PUT" && method != "DELETE" {
			continue
		}
		walked++
		for name, v := range values {
			path = strings.ReplaceAll(path, "{"+name+"}", v)
		}
		path = strings.ReplaceAll(path, "{id}", idOf(pattern))
		form := url.Values{"title": {"Forged"}, "code": {"ABC"}, "name": {"Forged"}, "workshop": {strconv.FormatInt(f.Open.ID, 10)}}
		send := func(header ...string) int {
			req, _ := http.NewRequest(method, s.Server.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, _ := sitetest.Do(t, c, req, header...)
			return resp.StatusCode
		}
		t.Run(pattern, func(t *testing.T) {
			if got := send("Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example.org", "X-CSRF-Token", csrf); got != http.StatusForbidden {
				t.Errorf("cross-site with the right token: got %d, want 403", got)
			}
			if got := send("Origin", "null"); got != http.StatusForbidden {
				t.Errorf("no Sec-Fetch-Site, Origin null, no token: got %d, want 403", got)
			}
		})
	}
	if walked < 25 {
		t.Fatalf("walked %d state-changing routes, want them all (25 or more)", walked)
	}
	if after := count(); after != before {
		t.Errorf("rows: %d before, %d after the forged requests: something changed", before, after)
	}
	if resp, _ := sitetest.Get(t, c, s.Server.URL+"/organise"); resp.StatusCode != 200 {
		t.Errorf("the organiser was signed out by a forged request (organise page: %d)", resp.StatusCode)
	}
	var n int64
	if n, _ = s.DB.NewSelect().Model((*record.Process)(nil)).Where("title = ?", "Forged").Count(context.Background()); n != 0 {
		t.Errorf("%d processes named Forged", n)
	}
}
