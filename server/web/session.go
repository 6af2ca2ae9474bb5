package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
)

// SessionCookie carries a signed-in browser's secret. It is HttpOnly (no script reads it) and
// SameSite=Lax (sent when a person follows a link to us, not on cross-site posts).
const SessionCookie = "assises_session"

// SessionTTL is long enough to cover a whole series of sessions on one phone.
const SessionTTL = 30 * 24 * time.Hour

// Participant returns who is signed in; signedIn is false when the browser has no session, or
// one that has ended (not an error: the caller answers with a sign-in page).
func (s *Site) Participant(r *http.Request) (p *record.Participant, signedIn bool, err error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	p, err = people.SessionParticipant(r.Context(), s.DB, c.Value, s.Now())
	switch {
	case errors.Is(err, record.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return p, true, nil
}

// SetSessionCookie signs the browser in with a session's secret.
func (s *Site) SetSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(),
	})
}

// ClearSessionCookie signs the browser out.
func (s *Site) ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(),
	})
}

// CSRFToken is the per-session token that every state-changing signed-in request must carry
// (X-CSRF-Token header, or the form's hidden field). It is derived from the session cookie,
// which no script (and no other site) can read, so a forged cross-site request cannot know it;
// SameSite alone is not relied on.
func CSRFToken(session string) string {
	mac := hmac.New(sha256.New, []byte(session))
	mac.Write([]byte("assises csrf v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CSRFHeader is where the scripts send the token.
const CSRFHeader = "X-CSRF-Token"

// SessionCSRF returns the CSRF token of the request's session, or "".
func SessionCSRF(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	return CSRFToken(c.Value)
}

// errCSRF is the refusal of a state-changing request without the right token.
var errCSRF = errors.New("csrf token missing or wrong")

// CheckCSRF refuses a state-changing request whose token is missing or wrong, and one whose
// Origin, when the browser sends it, is not ours (ErrWrongAddress when it is this server at
// another address).
func (s *Site) CheckCSRF(r *http.Request) error {
	if r.Header.Get("Origin") != "" && !s.SameOrigin(r) {
		if _, ok := s.WrongAddress(r); ok {
			return ErrWrongAddress
		}
		return errCSRF
	}
	want := SessionCSRF(r)
	got := r.Header.Get(CSRFHeader)
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return errCSRF
	}
	return nil
}

// TokenRefused reports a link or code that signs nobody in: unknown, expired, revoked or
// used. Pages give one answer for all four: it tells an attacker nothing.
func TokenRefused(err error) bool {
	return errors.Is(err, record.ErrNotFound) || errors.Is(err, people.ErrTokenExpired) ||
		errors.Is(err, people.ErrTokenRevoked) || errors.Is(err, people.ErrTokenUsed)
}

// The preconditions pages share. Each answers the request itself when it fails (an
// explanation in the reader's language, a 404 or a 500) and then returns nil, so a handler
// reads: p := s.SignedIn(…); if p == nil { return }.

// SignedIn returns who is signed in, or explains that this page needs a sign-in (bodyKey says
// why, in the catalog) and offers one way on (link, with linkKey as its text).
func (s *Site) SignedIn(w http.ResponseWriter, r *http.Request, bodyKey, link, linkKey string) *record.Participant {
	p, signedIn, err := s.Participant(r)
	if err != nil {
		s.WriteInternalError(w, r, err)
		return nil
	}
	if !signedIn {
		s.WriteMessage(w, r, http.StatusUnauthorized, Message{
			Heading: s.T(r, "ui.signin.needed.title"), Body: s.T(r, bodyKey),
			Link: link, LinkText: s.T(r, linkKey), Error: true,
		})
	}
	return p
}

// APISignedIn is SignedIn for the JSON API: who is signed in, or a JSON 401 (a 500 when the
// session cannot be read) and nil.
func (s *Site) APISignedIn(w http.ResponseWriter, r *http.Request) *record.Participant {
	p, signedIn, err := s.Participant(r)
	if err != nil {
		s.Log.ErrorContext(r.Context(), "current participant", "route", r.Pattern, "err", err)
		s.JSON.Error(w, r, http.StatusInternalServerError, "unavailable")
		return nil
	}
	if !signedIn {
		s.JSON.Error(w, r, http.StatusUnauthorized, "forbidden")
		return nil
	}
	return p
}

// Forbidden explains that this page is not for the reader (bodyKey says why, in the catalog)
// and offers the way home.
func (s *Site) Forbidden(w http.ResponseWriter, r *http.Request, bodyKey string) {
	s.Refuse(w, r, http.StatusForbidden, "ui.forbidden.title", bodyKey)
}

// PageID reads the positive integer a page's path names (name: "id", "participant"…), or
// answers 404 and returns false.
func (s *Site) PageID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, ok := PathID(r, name)
	if !ok {
		s.NotFound(w, r)
	}
	return id, ok
}

// WorkshopByID loads a workshop, or answers 404 (unknown id) or 500.
func (s *Site) WorkshopByID(w http.ResponseWriter, r *http.Request, id int64) *record.Workshop {
	ws, err := record.GetWorkshop(r.Context(), s.DB, id)
	if s.LoadFailed(w, r, err, s.NotFound) {
		return nil
	}
	return ws
}

// LoadFailed answers a failed load of what a page shows: with notFound (s.NotFound, or a
// page's own) when it does not exist, with the internal error page otherwise. It reports
// whether it answered, that is whether err is not nil.
func (s *Site) LoadFailed(w http.ResponseWriter, r *http.Request, err error, notFound http.HandlerFunc) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, record.ErrNotFound):
		notFound(w, r)
	default:
		s.WriteInternalError(w, r, err)
	}
	return true
}

// Access is what a signed-in person may do with one workshop's pages.
type Access struct {
	View     bool // the participant page and the projector
	Moderate bool // the moderator console, the door
}

// WorkshopAccess decides which pages of a workshop p may open, by the rules the live room
// applies when someone joins (the engine's Actor): organisers and moderators of the process,
// moderators appointed for the session; participants of the process with a confirmed place
// (or a role in the session) when the process requires an invitation. The pages are only
// shells: the room checks every join and every command again.
func (s *Site) WorkshopAccess(ctx context.Context, p *record.Participant, w *record.Workshop) (Access, error) {
	if p.ErasedAt != nil {
		return Access{}, nil
	}
	if people.MayOrganise(p, w.ProcessID) {
		return Access{View: true, Moderate: true}, nil
	}
	if p.ProcessID == nil || *p.ProcessID != w.ProcessID {
		return Access{}, nil
	}
	if p.Role == record.RoleModerator {
		return Access{View: true, Moderate: true}, nil
	}
	role, err := people.WorkshopRoleOf(ctx, s.DB, w.ID, p.ID)
	if err != nil {
		return Access{}, err
	}
	if role == record.RoleModerator {
		return Access{View: true, Moderate: true}, nil
	}
	if p.Role == record.RoleParticipant && role == "" {
		proc, err := record.GetProcess(ctx, s.DB, w.ProcessID)
		if err != nil {
			return Access{}, err
		}
		if w.AccessMode(proc) == record.AccessInvitation {
			ok, err := people.HasConfirmedRegistration(ctx, s.DB, w.ID, p.ID)
			if err != nil || !ok {
				return Access{}, err
			}
		}
	}
	return Access{View: true}, nil
}
