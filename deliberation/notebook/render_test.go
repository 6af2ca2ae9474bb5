package notebook

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// poppler returns the path of a poppler tool. Without it the PDF tests skip on a developer
// machine and fail under CI=true, where .ci/run installs poppler-utils.
func poppler(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: under CI=true the PDF is read back (apt-get install poppler-utils)", tool)
		}
		t.Skipf("%s is missing: PDF not read back (apt-get install poppler-utils)", tool)
	}
	return path
}

// TestPDFReadsBack renders the golden notebook as a PDF and reads it back with poppler: the
// titles, the accented words, the table of contents and the page numbers are there as text,
// and pdfinfo agrees on the page count the footer prints.
func TestPDFReadsBack(t *testing.T) {
	pdftotext, pdfinfo := poppler(t, "pdftotext"), poppler(t, "pdfinfo")
	_, nb := cachedGolden(t, "sqlite")
	pdf, err := RenderPDF(nb, catalogLabels(t, "fr"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := RenderPDF(nb, catalogLabels(t, "fr"))
	if err != nil || !bytes.Equal(pdf, again) {
		t.Errorf("the same notebook gives different PDF bytes (err %v)", err)
	}
	path := filepath.Join(t.TempDir(), "cahier.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, want := range []string{
		"Cahier de recommandations", "Assises du Logement et du Travail social", "Table des matières",
		"L'utilisateur et son habitat au centre des préoccupations", "Diagnostic", "Recommandations", "Mise en œuvre",
		"Annexe : toutes les contributions", "« logement d'urgence »", "s’apprennent", "œuvre collective", "één leerlijn",
		"Décloisonner", "Dès le 1er janvier 2025", "rentrée", "Conditionner les aides", "Vote en plénière",
		"<script>alert('x')</script>", // hostile text is printed as text
	} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext does not find %q", want)
		}
	}
	info, err := exec.Command(pdfinfo, path).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gives no page count:\n%s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	if pages < 5 {
		t.Errorf("pdfinfo: %d pages, want a cover, a table of contents, the method, two themes and the annex", pages)
	}
	for _, n := range []int{2, pages} {
		if want := "page " + strconv.Itoa(n) + " sur " + strconv.Itoa(pages); !strings.Contains(text, want) {
			t.Errorf("pdftotext does not find the footer %q", want)
		}
	}
	// The table of contents gives each theme's page: the page where its title is.
	toc := regexp.MustCompile(`T1\s+L'utilisateur et son habitat[^\n]*?\s(\d+)\n`).FindStringSubmatch(text)
	if toc == nil {
		t.Fatalf("the table of contents has no page for T1:\n%s", text[:min(len(text), 2000)])
	}
	pageTexts := strings.Split(text, "\f")
	n, _ := strconv.Atoi(toc[1])
	if n < 1 || n > len(pageTexts) || !regexp.MustCompile(`T1\s+L'utilisateur`).MatchString(pageTexts[n-1]) {
		t.Errorf("the table of contents sends T1 to page %d, where its title is not", n)
	}
	if title := regexp.MustCompile(`(?m)^Title:\s+(.*)$`).FindSubmatch(info); title == nil || string(title[1]) != nb.Process.Title {
		t.Errorf("pdfinfo: title %q, want %q", title, nb.Process.Title)
	}
	// Nothing in the file can act: no JavaScript, no URI, no launch action.
	for _, bad := range []string{"/JavaScript", "/JS", "/URI", "/Launch"} {
		if bytes.Contains(pdf, []byte(bad)) {
			t.Errorf("the PDF contains %s", bad)
		}
	}
}

// TestHostileTextIsInert: a contribution made of markup, a javascript: link and a bidi
// override is text in every format.
func TestHostileTextIsInert(t *testing.T) {
	_, nb := cachedGolden(t, "sqlite")
	// Smuggle a bidi override past the engine (which strips them) to test the renderers.
	nb.Themes[1].Findings[0].Text += " \u202Etxt.exe \u2066x\u2069 😀 中文" // and what the PDF fonts cannot draw
	nb.Process.Title += " \u202E"
	labels := catalogLabels(t, "fr")
	html, err := RenderHTML(nb, labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<img", `href="javascript`, "<b>", "\u202E", "\u2066"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	if m := regexp.MustCompile(`<[^>]*onerror`).FindString(html); m != "" {
		t.Errorf("HTML has an event attribute: %q", m)
	}
	if !strings.Contains(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") {
		t.Errorf("HTML does not show the script tag as text")
	}
	md := RenderMarkdown(nb, labels)
	for _, bad := range []string{"](javascript", "\n# titre", "\n- liste", "**gras**", "\u202E"} {
		if strings.Contains(md, bad) {
			t.Errorf("Markdown contains %q", bad)
		}
	}
	// Every < that comes from a text is escaped; the only raw HTML is our own anchors and <br>.
	for _, m := range regexp.MustCompile(`(?:^|[^\\])<(/?[a-zA-Z]+)`).FindAllStringSubmatch(md, -1) {
		if tag := m[1]; tag != "a" && tag != "/a" && tag != "br" {
			t.Errorf("Markdown has raw HTML %q", m[0])
		}
	}
	rows := csvRows(t, nb)
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+@", rune(cell[0])) {
				t.Errorf("CSV cell %q would run as a formula", cell)
			}
		}
	}
	if _, err := RenderPDF(nb, labels); err != nil {
		t.Errorf("PDF with hostile text: %v", err)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, d'accord", "plain text, d'accord"},
		{"[x](javascript:alert(1))", `\[x\]\(javascript:alert\(1\)\)`},
		{"<b>x</b>", `\<b\>x\</b\>`},
		{"# title", `\# title`},
		{"- item", `\- item`},
		{"12. point", `12\. point`},
		{"a\n\nb", "a  \nb"},
		{"a *b* _c_ `d`", "a \\*b\\* \\_c\\_ \\`d\\`"},
		{"x\u202Ey", "xy"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Markdown(tt.in); got != tt.want {
				t.Errorf("Markdown(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRanking: breadth comes before support, contested comes last, ties go to the earlier.
func TestRanking(t *testing.T) {
	sup := func(n, score int) Support { return Support{Supporters: n, Score: score} }
	tests := []struct {
		name  string
		items []ranked
		want  []int64
	}{
		{"breadth beats support: 3 people of 3 organisations before 6 of 1", []ranked{
			{id: 1, support: sup(6, 6), breadth: Breadth{Organisations: 1, Groups: 2}},
			{id: 2, support: sup(3, 3), breadth: Breadth{Organisations: 3, Groups: 1}},
		}, []int64{2, 1}},
		{"same organisations: more groups first", []ranked{
			{id: 1, support: sup(5, 5), breadth: Breadth{Organisations: 3, Groups: 1}},
			{id: 2, support: sup(4, 4), breadth: Breadth{Organisations: 3, Groups: 2}},
		}, []int64{2, 1}},
		{"same breadth: more supporters first, then score", []ranked{
			{id: 1, support: sup(3, 4), breadth: Breadth{Organisations: 2}},
			{id: 2, support: sup(4, 1), breadth: Breadth{Organisations: 2}},
			{id: 3, support: sup(3, 9), breadth: Breadth{Organisations: 2}},
		}, []int64{2, 3, 1}},
		{"contested last, however broad", []ranked{
			{id: 1, support: sup(9, -2), breadth: Breadth{Organisations: 6}, contested: true},
			{id: 2, support: sup(1, 1), breadth: Breadth{Organisations: 1}},
		}, []int64{2, 1}},
		{"ties: the earlier first", []ranked{
			{id: 7, support: sup(2, 2), breadth: Breadth{Organisations: 2}},
			{id: 3, support: sup(2, 2), breadth: Breadth{Organisations: 2}},
		}, []int64{3, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := order(tt.items, rankLess); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCompiledFigures checks the compiled process against what the fixture played: breadth
// counts unaffiliated people one by one, the flags, the merge, the dissent, the editorial layer.
func TestCompiledFigures(t *testing.T) {
	ids, nb := cachedGolden(t, "sqlite")
	byID := recommendationsByID(nb)
	check := func(key string, wantRank, wantOrgs, wantGroups int, wantFlags ...string) {
		t.Helper()
		r := byID[ids[key]]
		if r == nil {
			t.Fatalf("%s is not in the notebook", key)
		}
		if r.Rank != wantRank || r.Breadth.Organisations != wantOrgs || r.Breadth.Groups != wantGroups || strings.Join(r.Flags, ",") != strings.Join(wantFlags, ",") {
			t.Errorf("%s: rank %d, %d organisations, %d groups, flags %v; want rank %d, %d, %d, %v",
				key, r.Rank, r.Breadth.Organisations, r.Breadth.Groups, r.Flags, wantRank, wantOrgs, wantGroups, wantFlags)
		}
	}
	check("r-users", 1, 4, 2, FlagServiceUsersOnly)
	check("r-rouge", 2, 4, 1, FlagOneGroup)
	check("r-broad", 3, 3, 2) // six supporters, but from three organisations: below r-users
	check("r-dots", 4, 3, 0)  // the merged duplicate's dots came with it
	check("r-edit", 5, 3, 0)
	check("r-oneorg", 6, 1, 2, FlagOneOrganisation)
	check("r-contested", 7, 2, 1, FlagContested, FlagOneGroup)
	if r := byID[ids["r-dots"]]; r.Support.Dots != 8 || r.Support.Supporters != 3 {
		t.Errorf("r-dots: %d dots from %d people, want 8 from 3", r.Support.Dots, r.Support.Supporters)
	}
	if r := byID[ids["r-broad"]]; r.Dissent == nil || *r.Dissent != 1.0/7 || !r.Reworded || r.Plenary == nil {
		t.Errorf("r-broad: dissent %v, reworded %v, plenary %v; want 1/7, true, a result", r.Dissent, r.Reworded, r.Plenary)
	}
	if r := byID[ids["r-oneorg"]]; !r.Moved || r.Ref != "R1.1" {
		t.Errorf("r-oneorg: ref %s, moved %v; want R1.1, placed there by hand", r.Ref, r.Moved)
	}
	for _, th := range nb.Themes {
		for _, fi := range th.Findings {
			if fi.ID == ids["f-numerique"] {
				t.Errorf("an excluded finding is in the body")
			}
		}
	}
	if nb.Cover.Participants != 8 || nb.Cover.Organisations != 3 || nb.Cover.Sessions != 3 {
		t.Errorf("cover: %+v, want 8 participants, 3 organisations, 3 sessions", nb.Cover)
	}
}

// FuzzMarkdown: whatever people type, the escaped text stays one paragraph of plain text: no
// raw HTML, no block syntax at a line start, no blank line.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{hostile, "# t", "1. x\n2) y", "a\n\n\nb", "\u202Ex", "  - x", "=a", "<", "\\<"} {
		f.Add(s)
	}
	lineStart := regexp.MustCompile(`^(#|[-+=>*]|\d+[.)])`)
	f.Fuzz(func(t *testing.T, s string) {
		out := Markdown(s)
		if strings.Contains(out, "\n\n") {
			t.Fatalf("Markdown(%q) has a blank line: %q", s, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] == '<' && (i == 0 || out[i-1] != '\\') {
				t.Fatalf("Markdown(%q) has a raw <: %q", s, out)
			}
		}
		for _, line := range strings.Split(out, "\n") {
			if lineStart.MatchString(line) {
				t.Fatalf("Markdown(%q) starts a line with block syntax: %q", s, line)
			}
		}
	})
}

// TestEmptyProcess: a process with no session yet compiles and renders in every format.
func TestEmptyProcess(t *testing.T) {
	db := storagetest.Open(t, "sqlite")
	p := &record.Process{Slug: "vide", Title: "Conseil des usagers"}
	if err := process.Create(context.Background(), db, p); err != nil {
		t.Fatal(err)
	}
	nb, err := Compile(context.Background(), db, p.ID, Options{})
	if err != nil {
		t.Fatal(err)
	}
	labels := catalogLabels(t, "nl")
	if _, err := RenderHTML(nb, labels); err != nil {
		t.Error(err)
	}
	if _, err := RenderPDF(nb, labels); err != nil {
		t.Error(err)
	}
	if _, err := RenderCSV(nb); err != nil {
		t.Error(err)
	}
	doc, _ := RenderJSON(nb)
	if err := Validate(doc); err != nil {
		t.Errorf("empty notebook: %v", err)
	}
	if md := RenderMarkdown(nb, labels); !strings.Contains(md, "Inhoud") {
		t.Errorf("Dutch Markdown lacks its table of contents:\n%s", md)
	}
}

// TestContested: an item is contested only with enough votes, and never without any.
func TestContested(t *testing.T) {
	agree := string(record.MethodAgree)
	for _, c := range []struct {
		name string
		s    Support
		want bool
	}{
		{"no vote", Support{Method: agree}, false},
		{"one disagree", Support{Method: agree, Votes: 1, Disagree: 1}, false},
		{"two against two, under the minimum", Support{Method: agree, Votes: MinContestedVotes - 1, Agree: 2, Disagree: 2}, false},
		{"at the minimum, as many disagree", Support{Method: agree, Votes: MinContestedVotes, Agree: 2, Neutral: 1, Disagree: 2}, true},
		{"at the minimum, more agree", Support{Method: agree, Votes: MinContestedVotes, Agree: 3, Disagree: 2}, false},
		{"support method", Support{Method: string(record.MethodSupport), Votes: 9}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := contested(c.s); got != c.want {
				t.Errorf("contested(%+v): got %v, want %v", c.s, got, c.want)
			}
		})
	}
}

// TestPlenaryInEveryFormat: the items the golden session decided in plenary — a finding and a
// step adopted, a finding nobody voted on, a recommendation under its quorum — carry their
// result and rule in the JSON, and every format says it.
func TestPlenaryInEveryFormat(t *testing.T) {
	ids, nb := cachedGolden(t, "sqlite")
	want := map[int64]struct{ outcome, reason, line string }{
		ids["f-soft"]:    {OutcomeAdopted, "", "3 pour, 1 contre, 1 abstention(s) ; 5 votant·e·s sur 8 pouvant voter — adoptée (règle : majorité des voix exprimées)"},
		ids["st-stage"]:  {OutcomeAdopted, "", "2 pour, 0 contre, 0 abstention(s) ; 2 votant·e·s sur 8 pouvant voter — adoptée"},
		ids["f-hostile"]: {OutcomeNotDecided, "no_ballot", "0 votant·e·s sur 8 pouvant voter — non décidée : personne n'a voté"},
		ids["r-stage"]:   {OutcomeNotDecided, "quorum", "non décidée : moins de 6 votant·e·s (quorum) (règle : 2/3 des voix exprimées, quorum de 6 votant·e·s)"},
	}
	found := map[int64]*Item{}
	for i := range nb.Themes {
		th := &nb.Themes[i]
		for j := range th.Findings {
			found[th.Findings[j].ID] = &th.Findings[j].Item
		}
		for j := range th.Recommendations {
			found[th.Recommendations[j].ID] = &th.Recommendations[j].Item
			for k := range th.Recommendations[j].Steps {
				found[th.Recommendations[j].Steps[k].ID] = &th.Recommendations[j].Steps[k].Item
			}
		}
	}
	for id, w := range want {
		it := found[id]
		if it == nil || it.Plenary == nil {
			t.Fatalf("item %d: no plenary result in the body", id)
		}
		if p := it.Plenary; p.Outcome != w.outcome || p.Reason != w.reason || p.Eligible != 8 || (p.Adopted == nil) != (w.outcome == OutcomeNotDecided) {
			t.Errorf("item %s: got %+v, want %s (%s) of 8", it.Ref, *p, w.outcome, w.reason)
		}
	}
	if got := nb.Method.PlenaryRules; len(got) != 3 {
		t.Errorf("method: got rules %+v, want the three used", got)
	}

	labels := catalogLabels(t, "fr")
	html, err := RenderHTML(nb, labels)
	if err != nil {
		t.Fatal(err)
	}
	md := RenderMarkdown(nb, labels)
	for _, w := range want {
		if !strings.Contains(strings.ReplaceAll(html, "&#39;", "'"), w.line) {
			t.Errorf("HTML does not say %q", w.line)
		}
		if !strings.Contains(md, Markdown(w.line)) {
			t.Errorf("Markdown does not say %q", w.line)
		}
	}
	rows := csvRows(t, nb)
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	outcomes := map[string]string{}
	for _, row := range rows[1:] {
		if row[col["in_notebook"]] != "" {
			outcomes[row[col["in_notebook"]]] = row[col["plenary_outcome"]] + "/" + row[col["plenary_reason"]] + "/" + row[col["plenary_eligible"]]
		}
	}
	for id, w := range want {
		if got := outcomes[found[id].Ref]; got != w.outcome+"/"+w.reason+"/8" {
			t.Errorf("CSV row of %s: got %q, want %s/%s/8", found[id].Ref, got, w.outcome, w.reason)
		}
	}
	// A finding adopted in plenary that the organisers left out of the body keeps its result
	// in the annex, in the JSON and the CSV.
	var excluded *AnnexEntry
	for i := range nb.Annex {
		for j := range nb.Annex[i].Contributions {
			if e := &nb.Annex[i].Contributions[j]; e.Text == "Les démarches en ligne excluent ceux qui n'ont pas d'ordinateur." {
				excluded = e
			}
		}
	}
	if excluded == nil || excluded.InNotebook != "" || excluded.Plenary == nil || excluded.Plenary.Outcome != OutcomeAdopted {
		t.Fatalf("the excluded finding in the annex: got %+v, want out of the body with its plenary result", excluded)
	}
	for _, row := range rows[1:] {
		if row[col["ref"]] == excluded.Ref && row[col["plenary_outcome"]] != OutcomeAdopted {
			t.Errorf("CSV row of %s: got plenary_outcome %q, want adopted", excluded.Ref, row[col["plenary_outcome"]])
		}
	}

	pdftotext := poppler(t, "pdftotext")
	pdf, err := RenderPDF(nb, labels)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cahier.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, w := range []string{"personne n'a voté", "moins de 6 votant·e·s (quorum)", "5 votant·e·s sur 8 pouvant voter — adoptée", "Règles appliquées"} {
		if !strings.Contains(text, w) {
			t.Errorf("pdftotext does not find %q", w)
		}
	}
}

// TestGroupNames: a live group's colour key reads as its name in the notebook's language; a
// name given by hand stays as it is.
func TestGroupNames(t *testing.T) {
	w := newWords("fr", catalogLabels(t, "fr"))
	for _, c := range []struct{ stored, want string }{
		{"sky", "Bleu ciel"}, {"orange-2", "Orange 2"}, {"Rouge", "Rouge"}, {"Table 3", "Table 3"}, {"pas-une-couleur", "pas-une-couleur"},
	} {
		t.Run(c.stored, func(t *testing.T) {
			if got := w.group(c.stored); got != c.want {
				t.Errorf("group(%q): got %q, want %q", c.stored, got, c.want)
			}
		})
	}
}

// csvRows renders the notebook's CSV and reads it back.
func csvRows(t *testing.T, nb *Notebook) [][]string {
	t.Helper()
	c, err := RenderCSV(nb)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(c)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCSVDefusesFormulas: texts that a spreadsheet would run as a formula — starting with =,
// +, -, @, or with one of them hidden behind a tab or a carriage return — are written with a
// leading apostrophe in every text column of the open data (a contribution's text, who, how,
// when, its session's and theme's titles), while numbers, negative scores included, stay
// numbers.
func TestCSVDefusesFormulas(t *testing.T) {
	_, nb := cachedGolden(t, "sqlite")
	hostile := []string{
		`=HYPERLINK("http://evil.example.org","clic")`, "+32 2 555 00 00", "-2+3", "@SUM(A1:A9)",
		"\t=1+1", "\r=1+1",
	}
	var planted []*AnnexEntry
	for i := range nb.Annex {
		for j := range nb.Annex[i].Contributions {
			if len(planted) < len(hostile) {
				planted = append(planted, &nb.Annex[i].Contributions[j])
			}
		}
	}
	if len(planted) < len(hostile) {
		t.Fatalf("the fixture has %d contributions, want at least %d", len(planted), len(hostile))
	}
	for i, e := range planted {
		e.Text, e.Who, e.How, e.When = hostile[i], hostile[(i+1)%len(hostile)], hostile[(i+2)%len(hostile)], hostile[(i+3)%len(hostile)]
	}
	nb.Annex[0].Title = hostile[0]
	nb.Themes[0].Title = hostile[3]
	rows := csvRows(t, nb)
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	want := func(s string) string { return "'" + Clean(s) } // Clean makes a lone \r a line break
	for i, e := range planted {
		var row []string
		for _, r := range rows[1:] {
			if r[col["ref"]] == e.Ref {
				row = r
			}
		}
		if row == nil {
			t.Fatalf("no row for %s", e.Ref)
		}
		for _, c := range []struct{ column, planted string }{
			{"text", hostile[i]}, {"who", hostile[(i+1)%len(hostile)]}, {"how", hostile[(i+2)%len(hostile)]}, {"when", hostile[(i+3)%len(hostile)]},
		} {
			if got := row[col[c.column]]; got != want(c.planted) {
				t.Errorf("%s %s: got %q, want %q", e.Ref, c.column, got, want(c.planted))
			}
		}
	}
	for _, row := range rows[1:] {
		for i, cell := range row {
			if cell == "" || !strings.ContainsRune("=+-@\t\r\n", rune(cell[0])) {
				continue
			}
			if _, err := strconv.ParseFloat(cell, 64); err != nil {
				t.Errorf("column %s: cell %q would run as a formula", rows[0][i], cell)
			}
		}
	}
	if got := rows[1][col["session"]]; got != want(hostile[0]) {
		t.Errorf("session: got %q, want %q", got, want(hostile[0]))
	}
	if got := rows[1][col["theme_title"]]; nb.Annex[0].Theme == nb.Themes[0].Ref && got != want(hostile[3]) {
		t.Errorf("theme_title: got %q, want %q", got, want(hostile[3]))
	}
}

// TestAnnexKeepsTheLanguage: each contribution of the annex carries the language it was
// written in, from the live room (the fixture's people post from French phones) to the JSON
// and the CSV's lang column.
func TestAnnexKeepsTheLanguage(t *testing.T) {
	_, nb := cachedGolden(t, "sqlite")
	var entries []*AnnexEntry
	for i := range nb.Annex {
		for j := range nb.Annex[i].Contributions {
			entries = append(entries, &nb.Annex[i].Contributions[j])
		}
	}
	if len(entries) < 2 {
		t.Fatalf("the fixture has %d contributions, want at least 2", len(entries))
	}
	for _, e := range entries {
		if e.Lang != "fr" {
			t.Errorf("annex entry %s: lang %q, want fr (posted from a French phone)", e.Ref, e.Lang)
		}
	}
	entries[1].Lang = "nl"
	rows := csvRows(t, nb)
	col := -1
	for i, name := range rows[0] {
		if name == "lang" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no lang column in the CSV header %v", rows[0])
	}
	for i, e := range entries {
		if got := rows[i+1][col]; got != e.Lang {
			t.Errorf("CSV row of %s: lang %q, want %q", e.Ref, got, e.Lang)
		}
	}
	raw, err := RenderJSON(nb)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"lang": "nl"`) {
		t.Error(`the JSON does not carry "lang": "nl"`)
	}
}
