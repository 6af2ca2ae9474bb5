package server

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// nearestPage is where the language switch of a page answering a POST leads
// (web.Site.LangHref): the nearest page above the posted address that the route table serves.

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
