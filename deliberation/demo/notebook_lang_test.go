package demo_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/frontend"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/process"
	"github.com/assises/assises/storage/storagetest"
)

// TestDemoNotebookInDutch reads what the demo's notebook tells an elected official in Dutch:
// its PDF, read back with poppler. Everything the product writes (headings, the method, the
// dates with their day and month names, the page footer) is Dutch, and none of the French
// notebook's own sentences remains; what the organisers wrote and translated (the process's
// title and description, the themes, the sessions' titles) is there in their Dutch, so that
// nothing is left marked [FR].
func TestDemoNotebookInDutch(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is missing: under CI=true the PDF is read back (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext is missing: PDF not read back")
	}
	catalog, err := i18n.Load(frontend.Catalogs, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := seeded(t, db)
		nb, err := notebook.Compile(ctx, db, p.ID, notebook.Options{Language: "nl"})
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := notebook.RenderPDF(nb, func(k string) string { return catalog.T("nl", k) })
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "demo-nl.pdf")
		if err := os.WriteFile(path, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		text := regexp.MustCompile(`\s+`).ReplaceAllString(string(out), " ")
		for _, key := range []string{"nb.kicker", "nb.toc", "nb.method", "nb.diagnostic", "nb.recommendations", "nb.annex",
			"nb.method.privacy", "nb.method.ranking", "nb.annex.intro", "nb.findings.none", "nb.recommendations.none", "nb.sessions"} {
			nl, fr := catalog.T("nl", key), catalog.T("fr", key)
			if !strings.Contains(text, nl) {
				t.Errorf("%s: the Dutch PDF lacks %q", key, nl)
			}
			if strings.Contains(text, fr) {
				t.Errorf("%s: the Dutch PDF says it in French: %q", key, fr)
			}
		}
		for _, want := range []string{
			"Elke sessie volgde hetzelfde scenario", "3 thema's, 9 sessies",
			"16 november", "4 december", "15 januari", "13.00–16.30", "pagina 2 van",
			p.Translations.Get("nl", "title"), strings.Join(strings.Fields(p.Translations.Get("nl", "description"))[:6], " "),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the Dutch PDF lacks %q", want)
			}
		}
		themes, err := process.ListThemes(ctx, db, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range themes {
			nl := th.Translations.Get("nl", "title")
			if nl == "" || !strings.Contains(text, nl) || strings.Contains(text, th.Title) {
				t.Errorf("theme %q: the Dutch PDF does not give its Dutch title %q", th.Title, nl)
			}
		}
		if strings.Contains(text, "[FR]") || strings.Contains(text, p.Title) {
			t.Errorf("the Dutch PDF still gives French the organisers translated")
		}
		for _, french := range []string{"novembre", "décembre", "janvier", "lundi", "mardi", "samedi", "Chaque séance", "page 2 sur", "13h00"} {
			if strings.Contains(text, french) {
				t.Errorf("the Dutch PDF says %q", french)
			}
		}
		// Every day name of the sessions is Dutch.
		for _, m := range regexp.MustCompile(`• \S+ \d\.\d — (\S+) \d+ (\S+) \d{4}`).FindAllStringSubmatch(text, -1) {
			if !strings.Contains("maandag dinsdag woensdag donderdag vrijdag zaterdag zondag", m[1]) ||
				!strings.Contains("januari februari maart april mei juni juli augustus september oktober november december", m[2]) {
				t.Errorf("a session's date is not Dutch: %q", m[0])
			}
		}
		if n := len(regexp.MustCompile(`• \S+ \d\.\d — \S+ \d+ \S+ \d{4}`).FindAllString(text, -1)); n != 9 {
			t.Errorf("the Dutch PDF lists %d sessions, want 9", n)
		}
	})
}
