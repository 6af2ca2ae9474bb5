package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
	"github.com/assises/assises/storage/storagetest"
)

// siteClock is the site's clock, stopped at the test's start and moved only by hand, so that
// a slow machine cannot age what the site remembers.
type siteClock struct {
	start  time.Time
	offset atomic.Int64
}

func (c *siteClock) now() time.Time          { return c.start.Add(time.Duration(c.offset.Load())) }
func (c *siteClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

var formCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// rejoinRefused fails the test unless a new handshake with c's cookie is refused.
func rejoinRefused(t *testing.T, c *liveclient.Client, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Reconnect(ctx); err == nil {
		t.Fatalf("%s: the socket joined again, want a refusal", why)
	}
}

func rejoins(t *testing.T, c *liveclient.Client, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Reconnect(ctx); err != nil {
		t.Fatalf("%s: %v, want the socket back", why, err)
	}
}

// TestHandshakeSessionCache: the WebSocket handshake trusts, for a few seconds, who the
// database last said a session cookie signs in; every revocation made through the site
// closes the person's sockets at once and forgets the cookie, so that the very next
// handshake is refused without waiting for the cache to expire. The clock never moves in
// the revocation cases: a refusal there cannot come from an expired entry.
func TestHandshakeSessionCache(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clock := &siteClock{start: time.Now()}
			s := stack.New(t, kind, stack.Options{Now: clock.now})
			w := s.Workshop(t, "A")
			organiser := s.Join(t, "Olga", "Fédération", record.RoleOrganiser)
			org := s.Browser(t, &organiser)
			orgCSRF := sitetest.PageCSRF(t, org, s.Server.URL+"/organise")
			api := s.Server.URL + "/api/organise"
			someone := func(name string) (stack.Person, *liveclient.Client) {
				p := s.Join(t, name, "Org "+name, record.RoleParticipant, w)
				return p, s.Connect(t, p, w) // the handshake puts the cookie in the cache
			}
			bystander := s.Connect(t, s.Join(t, "Bea", "Org B", record.RoleParticipant, w), w)

			t.Run("a revocation the site does not hear of waits for the entry to expire and the cookie's sockets to end", func(t *testing.T) {
				p, c := someone("Remote")
				// Another node signs the browser out: this site is not told.
				if err := people.EndSession(context.Background(), s.DB, p.Cookie.Value); err != nil {
					t.Fatal(err)
				}
				rejoins(t, c, "within the cache's few seconds")
				clock.advance(10 * time.Second)
				// A socket opened with the cookie is open here (the one just made): another
				// grants nothing it does not have, and a room coming back at once asks
				// the database nothing.
				rejoins(t, c, "while a socket opened with the cookie is open")
				// Once the cookie's sockets have ended longer ago than the grace (30 s),
				// the database is asked again. The site's clock is stopped, and the server
				// hears of a closed socket a moment after the client closed it: each try
				// moves the clock past the grace of whatever ended before it, so one of
				// the first tries is refused, however slow the machine.
				for try := 1; ; try++ {
					c.Close()
					clock.advance(31 * time.Second)
					ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
					err := c.Reconnect(ctx)
					cancel()
					if err != nil {
						break
					}
					if try == 20 {
						t.Fatal("the socket still joins after its cookie's sockets ended")
					}
					time.Sleep(50 * time.Millisecond)
				}
			})

			t.Run("sign-out", func(t *testing.T) {
				p, c := someone("Sam")
				browser := s.Browser(t, &p)
				_, me := sitetest.Get(t, browser, s.Server.URL+"/me")
				m := formCSRF.FindStringSubmatch(me)
				if m == nil {
					t.Fatal("no CSRF token on /me")
				}
				form := url.Values{"csrf": {m[1]}}
				req, _ := http.NewRequest("POST", s.Server.URL+"/signout", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if resp, body := sitetest.Do(t, browser, req, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("sign-out: got %d %s, want 303", resp.StatusCode, body)
				}
				closedSoon(t, c, "Sam (signed out)")
				rejoinRefused(t, c, "after sign-out")
			})

			t.Run("new link", func(t *testing.T) {
				p, c := someone("Lou")
				if st := sitetest.Call(t, org, "POST", fmt.Sprintf("%s/people/%d/link", api, p.Participant.ID), orgCSRF, map[string]any{}, nil); st != http.StatusCreated {
					t.Fatalf("new link: got %d, want 201", st)
				}
				closedSoon(t, c, "Lou (new link)")
				rejoinRefused(t, c, "after a new link")
			})

			t.Run("cancelled place", func(t *testing.T) {
				p, c := someone("Cam")
				u := fmt.Sprintf("%s/workshops/%d/registrations/%d/cancel", api, w.ID, p.Participant.ID)
				if st := sitetest.Call(t, org, "POST", u, orgCSRF, map[string]any{}, nil); st != http.StatusOK {
					t.Fatalf("cancel: got %d, want 200", st)
				}
				closedSoon(t, c, "Cam (place cancelled)")
				rejoinRefused(t, c, "after the place was cancelled")
			})

			t.Run("erasure", func(t *testing.T) {
				p, c := someone("Eli")
				if st := sitetest.Call(t, org, "POST", fmt.Sprintf("%s/people/%d/erase", api, p.Participant.ID), orgCSRF, map[string]any{}, nil); st != http.StatusNoContent {
					t.Fatalf("erase: got %d, want 204", st)
				}
				closedSoon(t, c, "Eli (erased)")
				rejoinRefused(t, c, "after erasure")
			})

			// The erasure reset the room (1012): the bystander comes back, with the same
			// cookie, and is still welcome.
			<-bystander.Done()
			rejoins(t, bystander, "a bystander after the others' revocations")
		})
	}
}
