package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/people"
)

// signIn exchanges an invitation link for a session cookie, then redirects to a URL without
// the token, so that it stays out of the history, of screenshots and of Referer headers.
func (h *handler) signIn(w http.ResponseWriter, r *http.Request) {
	if h.failuresLimited(w, r, h.limits.signIn) {
		return
	}
	token := r.PathValue("token")
	inv, who, session, err := people.SignIn(r.Context(), h.db, token, h.now(), sessionTTL)
	if err != nil {
		if isTokenRefusal(err) {
			h.countFailure(r, h.limits.signIn)
			// One answer for unknown, expired, revoked and used links: it tells an attacker nothing.
			lang := h.lang(r)
			h.writeMessage(w, r, http.StatusNotFound, message{
				Heading: h.catalog.T(lang, "signin.invalid.title"),
				Body:    h.catalog.T(lang, "signin.invalid.body"),
				Link:    "/", LinkText: h.catalog.T(lang, "nav.home"), Error: true,
			})
			return
		}
		h.writeInternalError(w, r, err)
		return
	}
	h.setSessionCookie(w, session)
	// Straight to where the person has something to do: their session, the organiser's desk,
	// or the list of the sessions they registered for.
	target := "/"
	switch {
	case inv.WorkshopID != nil:
		target = fmt.Sprintf("/w/%d", *inv.WorkshopID)
	case who.Role == deliberation.RoleOrganiser:
		target = "/organise"
	case who.ProcessID != nil:
		target = "/me"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func isTokenRefusal(err error) bool {
	return errors.Is(err, deliberation.ErrNotFound) || errors.Is(err, people.ErrTokenExpired) ||
		errors.Is(err, people.ErrTokenRevoked) || errors.Is(err, people.ErrTokenUsed)
}

// signOut ends the browser's session and closes its live sockets.
func (h *handler) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		p, _ := people.SessionParticipant(r.Context(), h.db, c.Value, h.now())
		if err := people.EndSession(r.Context(), h.db, c.Value); err != nil {
			h.writeInternalError(w, r, err)
			return
		}
		if p != nil && h.hub != nil {
			h.hub.Disconnect(p.ID)
		}
	}
	h.clearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
