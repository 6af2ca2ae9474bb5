package notebook

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, firstDiff(string(want), got))
	}
}

// firstDiff shows the first line where two texts part.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + a + "\n  got:  " + b
		}
	}
	return "(same lines, different bytes)"
}

// goldenNotebook compiles the fixed process with its editorial layer and its Dutch
// translations, as version 1 in each language.
func goldenNotebook(t *testing.T, db *bun.DB) (*fixture, map[string]*Notebook) {
	t.Helper()
	f := newFixture(t, db)
	f.edit()
	f.translate()
	out := map[string]*Notebook{}
	for _, lang := range goldenLanguages {
		nb, err := Compile(f.ctx, db, f.proc.ID, Options{Language: lang, Plenary: f.plenary()})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2024, 2, 3, 9, 30, 0, 0, time.UTC)
		nb.Version, nb.PublishedAt, nb.Languages = 1, &at, goldenLanguages
		out[lang] = nb
	}
	return f, out
}

// goldenLanguages are the languages of the golden notebook, main first.
var goldenLanguages = []string{"fr", "nl"}

// goldenCache keeps the golden notebook of each database kind and language as JSON: several
// tests read it, and playing the fixture through the engine is the slow part of this
// package's tests.
var goldenCache = struct {
	sync.Mutex
	ids  map[string]map[string]int64
	json map[string]map[string][]byte
}{ids: map[string]map[string]int64{}, json: map[string]map[string][]byte{}}

// cachedGolden returns the ids of the fixture's contributions and a fresh copy of the golden
// notebook in French, its main language (decoded from its JSON, as a published snapshot is),
// for a database kind.
func cachedGolden(t *testing.T, kind string) (map[string]int64, *Notebook) {
	return cachedGoldenIn(t, kind, "fr")
}

// cachedGoldenIn is cachedGolden in one of goldenLanguages.
func cachedGoldenIn(t *testing.T, kind, lang string) (map[string]int64, *Notebook) {
	t.Helper()
	goldenCache.Lock()
	defer goldenCache.Unlock()
	if _, ok := goldenCache.json[kind]; !ok {
		f, nbs := goldenNotebook(t, storagetest.Open(t, kind))
		goldenCache.ids[kind], goldenCache.json[kind] = f.ids, map[string][]byte{}
		for l, nb := range nbs {
			b, err := RenderJSON(nb)
			if err != nil {
				t.Fatal(err)
			}
			goldenCache.json[kind][l] = b
		}
	}
	nb := new(Notebook)
	if err := json.Unmarshal(goldenCache.json[kind][lang], nb); err != nil {
		t.Fatal(err)
	}
	return goldenCache.ids[kind], nb
}

// TestGoldenHTMLAndMarkdown renders the fixed process on both databases, in French (its main
// language) and in Dutch (partly translated): each output must equal its golden file, and
// SQLite and PostgreSQL must give the same bytes.
func TestGoldenHTMLAndMarkdown(t *testing.T) {
	outputs := map[string]map[string]string{}
	for _, kind := range storagetest.Kinds {
		for _, lang := range goldenLanguages {
			t.Run(kind+"/"+lang, func(t *testing.T) {
				_, nb := cachedGoldenIn(t, kind, lang)
				labels := catalogLabels(t, lang)
				html, err := RenderHTML(nb, labels)
				if err != nil {
					t.Fatal(err)
				}
				md := RenderMarkdown(nb, labels)
				outputs[kind+"/"+lang] = map[string]string{"html": html, "md": md}
				name := "notebook"
				if lang != "fr" {
					name += "." + lang
				}
				golden(t, name+".golden.html", html)
				golden(t, name+".golden.md", md)
			})
		}
	}
	for _, lang := range goldenLanguages {
		sq, pg := outputs["sqlite/"+lang], outputs["postgres/"+lang]
		if sq == nil || pg == nil {
			continue
		}
		for _, format := range []string{"html", "md"} {
			if sq[format] != pg[format] {
				t.Errorf("%s %s: SQLite and PostgreSQL render differently:\n%s", lang, format, firstDiff(sq[format], pg[format]))
			}
		}
	}
}
