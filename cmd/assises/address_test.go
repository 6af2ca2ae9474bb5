package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAdminLinkUsesTheServedPort: a server started on a port chosen by the system, with no
// public URL; `admin link`, run apart with neither -public-url nor -addr, prints a link at
// that port (not :8080), and the link really signs the organiser in on the running server.
func TestAdminLinkUsesTheServedPort(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "assises.db")
	t.Setenv("DATABASE_URL", dsn)
	t.Setenv("ASSISES_PUBLIC_URL", "")
	t.Setenv("ASSISES_ADDR", "")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	var served string
	for lines.Scan() {
		if s, ok := strings.CutPrefix(lines.Text(), "Assises is running: "); ok {
			served = s
			break
		}
	}
	go io.Copy(io.Discard, pr) // the rest of what the server prints
	if !strings.HasPrefix(served, "http://localhost:") || strings.HasSuffix(served, ":8080") || strings.HasSuffix(served, ":0") {
		t.Fatalf("the server says it runs at %q, want http://localhost:<the port it listens on>", served)
	}

	link := strings.TrimSpace(runOK(t, "admin", "link"))
	link = link[strings.Index(link, "http"):]
	if !strings.HasPrefix(link, served+"/i/") {
		t.Fatalf("admin link printed %q, want a link at %s", link, served)
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(strings.Replace(link, "localhost", "127.0.0.1", 1))
	if err != nil {
		t.Fatalf("open the printed link: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/organise" {
		t.Fatalf("the printed link: got %d to %q, want 303 to /organise", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A configured public URL wins over the recorded one.
	t.Setenv("ASSISES_PUBLIC_URL", "https://assises.example.org")
	if out := runOK(t, "admin", "link"); !strings.Contains(out, "https://assises.example.org/i/") {
		t.Errorf("admin link with ASSISES_PUBLIC_URL printed %q", out)
	}
}
