package server

import (
	"net/http"

	"github.com/assises/assises/deliberation"
)

// organisePage is the organiser's desk: GET /organise. The page carries the session's CSRF
// token for its script, which sends it back with every change.
func (h *handler) organisePage(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p := h.signedIn(w, r, "ui.organise.signin", "/", "nav.home")
	if p == nil {
		return
	}
	if p.Role != deliberation.RoleOrganiser {
		h.forbidden(w, r, "ui.organise.forbidden")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writePage(w, r, http.StatusOK, "organise", h.catalog.T(lang, "ui.organise.title"), map[string]any{
		"CSRF": sessionCSRF(r), "Platform": isPlatformOrganiser(p),
	})
}
