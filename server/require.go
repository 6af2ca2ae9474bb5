package server

import (
	"errors"
	"net/http"

	"github.com/assises/assises/record"
)

// The preconditions pages share. Each answers the request itself when it fails (an
// explanation in the reader's language, a 404 or a 500) and then returns nil, so a handler
// reads: p := h.signedIn(…); if p == nil { return }.

// signedIn returns who is signed in, or explains that this page needs a sign-in (bodyKey says
// why, in the catalog) and offers one way on (link, with linkKey as its text).
func (h *handler) signedIn(w http.ResponseWriter, r *http.Request, bodyKey, link, linkKey string) *record.Participant {
	p, signedIn, err := h.currentParticipant(r)
	if err != nil {
		h.writeInternalError(w, r, err)
		return nil
	}
	if !signedIn {
		lang := h.lang(r)
		h.writeMessage(w, r, http.StatusUnauthorized, message{
			Heading: h.catalog.T(lang, "ui.signin.needed.title"),
			Body:    h.catalog.T(lang, bodyKey),
			Link:    link, LinkText: h.catalog.T(lang, linkKey), Error: true,
		})
	}
	return p
}

// apiSignedIn is signedIn for the JSON API: who is signed in, or a JSON 401 (a 500 when the
// session cannot be read) and nil.
func (h *handler) apiSignedIn(w http.ResponseWriter, r *http.Request) *record.Participant {
	p, signedIn, err := h.currentParticipant(r)
	if err != nil {
		h.log.ErrorContext(r.Context(), "current participant", "route", r.Pattern, "err", err)
		h.api.Error(w, r, http.StatusInternalServerError, "unavailable")
		return nil
	}
	if !signedIn {
		h.api.Error(w, r, http.StatusUnauthorized, "forbidden")
		return nil
	}
	return p
}

// forbidden explains that this page is not for the reader (bodyKey says why, in the catalog)
// and offers the way home.
func (h *handler) forbidden(w http.ResponseWriter, r *http.Request, bodyKey string) {
	lang := h.lang(r)
	h.writeMessage(w, r, http.StatusForbidden, message{
		Heading: h.catalog.T(lang, "ui.forbidden.title"), Body: h.catalog.T(lang, bodyKey),
		Link: "/", LinkText: h.catalog.T(lang, "nav.home"), Error: true,
	})
}

// workshopByID loads a workshop, or answers 404 (unknown id) or 500.
func (h *handler) workshopByID(w http.ResponseWriter, r *http.Request, id int64) *record.Workshop {
	ws, err := record.GetWorkshop(r.Context(), h.db, id)
	if h.loadFailed(w, r, err, h.notFound) {
		return nil
	}
	return ws
}

// loadFailed answers a failed load of what a page shows: with notFound (h.notFound, or a page's
// own) when it does not exist, with the internal error page otherwise. It reports whether it
// answered, that is whether err is not nil.
func (h *handler) loadFailed(w http.ResponseWriter, r *http.Request, err error, notFound http.HandlerFunc) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, record.ErrNotFound):
		notFound(w, r)
	default:
		h.writeInternalError(w, r, err)
	}
	return true
}
