package assets

import (
	"bytes"
	"slices"
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

// TestSameBytesEveryStart: two loads of the embedded files compress every one to the same
// bytes under the same ETag (the copies are made at start-up, so a restart, or two nodes
// behind one load balancer, must agree).
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
		for _, coding := range []string{Brotli, Gzip, Identity} {
			x, cx := a.files[name].encoded(coding)
			y, cy := b.files[name].encoded(coding)
			if cx != cy || !bytes.Equal(x, y) || a.files[name].etag(cx) != b.files[name].etag(cy) {
				t.Errorf("%s in %s: two starts differ (%s %d bytes, %s %d bytes)", name, coding, cx, len(x), cy, len(y))
			}
		}
		if a.Size(name, Brotli) > a.Size(name, Gzip) {
			t.Errorf("%s: brotli %d bytes, gzip %d", name, a.Size(name, Brotli), a.Size(name, Gzip))
		}
	}
}

func TestModules(t *testing.T) {
	fsys := fstest.MapFS{
		"js/page.js": {Data: []byte("import { a } from './a.js';\nimport {\n  b,\n  c,\n} from './b.js';\nimport './side.js';\n// import { no } from './comment.js';\nconst s = \"import x from './string.js'\";\n")},
		"js/a.js":    {Data: []byte("import { u } from './util.js';\nexport const a = 1;\n")},
		"js/b.js":    {Data: []byte("import { u } from './util.js';\nimport { a } from './a.js';\n")},
		"js/side.js": {Data: []byte("export {};\n")},
		"js/util.js": {Data: []byte("export const u = 1;\n")},
	}
	s, err := Load("/static/", fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Modules("js/page.js")
	want := []string{"/static/js/a.js", "/static/js/b.js", "/static/js/side.js", "/static/js/util.js"}
	if !slices.Equal(got, want) {
		t.Errorf("Modules: got %v, want %v", got, want)
	}
	live, _ := Load("/static/", frontend.Static, "static")
	if m := live.Modules("js/participant.js"); !slices.Contains(m, "/static/js/live.js") || !slices.Contains(m, "/static/js/i18n.js") {
		t.Errorf("the participant's modules miss live.js or i18n.js: %v", m)
	}
}
