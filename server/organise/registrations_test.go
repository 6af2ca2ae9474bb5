package organise_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
	"github.com/assises/assises/storage/storagetest"
)

func TestOrganiserManagesRegistrations(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		first := f.Person(t, s.DB, "First", "A", nil)
		second := f.Person(t, s.DB, "Second", "B", nil)
		for _, p := range []*record.Participant{first, second} {
			if _, err := people.Register(ctx, s.DB, p.ID, []int64{f.Small.ID}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		c, csrf := s.OrganiserDesk(t)
		base := fmt.Sprintf("%s/api/organise/workshops/%d/registrations", s.Server.URL, f.Small.ID)
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/%d/cancel", base, first.ID), "", map[string]any{}, nil); st != 403 {
			t.Errorf("cancel without CSRF: got %d, want 403", st)
		}
		var out struct{ Promoted *int64 }
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/%d/cancel", base, first.ID), csrf, map[string]any{}, &out); st != 200 || out.Promoted == nil || *out.Promoted != second.ID {
			t.Fatalf("cancel: got %d %+v, want Second promoted", st, out)
		}
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/%d/checkin", base, first.ID), csrf, map[string]any{"checkedIn": true}, nil); st != 409 {
			t.Errorf("check in someone cancelled: got %d, want 409", st)
		}
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/%d/checkin", base, second.ID), csrf, map[string]any{"checkedIn": true}, nil); st != 204 || sitetest.Registration(t, s.DB, f.Small.ID, second.ID).CheckedInAt == nil {
			t.Errorf("check in: got %d", st)
		}
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/%d/checkin", base, second.ID), csrf, map[string]any{"checkedIn": false}, nil); st != 204 || sitetest.Registration(t, s.DB, f.Small.ID, second.ID).CheckedInAt != nil {
			t.Errorf("check out: got %d", st)
		}
		var e sitetest.APIError
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/api/organise/people/%d/send", s.Server.URL, second.ID), csrf, map[string]any{}, &e); st != 409 || e.Error.Code != "reg_mail_disabled" {
			t.Errorf("resend without SMTP: got %d %+v, want 409 reg_mail_disabled", st, e.Error)
		}
	})
}

func TestOrganiserResendsInvitation(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		box, sender := sitetest.StartInbox(t)
		s := sitetest.New(t, db, sitetest.Options{Mail: sender})
		f := sitetest.NewFixture(t, db)
		mail := "eva@example.org"
		eva := f.Person(t, db, "Eva", "A", &mail, f.Open)
		old, _, err := people.CreateInvitation(context.Background(), db, eva.ID, nil, time.Hour, false)
		if err != nil {
			t.Fatal(err)
		}
		noMail := f.Person(t, db, "Sans", "B", nil, f.Open)
		c, csrf := s.OrganiserDesk(t)
		var e sitetest.APIError
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/api/organise/people/%d/send", s.Server.URL, noMail.ID), csrf, map[string]any{}, &e); st != 409 || e.Error.Code != "reg_no_email" {
			t.Errorf("resend to someone without email: got %d %+v", st, e.Error)
		}
		if st := sitetest.Call(t, c, "POST", fmt.Sprintf("%s/api/organise/people/%d/send", s.Server.URL, eva.ID), csrf, map[string]any{}, nil); st != 204 {
			t.Fatalf("resend: got %d", st)
		}
		if n := len(box.All()); n != 0 {
			t.Fatalf("the resend talked to the SMTP server (%d messages) before answering; want it queued", n)
		}
		// The desk sees it waiting; the SMTP server down, it would see the error too
		// (mail/outbox tests the retries and the error).
		var desk struct {
			Outbox struct{ Waiting, Failed int } `json:"outbox"`
		}
		if st := sitetest.Call(t, c, "GET", fmt.Sprintf("%s/api/organise/processes/%d", s.Server.URL, f.Proc.ID), "", nil, &desk); st != 200 || desk.Outbox.Waiting != 1 {
			t.Errorf("the desk's outbox: got %d %+v, want one waiting", st, desk.Outbox)
		}
		s.SendMail(t)
		msgs := box.All()
		if len(msgs) != 1 || msgs[0].To != mail || sitetest.Link.FindString(msgs[0].Text) == "" || !strings.Contains(msgs[0].Text, "Atelier logement") {
			t.Fatalf("resent invitation: %+v", msgs)
		}
		if resp, _ := sitetest.Get(t, s.Client(t), sitetest.Link.FindString(msgs[0].Text)); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("resent link: got %d, want 303", resp.StatusCode)
		}
		if resp, _ := sitetest.Get(t, s.Client(t), s.Server.URL+"/i/"+old); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("earlier link after a resend: got %d, want 303 (still good)", resp.StatusCode)
		}
	})
}
