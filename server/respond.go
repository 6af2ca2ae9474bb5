package server

import (
	"bytes"
	"net/http"
)

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

// writePage renders a server-side page in the reader's language.
func (h *handler) writePage(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	lang := h.lang(r)
	tmpl, ok := h.pages[name]
	if !ok {
		h.log.ErrorContext(r.Context(), "unknown page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p := page{Lang: lang, Title: title, Data: data}
	for _, code := range []string{"fr", "nl", "en"} {
		p.Languages = append(p.Languages, langLink{Code: code, Label: languageLabels[code], Href: h.langHref(r, code), Current: code == lang})
	}
	tmpl, err := tmpl.Clone()
	if err == nil {
		tmpl.Funcs(h.langFuncs(lang))
	}
	var buf bytes.Buffer
	if err == nil {
		err = tmpl.ExecuteTemplate(&buf, "layout", p)
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message is the data of the one-message page (errors, confirmations).
type message struct {
	Heading, Body  string
	Link, LinkText string
	Error          bool
}

func (h *handler) writeMessage(w http.ResponseWriter, r *http.Request, status int, m message) {
	h.writePage(w, r, status, "message", m.Heading, m)
}

func (h *handler) writeInternalError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
	lang := h.lang(r)
	h.writeMessage(w, r, http.StatusInternalServerError, message{
		Heading: h.catalog.T(lang, "error.internal"), Body: "", Error: true,
	})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	h.writeMessage(w, r, http.StatusNotFound, message{
		Heading: h.catalog.T(lang, "error.notfound"), Link: "/", LinkText: h.catalog.T(lang, "nav.home"), Error: true,
	})
}
