package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/assises/assises/frontend"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/internal/spreadsheet"
	"github.com/assises/assises/server/assets"
)

// LangCookie remembers the interface language a person chose.
const LangCookie = "assises_lang"

// Lang picks the reader's language: an explicit ?lang=, then the remembered choice, then the
// browser's Accept-Language, then French.
func Lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return i18n.Normalise(l)
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		return i18n.Normalise(c.Value)
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// RememberLang stores an explicit ?lang= choice for a year.
func (s *Site) RememberLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("lang")
	if l == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: LangCookie, Value: i18n.Normalise(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(),
	})
}

// T is the text of key in the reader's language.
func (s *Site) T(r *http.Request, key string) string { return s.Catalog.T(Lang(r), key) }

// LanguageNames are the interface languages, each in its own words.
var LanguageNames = map[string]string{"fr": "Français", "nl": "Nederlands", "en": "English"}

// The language switch (FR · NL · EN at the top of every page) is a plain link that carries
// ?lang= (RememberLang keeps the choice). On a page shown by a GET it is the same address with
// its other parameters kept. A page that answers a POST (a form sent back with its problems,
// a refusal) has no address to show again: a GET there would be refused or find nothing
// ("Pagina niet gevonden"). Its switch leads to the nearest page above the posted address
// (/p/{slug}/register → /p/{slug}, /w/{id}/door/walkin → /w/{id}/door, /code → /code), which
// the route table names (Site.NearestPage).

// LangHref is where the switch to lang leads from the page answering r.
func (s *Site) LangHref(r *http.Request, lang string) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		q := r.URL.Query()
		q.Set("lang", lang)
		// Relative to the page: the path may carry a secret (/i/{token}) that the page
		// itself must not print.
		return "?" + q.Encode()
	}
	return s.NearestPage(r.URL.Path) + "?lang=" + url.QueryEscape(lang)
}

func (s *Site) langFuncs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":       func(key string) string { return s.Catalog.T(lang, key) },
		"asset":   s.Assets.URL,
		"modules": s.Assets.Modules,
		"texts":   func(area string) string { return s.Texts.URL(area + "." + lang + ".json") },
		"upper":   strings.ToUpper,
		"json":    jsonAttr,
	}
}

// jsonAttr writes a value as JSON for a data- attribute that a script reads.
func jsonAttr(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// ParseTemplates parses each page template together with the layout.
func ParseTemplates(a *assets.Set) (map[string]*template.Template, error) {
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

// page is what every HTML template receives.
type page struct {
	Lang      string
	Title     string
	Languages []langLink
	Data      any
}

type langLink struct {
	Code, Label string
	Href        string
	Current     bool
}

var languageLabels = map[string]string{"fr": "FR", "nl": "NL", "en": "EN"}

// WritePage renders a server-side page in the reader's language.
func (s *Site) WritePage(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	lang := Lang(r)
	tmpl, ok := s.Templates[name]
	if !ok {
		s.Log.ErrorContext(r.Context(), "unknown page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p := page{Lang: lang, Title: title, Data: data}
	for _, code := range []string{"fr", "nl", "en"} {
		p.Languages = append(p.Languages, langLink{Code: code, Label: languageLabels[code], Href: s.LangHref(r, code), Current: code == lang})
	}
	tmpl, err := tmpl.Clone()
	if err == nil {
		tmpl.Funcs(s.langFuncs(lang))
	}
	var buf bytes.Buffer
	if err == nil {
		err = tmpl.ExecuteTemplate(&buf, "layout", p)
	}
	if err != nil {
		s.Log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Message is the data of the one-message page (errors, confirmations).
type Message struct {
	Heading, Body  string
	Link, LinkText string
	Error          bool
}

// WriteMessage answers with the one-message page.
func (s *Site) WriteMessage(w http.ResponseWriter, r *http.Request, status int, m Message) {
	s.WritePage(w, r, status, "message", m.Heading, m)
}

// Refuse answers status with an error message (headingKey, bodyKey in the catalog; bodyKey
// may be "") and the way home.
func (s *Site) Refuse(w http.ResponseWriter, r *http.Request, status int, headingKey, bodyKey string) {
	m := Message{Heading: s.T(r, headingKey), Link: "/", LinkText: s.T(r, "nav.home"), Error: true}
	if bodyKey != "" {
		m.Body = s.T(r, bodyKey)
	}
	s.WriteMessage(w, r, status, m)
}

// WriteInternalError logs a failure and answers 500 with a page that says so.
func (s *Site) WriteInternalError(w http.ResponseWriter, r *http.Request, err error) {
	s.Log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
	s.WriteMessage(w, r, http.StatusInternalServerError, Message{Heading: s.T(r, "error.internal"), Error: true})
}

// NotFound answers 404 with the way home.
func (s *Site) NotFound(w http.ResponseWriter, r *http.Request) {
	s.Refuse(w, r, http.StatusNotFound, "error.notfound", "")
}

// CSVSep reads the separator a CSV export was asked for (?sep=, for commas; semicolons by
// default, as a Belgian spreadsheet expects). Anything else is a 400 page that says which
// values work; false means that answer was written.
func (s *Site) CSVSep(w http.ResponseWriter, r *http.Request) (rune, bool) {
	sep, err := spreadsheet.ParseSep(r.URL.Query().Get("sep"))
	if err != nil {
		s.WriteMessage(w, r, http.StatusBadRequest, Message{
			Heading: s.T(r, "error.csv.sep"), Body: s.T(r, "error.csv.sep.body"), Error: true,
		})
		return 0, false
	}
	return sep, true
}
