package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/assises/assises/frontend"
	"github.com/assises/assises/i18n"
)

// langCookie remembers the interface language a person chose.
const langCookie = "assises_lang"

// lang picks the reader's language: an explicit ?lang=, then the remembered choice, then the
// browser's Accept-Language, then French.
func (h *handler) lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return i18n.Normalise(l)
	}
	if c, err := r.Cookie(langCookie); err == nil {
		return i18n.Normalise(c.Value)
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// rememberLang stores an explicit ?lang= choice for a year.
func (h *handler) rememberLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("lang")
	if l == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: i18n.Normalise(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.publicURL.Scheme == "https",
	})
}

func (h *handler) langFuncs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":     func(key string) string { return h.catalog.T(lang, key) },
		"asset": h.assets.url,
	}
}

// parsePages parses each page template together with the layout.
func parsePages(a *assets) (map[string]*template.Template, error) {
	placeholder := template.FuncMap{
		"t":     func(key string) string { return key },
		"asset": a.url,
	}
	layout, err := fs.ReadFile(frontend.Templates, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(frontend.Templates, "templates")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" || e.IsDir() {
			continue
		}
		body, err := fs.ReadFile(frontend.Templates, "templates/"+e.Name())
		if err != nil {
			return nil, err
		}
		t, err := template.New(name).Funcs(placeholder).Parse(string(layout))
		if err == nil {
			_, err = t.Parse(string(body))
		}
		if err != nil {
			return nil, fmt.Errorf("server: template %s: %w", e.Name(), err)
		}
		pages[name] = t
	}
	return pages, nil
}

// assets serves the embedded static files. Each file's URL carries a hash of its content
// (?v=…), so browsers may cache it for a year and still get a new version the moment it changes.
type assets struct {
	fsys   fs.FS
	hashes map[string]string
}

func loadAssets(fsys fs.FS, dir string) (*assets, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	a := &assets{fsys: sub, hashes: map[string]string{}}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return a, err
}

// url returns the cache-busting URL of a static file.
func (a *assets) url(name string) string {
	return "/static/" + name + "?v=" + a.hashes[name]
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/static/")
	hash, ok := a.hashes[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(a.fsys, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if ctype := mime.TypeByExtension(path.Ext(name)); ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	if r.URL.Query().Get("v") == hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}
