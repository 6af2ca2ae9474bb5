package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/assises/assises/record"

	"github.com/assises/assises/people"
	"github.com/assises/assises/server/web"
)

// access is what a signed-in person may do with one workshop's pages.
type access struct {
	View     bool // the participant page and the projector
	Moderate bool // the moderator console
}

// workshopAccess decides which pages of a workshop p may open, by the rules the live room
// applies when someone joins (deliberation.Engine.Actor): organisers and moderators of the
// process, moderators appointed for the session; participants of the process with a confirmed
// place (or a role in the session) when the process requires an invitation. The pages are only
// shells: the room checks every join and every command again.
func (h *handler) workshopAccess(ctx context.Context, p *record.Participant, w *record.Workshop) (access, error) {
	if p.ErasedAt != nil {
		return access{}, nil
	}
	if people.MayOrganise(p, w.ProcessID) {
		return access{View: true, Moderate: true}, nil
	}
	if p.ProcessID == nil || *p.ProcessID != w.ProcessID {
		return access{}, nil
	}
	if p.Role == record.RoleModerator {
		return access{View: true, Moderate: true}, nil
	}
	role, err := people.WorkshopRoleOf(ctx, h.db, w.ID, p.ID)
	if err != nil {
		return access{}, err
	}
	if role == record.RoleModerator {
		return access{View: true, Moderate: true}, nil
	}
	if p.Role == record.RoleParticipant && role == "" {
		proc, err := record.GetProcess(ctx, h.db, w.ProcessID)
		if err != nil {
			return access{}, err
		}
		if w.AccessMode(proc) == record.AccessInvitation {
			ok, err := people.HasConfirmedRegistration(ctx, h.db, w.ID, p.ID)
			if err != nil || !ok {
				return access{}, err
			}
		}
	}
	return access{View: true}, nil
}

// csrfToken is the per-session token that every state-changing organiser request must carry in
// the X-CSRF-Token header. It is derived from the session cookie, which no script (and no other
// site) can read, so a forged cross-site request cannot know it; SameSite alone is not relied on.
func csrfToken(session string) string {
	mac := hmac.New(sha256.New, []byte(session))
	mac.Write([]byte("assises csrf v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// csrfHeader is where the organiser page sends the token.
const csrfHeader = "X-CSRF-Token"

// sessionCSRF returns the CSRF token of the request's session, or "".
func sessionCSRF(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	return csrfToken(c.Value)
}

// errCSRF is the refusal of a state-changing request without the right token.
var errCSRF = errors.New("csrf token missing or wrong")

// checkCSRF refuses a state-changing request whose token is missing or wrong, and one whose
// Origin, when the browser sends it, is not ours.
func (h *handler) checkCSRF(r *http.Request) error {
	if r.Header.Get("Origin") != "" && !SameOrigin(h.publicURL)(r) {
		if _, ok := h.wrongAddress(r); ok {
			return web.ErrWrongAddress
		}
		return errCSRF
	}
	want := sessionCSRF(r)
	got := r.Header.Get(csrfHeader)
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return errCSRF
	}
	return nil
}

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
	case who.Role == record.RoleOrganiser:
		target = "/organise"
	case who.ProcessID != nil:
		target = "/me"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func isTokenRefusal(err error) bool {
	return errors.Is(err, record.ErrNotFound) || errors.Is(err, people.ErrTokenExpired) ||
		errors.Is(err, people.ErrTokenRevoked) || errors.Is(err, people.ErrTokenUsed)
}

// signOut ends the browser's session and closes its live sockets. It needs the session's CSRF
// token (hidden field or X-CSRF-Token) like every other signed-in change: otherwise a page
// elsewhere, in a browser that sends no Sec-Fetch-Site, could sign a moderator out mid-session.
// Without a session there is nothing to end and nothing to protect.
func (h *handler) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if r.ParseForm() != nil || !h.checkSessionForm(r) {
			h.refuseForm(w, r, "/")
			return
		}
		p, _ := people.SessionParticipant(r.Context(), h.db, c.Value, h.now())
		if err := people.EndSession(r.Context(), h.db, c.Value); err != nil {
			h.writeInternalError(w, r, err)
			return
		}
		h.sessions.forgetSession(people.HashToken(c.Value))
		if p != nil {
			h.revoke(p.ID)
		}
	}
	h.clearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
