package register_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
	"github.com/assises/assises/storage/storagetest"
)

func TestRegistrationForm(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		f := sitetest.NewFixture(t, s.DB)
		page := s.Server.URL + "/p/" + f.Proc.Slug
		action := page + "/register"
		c := s.Client(t)

		resp, body := sitetest.Get(t, c, page)
		for _, want := range []string{
			`action="/p/assises/register"`,
			fmt.Sprintf(`name="session" value="%d"`, f.Open.ID),
			"3 places restantes", "1 places restantes",
			"Je viens en tant qu&#39;usager·ère",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("public page lacks %q", want)
			}
		}
		if resp.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("public page with a form token: Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		if !strings.Contains(body, fmt.Sprintf(`value="%d" disabled`, f.Past.ID)) {
			t.Errorf("the session that is over is not disabled")
		}
		token := sitetest.FormToken(t, c, page)
		valid := func(name, org string, sessions ...*record.Workshop) url.Values {
			v := url.Values{"csrf": {token}, "displayName": {name}, "organisation": {org}, "language": {"fr"}}
			for _, w := range sessions {
				v.Add("session", fmt.Sprint(w.ID))
			}
			return v
		}

		// CSRF: the double-submit token is required, and must be this browser's.
		stranger := s.Client(t)
		sitetest.Get(t, stranger, page) // a cookie of its own
		refusals := []struct {
			name   string
			client *http.Client
			values url.Values
			header []string
		}{
			{"no cookie", s.Client(t), valid("Léa", "CPAS", f.Open), nil},
			{"no field", c, func() url.Values { v := valid("Léa", "CPAS", f.Open); v.Del("csrf"); return v }(), nil},
			{"another browser's token", stranger, valid("Léa", "CPAS", f.Open), nil},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := sitetest.PostForm(t, tt.client, action, tt.values, tt.header...)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s: got %d, want 403", tt.name, resp.StatusCode)
				}
				// Nothing is saved, but what was typed comes back, with a fresh token.
				if !strings.Contains(body, `value="Léa"`) || !strings.Contains(body, "Le formulaire a expiré") || !sitetest.CSRFField.MatchString(body) {
					t.Errorf("%s: the refused form does not keep what was typed", tt.name)
				}
			})
		}
		// A post from another site is refused before the form: what it carries was not typed here.
		if resp, _ := sitetest.PostForm(t, c, action, valid("Léa", "CPAS", f.Open), "Origin", "https://evil.example.org"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("foreign origin: got %d, want 403", resp.StatusCode)
		}
		if n, _ := s.DB.NewSelect().Model((*record.Participant)(nil)).Count(context.Background()); n != 0 {
			t.Fatalf("refused posts created %d participants", n)
		}

		// Mistakes are named, field by field, and what was typed stays.
		bad := url.Values{"csrf": {token}, "displayName": {"  "}, "organisation": {"CPAS d'Ixelles"}, "email": {"léa@@example"}, "language": {"fr"}, "serviceUser": {"1"}}
		resp, body = sitetest.PostForm(t, c, action, bad)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("invalid form: got %d, want 400", resp.StatusCode)
		}
		for _, want := range []string{
			"Écrivez un nom ou un pseudonyme.", "ne semble pas correcte", "Cochez au moins une séance.",
			`value="CPAS d&#39;Ixelles"`, `value="léa@@example"`, `id="reg-serviceUser" name="serviceUser" value="1" checked`,
			`aria-invalid="true"`, `id="reg-problem"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("refused form lacks %q", want)
			}
		}
		closed := valid("Léa", "CPAS", f.Past)
		closed.Set("language", "nl")
		resp, body = sitetest.PostForm(t, c, action+"?lang=nl", closed)
		if resp.StatusCode != 400 || !strings.Contains(body, "aanvaardt geen inschrijvingen meer") ||
			!strings.Contains(body, fmt.Sprintf(`value="%d" checked disabled`, f.Past.ID)) {
			t.Errorf("closed session chosen, in Dutch: got %d, want 400 with the Dutch refusal and the choice kept", resp.StatusCode)
		}

		// Léa takes places in both sessions; Marc, of the same organisation, waits for the
		// first (one person per organisation); Zoé waits for the second (one place).
		lea := valid("Léa", "CPAS", f.Open, f.Small)
		lea.Set("consent", "1")
		lea.Set("serviceUser", "1")
		resp, body = sitetest.Register(t, c, action+"?lang=fr", lea) // back to French after the Dutch post
		if resp.StatusCode != 200 || strings.Count(body, "Place confirmée") != 2 || !strings.Contains(body, "seul moyen de revenir") {
			t.Fatalf("Léa: got %d, want two confirmed places and her only way back", resp.StatusCode)
		}
		resp, body = sitetest.Register(t, c, action, valid("Marc", "cpas", f.Open))
		if resp.StatusCode != 200 || !strings.Contains(body, "Sur la liste d&#39;attente") || !strings.Contains(body, "places réservées à votre organisation") {
			t.Errorf("Marc: got %d, want the waiting list because of his organisation", resp.StatusCode)
		}
		resp, body = sitetest.Register(t, c, action, valid("Zoé", "Autre", f.Small))
		if resp.StatusCode != 200 || !strings.Contains(body, "Toutes les places sont prises") {
			t.Errorf("Zoé: got %d, want the waiting list because the session is full", resp.StatusCode)
		}
		ctx := context.Background()
		leaID := sitetest.ParticipantNamed(t, s.DB, "Léa")
		person, err := people.GetPerson(ctx, s.DB, leaID)
		if err != nil || !person.ServiceUser || !person.AttributionConsent || person.Email != nil || person.Language != "fr" {
			t.Errorf("Léa's person: got %+v (%v), want service user, consent, no email", person, err)
		}
		for _, tt := range []struct {
			who      string
			workshop *record.Workshop
			want     string
		}{{"Léa", f.Open, "confirmed"}, {"Léa", f.Small, "confirmed"}, {"Marc", f.Open, "waiting"}, {"Zoé", f.Small, "waiting"}} {
			t.Run(tt.who+" in "+tt.workshop.Title, func(t *testing.T) {
				if got := sitetest.Registration(t, s.DB, tt.workshop.ID, sitetest.ParticipantNamed(t, s.DB, tt.who)).Status; got != tt.want {
					t.Errorf("%s in %s: got %s, want %s", tt.who, tt.workshop.Title, got, tt.want)
				}
			})
		}
		// The page now says the second session is full.
		_, body = sitetest.Get(t, c, page)
		if !strings.Contains(body, "Complet : liste d&#39;attente") || !strings.Contains(body, "2 places restantes") {
			t.Errorf("public page after registrations: want the second session full and 2 places left in the first")
		}
		// After the deadline the form is gone and a post is refused.
		past := time.Now().Add(-time.Hour)
		f.Proc.RegistrationDeadline = &past
		if err := process.Update(ctx, s.DB, f.Proc); err != nil {
			t.Fatal(err)
		}
		resp, body = sitetest.PostForm(t, c, action, valid("Tom", "X", f.Open))
		if resp.StatusCode != 400 || !strings.Contains(body, "Les inscriptions sont closes.") {
			t.Errorf("after the deadline: got %d, want 400 and the closed notice", resp.StatusCode)
		}
		if strings.Contains(s.Logs.String(), "Léa") || strings.Contains(s.Logs.String(), token) {
			t.Error("a name or a form token reached the logs")
		}
	})
}

// TestRegistrationEmail registers with an email against a real SMTP server: the invitation
// arrives in the person's language with both parts, and its link signs them in on "my
// sessions". Giving a place back there promotes the next person, who is told by email.
func TestRegistrationEmail(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		box, sender := sitetest.StartInbox(t)
		s := sitetest.New(t, db, sitetest.Options{Mail: sender})
		f := sitetest.NewFixture(t, db)
		page := s.Server.URL + "/p/" + f.Proc.Slug
		c := s.Client(t)
		token := sitetest.FormToken(t, c, page)
		reg := func(name, email, lang string) string {
			v := url.Values{"csrf": {token}, "displayName": {name}, "organisation": {name + " asbl"}, "email": {email}, "language": {lang}, "session": {fmt.Sprint(f.Small.ID)}}
			resp, body := sitetest.Register(t, c, page+"/register", v)
			if resp.StatusCode != 200 {
				t.Fatalf("%s registers: got %d", name, resp.StatusCode)
			}
			return body
		}
		body := reg("Anke", "anke@example.org", "nl")
		sitetest.NoInline(t, "registration result", body)
		if !strings.Contains(body, "We sturen u een e-mail") {
			t.Errorf("result page does not say an email is on its way")
		}
		reg("Bruno", "bruno@example.org", "fr") // waits: one place
		// The pages answered without talking to the SMTP server: the email waits in the outbox.
		if n := len(box.All()); n != 0 {
			t.Fatalf("registering talked to the SMTP server (%d messages); want the email queued", n)
		}
		s.SendMail(t)
		msgs := box.All()
		if len(msgs) != 2 {
			t.Fatalf("inbox has %d messages, want 2", len(msgs))
		}
		m := msgs[0]
		if m.To != "anke@example.org" || !strings.HasPrefix(m.Subject, "Uw uitnodiging") {
			t.Errorf("invitation: to %q subject %q, want anke@example.org and a Dutch subject", m.To, m.Subject)
		}
		link := sitetest.Link.FindString(m.Text)
		if link == "" || !strings.Contains(m.HTML, `href="`+link+`"`) || !strings.Contains(m.Text, "Plaats bevestigd") || !strings.Contains(m.HTML, "Atelier emploi") {
			t.Fatalf("invitation parts: text %q html %q, want the same link in both and the session confirmed", m.Text, m.HTML)
		}
		// The email carries the code too, the same in both parts.
		if code := regexp.MustCompile(`Uw persoonlijke code: ([A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{4})`).FindStringSubmatch(m.Text); code == nil || !strings.Contains(m.HTML, code[1]) {
			t.Errorf("invitation: no personal code in both parts: %q", m.Text)
		}
		if !strings.Contains(msgs[1].Text, "Sur la liste d'attente.") {
			t.Errorf("Bruno's invitation does not say he waits: %q", msgs[1].Text)
		}

		// The link signs a phone in and lands on "my sessions".
		phone := s.Client(t)
		resp, _ := sitetest.Get(t, phone, link)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
			t.Fatalf("invitation link: got %d to %q, want 303 to /me", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, mine := sitetest.Get(t, phone, s.Server.URL+"/me?lang=nl")
		// The session is in three days: the way in appears on the day.
		if resp.StatusCode != 200 || !strings.Contains(mine, "Atelier emploi") || !strings.Contains(mine, "Op de dag van de sessie") ||
			strings.Contains(mine, fmt.Sprintf(`href="/w/%d"`, f.Small.ID)) {
			t.Fatalf("my sessions: got %d, want the session, and its way in only on the day", resp.StatusCode)
		}
		sitetest.NoInline(t, "my sessions", mine)
		if resp, _ := sitetest.Get(t, phone, fmt.Sprintf("%s/w/%d", s.Server.URL, f.Small.ID)); resp.StatusCode != 200 {
			t.Errorf("participant page of her session: got %d, want 200", resp.StatusCode)
		}

		// Giving the place back: refused without the form's token, then done; Bruno is promoted
		// and told, in French.
		cancel := url.Values{"workshop": {fmt.Sprint(f.Small.ID)}}
		if resp, _ := sitetest.PostForm(t, phone, s.Server.URL+"/me/cancel", cancel); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cancel without token: got %d, want 403", resp.StatusCode)
		}
		cancel.Set("csrf", sitetest.FormToken(t, phone, s.Server.URL+"/me"))
		// As Safari before 16.4 posts its own form: no Sec-Fetch-Site, Origin "null".
		resp, _ = sitetest.PostForm(t, phone, s.Server.URL+"/me/cancel", cancel, "Origin", "null")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: got %d, want 303", resp.StatusCode)
		}
		if got := sitetest.Registration(t, db, f.Small.ID, sitetest.ParticipantNamed(t, db, "Bruno")).Status; got != "confirmed" {
			t.Errorf("Bruno after Anke cancelled: %s, want confirmed", got)
		}
		s.SendMail(t)
		msgs = box.All()
		if len(msgs) != 3 || msgs[2].To != "bruno@example.org" || !strings.HasPrefix(msgs[2].Subject, "Une place s'est libérée") || sitetest.Link.FindString(msgs[2].Text) == "" {
			t.Fatalf("promotion email: got %+v", msgs[len(msgs)-1])
		}
		if _, mine = sitetest.Get(t, phone, s.Server.URL+"/me"); strings.Contains(mine, fmt.Sprintf(`data-workshop="%d"`, f.Small.ID)) {
			t.Errorf("my sessions still lists the session given back")
		}
		logs := s.Logs.String()
		for _, secret := range []string{link, "anke@example.org", "bruno@example.org"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs contain %q", secret)
			}
		}
	})
}
