package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

// closedSoon fails the test unless the live connection ends within a few seconds.
func closedSoon(t *testing.T, c *liveclient.Client, who string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%s's socket is still open after erasure", who)
	}
}

// TestEraseEndpointsCloseSockets erases one person, then a whole process, through the
// organiser API, and checks that the erased people's live sockets close at once and their
// personal data are gone.
func TestEraseEndpointsCloseSockets(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		ctx := context.Background()
		w := s.Workshop(t, "Atelier")
		organiser := s.Join(t, "Olga", "Fédération", record.RoleOrganiser)
		ines := s.Join(t, "Inès", "CPAS", record.RoleParticipant, w)
		jon := s.Join(t, "Jon", "Syndicat", record.RoleParticipant, w)
		inesLive := s.Connect(t, ines, w)
		jonLive := s.Connect(t, jon, w)

		org := s.Browser(t, &organiser)
		csrf := sitetest.PageCSRF(t, org, s.Server.URL+"/organise")
		api := s.Server.URL + "/api/organise"
		if st := sitetest.Call(t, org, "POST", fmt.Sprintf("%s/people/%d/erase", api, ines.Participant.ID), "", map[string]any{}, nil); st != 403 {
			t.Errorf("erase without CSRF: got %d, want 403", st)
		}
		if st := sitetest.Call(t, s.Browser(t, &jon), "POST", fmt.Sprintf("%s/people/%d/erase", api, ines.Participant.ID), csrf, map[string]any{}, nil); st != 403 {
			t.Errorf("a participant erasing: got %d, want 403", st)
		}
		if st := sitetest.Call(t, org, "POST", fmt.Sprintf("%s/people/%d/erase", api, ines.Participant.ID), csrf, map[string]any{}, nil); st != 204 {
			t.Fatalf("erase Inès: got %d, want 204", st)
		}
		closedSoon(t, inesLive, "Inès")
		if _, err := people.GetPerson(ctx, s.DB, ines.Participant.ID); err == nil {
			t.Error("Inès's personal data are still there")
		}
		// Jon stays, but the room's memory held what Inès said under her name: the room
		// was reset, his socket closed with 1012 (log reset), and he comes back.
		closedSoon(t, jonLive, "Jon (log reset)")
		var ce *websocket.CloseError
		if err := jonLive.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseServiceRestart {
			t.Errorf("Jon's socket closed with %v, want 1012 (log reset)", err)
		}
		if err := jonLive.Reconnect(ctx); err != nil {
			t.Fatalf("Jon comes back after the reset: %v", err)
		}
		if resp, _ := sitetest.Get(t, s.Browser(t, &ines), s.Server.URL+"/me"); resp.StatusCode != 401 {
			t.Errorf("Inès's session after erasure: got %d, want 401", resp.StatusCode)
		}

		// The whole process: the organiser must type its address name.
		var e sitetest.APIError
		if st := sitetest.Call(t, org, "POST", fmt.Sprintf("%s/processes/%d/erase", api, s.Process.ID), csrf, map[string]any{"confirm": "oops"}, &e); st != 400 || e.Error.Code != "reg_erase_confirm" {
			t.Errorf("erase process without the right confirmation: got %d %+v", st, e.Error)
		}
		var out struct{ Erased int }
		if st := sitetest.Call(t, org, "POST", fmt.Sprintf("%s/processes/%d/erase", api, s.Process.ID), csrf, map[string]any{"confirm": s.Process.Slug}, &out); st != 200 || out.Erased != 2 {
			t.Fatalf("erase process: got %d %+v, want 2 people erased (Jon and the process's organiser)", st, out)
		}
		closedSoon(t, jonLive, "Jon")
		var people int
		if err := s.DB.NewSelect().TableExpr("people").ColumnExpr("count(*)").Scan(ctx, &people); err != nil || people != 0 {
			t.Errorf("people left after erasing the process: %d (%v)", people, err)
		}
		if logs := s.Logs.String(); strings.Contains(logs, "Inès") || strings.Contains(logs, "Jon") {
			t.Error("a name reached the logs")
		}
	})
}
