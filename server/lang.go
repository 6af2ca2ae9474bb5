package server

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// The language switch (FR · NL · EN at the top of every page) is a plain link that carries
// ?lang= (rememberLang keeps the choice). On a page shown by a GET it is the same address with
// its other parameters kept. A page that answers a POST (a form sent back with its problems,
// a refusal) has no address to show again: a GET there would be refused or find nothing
// ("Pagina niet gevonden"). Its switch leads to the nearest page above the posted address
// (/p/{slug}/register → /p/{slug}, /w/{id}/door/walkin → /w/{id}/door, /code → /code), which
// the route table names.

// langHref is where the switch to lang leads from the page answering r.
func (h *handler) langHref(r *http.Request, lang string) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		q := r.URL.Query()
		q.Set("lang", lang)
		// Relative to the page: the path may carry a secret (/i/{token}) that the page
		// itself must not print.
		return "?" + q.Encode()
	}
	return h.nearestPage(r.URL.Path) + "?lang=" + url.QueryEscape(lang)
}

// nearestPage walks up p until a GET route other than the catch-all serves it.
func (h *handler) nearestPage(p string) string {
	p = path.Clean("/" + p)
	for h.mux != nil {
		if p == "/" {
			return "/"
		}
		req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Host: h.publicURL.Host}
		if _, pattern := h.mux.Handler(req); pattern != "" && pattern != "/" && strings.HasPrefix(pattern, "GET ") {
			return p
		}
		p = path.Dir(p)
	}
	return "/"
}
