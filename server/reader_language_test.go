package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/storage/storagetest"
)

// translateFixture gives the fixture's process and its session "Atelier emploi" their Dutch
// titles; "Atelier logement" stays untranslated, as an organiser in a hurry leaves some.
func translateFixture(t *testing.T, db *bun.DB, f regFixture) {
	t.Helper()
	ctx := context.Background()
	f.proc.Translations.Set("nl", "title", "Staten-Generaal van Huisvesting")
	if _, err := db.NewUpdate().Model(f.proc).Column("translations").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	f.small.Translations.Set("nl", "title", "Werkgelegenheidsatelier")
	if _, err := db.NewUpdate().Model(f.small).Column("translations").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// A Dutch-speaking person gets every email in Dutch, the titles the organiser translated
// included: after registering on a French page with Dutch chosen in the form, when a place
// opens for them, and when an organiser sends their link again. A French speaker's email keeps
// the French titles.
func TestEmailsInThePersonsLanguage(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		box, sender := startInbox(t)
		s := newMailSite(t, db, sender)
		f := newRegFixture(t, db)
		translateFixture(t, db, f)
		page := s.srv.URL + "/p/" + f.proc.Slug + "?lang=fr"
		c := s.client(t)
		token := formToken(t, c, page)
		reg := func(name, lang string, sessions ...int64) {
			v := url.Values{"csrf": {token}, "displayName": {name}, "organisation": {name + " asbl"}, "email": {strings.ToLower(name) + "@example.org"}, "language": {lang}}
			for _, id := range sessions {
				v.Add("session", fmt.Sprint(id))
			}
			if resp, _ := register(t, c, s.srv.URL+"/p/"+f.proc.Slug+"/register", v); resp.StatusCode != 200 {
				t.Fatalf("%s registers: got %d", name, resp.StatusCode)
			}
		}
		reg("Camille", "fr", f.small.ID)
		reg("Anke", "nl", f.small.ID, f.open.ID) // waits for "Atelier emploi": one place
		s.sendMail(t)
		msgs := box.all()
		if len(msgs) != 2 {
			t.Fatalf("inbox has %d messages, want 2", len(msgs))
		}
		fr, nl := msgs[0], msgs[1]
		if fr.Subject != "Votre invitation — Assises du Logement" || !strings.Contains(fr.Text, "Atelier emploi") || strings.Contains(fr.Text, "Werkgelegenheidsatelier") {
			t.Errorf("French registration email: subject %q text %q, want the French titles", fr.Subject, fr.Text)
		}
		if nl.Subject != "Uw uitnodiging — Staten-Generaal van Huisvesting" {
			t.Errorf("Dutch registration email: subject %q, want the Dutch subject and title", nl.Subject)
		}
		for part, body := range map[string]string{"text": nl.Text, "html": nl.HTML} {
			for _, want := range []string{"Staten-Generaal van Huisvesting", "Werkgelegenheidsatelier", "Atelier logement"} {
				if !strings.Contains(body, want) {
					t.Errorf("Dutch registration email (%s) lacks %q: %s", part, want, body)
				}
			}
			if strings.Contains(body, "Atelier emploi") || strings.Contains(body, "Assises du Logement") {
				t.Errorf("Dutch registration email (%s) shows a French title that has a translation: %s", part, body)
			}
		}
		// The one title left untranslated is marked as French for screen readers.
		if !strings.Contains(nl.HTML, `<strong lang="fr">Atelier logement</strong>`) {
			t.Errorf("Dutch email: the untranslated title is not marked French: %s", nl.HTML)
		}

		// Camille gives her place back from her phone: Anke is told, in Dutch, with the Dutch
		// titles; then an organiser sends Anke her link again, in Dutch too.
		phone := s.client(t)
		if resp, _ := get(t, phone, linkRe.FindString(fr.Text)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("Camille's link: got %d, want 303", resp.StatusCode)
		}
		cancel := url.Values{"workshop": {fmt.Sprint(f.small.ID)}, "csrf": {formToken(t, phone, s.srv.URL+"/me")}}
		if resp, _ := postForm(t, phone, s.srv.URL+"/me/cancel", cancel, "Origin", s.srv.URL); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("Camille cancels: got %d, want 303", resp.StatusCode)
		}
		org, csrf := s.organiserDesk(t)
		if st := call(t, org, "POST", fmt.Sprintf("%s/api/organise/people/%d/send", s.srv.URL, participantNamed(t, db, "Anke")), csrf, map[string]any{}, nil); st != 204 {
			t.Fatalf("resend: got %d", st)
		}
		s.sendMail(t)
		msgs = box.all()
		if len(msgs) != 4 {
			t.Fatalf("inbox has %d messages, want 4", len(msgs))
		}
		promoted, resent := msgs[2], msgs[3]
		if promoted.To != "anke@example.org" || promoted.Subject != "Er is een plaats vrijgekomen voor u — Staten-Generaal van Huisvesting" ||
			!strings.Contains(promoted.Text, "Werkgelegenheidsatelier") || strings.Contains(promoted.Text, "Atelier emploi") {
			t.Errorf("promotion email: to %q subject %q text %q, want Dutch with the Dutch titles", promoted.To, promoted.Subject, promoted.Text)
		}
		if resent.Subject != "Uw uitnodiging — Staten-Generaal van Huisvesting" || !strings.Contains(resent.Text, "Werkgelegenheidsatelier") ||
			!strings.Contains(resent.Text, "Atelier logement") || strings.Contains(resent.Text, "Atelier emploi") {
			t.Errorf("resent invitation: subject %q text %q, want Dutch with the Dutch titles", resent.Subject, resent.Text)
		}
	})
}
