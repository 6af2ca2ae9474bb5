package server_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/gorilla/websocket"

	"github.com/assises/assises/frontend"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
)

// plainClient decodes nothing and adds no Accept-Encoding of its own; one for the whole
// package, so that its connections are reused.
var plainClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// rawGet sends a GET with exactly the headers given (the transport adds no Accept-Encoding
// of its own and decodes nothing), and returns the answer and its raw body.
func rawGet(t *testing.T, u string, cookie *http.Cookie, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// decode undoes a Content-Encoding.
func decode(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "":
		return b
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", coding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", coding, err)
	}
	return out
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/(?:static|i18n)/[^"]+)"`)

// TestEveryAssetInEveryCoding: every embedded static file and every catalog answers in brotli
// or gzip when the browser asks for it and as it is when it does not, always with Vary:
// Accept-Encoding and an ETag of its own per coding that a revalidation matches (304) and
// the other codings' ETags do not; what arrives decodes to the very file. The live page
// names the session and its phase in its HTML, compressed on the fly.
func TestEveryAssetInEveryCoding(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	w := s.Workshop(t, "Logement et CPAS")
	p := s.Join(t, "Léa", "Maison de quartier", record.RoleModerator, w)
	stack.MustDo(t, s.Connect(t, p, w), "phase.set", map[string]any{"phase": "diagnostic"})

	page := s.Server.URL + "/w/" + strconv.FormatInt(w.ID, 10)
	resp, raw := rawGet(t, page, &p.Cookie, "Accept-Encoding", "gzip, deflate, br")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("participant page: got %d, Content-Encoding %q, Vary %q; want 200, gzip, Accept-Encoding",
			resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	html := string(decode(t, "gzip", raw))
	for _, want := range []string{`<h1 id="room-title">Logement et CPAS</h1>`, `data-part="phase">Diagnostic</strong>`, `rel="modulepreload" href="/static/js/live.js?v=`} {
		if !strings.Contains(html, want) {
			t.Errorf("the participant page lacks %s", want)
		}
	}

	// Every file, by its bare address and by the hashed one a page names; and the catalogs.
	// A script is served with its imports naming their files' hashes, and is otherwise the
	// embedded file.
	want := map[string][]byte{} // URL → identity bytes
	version := regexp.MustCompile(`\?v=[0-9a-f]{12}`)
	err := fs.WalkDir(frontend.Static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		file, err := fs.ReadFile(frontend.Static, name)
		if err != nil {
			return err
		}
		resp, b := rawGet(t, s.Server.URL+"/"+name, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("/%s: got %d", name, resp.StatusCode)
		}
		if !bytes.Equal(version.ReplaceAll(b, nil), file) || (!strings.HasSuffix(name, ".js") && !bytes.Equal(b, file)) {
			t.Errorf("/%s: the served file differs from the embedded one beyond its imports' hashes", name)
		}
		sum := sha256.Sum256(b)
		want["/"+name] = b
		want["/"+name+"?v="+hex.EncodeToString(sum[:6])] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	refs := assetRef.FindAllStringSubmatch(html, -1)
	for _, m := range refs {
		if _, ok := want[m[1]]; !ok && !strings.HasPrefix(m[1], "/i18n/") {
			t.Errorf("the page names %s, which is not an embedded file at its current hash", m[1])
		}
	}
	for _, lang := range []string{"fr", "nl", "en"} {
		for _, name := range []string{lang + ".json", "live." + lang + ".json"} {
			resp, b := rawGet(t, s.Server.URL+"/i18n/"+name, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("/i18n/%s: got %d", name, resp.StatusCode)
			}
			want["/i18n/"+name] = b
		}
	}
	catalog := regexp.MustCompile(`href="(/i18n/live\.fr\.json\?v=[0-9a-f]+)"`).FindStringSubmatch(html)
	if catalog == nil {
		t.Fatal("the participant page does not preload its catalog at a hashed address")
	}
	want[catalog[1]] = want["/i18n/live.fr.json"]

	// (TestNegotiate in server/assets reads many more headers.)
	cases := []struct{ accept, coding string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"gzip;q=1, br;q=0", "gzip"},
		{"*", "br"},
		{"identity", ""},
		{"", ""},
	}
	for u, body := range want {
		etags := map[string]string{}
		for _, c := range cases {
			// Brotli's best quality is slow under the race detector: the Dutch and English
			// catalogs, made as the French ones are, are checked in gzip and identity only.
			if c.coding == "br" && strings.HasPrefix(u, "/i18n/") && !strings.Contains(u, "fr.json") {
				continue
			}
			resp, raw := rawGet(t, s.Server.URL+u, nil, "Accept-Encoding", c.accept)
			got := resp.Header.Get("Content-Encoding")
			// A file compression cannot shrink is sent as it is.
			if resp.StatusCode != 200 || (got != c.coding && !(got == "" && len(body) < 300)) {
				t.Errorf("%s with Accept-Encoding %q: got %d %q, want 200 %q", u, c.accept, resp.StatusCode, got, c.coding)
				continue
			}
			if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
				t.Errorf("%s (%q): Vary %q, want Accept-Encoding", u, c.accept, v)
			}
			if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(raw)) {
				t.Errorf("%s (%q): Content-Length %s for %d bytes", u, c.accept, cl, len(raw))
			}
			if !bytes.Equal(decode(t, got, raw), body) {
				t.Errorf("%s (%q): the %q bytes do not decode to the file", u, c.accept, got)
			}
			if got != "" && len(raw) >= len(body) {
				t.Errorf("%s: %s is %d bytes, the file %d", u, got, len(raw), len(body))
			}
			etag := resp.Header.Get("ETag")
			if prev, ok := etags[got]; ok && prev != etag {
				t.Errorf("%s: two ETags for %q: %s and %s", u, got, prev, etag)
			}
			etags[got] = etag
		}
		for coding, etag := range etags {
			accept := map[string]string{"br": "br", "gzip": "gzip", "": "identity"}[coding]
			if r, _ := rawGet(t, s.Server.URL+u, nil, "Accept-Encoding", accept, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
				t.Errorf("%s (%q): revalidating with %s: got %d, want 304", u, accept, etag, r.StatusCode)
			}
		}
		seen := map[string]string{}
		for coding, etag := range etags {
			if other, dup := seen[etag]; dup {
				t.Errorf("%s: %q and %q share the ETag %s", u, coding, other, etag)
			}
			seen[etag] = coding
			for c2, e2 := range etags {
				if c2 == coding {
					continue
				}
				accept := map[string]string{"br": "br", "gzip": "gzip", "": "identity"}[c2]
				if r, _ := rawGet(t, s.Server.URL+u, nil, "Accept-Encoding", accept, "If-None-Match", etag); r.StatusCode != 200 {
					t.Errorf("%s: the %q ETag %s revalidated a %q request (%s): got %d, want 200", u, coding, etag, c2, e2, r.StatusCode)
				}
			}
		}
		cache := "no-cache"
		if strings.Contains(u, "?v=") {
			cache = "public, max-age=31536000, immutable"
		}
		if r, _ := rawGet(t, s.Server.URL+u, nil); r.Header.Get("Cache-Control") != cache {
			t.Errorf("%s: Cache-Control %q, want %q", u, r.Header.Get("Cache-Control"), cache)
		}
	}
	if len(want) < 50 {
		t.Fatalf("only %d assets checked", len(want))
	}
}

// TestLiveCatalogIsOneLanguage: a phone fetches one catalog: its language's, with French
// in the keys a translation lacks, and without the organiser's texts — but with every key
// the live faces' scripts name.
func TestLiveCatalogIsOneLanguage(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	texts := func(name string) map[string]string {
		_, b := rawGet(t, s.Server.URL+"/i18n/"+name, nil)
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	fr, liveNL, fullNL := texts("fr.json"), texts("live.nl.json"), texts("nl.json")
	for k := range fr {
		if _, ok := fullNL[k]; !ok {
			t.Errorf("nl.json lacks %s: French should fill it", k)
		}
	}
	if liveNL["ui.compose.send"] != "Versturen" || liveNL["phase.diagnostic"] == "" || liveNL["err.forbidden"] == "" {
		t.Errorf("live.nl.json lacks the live texts: %q %q %q", liveNL["ui.compose.send"], liveNL["phase.diagnostic"], liveNL["err.forbidden"])
	}
	for k := range liveNL {
		if strings.HasPrefix(k, "nb.") || strings.HasPrefix(k, "reg.") {
			t.Errorf("live.nl.json carries the organiser's %s", k)
		}
	}
	if len(liveNL) >= len(fullNL) {
		t.Errorf("the live catalog has %d keys, the whole one %d", len(liveNL), len(fullNL))
	}
	// Every key a live face's script names literally is in the live catalog.
	key := regexp.MustCompile(`['"\x60]((?:[a-z]+\.)+[a-zA-Z0-9_]+)['"\x60]`)
	for _, f := range []string{"participant", "moderator", "projector", "face", "ui", "cards", "groups", "board", "cockpit", "groupsboard", "room"} {
		b, err := fs.ReadFile(frontend.Static, "static/js/"+f+".js")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if _, inFull := fr[m[1]]; inFull {
				if _, ok := liveNL[m[1]]; !ok {
					t.Errorf("%s.js names %s, which the live catalog leaves out", f, m[1])
				}
			}
		}
	}
}

// TestWorksWithoutCompression: behind a proxy that strips Accept-Encoding, the page and every
// file it names come as they are, and the WebSocket (whose upgrade is never compressed, even
// when asked) still carries the room.
func TestWorksWithoutCompression(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	w := s.Workshop(t, "Atelier")
	p := s.Join(t, "Marc", "Locataires", record.RoleModerator, w)
	resp, raw := rawGet(t, s.Server.URL+"/w/"+strconv.FormatInt(w.ID, 10), &p.Cookie)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Contains(raw, []byte(`id="live"`)) {
		t.Fatalf("page without Accept-Encoding: got %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	refs := assetRef.FindAllSubmatch(raw, -1)
	if len(refs) < 5 {
		t.Fatalf("the page names %d files", len(refs))
	}
	for _, m := range refs {
		u := strings.ReplaceAll(string(m[1]), "&amp;", "&")
		r, b := rawGet(t, s.Server.URL+u, nil)
		if r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "" || len(b) == 0 {
			t.Errorf("%s without Accept-Encoding: got %d, Content-Encoding %q, %d bytes", u, r.StatusCode, r.Header.Get("Content-Encoding"), len(b))
		}
	}
	h := http.Header{}
	h.Set("Origin", s.Server.URL)
	h.Set("Cookie", p.Cookie.String())
	h.Set("Accept-Encoding", "gzip, deflate, br")
	ws, up, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.Server.URL, "http")+"/ws", h)
	if err != nil {
		t.Fatalf("WebSocket with Accept-Encoding: %v", err)
	}
	ws.Close()
	if up.Header.Get("Content-Encoding") != "" || up.Header.Get("Sec-WebSocket-Extensions") != "" {
		t.Errorf("the upgrade answered Content-Encoding %q, extensions %q", up.Header.Get("Content-Encoding"), up.Header.Get("Sec-WebSocket-Extensions"))
	}
	c := s.Connect(t, p, w)
	stack.MustDo(t, c, "phase.set", map[string]any{"phase": "diagnostic"})
}
