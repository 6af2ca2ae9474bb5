// Package assets serves the bytes the pages load that do not change while the server runs —
// scripts, styles, the translation catalogs — each under a URL that carries a hash of its
// content, and each compressed once with brotli and gzip, the coding chosen per request by
// Accept-Encoding.
//
// The compressed copies are made from the embedded files the first time someone asks for
// them (each coding on its own), then kept for the life of the process: no build step (the
// binary is built with `go build` alone and go:embed takes the source tree as it is, so there
// is no committed .br or .gz file to go stale), and both encoders are deterministic (fixed
// quality and window, no time or name in the gzip header), so every start serves the same
// bytes under the same ETag.
//
// A script's relative imports are rewritten to the imported files' hashed addresses
// (modules.go), so the modules are cached like the page's entry script.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// The codings offered, best first: brotli makes text about 15 % smaller than gzip, and every
// browser that sends "br" (over HTTPS, and on localhost) decodes it.
const (
	Brotli   = "br"
	Gzip     = "gzip"
	Identity = "identity"
)

// File is one asset: its bytes and, once asked for, their compressed copies.
type File struct {
	name  string
	ctype string
	hash  string // hex of the first bytes of SHA-256 of the identity bytes
	body  []byte

	once   sync.Once
	copies *copies
}

// copies are the compressed forms of some bytes, each made the first time a request asks
// for that coding (a gzip request never waits for brotli). They are shared by every Set of
// the process, keyed by the bytes' SHA-256: a test binary that starts fifty servers, or a
// server that builds its Set again, compresses each file once.
type copies struct {
	brOnce, gzOnce sync.Once
	br, gz         []byte // nil when the coding does not make the bytes smaller
}

var shared sync.Map // [32]byte → *copies

// Set is every asset under one URL prefix.
type Set struct {
	prefix string // "/static/"
	files  map[string]*File
}

// New returns an empty set whose URLs start with prefix.
func New(prefix string) *Set {
	return &Set{prefix: prefix, files: map[string]*File{}}
}

// Load adds every file of fsys under dir, named by its path below dir.
func Load(prefix string, fsys fs.FS, dir string) (*Set, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	s := New(prefix)
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		s.Add(p, "", b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.versionImports()
	return s, nil
}

// Add registers body under name; ctype "" takes the type from the name's extension.
func (s *Set) Add(name, ctype string, body []byte) {
	if ctype == "" {
		ctype = mime.TypeByExtension(path.Ext(name))
	}
	sum := sha256.Sum256(body)
	s.files[name] = &File{name: name, ctype: ctype, hash: hex.EncodeToString(sum[:6]), body: body}
}

// Has reports whether name is an asset.
func (s *Set) Has(name string) bool { _, ok := s.files[name]; return ok }

// Names lists the assets (tests walk them).
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.files))
	for n := range s.files {
		out = append(out, n)
	}
	return out
}

// URL is the cache-busting address of an asset: the browser may keep it for a year, and a
// new version has a new address. An unknown name gets the bare path (and a 404).
func (s *Set) URL(name string) string {
	f, ok := s.files[name]
	if !ok {
		return s.prefix + name
	}
	return s.prefix + name + "?v=" + f.hash
}

// Path is the address without the hash: what a module's relative import resolves to.
func (s *Set) Path(name string) string { return s.prefix + name }

// Size is the length of an asset in one coding (Identity, Gzip or Brotli); a coding that
// would not make it smaller has the identity length.
func (s *Set) Size(name, coding string) int {
	f, ok := s.files[name]
	if !ok {
		return 0
	}
	b, _ := f.encoded(coding)
	return len(b)
}

// brotliQuality is brotli's best (quality 11, the slow search): it makes the scripts and
// catalogs about 9 % smaller than qualities 5 to 9 and 14 % smaller than gzip at its best,
// and it is paid once per file and process (about 0.1 s for the largest file).
const brotliQuality = brotli.BestCompression

// compressBrotli and compressGzip are deterministic: the same bytes in, the same bytes out.
func compressBrotli(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotliQuality, LGWin: 22})
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func compressGzip(b []byte) []byte {
	var buf bytes.Buffer
	// A zero gzip.Header: no name, no modification time, so the bytes depend only on the input.
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// smaller keeps a compressed copy only when it saves something.
func smaller(c, body []byte) []byte {
	if len(c) < len(body) {
		return c
	}
	return nil
}

// encoded returns the bytes in coding and the coding actually used (identity when the
// compressed copy would be no smaller).
func (f *File) encoded(coding string) ([]byte, string) {
	if coding != Brotli && coding != Gzip {
		return f.body, Identity
	}
	f.once.Do(func() {
		v, _ := shared.LoadOrStore(sha256.Sum256(f.body), &copies{})
		f.copies = v.(*copies)
	})
	c := f.copies
	if coding == Brotli {
		c.brOnce.Do(func() { c.br = smaller(compressBrotli(f.body), f.body) })
		if c.br != nil {
			return c.br, Brotli
		}
		return f.body, Identity
	}
	c.gzOnce.Do(func() { c.gz = smaller(compressGzip(f.body), f.body) })
	if c.gz != nil {
		return c.gz, Gzip
	}
	return f.body, Identity
}

// etag names one coding of one version: a cache that stores the gzip bytes must never
// answer a request for the brotli ones with them (RFC 9110 §8.8.3: a strong validator
// changes with the representation, and the coding is part of it).
func (f *File) etag(coding string) string {
	switch coding {
	case Brotli:
		return `"` + f.hash + `-br"`
	case Gzip:
		return `"` + f.hash + `-gz"`
	}
	return `"` + f.hash + `"`
}

// ServeHTTP serves the asset the path names below the prefix.
func (s *Set) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Serve(w, r, strings.TrimPrefix(path.Clean(r.URL.Path), s.prefix))
}

// Serve answers with the asset name: the coding the request accepts best, Vary:
// Accept-Encoding always (the same URL has several codings), an ETag per coding, 304 when
// the browser has that one, and a year of caching when the URL carries the current hash.
func (s *Set) Serve(w http.ResponseWriter, r *http.Request, name string) {
	f, ok := s.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, coding := f.encoded(Negotiate(r.Header.Get("Accept-Encoding")))
	hdr := w.Header()
	hdr.Set("Vary", "Accept-Encoding")
	if f.ctype != "" {
		hdr.Set("Content-Type", f.ctype)
	}
	if r.URL.Query().Get("v") == f.hash {
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache")
	}
	etag := f.etag(coding)
	hdr.Set("ETag", etag)
	if coding != Identity {
		hdr.Set("Content-Encoding", coding)
	}
	if noneMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// noneMatch reports whether an If-None-Match header names etag (weak comparison, as
// RFC 9110 §13.1.2 asks for this header).
func noneMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// Negotiate picks the coding to send for an Accept-Encoding header: brotli, then gzip, then
// identity, skipping any the header refuses with q=0. "*" accepts the codings not named.
func Negotiate(header string) string {
	if strings.TrimSpace(header) == "" {
		return Identity
	}
	q := map[string]float64{}
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		weight := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					weight = f
				}
			}
		}
		if name == "x-gzip" {
			name = Gzip
		}
		q[name] = weight
	}
	accepts := func(c string) float64 {
		if w, ok := q[c]; ok {
			return w
		}
		if w, ok := q["*"]; ok {
			return w
		}
		return 0
	}
	best, bestQ := Identity, 0.0
	for _, c := range []string{Brotli, Gzip} {
		if w := accepts(c); w > bestQ {
			best, bestQ = c, w
		}
	}
	return best
}
