package server_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/assises/assises/server/sitetest"
	"github.com/assises/assises/storage/storagetest"
)

// createProcess posts a new process to the organiser API as a browser at address host would
// (its Host and its Origin), and returns the status and the error code.
func createProcess(t *testing.T, s *sitetest.Site, c *http.Client, csrf, host, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.Server.URL+"/api/organise/processes", strings.NewReader(`{"title":"Assises `+host+`"}`))
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	// The browser at that address holds the session cookie; a jar would file it under the
	// listener's address only.
	u, _ := url.Parse(s.Server.URL)
	for _, ck := range c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	var e sitetest.APIError
	resp, body := sitetest.Do(t, &http.Client{}, req)
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("decode %q: %v", body, err)
		}
	}
	return resp.StatusCode, e.Error.Code
}

// In development the public URL names this machine (127.0.0.1 here); a browser that reached
// the server as localhost or [::1] on the same port is this same server, not another site.
func TestLoopbackAddressesAccepted(t *testing.T) {
	s := sitetest.OnSQLite(t)
	c, csrf := s.OrganiserDesk(t)
	p := strconv.Itoa(s.Server.Listener.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name, host, origin string
		want               int
		code               string
	}{
		{"the public URL itself", "127.0.0.1:" + p, "http://127.0.0.1:" + p, 201, ""},
		{"localhost", "localhost:" + p, "http://localhost:" + p, 201, ""},
		{"IPv6 loopback", "[::1]:" + p, "http://[::1]:" + p, 201, ""},
		{"another local site posting here", "localhost:" + p, "http://localhost:3000", 403, "org_csrf"},
		{"https where the public URL says http", "localhost:" + p, "https://localhost:" + p, 403, "wrong_address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, code := createProcess(t, s, c, csrf, tt.host, tt.origin); got != tt.want || code != tt.code {
				t.Errorf("got %d %q, want %d %q", got, code, tt.want, tt.code)
			}
		})
	}
	if n := strings.Count(s.Logs.String(), "another address than the public URL"); n != 1 {
		t.Errorf("the wrong address was logged %d times, want once (the https case only):\n%s", n, s.Logs)
	}
}

// The address trap: the public URL says https://assises.example.org but the browser is on this
// server at another address. Its changes are refused (their Origin is not the public URL), with
// words that say what is wrong and how to fix it — never "the page has expired" — and the server
// logs it once with both addresses. Another site is still refused as before.
func TestWrongAddressPage(t *testing.T) {
	s := sitetest.New(t, storagetest.Open(t, "sqlite"), sitetest.Options{PublicURL: "http://assises.example.org"})
	c, csrf := s.OrganiserDesk(t)
	reached := s.Server.URL // http://127.0.0.1:port
	host := strings.TrimPrefix(reached, "http://")

	if got, code := createProcess(t, s, c, csrf, host, reached); got != 403 || code != "wrong_address" {
		t.Errorf("organiser API at the wrong address: got %d %q, want 403 wrong_address", got, code)
	}
	if got, code := createProcess(t, s, c, csrf, host, "https://evil.example.org"); got != 403 || code != "org_csrf" {
		t.Errorf("another site: got %d %q, want 403 org_csrf", got, code)
	}

	// A form posted from the wrong address gets the page.
	req, _ := http.NewRequest("POST", reached+"/join/request", strings.NewReader("code=ABC123&name=Zoe&csrf=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", reached)
	resp, body := sitetest.Do(t, s.Client(t), req)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("form at the wrong address: got %d, want 403", resp.StatusCode)
	}
	for _, want := range []string{"Cette page est ouverte à une autre adresse", reached, "http://assises.example.org", "ASSISES_PUBLIC_URL", `href="http://assises.example.org/join"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not say %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "expiré") {
		t.Errorf("the page says the form expired, which reloading never fixes")
	}

	logs := s.Logs.String()
	if n := strings.Count(logs, "another address than the public URL"); n != 1 {
		t.Errorf("the trap logged %d times after two refusals, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs, "reached="+reached) || !strings.Contains(logs, "public=http://assises.example.org") {
		t.Errorf("the log does not name both addresses:\n%s", logs)
	}
	if bytes.Contains([]byte(logs), []byte("evil.example.org")) {
		t.Errorf("another site was logged as a wrong address of ours:\n%s", logs)
	}
}
