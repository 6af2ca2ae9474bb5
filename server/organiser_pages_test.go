package server_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

var cardLink = regexp.MustCompile(`<p class="ic-link"[^>]*>([^<]+)</p>`)

// TestInvitationCards prints the cards of one session: one card and one QR code per

// confirmed person of that session, nobody else's name, no email; each card's link signs its

// holder in. Only organisers may print them.

func TestInvitationCards(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		mail := "dora@example.org"
		ana := f.Person(t, s.DB, "Ana", "CPAS", nil, f.Open)
		f.Person(t, s.DB, "Bert", "Syndicat", nil, f.Open, f.Small)
		f.Person(t, s.DB, "Dora", "Autre", &mail, f.Small)
		carl := f.Person(t, s.DB, "Carl", "Ligue", nil)
		if err := people.AddRegistration(ctx, s.DB, f.Open, carl.ID, record.RegistrationWaiting); err != nil {
			t.Fatal(err)
		}
		org, _ := s.OrganiserDesk(t)
		u := fmt.Sprintf("%s/organise/processes/%d/cards?workshop=%d", s.Server.URL, f.Proc.ID, f.Open.ID)
		resp, body := sitetest.Get(t, org, u)
		if resp.StatusCode != 200 {
			t.Fatalf("cards: got %d", resp.StatusCode)
		}
		sitetest.NoInline(t, "cards", body)
		if n := strings.Count(body, `class="ic-qr" src="data:image/svg&#43;xml;base64,`); n != 2 {
			t.Errorf("cards of the session: %d QR codes, want 2 (Ana and Bert)", n)
		}
		for _, want := range []string{"Ana", "Bert", "Atelier emploi"} { // Bert's card lists both his sessions
			if !strings.Contains(body, want) {
				t.Errorf("cards lack %q", want)
			}
		}
		for _, absent := range []string{"Carl", "Dora", mail, "CPAS", "Syndicat"} {
			if strings.Contains(body, absent) {
				t.Errorf("cards of the session show %q", absent)
			}
		}
		links := cardLink.FindAllStringSubmatch(body, -1)
		if len(links) != 2 {
			t.Fatalf("cards carry %d links, want 2", len(links))
		}
		// Cards are sorted by name: the first is Ana's, and it lands in her only session.
		resp, _ = sitetest.Get(t, s.Client(t), links[0][1])
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/w/%d", f.Open.ID) {
			t.Errorf("Ana's card: got %d %q, want 303 to her session", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = sitetest.Get(t, s.Client(t), links[1][1])
		if resp.Header.Get("Location") != "/me" {
			t.Errorf("Bert's card (two sessions): lands on %q, want /me", resp.Header.Get("Location"))
		}
		var inv people.Invitation
		if err := s.DB.NewSelect().Model(&inv).Where("participant_id = ?", ana.ID).Order("id DESC").Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if inv.SingleUse || inv.ExpiresAt.Before(f.Small.EndsAt.Add(23*time.Hour)) {
			t.Errorf("card link: single use %v, expires %v; want reusable until a day after the last session (%v)", inv.SingleUse, inv.ExpiresAt, f.Small.EndsAt)
		}
		// The whole process: three people with a place.
		_, body = sitetest.Get(t, org, fmt.Sprintf("%s/organise/processes/%d/cards", s.Server.URL, f.Proc.ID))
		if n := strings.Count(body, `class="ic-qr"`); n != 3 {
			t.Errorf("cards of the process: %d, want 3", n)
		}
		if resp, _ := sitetest.Get(t, s.SignInAs(t, ana.ID, nil), u); resp.StatusCode != 403 {
			t.Errorf("a participant printing cards: got %d, want 403", resp.StatusCode)
		}
		if resp, _ := sitetest.Get(t, s.Client(t), u); resp.StatusCode != 401 {
			t.Errorf("signed out printing cards: got %d, want 401", resp.StatusCode)
		}
		if strings.Contains(s.Logs.String(), links[0][1]) {
			t.Error("a card's link reached the logs")
		}
	})
}

// TestAttendanceCSV: organisers only, as an attachment, with formulas defused.

func TestAttendanceCSV(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		evil := f.Person(t, s.DB, `=HYPERLINK("http://evil.example.org","clic")`, "+32 2 555 00 00", nil, f.Open)
		f.Person(t, s.DB, "@SUM(1+1)", "-2+3", nil, f.Open)
		f.Person(t, s.DB, "Élise", "CPAS d'Ixelles", nil, f.Open)
		if err := people.CheckIn(ctx, s.DB, f.Open, evil.ID, time.Now(), false); err != nil {
			t.Fatal(err)
		}
		u := fmt.Sprintf("%s/organise/workshops/%d/attendance.csv", s.Server.URL, f.Open.ID)
		mod, _, _ := s.ModeratorAt(t, f, f.Open)
		for _, tt := range []struct {
			name   string
			client *http.Client
			want   int
		}{{"signed out", s.Client(t), 401}, {"moderator", mod, 403}, {"participant", s.SignInAs(t, evil.ID, nil), 403}} {
			t.Run(tt.name, func(t *testing.T) {
				if resp, body := sitetest.Get(t, tt.client, u); resp.StatusCode != tt.want || strings.Contains(body, "Élise") {
					t.Errorf("%s: got %d, want %d and no names", tt.name, resp.StatusCode, tt.want)
				}
			})
		}
		org, _ := s.OrganiserDesk(t)
		resp, body := sitetest.Get(t, org, u)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		// As a spreadsheet on a Belgian computer opens it: a byte-order mark, then semicolons.
		if !strings.HasPrefix(body, "\ufeff") {
			t.Errorf("export starts %q, want a UTF-8 byte-order mark", body[:min(len(body), 6)])
		}
		rd := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
		rd.Comma = ';'
		records, err := rd.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if resp, comma := sitetest.Get(t, org, u+"?sep=,"); resp.StatusCode != 200 || !strings.HasPrefix(comma, "\ufeff"+strings.Join(records[0], ",")+"\r\n") {
			t.Errorf("?sep=,: got %d %q, want the same header separated by commas", resp.StatusCode, comma[:min(len(comma), 60)])
		}
		if resp, _ := sitetest.Get(t, org, u+"?sep=tab"); resp.StatusCode != 400 {
			t.Errorf("?sep=tab: got %d, want 400", resp.StatusCode)
		}
		if len(records) != 4 || records[0][1] != "nom" {
			t.Fatalf("export: %d rows %v, want a header and 3 people", len(records), records)
		}
		for _, rec := range records[1:] {
			for _, cell := range rec[1:3] {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
					t.Errorf("cell %q would run as a formula", cell)
				}
			}
			if !strings.HasPrefix(rec[0], "P") {
				t.Errorf("id column %q, want the pseudonymous P…", rec[0])
			}
		}
		if records[1][1] != `'=HYPERLINK("http://evil.example.org","clic")` || records[1][2] != "'+32 2 555 00 00" || records[1][4] == "" {
			t.Errorf("first row: %v, want the formula defused and a check-in time", records[1])
		}
		if records[3][1] != "Élise" || records[3][3] != "confirmée" {
			t.Errorf("last row: %v", records[3])
		}
	})
}

// TestOrganiserManagesRegistrations: cancel on someone's behalf (the next one waiting is

// promoted), check in and out, resend without SMTP.

// TestOrganiserResendsInvitation sends a fresh link by email; the earlier link keeps working.

// TestCardsSheetsAndGroups: the cards come on sheets of 8, or 4 large ones; each carries a

// code that signs its holder in, and, once groups are made, the person's colour group.

func TestCardsSheetsAndGroups(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		var first *record.Participant
		for i := range 9 {
			p := f.Person(t, s.DB, fmt.Sprintf("Personne %d", i+1), "", nil, f.Open)
			if first == nil {
				first = p
			}
		}
		green := &record.Group{WorkshopID: f.Open.ID, Position: 1, Name: "Vert", Colour: "#009E73", CreatedAt: time.Now()}
		if _, err := s.DB.NewInsert().Model(green).Returning("id").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewInsert().Model(&record.GroupMember{WorkshopID: f.Open.ID, ParticipantID: first.ID, GroupID: green.ID}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		org, _ := s.OrganiserDesk(t)
		u := fmt.Sprintf("%s/organise/processes/%d/cards?workshop=%d", s.Server.URL, f.Proc.ID, f.Open.ID)
		for _, c := range []struct {
			query         string
			sheets, first int
		}{{"", 2, 8}, {"&size=large", 3, 4}} {
			_, body := sitetest.Get(t, org, u+c.query)
			sheets := strings.Split(body, `<section class="sheet">`)[1:]
			if len(sheets) != c.sheets || strings.Count(sheets[0], `class="invitecard"`) != c.first {
				t.Errorf("cards%s: %d sheets, %d cards on the first; want %d and %d", c.query, len(sheets), strings.Count(sheets[0], `class="invitecard"`), c.sheets, c.first)
			}
			if n := strings.Count(body, "Groupe Vert"); n != 1 || !strings.Contains(body, `<img src="data:image/svg`) {
				t.Errorf("cards%s: the group shows %d times, want once with its colour dot", c.query, n)
			}
		}
		_, body := sitetest.Get(t, org, u)
		codes := regexp.MustCompile(`class="ic-code">[^<]*<strong translate="no">([A-Z0-9-]{12})</strong>`).FindAllStringSubmatch(body, -1)
		if len(codes) != 9 {
			t.Fatalf("codes on the cards: got %d, want 9", len(codes))
		}
		phone := s.Client(t)
		resp, _ := sitetest.PostForm(t, phone, s.Server.URL+"/code", url.Values{"csrf": {sitetest.FormToken(t, phone, s.Server.URL+"/code")}, "code": {codes[0][1]}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/w/%d", f.Open.ID) {
			t.Errorf("a card's code: got %d to %q, want its session", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}
