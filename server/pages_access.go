package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/people"
)

// access is what a signed-in person may do with one workshop's pages.
type access struct {
	View     bool // the participant page and the projector
	Moderate bool // the moderator console
}

// isPlatformOrganiser reports whether p may run every process.
func isPlatformOrganiser(p *deliberation.Participant) bool {
	return p != nil && p.ProcessID == nil && p.Role == deliberation.RoleOrganiser
}

// mayOrganise reports whether p may set up the given process.
func mayOrganise(p *deliberation.Participant, processID int64) bool {
	if isPlatformOrganiser(p) {
		return true
	}
	return p != nil && p.Role == deliberation.RoleOrganiser && p.ProcessID != nil && *p.ProcessID == processID
}

// workshopAccess decides which pages of a workshop p may open, by the rules the live room
// applies when someone joins (deliberation.Engine.Actor): organisers and moderators of the
// process, moderators appointed for the session; participants of the process with a confirmed
// place (or a role in the session) when the process requires an invitation. The pages are only
// shells: the room checks every join and every command again.
func (h *handler) workshopAccess(ctx context.Context, p *deliberation.Participant, w *deliberation.Workshop) (access, error) {
	if p.ErasedAt != nil {
		return access{}, nil
	}
	if mayOrganise(p, w.ProcessID) {
		return access{View: true, Moderate: true}, nil
	}
	if p.ProcessID == nil || *p.ProcessID != w.ProcessID {
		return access{}, nil
	}
	if p.Role == deliberation.RoleModerator {
		return access{View: true, Moderate: true}, nil
	}
	role, err := people.WorkshopRoleOf(ctx, h.db, w.ID, p.ID)
	if err != nil {
		return access{}, err
	}
	if role == deliberation.RoleModerator {
		return access{View: true, Moderate: true}, nil
	}
	if p.Role == deliberation.RoleParticipant && role == "" {
		proc, err := deliberation.GetProcess(ctx, h.db, w.ProcessID)
		if err != nil {
			return access{}, err
		}
		if proc.InvitationRequired {
			ok, err := people.HasConfirmedRegistration(ctx, h.db, w.ID, p.ID)
			if err != nil || !ok {
				return access{}, err
			}
		}
	}
	return access{View: true}, nil
}

// pathID reads a positive integer path value.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
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
		return errCSRF
	}
	want := sessionCSRF(r)
	got := r.Header.Get(csrfHeader)
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return errCSRF
	}
	return nil
}
