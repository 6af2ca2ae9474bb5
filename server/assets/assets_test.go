package assets

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/assises/assises/frontend"
)

func TestNegotiate(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"", Identity},
		{"identity", Identity},
		{"deflate", Identity},
		{"gzip", Gzip},
		{"x-gzip", Gzip},
		{"gzip, deflate", Gzip},
		{"gzip, deflate, br", Brotli},
		{"gzip, deflate, br, zstd", Brotli},
		{"BR", Brotli},
		{"br;q=0, gzip", Gzip},
		{"br;q=0.1, gzip;q=0.9", Gzip},
		{"br; q=0 , gzip ; q=0", Identity},
		{"*", Brotli},
		{"*;q=0, gzip", Gzip},
		{"gzip;q=0, *", Brotli},
		{"br;q=bad", Brotli},
	} {
		if got := Negotiate(c.header); got != c.want {
			t.Errorf("Negotiate(%q): got %q, want %q", c.header, got, c.want)
		}
	}
}

// TestSameBytesEveryStart: compressing the same file twice gives the same bytes, and two
// loads of the embedded files serve every file under the same ETag (the copies are made at
// run time, so a restart, or two nodes behind one load balancer, must agree). The encoders
// are run twice on a few files only: brotli's best quality is slow under the race detector,
// and what is tested is the encoders, not the files.
func TestSameBytesEveryStart(t *testing.T) {
	a, err := Load("/static/", frontend.Static, "static")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load("/static/", frontend.Static, "static")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range a.Names() {
		if a.URL(name) != b.URL(name) {
			t.Errorf("%s: two loads give %s and %s", name, a.URL(name), b.URL(name))
		}
	}
	for _, name := range []string{"js/participant.js", "app.css", "js/util.js"} {
		body := a.files[name].body
		if x, y := compressBrotli(body), compressBrotli(bytes.Clone(body)); !bytes.Equal(x, y) {
			t.Errorf("%s: brotli gave %d then %d different bytes", name, len(x), len(y))
		}
		if x, y := compressGzip(body), compressGzip(bytes.Clone(body)); !bytes.Equal(x, y) {
			t.Errorf("%s: gzip gave %d then %d different bytes", name, len(x), len(y))
		}
		br, gz := a.Size(name, Brotli), a.Size(name, Gzip)
		if br >= gz || gz >= len(body) {
			t.Errorf("%s: brotli %d bytes, gzip %d, identity %d", name, br, gz, len(body))
		}
		for _, coding := range []string{Brotli, Gzip, Identity} {
			x, cx := a.files[name].encoded(coding)
			y, cy := b.files[name].encoded(coding)
			if cx != coding || cy != coding || !bytes.Equal(x, y) || a.files[name].etag(cx) != b.files[name].etag(cy) {
				t.Errorf("%s in %s: two loads differ (%s %d bytes, %s %d bytes)", name, coding, cx, len(x), cy, len(y))
			}
		}
	}
	// A file compression cannot shrink is sent as it is, whatever was asked.
	tiny := New("/t/")
	tiny.Add("a", "text/plain", []byte("a"))
	if b, c := tiny.files["a"].encoded(Brotli); c != Identity || string(b) != "a" {
		t.Errorf("a one-byte file in brotli: got %s %q, want identity", c, b)
	}
}

func TestModules(t *testing.T) {
	fsys := fstest.MapFS{
		"js/page.js": {Data: []byte("import { a } from './a.js';\nimport {\n  b,\n  c,\n} from './b.js';\nimport './side.js';\n// import { no } from './comment.js';\nconst s = \"import x from './string.js'\";\n")},
		"js/a.js":    {Data: []byte("import { u } from './util.js';\nexport const a = 1;\n")},
		"js/b.js":    {Data: []byte("import { u } from './util.js';\nimport { a } from './a.js';\n")},
		"js/side.js": {Data: []byte("export {};\n")},
		"js/util.js": {Data: []byte("export const u = 1;\n")},
		// A cycle: its files, and the files that import them, keep bare imports.
		"js/x.js":   {Data: []byte("import { y } from './y.js';\n")},
		"js/y.js":   {Data: []byte("import { x } from './x.js';\nimport { u } from './util.js';\n")},
		"js/top.js": {Data: []byte("import { x } from './x.js';\n")},
	}
	s, err := Load("/static/", fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Modules("js/page.js")
	want := []string{s.URL("js/a.js"), s.URL("js/b.js"), s.URL("js/side.js"), s.URL("js/util.js")}
	if !slices.Equal(got, want) {
		t.Errorf("Modules: got %v, want %v", got, want)
	}
	// Each import names its file's current hash, so a change deep down changes every address
	// above it.
	b := string(s.files["js/b.js"].body)
	if !strings.Contains(b, "from './util.js?v="+s.files["js/util.js"].hash+"'") || !strings.Contains(b, "from './a.js?v="+s.files["js/a.js"].hash+"'") {
		t.Errorf("b.js imports unversioned: %s", b)
	}
	if !strings.Contains(string(s.files["js/page.js"].body), "import './side.js?v=") {
		t.Errorf("a side-effect import is not versioned: %s", s.files["js/page.js"].body)
	}
	if !strings.Contains(string(s.files["js/page.js"].body), "'./string.js'\"") {
		t.Errorf("a string that looks like an import was rewritten: %s", s.files["js/page.js"].body)
	}
	for _, name := range []string{"js/x.js", "js/y.js", "js/top.js"} {
		if bytes.Contains(s.files[name].body, []byte("?v=")) {
			t.Errorf("%s reaches a cycle but was rewritten: %s", name, s.files[name].body)
		}
	}
	if got := s.Modules("js/top.js"); !slices.Equal(got, []string{"/static/js/x.js", "/static/js/y.js", "/static/js/util.js"}) {
		t.Errorf("Modules through a cycle: %v", got)
	}

	live, _ := Load("/static/", frontend.Static, "static")
	m := live.Modules("js/participant.js")
	if !slices.Contains(m, live.URL("js/live.js")) || !slices.Contains(m, live.URL("js/i18n.js")) {
		t.Errorf("the participant's modules miss live.js or i18n.js: %v", m)
	}
	for _, u := range m {
		if !strings.Contains(u, "?v=") {
			t.Errorf("the participant imports %s unversioned", u)
		}
	}
}
