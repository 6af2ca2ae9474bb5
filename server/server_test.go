package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/demo"
	"github.com/assises/assises/people"
	"github.com/assises/assises/server"
	"github.com/assises/assises/server/sitetest"
	"github.com/assises/assises/server/web"
	"github.com/assises/assises/storage/storagetest"
)

func TestHealth(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		resp, body := sitetest.Get(t, s.Client(t), s.Server.URL+"/healthz")
		if resp.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
			t.Fatalf("healthy: got %d %s, want 200 ok", resp.StatusCode, body)
		}
		s.DB.Close() // the database goes away: health must say so
		resp, body = sitetest.Get(t, s.Client(t), s.Server.URL+"/healthz")
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("database closed: got %d %s, want 503", resp.StatusCode, body)
		}
	})
}

func TestPublicPages(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		if _, err := demo.Seed(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		s := sitetest.New(t, db, sitetest.Options{})
		tests := []struct {
			name, path string
			header     []string
			status     int
			want       []string
		}{
			{"home in French", "/", nil, 200, []string{`lang="fr"`, "Processus en cours", "Assises du Logement et du Travail social", "9 séances"}},
			{"home in Dutch by header", "/", []string{"Accept-Language", "nl-BE,nl;q=0.9"}, 200, []string{`lang="nl"`, "Lopende processen"}},
			{"process page", "/p/" + demo.Slug, nil, 200, []string{"Pourquoi ?", "Décloisonner les approches", "16 novembre 20", "13h00–16h30", "Quai Fernand Demets"}},
			{"process page in English", "/p/" + demo.Slug + "?lang=en", nil, 200, []string{"Why?", "16 November 20", "13:00–16:30"}},
			{"unknown process", "/p/nope", nil, 404, []string{"Page introuvable"}},
			{"unknown page", "/nothing/here", nil, 404, []string{"Page introuvable"}},
			{"api", "/api/processes", nil, 200, []string{`"slug":"` + demo.Slug + `"`, `"sessions":9`}},
			{"api me signed out", "/api/me", nil, 401, []string{`"code":"forbidden"`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// A client of its own per case: a ?lang= choice is remembered by cookie.
				resp, body := sitetest.Get(t, s.Client(t), s.Server.URL+tt.path, tt.header...)
				if resp.StatusCode != tt.status {
					t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
				}
				for _, w := range tt.want {
					if !strings.Contains(body, w) {
						t.Errorf("%s: body lacks %q", tt.name, w)
					}
				}
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
					t.Errorf("%s: CSP %q, want a strict script-src", tt.name, csp)
				}
				if rp := resp.Header.Get("Referrer-Policy"); rp != "no-referrer" {
					t.Errorf("%s: Referrer-Policy %q, want no-referrer", tt.name, rp)
				}
			})
		}
	})
}

func TestLanguageChoiceIsRemembered(t *testing.T) {
	s := sitetest.OnSQLite(t)
	c := s.Client(t)
	sitetest.Get(t, c, s.Server.URL+"/?lang=nl")
	_, body := sitetest.Get(t, c, s.Server.URL+"/")
	if !strings.Contains(body, `lang="nl"`) {
		t.Fatalf("after choosing Dutch, the next page is not in Dutch")
	}
}

func TestStaticAssetsAreVersioned(t *testing.T) {
	s := sitetest.OnSQLite(t)
	c := s.Client(t)
	_, home := sitetest.Get(t, c, s.Server.URL+"/")
	i := strings.Index(home, "/static/app.css?v=")
	if i < 0 {
		t.Fatalf("home does not link the stylesheet with a version")
	}
	link := home[i : i+len("/static/app.css?v=")+12]
	resp, css := sitetest.Get(t, c, s.Server.URL+link)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(css, ":root") {
		t.Fatalf("versioned asset: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	resp, _ = sitetest.Get(t, c, s.Server.URL+"/static/app.css?v=old")
	if resp.StatusCode != 200 || strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("stale version must not be cached for a year: %q", resp.Header.Get("Cache-Control"))
	}
	follow := &http.Client{Timeout: 10 * time.Second}
	if resp, body := sitetest.Get(t, follow, s.Server.URL+"/static/../go.mod"); resp.StatusCode != 404 || strings.Contains(body, "module ") {
		t.Fatalf("path escape: got %d, want 404 and no source file", resp.StatusCode)
	}
}

func TestSignInExchangesTokenForCookie(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		org, _, err := people.EnsurePlatformOrganiser(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := people.CreateInvitation(ctx, s.DB, org.ID, nil, time.Hour, true)
		if err != nil {
			t.Fatal(err)
		}
		c := s.Client(t)
		resp, _ := sitetest.Get(t, c, s.Server.URL+"/i/"+token)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: got %d, want 303", resp.StatusCode)
		}
		if loc := resp.Header.Get("Location"); strings.Contains(loc, token) || loc != "/organise" {
			t.Fatalf("redirect to %q: want /organise, without the token", loc)
		}
		var cookie *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "assises_session" {
				cookie = ck
			}
		}
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Value == token {
			t.Fatalf("session cookie: %+v, want HttpOnly, SameSite=Lax, not the invitation token", cookie)
		}
		resp, body := sitetest.Get(t, c, s.Server.URL+"/api/me")
		if resp.StatusCode != 200 || !strings.Contains(body, `"role":"organiser"`) {
			t.Fatalf("me after sign-in: %d %s", resp.StatusCode, body)
		}
		// The link was single-use: a second browser gets the one error page.
		resp, body = sitetest.Get(t, s.Client(t), s.Server.URL+"/i/"+token)
		if resp.StatusCode != 404 || !strings.Contains(body, "Ce lien ne fonctionne plus") {
			t.Fatalf("reused link: got %d, want 404 with the plain explanation", resp.StatusCode)
		}
		resp, body2 := sitetest.Get(t, s.Client(t), s.Server.URL+"/i/"+people.NewToken())
		if resp.StatusCode != 404 || body2 != body {
			t.Fatalf("forged link: got %d, and a page that differs from a used link's (it must not tell them apart)", resp.StatusCode)
		}
		// Signing out ends the session server-side, not only in this browser.
		req, _ := http.NewRequest("POST", s.Server.URL+"/signout", nil)
		req.Header.Set("X-CSRF-Token", web.CSRFToken(cookie.Value))
		if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %v %v", resp, err)
		}
		stolen := &http.Client{}
		req, _ = http.NewRequest("GET", s.Server.URL+"/api/me", nil)
		req.AddCookie(&http.Cookie{Name: "assises_session", Value: cookie.Value})
		if resp, err := stolen.Do(req); err != nil || resp.StatusCode != 401 {
			t.Fatalf("old cookie after sign-out: %v %v, want 401", resp.StatusCode, err)
		}
		if strings.Contains(s.Logs.String(), token) || strings.Contains(s.Logs.String(), cookie.Value) {
			t.Fatal("a token was written to the logs")
		}
	})
}

func TestSameOrigin(t *testing.T) {
	public, _ := url.Parse("https://assises.example.org")
	local, _ := url.Parse("http://localhost:8080")
	tests := []struct {
		public *url.URL
		origin string
		want   bool
	}{
		{public, "https://assises.example.org", true},
		{public, "https://assises.example.org:443", true},
		{public, "https://ASSISES.example.org", true},
		{public, "http://assises.example.org", false},
		{public, "https://assises.example.org:8443", false},
		{public, "https://evil.example.org", false},
		{public, "https://assises.example.org.evil.org", false},
		{public, "", false},
		{public, "null", false},
		{local, "http://localhost:8080", true},
		{local, "http://localhost", false},
		{local, "http://127.0.0.1:8080", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s from %q", tt.public, tt.origin), func(t *testing.T) {
			r := httptest.NewRequest("GET", "/ws", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if got := server.SameOrigin(tt.public)(r); got != tt.want {
				t.Errorf("public %s, origin %q: got %v, want %v", tt.public, tt.origin, got, tt.want)
			}
		})
	}
}
