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

// goldenNotebook compiles the fixed process with its editorial layer, as version 1.
func goldenNotebook(t *testing.T, db *bun.DB) (*fixture, *Notebook) {
	t.Helper()
	f := newFixture(t, db)
	f.edit()
	nb, err := Compile(f.ctx, db, f.proc.ID, Options{Plenary: f.plenary()})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 2, 3, 9, 30, 0, 0, time.UTC)
	nb.Version, nb.PublishedAt = 1, &at
	return f, nb
}

// goldenCache keeps the golden notebook of each database kind as JSON: several tests read it,
// and playing the fixture through the engine is the slow part of this package's tests.
var goldenCache = struct {
	sync.Mutex
	ids  map[string]map[string]int64
	json map[string][]byte
}{ids: map[string]map[string]int64{}, json: map[string][]byte{}}

// cachedGolden returns the ids of the fixture's contributions and a fresh copy of the golden
// notebook (decoded from its JSON, as a published snapshot is) for a database kind.
func cachedGolden(t *testing.T, kind string) (map[string]int64, *Notebook) {
	t.Helper()
	goldenCache.Lock()
	defer goldenCache.Unlock()
	if _, ok := goldenCache.json[kind]; !ok {
		f, nb := goldenNotebook(t, storagetest.Open(t, kind))
		b, err := RenderJSON(nb)
		if err != nil {
			t.Fatal(err)
		}
		goldenCache.ids[kind], goldenCache.json[kind] = f.ids, b
	}
	nb := new(Notebook)
	if err := json.Unmarshal(goldenCache.json[kind], nb); err != nil {
		t.Fatal(err)
	}
	return goldenCache.ids[kind], nb
}

// TestGoldenHTMLAndMarkdown renders the fixed process on both databases: each output must
// equal its golden file, and SQLite and PostgreSQL must give the same bytes.
func TestGoldenHTMLAndMarkdown(t *testing.T) {
	outputs := map[string]map[string]string{}
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			_, nb := cachedGolden(t, kind)
			labels := catalogLabels(t, "fr")
			html, err := RenderHTML(nb, labels)
			if err != nil {
				t.Fatal(err)
			}
			md := RenderMarkdown(nb, labels)
			outputs[kind] = map[string]string{"html": html, "md": md}
			golden(t, "notebook.golden.html", html)
			golden(t, "notebook.golden.md", md)
		})
	}
	if len(outputs) == 2 {
		for _, format := range []string{"html", "md"} {
			if outputs["sqlite"][format] != outputs["postgres"][format] {
				t.Errorf("%s: SQLite and PostgreSQL render differently:\n%s", format, firstDiff(outputs["sqlite"][format], outputs["postgres"][format]))
			}
		}
	}
}
