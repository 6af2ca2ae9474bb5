package server

import (
	"fmt"
	"net/http"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// signIn exchanges an invitation link for a session cookie, then redirects to a URL without
// the token, so that it stays out of the history, of screenshots and of Referer headers.
func (h *handler) signIn(w http.ResponseWriter, r *http.Request) {
	if h.failuresLimited(w, r, h.limits.signIn) {
		return
	}
	token := r.PathValue("token")
	inv, who, session, err := people.SignIn(r.Context(), h.db, token, h.now(), web.SessionTTL)
	if err != nil {
		if web.TokenRefused(err) {
			h.countFailure(r, h.limits.signIn)
			// One answer for unknown, expired, revoked and used links: it tells an attacker nothing.
			lang := web.Lang(r)
			h.site.WriteMessage(w, r, http.StatusNotFound, web.Message{
				Heading: h.catalog.T(lang, "signin.invalid.title"),
				Body:    h.catalog.T(lang, "signin.invalid.body"),
				Link:    "/", LinkText: h.catalog.T(lang, "nav.home"), Error: true,
			})
			return
		}
		h.site.WriteInternalError(w, r, err)
		return
	}
	h.site.SetSessionCookie(w, session)
	// Straight to where the person has something to do: their session, the organiser's desk,
	// or the list of the sessions they registered for.
	target := "/"
	switch {
	case inv.WorkshopID != nil:
		target = fmt.Sprintf("/w/%d", *inv.WorkshopID)
	case who.Role == record.RoleOrganiser:
		target = "/organise"
	case who.ProcessID != nil:
		target = "/me"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// signOut ends the browser's session and closes its live sockets. It needs the session's CSRF
// token (hidden field or X-CSRF-Token) like every other signed-in change: otherwise a page
// elsewhere, in a browser that sends no Sec-Fetch-Site, could sign a moderator out mid-session.
// Without a session there is nothing to end and nothing to protect.
func (h *handler) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(web.SessionCookie); err == nil && c.Value != "" {
		if r.ParseForm() != nil || !h.site.CheckSessionForm(r) {
			h.site.RefuseForm(w, r, "/")
			return
		}
		p, _ := people.SessionParticipant(r.Context(), h.db, c.Value, h.now())
		if err := people.EndSession(r.Context(), h.db, c.Value); err != nil {
			h.site.WriteInternalError(w, r, err)
			return
		}
		h.sessions.forgetSession(people.HashToken(c.Value))
		if p != nil {
			h.revoke(p.ID)
		}
	}
	h.site.ClearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
