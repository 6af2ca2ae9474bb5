package organise_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

type apiProcess struct {
	Process struct {
		ID    int64  `json:"id"`
		Slug  string `json:"slug"`
		Title string `json:"title"`
	} `json:"process"`
	Themes []struct {
		ID    int64  `json:"id"`
		Title string `json:"title"`
	} `json:"themes"`
	Workshops []struct {
		ID         int64   `json:"id"`
		Title      string  `json:"title"`
		Starts     string  `json:"starts"`
		Code       string  `json:"code"`
		Moderators []int64 `json:"moderators"`
		Agenda     []struct {
			Title, Phase string
		} `json:"agenda"`
	} `json:"workshops"`
	People []struct {
		ID          int64  `json:"id"`
		DisplayName string `json:"displayName"`
		Email       string `json:"email"`
		ServiceUser bool   `json:"serviceUser"`
	} `json:"people"`
	Registrations []struct {
		WorkshopID    int64  `json:"workshopId"`
		ParticipantID int64  `json:"participantId"`
		Status        string `json:"status"`
	} `json:"registrations"`
	Notebook string `json:"notebook"`
}

func TestOrganiserSetsUpASessionAndInvites(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		c, csrf := s.OrganiserDesk(t)
		api := s.Server.URL + "/api/organise"

		var created apiProcess
		if st := sitetest.Call(t, c, "POST", api+"/processes", csrf, map[string]any{
			"title": "Journées des Missions Locales", "description": "Neuf groupes de travail.",
			"capacity": 30, "perOrgCap": 2, "languages": []string{"fr", "nl"}, "invitationRequired": true,
		}, &created); st != http.StatusCreated {
			t.Fatalf("create process: got %d, want 201", st)
		}
		pid := created.Process.ID
		if created.Process.Slug != "journees-des-missions-locales" {
			t.Errorf("slug: got %q, want journees-des-missions-locales", created.Process.Slug)
		}
		var dup sitetest.APIError
		if st := sitetest.Call(t, c, "POST", api+"/processes", csrf, map[string]any{"title": "Journées des Missions Locales"}, &dup); st != 400 || dup.Error.Code != "org_slug_taken" {
			t.Errorf("same slug twice: got %d %+v, want 400 org_slug_taken", st, dup.Error)
		}
		var theme struct{ Theme struct{ ID int64 } }
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/processes/%d/themes", api, pid), csrf, map[string]any{"title": "Emploi", "why": "Parce que."}, &theme); st != 201 {
			t.Fatalf("create theme: got %d", st)
		}
		if st := sitetest.Call(t, c, "PUT", fmt.Sprintf("%s/themes/%d", api, theme.Theme.ID), csrf, map[string]any{"title": "Emploi et formation", "why": "Parce que."}, nil); st != 200 {
			t.Fatalf("update theme: got %d", st)
		}
		session := map[string]any{
			"themeId": theme.Theme.ID, "title": "GT 1", "starts": "2024-03-12T09:30", "ends": "2024-03-12T12:30",
			"place": "Bruxelles", "capacity": 0,
			"agenda": []map[string]any{{"title": "Accueil", "phase": "lobby", "plannedMinutes": 30}, {"title": "Diagnostic", "phase": "diagnostic", "plannedMinutes": 60}},
		}
		var ws struct{ Workshop struct{ ID int64 } }
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/processes/%d/workshops", api, pid), csrf, session, &ws); st != 201 {
			t.Fatalf("create workshop: got %d", st)
		}
		wid := ws.Workshop.ID
		var bad sitetest.APIError
		session["ends"] = "2024-03-12T08:00"
		if st := sitetest.Call(t, c, "PUT", fmt.Sprintf("%s/workshops/%d", api, wid), csrf, session, &bad); st != 400 || bad.Error.Field != "ends" {
			t.Errorf("ends before starts: got %d %+v, want 400 on ends", st, bad.Error)
		}
		session["ends"], session["title"] = "2024-03-12T13:00", "GT 1 — emploi"
		if st := sitetest.Call(t, c, "PUT", fmt.Sprintf("%s/workshops/%d", api, wid), csrf, session, nil); st != 200 {
			t.Fatalf("update workshop: got %d", st)
		}

		// Invite a participant into the session: the answer carries the link to hand out.
		var inv struct {
			Person struct{ ID int64 }
			Link   string
		}
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/processes/%d/people", api, pid), csrf, map[string]any{
			"displayName": "Ana", "organisation": "Mission Locale de Saint-Gilles", "email": "ana@example.org",
			"role": "participant", "language": "fr", "serviceUser": true, "workshops": []int64{wid},
		}, &inv); st != 201 {
			t.Fatalf("invite: got %d", st)
		}
		if !strings.HasPrefix(inv.Link, s.Server.URL+"/i/") {
			t.Fatalf("invitation link %q, want %s/i/…", inv.Link, s.Server.URL)
		}

		var got apiProcess
		if st := sitetest.Call(t, c, "GET", fmt.Sprintf("%s/processes/%d", api, pid), "", nil, &got); st != 200 {
			t.Fatalf("get process: got %d", st)
		}
		if len(got.Themes) != 1 || got.Themes[0].Title != "Emploi et formation" {
			t.Errorf("themes: got %+v", got.Themes)
		}
		if len(got.Workshops) != 1 || got.Workshops[0].Title != "GT 1 — emploi" || got.Workshops[0].Starts != "2024-03-12T09:30" || len(got.Workshops[0].Agenda) != 2 {
			t.Errorf("workshops: got %+v, want GT 1 — emploi at 09:30 Brussels with 2 agenda items", got.Workshops)
		}
		if len(got.People) != 1 || got.People[0].Email != "ana@example.org" || !got.People[0].ServiceUser {
			t.Errorf("people: got %+v", got.People)
		}
		if len(got.Registrations) != 1 || got.Registrations[0].Status != "confirmed" || got.Registrations[0].ParticipantID != inv.Person.ID {
			t.Errorf("registrations: got %+v", got.Registrations)
		}
		if want := fmt.Sprintf("/organise/processes/%d/notebook", got.Process.ID); got.Notebook != want {
			t.Errorf("notebook link %q, want %q", got.Notebook, want)
		}

		// The person opens the link: they land in their session, as a participant.
		ana := s.Client(t)
		resp, _ := sitetest.Get(t, ana, inv.Link)
		if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/w/%d", wid) {
			t.Fatalf("invitation lands on %q, want /w/%d", loc, wid)
		}
		resp, body := sitetest.Get(t, ana, fmt.Sprintf("%s/w/%d", s.Server.URL, wid))
		if resp.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf(`data-workshop="%d"`, wid)) || !strings.Contains(body, "js/participant.js") {
			t.Fatalf("participant page: %d", resp.StatusCode)
		}
		if resp, _ := sitetest.Get(t, ana, fmt.Sprintf("%s/w/%d/moderate", s.Server.URL, wid)); resp.StatusCode != 403 {
			t.Fatalf("participant on the moderator console: got %d, want 403", resp.StatusCode)
		}
		// Another session of the process, where she has no place: closed to her, as the room is.
		var other struct{ Workshop struct{ ID int64 } }
		session["title"] = "GT 2"
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/processes/%d/workshops", api, pid), csrf, session, &other); st != 201 {
			t.Fatalf("create second workshop: got %d", st)
		}
		if resp, _ := sitetest.Get(t, ana, fmt.Sprintf("%s/w/%d", s.Server.URL, other.Workshop.ID)); resp.StatusCode != 403 {
			t.Fatalf("participant in a session she is not registered for: got %d, want 403", resp.StatusCode)
		}
		if st := sitetest.Call(t, ana, "GET", api+"/processes", "", nil, nil); st != 403 {
			t.Fatalf("participant on the organiser API: got %d, want 403", st)
		}
		// Appointed moderator of the session, the console opens; taken back, it closes.
		mod := fmt.Sprintf("%s/workshops/%d/moderators/%d", api, wid, inv.Person.ID)
		if st := sitetest.Call(t, c, "PUT", mod, csrf, nil, nil); st != 204 {
			t.Fatalf("appoint: got %d", st)
		}
		if resp, _ := sitetest.Get(t, ana, fmt.Sprintf("%s/w/%d/moderate", s.Server.URL, wid)); resp.StatusCode != 200 {
			t.Fatalf("appointed moderator on the console: got %d, want 200", resp.StatusCode)
		}
		sitetest.Call(t, c, "GET", fmt.Sprintf("%s/processes/%d", api, pid), "", nil, &got)
		if len(got.Workshops[0].Moderators) != 1 || got.Workshops[0].Moderators[0] != inv.Person.ID {
			t.Errorf("moderators: got %v, want [%d]", got.Workshops[0].Moderators, inv.Person.ID)
		}
		if st := sitetest.Call(t, c, "DELETE", mod, csrf, nil, nil); st != 204 {
			t.Fatalf("remove moderator: got %d", st)
		}
		if resp, _ := sitetest.Get(t, ana, fmt.Sprintf("%s/w/%d/moderate", s.Server.URL, wid)); resp.StatusCode != 403 {
			t.Fatalf("moderator taken back: got %d, want 403", resp.StatusCode)
		}

		// A new link revokes the old one.
		var fresh struct{ Link string }
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/people/%d/link", api, inv.Person.ID), csrf, map[string]any{"workshop": wid}, &fresh); st != 201 || fresh.Link == inv.Link {
			t.Fatalf("new link: got %d %q", st, fresh.Link)
		}
		if resp, _ := sitetest.Get(t, s.Client(t), inv.Link); resp.StatusCode != 404 {
			t.Fatalf("old link after a new one: got %d, want 404", resp.StatusCode)
		}
		// A browser signed in with the old access must sign in again: Ana uses her new link.
		if resp, _ := sitetest.Get(t, ana, s.Server.URL+"/api/me"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("old session after a new link: got %d, want 401", resp.StatusCode)
		}
		if resp, _ := sitetest.Get(t, ana, fresh.Link); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("signing in with the new link: got %d, want 303", resp.StatusCode)
		}

		// The QR code of the session and the join-by-code path.
		resp, svg := sitetest.Get(t, ana, fmt.Sprintf("%s/w/%d/qr.svg", s.Server.URL, wid))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(svg, "<svg") {
			t.Fatalf("qr: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		code := got.Workshops[0].Code
		resp, _ = sitetest.Get(t, ana, s.Server.URL+"/j/"+strings.ToLower(code))
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != fmt.Sprintf("/w/%d", wid) {
			t.Fatalf("join by code: got %d %q, want 303 to /w/%d", resp.StatusCode, loc, wid)
		}
		resp, body = sitetest.Get(t, s.Client(t), s.Server.URL+"/j/"+code)
		if resp.StatusCode != 200 || !strings.Contains(body, "lien personnel") {
			t.Fatalf("join by code signed out: got %d, want the page that asks for the personal link", resp.StatusCode)
		}
		if strings.Contains(s.Logs.String(), inv.Link) || strings.Contains(s.Logs.String(), fresh.Link) {
			t.Fatal("an invitation link was written to the logs")
		}
	})
}

func TestOrganiserAPIRefusesForgedRequests(t *testing.T) {
	s := sitetest.OnSQLite(t)
	c, csrf := s.OrganiserDesk(t)
	u := s.Server.URL + "/api/organise/processes"
	body := map[string]any{"title": "Assises"}
	tests := []struct {
		name   string
		client *http.Client
		token  string
		header []string
		want   int
	}{
		{"signed out", s.Client(t), csrf, nil, 401},
		{"no token", c, "", nil, 403},
		{"wrong token", c, strings.Repeat("A", len(csrf)), nil, 403},
		{"token of another session", c, func() string { _, other := s.OrganiserDesk(t); return other }(), nil, 403},
		{"foreign origin", c, csrf, []string{"Origin", "https://evil.example.org"}, 403},
		{"good token", c, csrf, []string{"Origin", s.Server.URL}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e sitetest.APIError
			st := sitetest.Call(t, tt.client, "POST", u, tt.token, body, &e, tt.header...)
			if st != tt.want {
				t.Errorf("%s: got %d %+v, want %d", tt.name, st, e.Error, tt.want)
			}
			if st == 403 && e.Error.Code != "org_csrf" {
				t.Errorf("%s: code %q, want org_csrf", tt.name, e.Error.Code)
			}
		})
	}
	// Reading needs no token, but still a session.
	if st := sitetest.Call(t, c, "GET", u, "", nil, nil); st != 200 {
		t.Errorf("read with session: got %d, want 200", st)
	}
}

func TestProcessOrganiserSeesOnlyTheirProcess(t *testing.T) {
	s := sitetest.OnSQLite(t)
	ctx := context.Background()
	mine := &record.Process{Slug: "mine", Title: "Mine", Capacity: 40, PerOrgCap: 2}
	other := &record.Process{Slug: "other", Title: "Other", Capacity: 40, PerOrgCap: 2}
	for _, p := range []*record.Process{mine, other} {
		if err := process.Create(ctx, s.DB, p); err != nil {
			t.Fatal(err)
		}
	}
	org, err := people.CreateParticipant(ctx, s.DB, people.NewParticipant{ProcessID: &mine.ID, Role: record.RoleOrganiser, Person: people.Person{DisplayName: "Léa"}})
	if err != nil {
		t.Fatal(err)
	}
	c := s.SignInAs(t, org.ID, nil)
	csrf := sitetest.PageCSRF(t, c, s.Server.URL+"/organise")
	var list struct {
		Processes []struct{ ID int64 }
		CanCreate bool
	}
	sitetest.Call(t, c, "GET", s.Server.URL+"/api/organise/processes", "", nil, &list)
	if len(list.Processes) != 1 || list.Processes[0].ID != mine.ID || list.CanCreate {
		t.Fatalf("process organiser sees %+v, want only their process and no creation", list)
	}
	if st := sitetest.Call(t, c, "GET", fmt.Sprintf("%s/api/organise/processes/%d", s.Server.URL, other.ID), "", nil, nil); st != 403 {
		t.Fatalf("another process: got %d, want 403", st)
	}
	if st := sitetest.Call(t, c, "POST", s.Server.URL+"/api/organise/processes", csrf, map[string]any{"title": "New"}, nil); st != 403 {
		t.Fatalf("process organiser creating a process: got %d, want 403", st)
	}
}
