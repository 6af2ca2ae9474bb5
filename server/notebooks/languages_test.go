package notebooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

// TestNotebookInTwoLanguages: the organiser translates part of the notebook into Dutch in the
// editor, sees what is still missing, and publishes in French and Dutch; a Dutch-speaking
// reader (Accept-Language or the site's switch) reads the Dutch version, its PDF reads back in
// Dutch, its JSON validates, what is still French is marked; the follow-up page follows the
// reader's language. On SQLite and PostgreSQL.
func TestNotebookInTwoLanguages(t *testing.T) {
	stack.Each(t, stack.Options{}, runNotebookInTwoLanguages)
}

func runNotebookInTwoLanguages(t *testing.T, s *stack.Stack) {
	ctx := context.Background()
	theme, w := notebookThemeAndSession(ctx, t, s)
	mod := &actor{name: "Nadia"}
	mod.person = s.Join(t, "Nadia", "Stics", record.RoleModerator, w)
	mod.c = s.Connect(t, mod.person, w)
	p1 := &actor{name: "Fatima"}
	p1.person = s.Join(t, "Fatima", "CPAS", record.RoleParticipant, w)
	p1.c = s.Connect(t, p1.person, w)
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "recommendations"})
	r1 := stack.Post(t, p1.c, map[string]any{"kind": "recommendation", "body": "Un référent social stable pour chaque ménage."})
	r2 := stack.Post(t, p1.c, map[string]any{"kind": "recommendation", "body": "Ouvrir les guichets le samedi matin."})
	stack.MustDo(t, p1.c, "vote.set", map[string]any{"contribution": r1, "value": 1})
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "closed"})

	organiser := s.Join(t, "Orga", "", record.RoleOrganiser)
	org := s.Browser(t, &organiser)
	anon := s.Browser(t, nil)
	base := s.Server.URL
	api := fmt.Sprintf("%s/api/organise/processes/%d/notebook", base, s.Process.ID)
	editor := fmt.Sprintf("%s/organise/processes/%d/notebook", base, s.Process.ID)
	if resp, body := fetch(t, org, editor); resp.StatusCode != 200 {
		t.Fatalf("editor: %d %s\n%s", resp.StatusCode, body, s.Logs.String())
	}
	csrf := sitetest.PageCSRF(t, org, editor)

	// Translations side by side: the process title, the theme, one recommendation.
	for _, tt := range []struct {
		path string
		body map[string]any
		want int
	}{
		{"/translations/nl/process", map[string]any{"title": "Staten-Generaal van de test"}, 204},
		{fmt.Sprintf("/translations/nl/theme/%d", theme.ID), map[string]any{"title": "De gebruiker en zijn woning", "why": "De praktijken ontschotten."}, 204},
		{fmt.Sprintf("/translations/nl/contribution/%d", r1), map[string]any{"text": "Een vaste maatschappelijk werker voor elk gezin."}, 204},
		{fmt.Sprintf("/translations/de/contribution/%d", r1), map[string]any{"text": "Ein Sozialarbeiter."}, 400},
		{fmt.Sprintf("/translations/nl/contribution/%d", r1), map[string]any{"who": "De OCMW's"}, 400},
		{"/translations/nl/contribution/999999", map[string]any{"text": "x"}, 404},
	} {
		t.Run(tt.path, func(t *testing.T) {
			if st := sitetest.Call(t, org, "PUT", api+tt.path, csrf, tt.body, nil); st != tt.want {
				t.Errorf("got %d, want %d", st, tt.want)
			}
		})
	}
	if st := sitetest.Call(t, s.Browser(t, &p1.person), "PUT", api+"/translations/nl/process", csrf, map[string]any{"title": "x"}, nil); st != 403 {
		t.Errorf("translation by a participant: got %d, want 403", st)
	}

	// The editor marks what is missing before publishing: the second recommendation, in Dutch.
	var draft struct {
		Draft notebook.Draft `json:"draft"`
	}
	if st := sitetest.Call(t, org, "GET", api, "", nil, &draft); st != 200 {
		t.Fatalf("draft: %d", st)
	}
	if got := draft.Draft.Missing["nl"]; strings.Join(got, ",") != "R1.2" {
		t.Errorf("missing in Dutch: %v, want R1.2", got)
	}
	_, page := fetch(t, org, editor+"?lang=nl")
	for _, want := range []string{"Ontbrekende vertalingen", "Nederlands: 1 tekst(en) te vertalen", "vertaling ontbreekt", "Een vaste maatschappelijk werker voor elk gezin."} {
		if !strings.Contains(string(page), want) && !strings.Contains(string(page), strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("the Dutch editor lacks %q", want)
		}
	}

	// Publishing: French and Dutch by default, French the main language.
	var pub struct {
		Version   int
		URL       string
		Languages []string
	}
	if st := sitetest.Call(t, org, "POST", api+"/versions", csrf, map[string]any{"languages": []string{"fr", "klingon"}}, nil); st != 400 {
		t.Errorf("publishing in an unknown language: got %d, want 400", st)
	}
	if st := sitetest.Call(t, org, "POST", api+"/versions", csrf, map[string]any{}, &pub); st != 201 || strings.Join(pub.Languages, ",") != "fr,nl" {
		t.Fatalf("publish: got %d, %+v", st, pub)
	}

	// The reader's language: Accept-Language, then the site's switch, which wins.
	for _, tt := range []struct {
		name, url, header, want, not string
	}{
		{"accept nl", pub.URL, "nl-BE,nl;q=0.9", "Een vaste maatschappelijk werker voor elk gezin.", "Un référent social stable"},
		{"accept fr", pub.URL, "fr-BE", "Un référent social stable pour chaque ménage.", "Een vaste maatschappelijk werker"},
		{"switch nl", pub.URL + "?lang=nl", "fr-BE", "Een vaste maatschappelijk werker voor elk gezin.", "Un référent social stable"},
		{"english falls back to the main language", pub.URL, "en", "Un référent social stable pour chaque ménage.", "Een vaste maatschappelijk werker"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh reader each time: the switch remembers its choice in a cookie.
			resp, body := sitetest.Get(t, s.Browser(t, nil), base+tt.url, "Accept-Language", tt.header)
			// The body of the notebook, before its annex (which keeps what was said as it was said).
			body, _, _ = strings.Cut(body, `id="nb-annex"`)
			if resp.StatusCode != 200 || !strings.Contains(body, tt.want) || strings.Contains(body, tt.not) {
				t.Errorf("status %d; want %q (%v) and not %q (%v)", resp.StatusCode, tt.want, strings.Contains(body, tt.want), tt.not, strings.Contains(body, tt.not))
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept-Language") {
				t.Errorf("Vary: %q", resp.Header.Get("Vary"))
			}
		})
	}
	_, nlPage := sitetest.Get(t, anon, base+pub.URL, "Accept-Language", "nl")
	for _, want := range []string{`<article class="nb" id="notebook" lang="nl">`, "Ouvrir les guichets le samedi matin. <span class=\"nb-fallback\"", "[FR]",
		pub.URL + "/nl/notebook.pdf", pub.URL + "/fr/notebook.pdf", "Dit boek in andere talen:"} {
		if !strings.Contains(nlPage, want) {
			t.Errorf("the Dutch page lacks %q", want)
		}
	}
	sitetest.NoInline(t, "the Dutch page", nlPage)

	// Each language has its own files.
	resp, js := fetch(t, anon, base+pub.URL+"/nl/notebook.json")
	var nb notebook.Notebook
	if resp.StatusCode != 200 || notebook.Validate(js) != nil || json.Unmarshal(js, &nb) != nil || nb.Language != "nl" || nb.MainLanguage != "fr" {
		t.Errorf("Dutch JSON: status %d, validation %v, language %q", resp.StatusCode, notebook.Validate(js), nb.Language)
	}
	if resp, js := fetch(t, anon, base+pub.URL+"/notebook.json"); resp.StatusCode != 200 || !strings.Contains(string(js), `"language": "fr"`) {
		t.Errorf("the address without a language is not the main language's JSON")
	}
	if resp, md := fetch(t, anon, base+pub.URL+"/nl/notebook.md"); resp.StatusCode != 200 || !strings.HasPrefix(string(md), "# Staten-Generaal van de test") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "test-v1-nl.md") {
		t.Errorf("Dutch Markdown: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	if resp, doc := fetch(t, anon, base+pub.URL+"/nl/notebook.html"); resp.StatusCode != 200 || !strings.Contains(string(doc), `<html lang="nl">`) {
		t.Errorf("Dutch standalone HTML: %d", resp.StatusCode)
	}
	for _, u := range []string{pub.URL + "/en/notebook.pdf", pub.URL + "/xx/notebook.pdf", pub.URL + "/nl/notebook.exe"} {
		if resp, _ := fetch(t, anon, base+u); resp.StatusCode != 404 {
			t.Errorf("%s: got %d, want 404", u, resp.StatusCode)
		}
	}
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		_, pdf := fetch(t, anon, base+pub.URL+"/nl/notebook.pdf")
		path := filepath.Join(t.TempDir(), "nl.pdf")
		if err := os.WriteFile(path, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		text := regexp.MustCompile(`\s+`).ReplaceAllString(string(out), " ")
		for _, want := range []string{"Aanbevelingenboek", "Inhoud", "Een vaste maatschappelijk werker voor elk gezin.", "16 november 2023", "[FR]"} {
			if !strings.Contains(text, want) {
				t.Errorf("the Dutch PDF lacks %q", want)
			}
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("pdftotext is missing under CI=true")
	}

	// The follow-up follows the reader's language too.
	_, fu := sitetest.Get(t, anon, base+"/notebooks/test/follow-up", "Accept-Language", "nl")
	if !strings.Contains(fu, "Een vaste maatschappelijk werker voor elk gezin.") || !strings.Contains(fu, "De gebruiker en zijn woning") ||
		!strings.Contains(fu, "Ouvrir les guichets le samedi matin. <span class=\"nb-fallback\"") || !strings.Contains(fu, "Opvolging van de aanbevelingen") {
		t.Errorf("the Dutch follow-up page does not read Dutch, or does not mark the French")
	}
	_, fuFR := sitetest.Get(t, anon, base+"/notebooks/test/follow-up?lang=fr", "Accept-Language", "nl")
	if !strings.Contains(fuFR, "Un référent social stable pour chaque ménage.") || strings.Contains(fuFR, "nb-fallback") {
		t.Errorf("the French follow-up page does not read French")
	}
	// A translation made after publishing reaches the next version: a change for the Dutch
	// reader, none for the French one.
	if st := sitetest.Call(t, org, "PUT", fmt.Sprintf("%s/translations/nl/contribution/%d", api, r2), csrf,
		map[string]any{"text": "De loketten op zaterdagochtend openen."}, nil); st != 204 {
		t.Fatalf("translate after publishing: %d", st)
	}
	if st := sitetest.Call(t, org, "POST", api+"/versions", csrf, map[string]any{}, &pub); st != 201 || pub.Version != 2 {
		t.Fatalf("publish again: %d %+v", st, pub)
	}
	_, v2nl := sitetest.Get(t, s.Browser(t, nil), base+pub.URL, "Accept-Language", "nl")
	changes, _, _ := strings.Cut(v2nl, `id="notebook"`)
	if !strings.Contains(changes, "Wat er veranderd is sinds versie 1") || !strings.Contains(changes, "Herschreven: R1.2 De loketten op zaterdagochtend openen.") {
		t.Errorf("the Dutch version 2 does not say that R1.2 is now Dutch")
	}
	_, v2fr := sitetest.Get(t, s.Browser(t, nil), base+pub.URL, "Accept-Language", "fr")
	if !strings.Contains(v2fr, "Rien n&#39;a changé dans le corps du cahier.") {
		t.Errorf("the French version 2 shows changes")
	}

	var board notebook.Board
	if st := sitetest.Call(t, anon, "GET", base+"/notebooks/test/follow-up.json?lang=nl", "", nil, &board); st != 200 || board.Language != "nl" ||
		len(board.Items) != 2 || board.Items[0].Text != "Een vaste maatschappelijk werker voor elk gezin." || board.Version != 2 {
		t.Errorf("follow-up JSON in Dutch: %d %+v", st, board)
	}
}
