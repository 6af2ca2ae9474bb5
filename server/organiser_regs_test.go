package server_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/storage/storagetest"
)

var cardLink = regexp.MustCompile(`<p class="ic-link"[^>]*>([^<]+)</p>`)

// TestInvitationCards prints the cards of one session: one card and one QR code per
// confirmed person of that session, nobody else's name, no email; each card's link signs its
// holder in. Only organisers may print them.
func TestInvitationCards(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		f := newRegFixture(t, db)
		mail := "dora@example.org"
		ana := f.person(t, db, "Ana", "CPAS", nil, f.open)
		f.person(t, db, "Bert", "Syndicat", nil, f.open, f.small)
		f.person(t, db, "Dora", "Autre", &mail, f.small)
		carl := f.person(t, db, "Carl", "Ligue", nil)
		if err := people.AddRegistration(ctx, db, f.open, carl.ID, record.RegistrationWaiting); err != nil {
			t.Fatal(err)
		}
		org, _ := s.organiserDesk(t)
		u := fmt.Sprintf("%s/organise/processes/%d/cards?workshop=%d", s.srv.URL, f.proc.ID, f.open.ID)
		resp, body := get(t, org, u)
		if resp.StatusCode != 200 {
			t.Fatalf("cards: got %d", resp.StatusCode)
		}
		noInline(t, "cards", body)
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
		resp, _ = get(t, s.client(t), links[0][1])
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/w/%d", f.open.ID) {
			t.Errorf("Ana's card: got %d %q, want 303 to her session", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = get(t, s.client(t), links[1][1])
		if resp.Header.Get("Location") != "/me" {
			t.Errorf("Bert's card (two sessions): lands on %q, want /me", resp.Header.Get("Location"))
		}
		var inv people.Invitation
		if err := db.NewSelect().Model(&inv).Where("participant_id = ?", ana.ID).Order("id DESC").Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if inv.SingleUse || inv.ExpiresAt.Before(f.small.EndsAt.Add(23*time.Hour)) {
			t.Errorf("card link: single use %v, expires %v; want reusable until a day after the last session (%v)", inv.SingleUse, inv.ExpiresAt, f.small.EndsAt)
		}
		// The whole process: three people with a place.
		_, body = get(t, org, fmt.Sprintf("%s/organise/processes/%d/cards", s.srv.URL, f.proc.ID))
		if n := strings.Count(body, `class="ic-qr"`); n != 3 {
			t.Errorf("cards of the process: %d, want 3", n)
		}
		if resp, _ := get(t, s.signInAs(t, ana.ID, nil), u); resp.StatusCode != 403 {
			t.Errorf("a participant printing cards: got %d, want 403", resp.StatusCode)
		}
		if resp, _ := get(t, s.client(t), u); resp.StatusCode != 401 {
			t.Errorf("signed out printing cards: got %d, want 401", resp.StatusCode)
		}
		if strings.Contains(s.logs.String(), links[0][1]) {
			t.Error("a card's link reached the logs")
		}
	})
}

// TestAttendanceCSV: organisers only, as an attachment, with formulas defused.
func TestAttendanceCSV(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		f := newRegFixture(t, db)
		evil := f.person(t, db, `=HYPERLINK("http://evil.example.org","clic")`, "+32 2 555 00 00", nil, f.open)
		f.person(t, db, "@SUM(1+1)", "-2+3", nil, f.open)
		f.person(t, db, "Élise", "CPAS d'Ixelles", nil, f.open)
		if err := people.CheckIn(ctx, db, f.open, evil.ID, time.Now(), false); err != nil {
			t.Fatal(err)
		}
		u := fmt.Sprintf("%s/organise/workshops/%d/attendance.csv", s.srv.URL, f.open.ID)
		mod, _, _ := moderatorAt(t, s, f, f.open)
		for _, tt := range []struct {
			name   string
			client *http.Client
			want   int
		}{{"signed out", s.client(t), 401}, {"moderator", mod, 403}, {"participant", s.signInAs(t, evil.ID, nil), 403}} {
			t.Run(tt.name, func(t *testing.T) {
				if resp, body := get(t, tt.client, u); resp.StatusCode != tt.want || strings.Contains(body, "Élise") {
					t.Errorf("%s: got %d, want %d and no names", tt.name, resp.StatusCode, tt.want)
				}
			})
		}
		org, _ := s.organiserDesk(t)
		resp, body := get(t, org, u)
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
		if resp, comma := get(t, org, u+"?sep=,"); resp.StatusCode != 200 || !strings.HasPrefix(comma, "\ufeff"+strings.Join(records[0], ",")+"\r\n") {
			t.Errorf("?sep=,: got %d %q, want the same header separated by commas", resp.StatusCode, comma[:min(len(comma), 60)])
		}
		if resp, _ := get(t, org, u+"?sep=tab"); resp.StatusCode != 400 {
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
func TestOrganiserManagesRegistrations(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		f := newRegFixture(t, db)
		first := f.person(t, db, "First", "A", nil)
		second := f.person(t, db, "Second", "B", nil)
		for _, p := range []*record.Participant{first, second} {
			if _, err := people.Register(ctx, db, p.ID, []int64{f.small.ID}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		c, csrf := s.organiserDesk(t)
		base := fmt.Sprintf("%s/api/organise/workshops/%d/registrations", s.srv.URL, f.small.ID)
		if st := call(t, c, "POST", fmt.Sprintf("%s/%d/cancel", base, first.ID), "", map[string]any{}, nil); st != 403 {
			t.Errorf("cancel without CSRF: got %d, want 403", st)
		}
		var out struct{ Promoted *int64 }
		if st := call(t, c, "POST", fmt.Sprintf("%s/%d/cancel", base, first.ID), csrf, map[string]any{}, &out); st != 200 || out.Promoted == nil || *out.Promoted != second.ID {
			t.Fatalf("cancel: got %d %+v, want Second promoted", st, out)
		}
		if st := call(t, c, "POST", fmt.Sprintf("%s/%d/checkin", base, first.ID), csrf, map[string]any{"checkedIn": true}, nil); st != 409 {
			t.Errorf("check in someone cancelled: got %d, want 409", st)
		}
		if st := call(t, c, "POST", fmt.Sprintf("%s/%d/checkin", base, second.ID), csrf, map[string]any{"checkedIn": true}, nil); st != 204 || registration(t, db, f.small.ID, second.ID).CheckedInAt == nil {
			t.Errorf("check in: got %d", st)
		}
		if st := call(t, c, "POST", fmt.Sprintf("%s/%d/checkin", base, second.ID), csrf, map[string]any{"checkedIn": false}, nil); st != 204 || registration(t, db, f.small.ID, second.ID).CheckedInAt != nil {
			t.Errorf("check out: got %d", st)
		}
		var e apiErr
		if st := call(t, c, "POST", fmt.Sprintf("%s/api/organise/people/%d/send", s.srv.URL, second.ID), csrf, map[string]any{}, &e); st != 409 || e.Error.Code != "reg_mail_disabled" {
			t.Errorf("resend without SMTP: got %d %+v, want 409 reg_mail_disabled", st, e.Error)
		}
	})
}

// TestOrganiserResendsInvitation sends a fresh link by email; the earlier link keeps working.
func TestOrganiserResendsInvitation(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		box, sender := startInbox(t)
		s := newMailSite(t, db, sender)
		f := newRegFixture(t, db)
		mail := "eva@example.org"
		eva := f.person(t, db, "Eva", "A", &mail, f.open)
		old, _, err := people.CreateInvitation(context.Background(), db, eva.ID, nil, time.Hour, false)
		if err != nil {
			t.Fatal(err)
		}
		noMail := f.person(t, db, "Sans", "B", nil, f.open)
		c, csrf := s.organiserDesk(t)
		var e apiErr
		if st := call(t, c, "POST", fmt.Sprintf("%s/api/organise/people/%d/send", s.srv.URL, noMail.ID), csrf, map[string]any{}, &e); st != 409 || e.Error.Code != "reg_no_email" {
			t.Errorf("resend to someone without email: got %d %+v", st, e.Error)
		}
		if st := call(t, c, "POST", fmt.Sprintf("%s/api/organise/people/%d/send", s.srv.URL, eva.ID), csrf, map[string]any{}, nil); st != 204 {
			t.Fatalf("resend: got %d", st)
		}
		if n := len(box.all()); n != 0 {
			t.Fatalf("the resend talked to the SMTP server (%d messages) before answering; want it queued", n)
		}
		// The desk sees it waiting; the SMTP server down, it would see the error too
		// (mail/outbox tests the retries and the error).
		var desk struct {
			Outbox struct{ Waiting, Failed int } `json:"outbox"`
		}
		if st := call(t, c, "GET", fmt.Sprintf("%s/api/organise/processes/%d", s.srv.URL, f.proc.ID), "", nil, &desk); st != 200 || desk.Outbox.Waiting != 1 {
			t.Errorf("the desk's outbox: got %d %+v, want one waiting", st, desk.Outbox)
		}
		s.sendMail(t)
		msgs := box.all()
		if len(msgs) != 1 || msgs[0].To != mail || linkRe.FindString(msgs[0].Text) == "" || !strings.Contains(msgs[0].Text, "Atelier logement") {
			t.Fatalf("resent invitation: %+v", msgs)
		}
		if resp, _ := get(t, s.client(t), linkRe.FindString(msgs[0].Text)); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("resent link: got %d, want 303", resp.StatusCode)
		}
		if resp, _ := get(t, s.client(t), s.srv.URL+"/i/"+old); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("earlier link after a resend: got %d, want 303 (still good)", resp.StatusCode)
		}
	})
}
