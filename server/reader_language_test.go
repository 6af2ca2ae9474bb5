package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
	"github.com/assises/assises/storage/storagetest"
)

// translateFixture gives the fixture's process and its session "Atelier emploi" their Dutch
// titles; "Atelier logement" stays untranslated, as an organiser in a hurry leaves some.
func translateFixture(t *testing.T, db *bun.DB, f sitetest.Fixture) {
	t.Helper()
	ctx := context.Background()
	f.Proc.Translations.Set("nl", "title", "Staten-Generaal van Huisvesting")
	if _, err := db.NewUpdate().Model(f.Proc).Column("translations").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	f.Small.Translations.Set("nl", "title", "Werkgelegenheidsatelier")
	if _, err := db.NewUpdate().Model(f.Small).Column("translations").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// A Dutch-speaking person gets every email in Dutch, the titles the organiser translated
// included: after registering on a French page with Dutch chosen in the form, when a place
// opens for them, and when an organiser sends their link again. A French speaker's email keeps
// the French titles.
func TestEmailsInThePersonsLanguage(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		box, sender := sitetest.StartInbox(t)
		s := sitetest.New(t, db, sitetest.Options{Mail: sender})
		f := sitetest.NewFixture(t, db)
		translateFixture(t, db, f)
		page := s.Server.URL + "/p/" + f.Proc.Slug + "?lang=fr"
		c := s.Client(t)
		token := sitetest.FormToken(t, c, page)
		reg := func(name, lang string, sessions ...int64) {
			v := url.Values{"csrf": {token}, "displayName": {name}, "organisation": {name + " asbl"}, "email": {strings.ToLower(name) + "@example.org"}, "language": {lang}}
			for _, id := range sessions {
				v.Add("session", fmt.Sprint(id))
			}
			if resp, _ := sitetest.Register(t, c, s.Server.URL+"/p/"+f.Proc.Slug+"/register", v); resp.StatusCode != 200 {
				t.Fatalf("%s registers: got %d", name, resp.StatusCode)
			}
		}
		reg("Camille", "fr", f.Small.ID)
		reg("Anke", "nl", f.Small.ID, f.Open.ID) // waits for "Atelier emploi": one place
		s.SendMail(t)
		msgs := box.All()
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
		phone := s.Client(t)
		if resp, _ := sitetest.Get(t, phone, sitetest.Link.FindString(fr.Text)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("Camille's link: got %d, want 303", resp.StatusCode)
		}
		cancel := url.Values{"workshop": {fmt.Sprint(f.Small.ID)}, "csrf": {sitetest.FormToken(t, phone, s.Server.URL+"/me")}}
		if resp, _ := sitetest.PostForm(t, phone, s.Server.URL+"/me/cancel", cancel, "Origin", s.Server.URL); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("Camille cancels: got %d, want 303", resp.StatusCode)
		}
		// The confirmation on "my sessions" names the session in the reader's language.
		if _, mine := sitetest.Get(t, phone, fmt.Sprintf("%s/me?cancelled=%d&lang=nl", s.Server.URL, f.Small.ID)); !strings.Contains(mine, "<strong>Werkgelegenheidsatelier</strong>") {
			t.Errorf("my sessions in Dutch after giving a place back: no Dutch title in the confirmation")
		}
		org, csrf := s.OrganiserDesk(t)
		if st := sitetest.Call(t, org, "POST", fmt.Sprintf("%s/api/organise/people/%d/send", s.Server.URL, sitetest.ParticipantNamed(t, db, "Anke")), csrf, map[string]any{}, nil); st != 204 {
			t.Fatalf("resend: got %d", st)
		}
		s.SendMail(t)
		msgs = box.All()
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

// Each printed card speaks its holder's language: a Dutch speaker's card carries the Dutch
// titles and instructions, a French speaker's the French ones, and the card of a person whose
// language nobody gave carries the titles in both languages.
func TestInvitationCardsInTheHoldersLanguage(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		translateFixture(t, s.DB, f)
		add := func(name, lang string) {
			p, err := people.CreateParticipant(ctx, s.DB, people.NewParticipant{
				ProcessID: &f.Proc.ID, Role: record.RoleParticipant,
				Person: people.Person{DisplayName: name, Language: lang},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := people.AddRegistration(ctx, s.DB, f.Small, p.ID, record.RegistrationConfirmed); err != nil {
				t.Fatal(err)
			}
		}
		add("Anke", "nl")
		add("Bruno", "fr")
		add("Chris", "")
		org, _ := s.OrganiserDesk(t)
		for _, size := range []string{"", "&size=large"} {
			resp, body := sitetest.Get(t, org, fmt.Sprintf("%s/organise/processes/%d/cards?lang=fr%s", s.Server.URL, f.Proc.ID, size))
			if resp.StatusCode != 200 {
				t.Fatalf("cards: got %d", resp.StatusCode)
			}
			sitetest.NoInline(t, "cards", body)
			cards := cardArticle.FindAllString(body, -1)
			if len(cards) != 3 {
				t.Fatalf("cards%s: %d, want 3", size, len(cards))
			}
			tests := []struct {
				name, card string
				want       []string
				absent     []string
			}{
				{"Dutch", cards[0], []string{`lang="nl"`, "Anke", "Staten-Generaal van Huisvesting", "Werkgelegenheidsatelier", "Uw persoonlijke code"},
					[]string{"Assises du Logement", "Atelier emploi", "Votre code"}},
				{"French", cards[1], []string{`lang="fr"`, "Bruno", "Assises du Logement", "Atelier emploi"},
					[]string{"Staten-Generaal", "Werkgelegenheidsatelier"}},
				{"unknown", cards[2], []string{"Chris", `<span lang="fr">Assises du Logement</span> / <span lang="nl">Staten-Generaal van Huisvesting</span>`,
					`<span lang="fr">Atelier emploi</span> / <span lang="nl">Werkgelegenheidsatelier</span>`}, nil},
			}
			for _, tt := range tests {
				t.Run(tt.name+size, func(t *testing.T) {
					for _, w := range tt.want {
						if !strings.Contains(tt.card, w) {
							t.Errorf("card lacks %q: %s", w, tt.card)
						}
					}
					for _, a := range tt.absent {
						if strings.Contains(tt.card, a) {
							t.Errorf("card shows %q: %s", a, tt.card)
						}
					}
				})
			}
		}
	})
}

var cardArticle = regexp.MustCompile(`(?s)<article class="invitecard".*?</article>`)

// The home page's list and the moderator console's agenda speak the reader's language; a title
// the organiser left untranslated shows in French with its marker.
func TestHomeAndConsoleAgendaInTheReadersLanguage(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		translateFixture(t, s.DB, f)
		other := &record.Process{Slug: "emploi", Title: "Assises de l'Emploi"}
		if err := process.Create(ctx, s.DB, other); err != nil {
			t.Fatal(err)
		}
		welcome := record.AgendaItem{Kind: "welcome", Title: "Accueil", PlannedMinutes: 30}
		welcome.Translations.Set("nl", "title", "Onthaal")
		if err := process.SetAgenda(ctx, s.DB, f.Open.ID, []record.AgendaItem{
			welcome, {Kind: "phase", Title: "Diagnostic partagé", Phase: record.PhaseDiagnostic, PlannedMinutes: 90},
		}); err != nil {
			t.Fatal(err)
		}
		org, _ := s.OrganiserDesk(t)
		tests := []struct {
			name, url, header string
			want, absent      []string
		}{
			{"home in Dutch", "/", "nl-BE,nl;q=0.9",
				[]string{"Staten-Generaal van Huisvesting", `<span lang="fr">Assises de l&#39;Emploi</span> <span class="lang-badge" data-fallback="fr">`},
				[]string{"Assises du Logement"}},
			{"home in French", "/", "fr", []string{"Assises du Logement", "Assises de l&#39;Emploi"}, []string{"Staten-Generaal", "lang-badge"}},
			{"console agenda in Dutch", fmt.Sprintf("/w/%d/moderate", f.Open.ID), "nl",
				[]string{"<span>Onthaal</span>", `<span lang="fr">Diagnostic partagé</span> <span class="lang-badge" data-fallback="fr">`,
					">Onthaal</option>", ">Diagnostic partagé (FR)</option>"},
				[]string{">Accueil<"}},
			{"console agenda in French", fmt.Sprintf("/w/%d/moderate", f.Open.ID), "fr",
				[]string{"<span>Accueil</span>", "<span>Diagnostic partagé</span>", ">Accueil</option>"}, []string{"Onthaal", "(FR)"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := sitetest.Get(t, org, s.Server.URL+tt.url, "Accept-Language", tt.header)
				if resp.StatusCode != 200 {
					t.Fatalf("got %d", resp.StatusCode)
				}
				for _, w := range tt.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, a := range tt.absent {
					if strings.Contains(body, a) {
						t.Errorf("page shows %q", a)
					}
				}
			})
		}
		var list struct {
			Processes []struct {
				Slug, Title, Lang string
				Fallback          bool
			}
		}
		if st := sitetest.Call(t, org, "GET", s.Server.URL+"/api/processes", "", nil, &list, "Accept-Language", "nl"); st != 200 || len(list.Processes) != 2 {
			t.Fatalf("/api/processes: got %d %+v", st, list)
		}
		for _, p := range list.Processes {
			switch p.Slug {
			case f.Proc.Slug:
				if p.Title != "Staten-Generaal van Huisvesting" || p.Lang != "nl" || p.Fallback {
					t.Errorf("/api/processes in Dutch, the translated process: %+v", p)
				}
			case other.Slug:
				if p.Title != "Assises de l'Emploi" || p.Lang != "fr" || !p.Fallback {
					t.Errorf("/api/processes in Dutch, the untranslated process: %+v", p)
				}
			}
		}
	})
}

// The phone offers the languages of the process for a post, and its own language too when the
// process lacks it; a process of one language the phone speaks offers no choice at all.
func TestPostLanguagesOffered(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		f := sitetest.NewFixture(t, s.DB)
		ana := f.Person(t, s.DB, "Ana", "CPAS", nil, f.Open)
		phone := s.SignInAs(t, ana.ID, &f.Open.ID)
		page := fmt.Sprintf("%s/w/%d", s.Server.URL, f.Open.ID)
		tests := []struct {
			name, languages, lang string
			want                  []string
			hidden                bool
		}{
			{"Dutch phone, French and Dutch process", "fr,nl", "nl", []string{"fr", "nl"}, false},
			{"English phone, French and Dutch process", "fr,nl", "en", []string{"fr", "nl", "en"}, false},
			{"French phone, trilingual process", "fr,nl,en", "fr", []string{"fr", "nl", "en"}, false},
			{"Dutch phone, Dutch-only process", "nl", "nl", []string{"nl"}, true},
			{"French phone, Dutch-only process", "nl", "fr", []string{"nl", "fr"}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.Proc.Languages = tt.languages
				if _, err := s.DB.NewUpdate().Model(f.Proc).Column("languages").WherePK().Exec(context.Background()); err != nil {
					t.Fatal(err)
				}
				resp, body := sitetest.Get(t, phone, page+"?lang="+tt.lang)
				if resp.StatusCode != 200 {
					t.Fatalf("participant page: got %d", resp.StatusCode)
				}
				var got []string
				for _, m := range postLangRe.FindAllStringSubmatch(body, -1) {
					got = append(got, m[1])
				}
				if strings.Join(got, ",") != strings.Join(tt.want, ",") {
					t.Errorf("languages offered: got %v, want %v", got, tt.want)
				}
				if hidden := strings.Contains(body, `<fieldset id="compose-lang" class="compose-lang" hidden>`); hidden != tt.hidden {
					t.Errorf("the choice hidden: %v, want %v", hidden, tt.hidden)
				}
			})
		}
	})
}

var postLangRe = regexp.MustCompile(`<input type="radio" name="lang" value="([a-z]+)">`)

// The door and the walk-in's page name the session in the reader's language: a Dutch-speaking
// walk-in reads the Dutch title on the page that carries their link.
func TestDoorAndWalkInInTheReadersLanguage(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		f := sitetest.NewFixture(t, s.DB)
		translateFixture(t, s.DB, f)
		mod, _, csrf := s.ModeratorAt(t, f, f.Small)
		door := fmt.Sprintf("%s/w/%d/door", s.Server.URL, f.Small.ID)
		for _, tt := range []struct{ lang, want, absent string }{
			{"nl", "Werkgelegenheidsatelier", "Atelier emploi"},
			{"fr", "Atelier emploi", "Werkgelegenheidsatelier"},
		} {
			t.Run("door in "+tt.lang, func(t *testing.T) {
				_, body := sitetest.Get(t, mod, door+"?lang="+tt.lang)
				if !strings.Contains(body, tt.want) || strings.Contains(body, tt.absent) {
					t.Errorf("door page in %s: want %q, not %q", tt.lang, tt.want, tt.absent)
				}
			})
		}
		resp, _ := sitetest.PostForm(t, mod, door+"/walkin", url.Values{"csrf": {csrf}, "displayName": {"Karim"}, "organisation": {"Quartier"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("walk-in: got %d", resp.StatusCode)
		}
		_, body := sitetest.Get(t, mod, s.Server.URL+resp.Header.Get("Location")+"?lang=nl")
		if !strings.Contains(body, "Werkgelegenheidsatelier") || strings.Contains(body, "Atelier emploi") {
			t.Errorf("walk-in's page in Dutch: no Dutch title")
		}
		// The untranslated session's door shows the French title with its marker.
		openMod, _, _ := s.ModeratorAt(t, f, f.Open)
		_, body = sitetest.Get(t, openMod, fmt.Sprintf("%s/w/%d/door?lang=nl", s.Server.URL, f.Open.ID))
		if !strings.Contains(body, `<span lang="fr">Atelier logement</span> <span class="lang-badge" data-fallback="fr">`) {
			t.Errorf("door of an untranslated session in Dutch: no marked French title")
		}
	})
}
