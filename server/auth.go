package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/assises/assises/record"

	"github.com/assises/assises/people"
)

// sessionCookie carries a signed-in browser's secret. It is HttpOnly (no script reads it) and
// SameSite=Lax (sent when a person follows a link to us, not on cross-site posts).
const sessionCookie = "assises_session"

// sessionTTL is long enough to cover a whole series of sessions on one phone.
const sessionTTL = 30 * 24 * time.Hour

// currentParticipant returns who is signed in; signedIn is false when the browser has no
// session, or one that has ended (not an error: the caller answers with a sign-in page).
func (h *handler) currentParticipant(r *http.Request) (p *record.Participant, signedIn bool, err error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	p, err = people.SessionParticipant(r.Context(), h.db, c.Value, h.now())
	switch {
	case errors.Is(err, record.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return p, true, nil
}

func (h *handler) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.publicURL.Scheme == "https",
	})
}

func (h *handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.publicURL.Scheme == "https",
	})
}
