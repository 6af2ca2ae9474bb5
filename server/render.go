package server

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/assises/assises/frontend"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/server/assets"
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
		"t":       func(key string) string { return h.catalog.T(lang, key) },
		"asset":   h.assets.URL,
		"modules": h.assets.Modules,
		"texts":   func(area string) string { return h.texts.URL(area + "." + lang + ".json") },
		"upper":   strings.ToUpper,
		"json":    jsonAttr,
	}
}

// jsonAttr writes a value as JSON for a data- attribute that a script reads.
func jsonAttr(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// parsePages parses each page template together with the layout.
func parsePages(a *assets.Set) (map[string]*template.Template, error) {
	placeholder := template.FuncMap{
		"t":       func(key string) string { return key },
		"asset":   a.URL,
		"modules": a.Modules,
		"texts":   func(string) string { return "" },
		"upper":   strings.ToUpper,
		"json":    jsonAttr,
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
