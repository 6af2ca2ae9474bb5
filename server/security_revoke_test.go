package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

// TestRevocationClosesSockets: when an organiser gives someone a new link (the old one was
// lost or taken), every browser signed in with the old access loses it, and the open sockets
// close promptly (docs/security.md, item 12).
func TestRevocationClosesSockets(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	w := s.Workshop(t, "A")
	p := s.Join(t, "P", "Org", record.RoleParticipant, w)
	other := s.Connect(t, s.Join(t, "O", "Org O", record.RoleParticipant, w), w)
	tab := s.Connect(t, p, w)

	// The organiser's desk: a signed-in browser and its CSRF token.
	org, _, err := people.EnsurePlatformOrganiser(context.Background(), s.DB)
	if err != nil {
		t.Fatal(err)
	}
	token, err := people.CreateSession(context.Background(), s.DB, org.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	desk := &http.Client{Jar: jar}
	req, _ := http.NewRequest("GET", s.Server.URL+"/organise", nil)
	req.AddCookie(&http.Cookie{Name: "assises_session", Value: token})
	resp, body := sitetest.Do(t, desk, req)
	m := sitetest.CSRFAttr.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("organiser page: %d, CSRF found %v", resp.StatusCode, m != nil)
	}
	req, _ = http.NewRequest("POST", fmt.Sprintf("%s/api/organise/people/%d/link", s.Server.URL, p.Participant.ID), jsonBody(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", m[1])
	req.AddCookie(&http.Cookie{Name: "assises_session", Value: token})
	if resp, body := sitetest.Do(t, desk, req); resp.StatusCode != http.StatusCreated {
		t.Fatalf("new link: got %d %s, want 201", resp.StatusCode, body)
	}
	select {
	case <-tab.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the socket of the revoked access is still open")
	}
	stillOpen(t, other, "someone else")
	if err := tab.Reconnect(context.Background()); err == nil {
		t.Fatal("the revoked session joined again")
	}
}

func jsonBody(s string) io.Reader { return strings.NewReader(s) }
