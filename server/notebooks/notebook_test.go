package notebooks_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

// fetch GETs a URL and returns the response and its body as bytes.
func fetch(t *testing.T, c *http.Client, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// actor is someone in the session: who, and their live connection.
type actor struct {
	name   string
	person stack.Person
	c      *liveclient.Client
}

// TestNotebookEndToEnd runs a session over real WebSockets, then the organiser prepares and
// publishes the notebook, an anonymous reader reads it in every format, the follow-up
// committee records a status, and the published version survives edits and erasure byte for
// byte. On SQLite and PostgreSQL.
func TestNotebookEndToEnd(t *testing.T) {
	stack.Each(t, stack.Options{}, runNotebookEndToEnd)
}

// notebookThemeAndSession makes the theme and the session the notebook tests speak in.
func notebookThemeAndSession(ctx context.Context, t *testing.T, s *stack.Stack) (*record.Theme, *record.Workshop) {
	t.Helper()
	theme := &record.Theme{ProcessID: s.Process.ID, Position: 1, Title: "L'utilisateur et son habitat", Why: "Décloisonner les pratiques."}
	if err := process.CreateTheme(ctx, s.DB, theme); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2023, 11, 16, 12, 0, 0, 0, time.UTC)
	w := &record.Workshop{ProcessID: s.Process.ID, ThemeID: &theme.ID, Title: "Atelier 1.1", StartsAt: start, EndsAt: start.Add(210 * time.Minute)}
	if err := process.CreateWorkshop(ctx, s.DB, w); err != nil {
		t.Fatal(err)
	}
	return theme, w
}

func runNotebookEndToEnd(t *testing.T, s *stack.Stack) {
	ctx := context.Background()
	theme, w := notebookThemeAndSession(ctx, t, s)
	var people []*actor
	for i, who := range []struct{ name, org string }{{"Nadia", "Stics"}, {"Fatima", "CPAS d'Anderlecht"}, {"Karim", "Syndicat des Locataires"}, {"Ana", "Mission Locale"}} {
		role := record.RoleParticipant
		if i == 0 {
			role = record.RoleModerator
		}
		p := s.Join(t, who.name, who.org, role, w)
		people = append(people, &actor{name: who.name, person: p, c: s.Connect(t, p, w)})
	}
	mod, p1, p2, p3 := people[0], people[1], people[2], people[3]
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "diagnostic"})
	f1 := stack.Post(t, p1.c, map[string]any{"kind": "finding", "body": "Les délais d'attente dépassent trois mois."})
	for _, a := range []*actor{p1, p2, p3} {
		stack.MustDo(t, a.c, "vote.set", map[string]any{"contribution": f1, "value": 1})
	}
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "recommendations"})
	r1 := stack.Post(t, p2.c, map[string]any{"kind": "recommendation", "body": "Un référent social « stable » pour chaque ménage.", "links": []int64{f1}})
	r2 := stack.Post(t, p3.c, map[string]any{"kind": "recommendation", "body": "<script>alert(1)</script> [x](javascript:alert(1))"})
	for _, a := range []*actor{p1, p2, p3} {
		stack.MustDo(t, a.c, "vote.set", map[string]any{"contribution": r1, "value": 1})
	}
	stack.MustDo(t, p3.c, "vote.set", map[string]any{"contribution": r2, "value": 1})
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "implementation"})
	stack.Post(t, p1.c, map[string]any{"kind": "step", "body": "Une convention régionale.", "parent": r1, "who": "Les CPAS", "how": "Par ordonnance", "when": "2025"})
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "closed"})

	organiser := s.Join(t, "Orga", "", record.RoleOrganiser)
	committee := s.Join(t, "Comité", "", record.RoleCommittee)
	org := s.Browser(t, &organiser)
	anon := s.Browser(t, nil)
	base := s.Server.URL
	api := fmt.Sprintf("%s/api/organise/processes/%d/notebook", base, s.Process.ID)
	editor := fmt.Sprintf("%s/organise/processes/%d/notebook", base, s.Process.ID)

	// The editor page: organisers only.
	csrf := sitetest.PageCSRF(t, org, editor)
	for _, c := range []*http.Client{anon, s.Browser(t, &p1.person)} {
		if resp, _ := fetch(t, c, editor); resp.StatusCode != 401 && resp.StatusCode != 403 {
			t.Errorf("editor page for a non-organiser: got %d", resp.StatusCode)
		}
	}
	// Edits: a rewording, an introduction; refused without the token or for a participant.
	if st := sitetest.Call(t, org, "PUT", fmt.Sprintf("%s/items/%d", api, r1), csrf, map[string]any{"text": "Un référent social stable et joignable pour chaque ménage."}, nil); st != 204 {
		t.Fatalf("reword: got %d, want 204", st)
	}
	if st := sitetest.Call(t, org, "PUT", fmt.Sprintf("%s/themes/%d", api, theme.ID), csrf, map[string]any{"introduction": "Ce que les ateliers ont dit."}, nil); st != 204 {
		t.Fatalf("introduction: got %d, want 204", st)
	}
	if st := sitetest.Call(t, org, "PUT", fmt.Sprintf("%s/items/%d", api, r1), "", map[string]any{"excluded": true}, nil); st != 403 {
		t.Errorf("edit without CSRF token: got %d, want 403", st)
	}
	if st := sitetest.Call(t, s.Browser(t, &p1.person), "PUT", fmt.Sprintf("%s/items/%d", api, r1), csrf, map[string]any{"excluded": true}, nil); st != 403 {
		t.Errorf("edit by a participant: got %d, want 403", st)
	}
	if st := sitetest.Call(t, org, "PUT", fmt.Sprintf("%s/items/%d", api, f1), csrf, map[string]any{"who": "x"}, nil); st != 400 {
		t.Errorf("who on a finding: got %d, want 400", st)
	}
	var draft struct {
		Draft   notebook.Draft `json:"draft"`
		History []struct{ Action, Editor string }
	}
	if st := sitetest.Call(t, org, "GET", api, "", nil, &draft); st != 200 || len(draft.History) != 2 || draft.History[0].Editor != "Orga" {
		t.Fatalf("draft: status %d, history %+v", st, draft.History)
	}
	for _, path := range []string{"/preview", "/draft/notebook.pdf", "/draft/notebook.md"} {
		if resp, _ := fetch(t, org, editor+path); resp.StatusCode != 200 {
			t.Errorf("%s: got %d", path, resp.StatusCode)
		}
	}

	// Publishing: version 1, readable by anyone at a stable address.
	var pub struct {
		Version int
		URL     string
	}
	if st := sitetest.Call(t, org, "POST", api+"/versions", csrf, map[string]any{"language": "fr"}, &pub); st != 201 || pub.Version != 1 {
		t.Fatalf("publish: got %d, %+v", st, pub)
	}
	resp, page := fetch(t, anon, base+pub.URL)
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("Un référent social stable et joignable")) {
		t.Fatalf("public version page: %d", resp.StatusCode)
	}
	sitetest.NoInline(t, "the published notebook", string(page))
	if bytes.Contains(page, []byte("<script>alert")) {
		t.Errorf("the public page runs the script a contribution carried")
	}
	if resp, latest := fetch(t, anon, base+"/notebooks/test"); resp.StatusCode != 200 || !bytes.Contains(latest, []byte("Version 1")) {
		t.Errorf("latest: got %d", resp.StatusCode)
	}
	files := map[string][]byte{}
	for _, f := range []struct{ name, ctype, start string }{
		{"notebook.pdf", "application/pdf", "%PDF-"}, {"notebook.md", "text/markdown", "# Assises de test"},
		{"notebook.csv", "text/csv", "\ufeffref;theme;"}, {"notebook.json", "application/json", "{"}, {"notebook.html", "text/html", "<!doctype html>"},
	} {
		t.Run(f.name, func(t *testing.T) {
			resp, body := fetch(t, anon, base+pub.URL+"/"+f.name)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), f.ctype) || !bytes.HasPrefix(body, []byte(f.start)) {
				t.Errorf("%s: status %d, type %q, starts %q", f.name, resp.StatusCode, resp.Header.Get("Content-Type"), body[:min(len(body), 20)])
			}
			files[f.name] = body
		})
	}
	if err := notebook.Validate(files["notebook.json"]); err != nil {
		t.Errorf("published JSON: %v", err)
	}
	// The CSV reads back with ';' (the default) and with ',' (?sep=,) to the same cells.
	readCSV := func(b []byte, sep rune) [][]string {
		t.Helper()
		rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
		rd.Comma = sep
		rows, err := rd.ReadAll()
		if err != nil {
			t.Fatalf("CSV with %q: %v", sep, err)
		}
		return rows
	}
	semi := readCSV(files["notebook.csv"], ';')
	if !reflect.DeepEqual(semi[0], notebook.CSVHeader) || len(semi) < 2 {
		t.Errorf("CSV: got header %q and %d rows, want the documented header and rows", semi[0], len(semi))
	}
	if _, comma := fetch(t, anon, base+pub.URL+"/notebook.csv?sep=,"); !reflect.DeepEqual(readCSV(comma, ','), semi) {
		t.Errorf("CSV ?sep=, does not hold the same cells")
	}
	if resp, _ := fetch(t, anon, base+pub.URL+"/notebook.html"); !strings.Contains(resp.Header.Get("Content-Security-Policy"), "style-src 'sha256-") ||
		strings.Contains(resp.Header.Get("Content-Security-Policy"), "script") {
		t.Errorf("standalone HTML policy: %q", resp.Header.Get("Content-Security-Policy"))
	}
	if resp, body := fetch(t, anon, base+"/notebooks/schema.json"); resp.StatusCode != 200 || !bytes.Equal(body, notebook.SchemaJSON) {
		t.Errorf("schema: %d", resp.StatusCode)
	}

	// After publication: the author's text is edited, the organisers reword again, everyone is
	// erased. Version 1 does not change by one byte, page and files alike.
	stack.MustDo(t, mod.c, "contribution.edit", map[string]any{"id": r1, "body": "Texte modifié après la publication."})
	if st := sitetest.Call(t, org, "PUT", fmt.Sprintf("%s/items/%d", api, r1), csrf, map[string]any{"text": "Reformulé encore."}, nil); st != 204 {
		t.Fatalf("reword after publishing: %d", st)
	}
	if _, err := s.DB.NewDelete().TableExpr("people").Where("participant_id IN (?)", bunIn(p1, p2, p3, mod)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, again := fetch(t, anon, base+pub.URL); !bytes.Equal(page, again) {
		t.Errorf("the page of version 1 changed after edits and erasure")
	}
	for name, before := range files {
		if _, after := fetch(t, anon, base+pub.URL+"/"+name); !bytes.Equal(before, after) {
			t.Errorf("%s of version 1 changed after edits and erasure", name)
		}
	}

	// Version 2 says what changed.
	if st := sitetest.Call(t, org, "POST", api+"/versions", csrf, map[string]any{}, &pub); st != 201 || pub.Version != 2 {
		t.Fatalf("publish again: got %d, %+v", st, pub)
	}
	if _, v2 := fetch(t, anon, base+pub.URL); !bytes.Contains(v2, []byte("Ce qui a changé depuis la version 1")) || !bytes.Contains(v2, []byte("Reformulé : R1.")) {
		t.Errorf("version 2 does not show what changed")
	}

	// The follow-up committee records a status; the public page shows it with its date.
	desk := fmt.Sprintf("%s/follow-up/processes/%d", base, s.Process.ID)
	com := s.Browser(t, &committee)
	ccsrf := sitetest.PageCSRF(t, com, desk)
	rec := fmt.Sprintf("%s/api/follow-up/processes/%d/recommendations/%d", base, s.Process.ID, r1)
	if st := sitetest.Call(t, com, "POST", rec, ccsrf, map[string]any{"status": "under_consideration", "note": "Reçue par la commission <b>logement</b>."}, nil); st != 201 {
		t.Fatalf("follow-up: got %d, want 201", st)
	}
	if st := sitetest.Call(t, com, "POST", rec, ccsrf, map[string]any{"status": "maybe"}, nil); st != 400 {
		t.Errorf("unknown status: got %d, want 400", st)
	}
	if st := sitetest.Call(t, s.Browser(t, &p2.person), "POST", rec, ccsrf, map[string]any{"status": "accepted"}, nil); st != 403 {
		t.Errorf("follow-up by a participant: got %d, want 403", st)
	}
	resp, fu := fetch(t, anon, base+"/notebooks/test/follow-up")
	if resp.StatusCode != 200 || !bytes.Contains(fu, []byte("À l&#39;étude")) || !bytes.Contains(fu, []byte("&lt;b&gt;logement&lt;/b&gt;")) {
		t.Errorf("public follow-up page: %d", resp.StatusCode)
	}
	var board notebook.Board
	if st := sitetest.Call(t, anon, "GET", base+"/notebooks/test/follow-up.json", "", nil, &board); st != 200 || board.Version != 2 {
		t.Errorf("follow-up JSON: %d, version %d", st, board.Version)
	}

	// The report across processes, and every page keeps to the Content-Security-Policy.
	resp, rep := fetch(t, org, base+"/organise/report?from=2023-01-01&to=2023-12-31")
	if resp.StatusCode != 200 || !bytes.Contains(rep, []byte("Assises de test")) {
		t.Errorf("report: %d", resp.StatusCode)
	}
	untranslated := regexp.MustCompile(`nb\.[a-z_]+\.[a-z_.]+`)
	for _, u := range []string{editor, editor + "/preview", base + "/organise/report", desk, base + "/notebooks/test", base + "/notebooks/test/follow-up"} {
		c := org
		if u == desk {
			c = com
		}
		for _, lang := range []string{"fr", "nl", "en"} {
			resp, body := fetch(t, c, u+"?lang="+lang)
			sitetest.NoInline(t, u+" in "+lang, string(body))
			if resp.StatusCode != 200 {
				t.Errorf("%s in %s: status %d", u, lang, resp.StatusCode)
			}
			if m := untranslated.Find(body); m != nil {
				t.Errorf("%s in %s: untranslated key %s", u, lang, m)
			}
		}
	}
	for _, u := range []string{base + "/notebooks/test/v/9", base + "/notebooks/nope", base + "/notebooks/test/v/1/notebook.exe"} {
		t.Run(u, func(t *testing.T) {
			if resp, _ := fetch(t, anon, u); resp.StatusCode != 404 {
				t.Errorf("%s: got %d, want 404", u, resp.StatusCode)
			}
		})
	}
	if strings.Contains(s.Logs.String(), "Fatima") || strings.Contains(s.Logs.String(), "Un référent") {
		t.Errorf("personal data or contributions reached the logs")
	}
}

func bunIn(people ...*actor) any {
	ids := make([]int64, len(people))
	for i, p := range people {
		ids[i] = p.person.Participant.ID
	}
	return bun.In(ids)
}
