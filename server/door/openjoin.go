package door

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// Joining an open session (people.JoinOpen): the projector's QR (/j/{code}) or the code typed
// on /join shows a form that asks only for a pseudonym; posting it signs the phone in as a new
// participant with a place in that session. Kept apart from the welcome desk's queue of join
// requests (joinrequest.go): no moderator lets anyone in here. Against abuse: a join rate per
// address (the trusted-proxy setting decides what the address is) and the room's capacity.

type openJoinPage struct {
	Title              record.Localised // in the reader's language
	Code, When, Place  string
	Pseudonym, Problem string
	Form               string
}

// openJoinForm shows the pseudonym form of the open session ws.
func (h *Door) openJoinForm(w http.ResponseWriter, r *http.Request, ws *record.Workshop, pseudonym, problem string, status int) {
	lang := web.Lang(r)
	title := record.Localised{Text: ws.Title}
	if proc, err := record.GetProcess(r.Context(), h.DB, ws.ProcessID); err == nil {
		title = web.LocaliserFor(proc, lang).Workshop(ws)
	}
	w.Header().Set("Cache-Control", "no-store")
	h.WritePage(w, r, status, "join_open", title.Text, openJoinPage{
		Code: ws.Code, Title: title, When: web.FormatSession(lang, ws.StartsAt, ws.EndsAt), Place: ws.Place,
		Pseudonym: pseudonym, Problem: problem, Form: h.FormToken(w, r),
	})
}

// OpenSessionOf answers a code that names an open session: a phone already allowed in goes
// to the session, any other gets the pseudonym form. It returns false when the code names no
// open session (the caller answers as before).
func (h *Door) OpenSessionOf(w http.ResponseWriter, r *http.Request, code string, p *record.Participant) bool {
	ws, err := people.OpenSession(r.Context(), h.DB, code, h.Now())
	if err != nil {
		return false
	}
	if p != nil {
		if acc, err := h.WorkshopAccess(r.Context(), p, ws); err == nil && acc.View {
			http.Redirect(w, r, "/w/"+strconv.FormatInt(ws.ID, 10), http.StatusSeeOther)
			return true
		}
	}
	h.openJoinForm(w, r, ws, "", "", http.StatusOK)
	return true
}

// JoinOpen is POST /join/open with code and pseudonym (anonymous form: double-submit token).
func (h *Door) JoinOpen(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	if r.ParseForm() != nil || !h.CheckFormToken(r) {
		h.RefuseForm(w, r, "/join")
		return
	}
	code, pseudonym := r.PostForm.Get("code"), r.PostForm.Get("pseudonym")
	// Every attempt counts, not only failures: each success creates a participant.
	if h.OpenJoinLimit.Take(w, r) {
		return
	}
	ws, token, err := people.JoinOpen(r.Context(), h.DB, code, pseudonym, lang, h.Now(), web.SessionTTL)
	switch {
	case errors.Is(err, record.ErrNotFound):
		h.WritePage(w, r, http.StatusNotFound, "join", h.Catalog.T(lang, "ui.join.title"),
			map[string]any{"Code": process.NormaliseJoinCode(code), "Problem": h.Catalog.T(lang, "open.err.gone")})
		return
	case errors.Is(err, people.ErrRoomFull):
		if found, err := people.OpenSession(r.Context(), h.DB, code, h.Now()); err == nil {
			h.openJoinForm(w, r, found, pseudonym, h.Catalog.T(lang, "open.err.full"), http.StatusConflict)
			return
		}
		h.NotFound(w, r)
		return
	case errors.Is(err, people.ErrBadPseudonym):
		if found, err := people.OpenSession(r.Context(), h.DB, code, h.Now()); err == nil {
			h.openJoinForm(w, r, found, pseudonym, h.Catalog.T(lang, "open.err.pseudonym"), http.StatusBadRequest)
			return
		}
		h.NotFound(w, r)
		return
	case err != nil:
		h.WriteInternalError(w, r, err)
		return
	}
	h.arrivedOpen(r, ws, token)
	h.SetSessionCookie(w, token)
	http.Redirect(w, r, "/w/"+strconv.FormatInt(ws.ID, 10), http.StatusSeeOther)
}

// arrivedOpen checks in a person who just joined an open session during its hours: scanning
// the projector's QR in the room is arriving, and asking them to tap "Je suis là" as well
// left them out of the room's count. It is their own checkin.self, through the live room, so
// the server's rule on hours holds and the console's count moves at once. Before the hours
// (a QR shared the day before) they are not checked in, and their phone shows the button. A
// failure leaves them joined, with the button.
func (h *Door) arrivedOpen(r *http.Request, ws *record.Workshop, session string) {
	if !deliberation.SelfCheckInWindow(ws, h.Now()) {
		return
	}
	who, err := people.SessionParticipant(r.Context(), h.DB, session, h.Now())
	if err == nil {
		err = h.selfCheck(r.Context(), ws, who.ID)
	}
	if err != nil {
		h.Log.WarnContext(r.Context(), "open session: joiner not checked in", "workshop", ws.ID, "err", err)
	}
}
