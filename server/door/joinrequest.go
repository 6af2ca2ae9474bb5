package door

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// Joining from any phone with the session's short code. A code alone never signs anyone in: the
// phone asks, giving the person's name; a moderator at the door, who sees the person, says who
// it is; then the waiting phone gets its session. See people.JoinRequest.

// joinCookie holds the waiting phone's secret, only for the /join pages.
const joinCookie = "assises_join"

type joinWaitPage struct {
	Number, Name string
	Expired      bool
}

// JoinRequest is POST /join/request with code and name (anonymous: double-submit CSRF).
func (h *Door) JoinRequest(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	if h.JoinLimit.Exhausted(w, r) {
		return
	}
	if r.ParseForm() != nil || !h.CheckFormToken(r) {
		h.RefuseForm(w, r, "/join")
		return
	}
	code, name := r.PostForm.Get("code"), r.PostForm.Get("name")
	again := func(status int, problem string) {
		h.WritePage(w, r, status, "join", h.Catalog.T(lang, "ui.join.title"), map[string]any{
			"Code": process.NormaliseJoinCode(code), "Name": name, "Problem": problem, "Ask": true, "Form": h.FormToken(w, r),
		})
	}
	if len([]rune(name)) < 1 || len([]rune(name)) > 120 || len(code) > 20 {
		again(http.StatusBadRequest, h.Catalog.T(lang, "join.name.needed"))
		return
	}
	from := people.JoinFrom{Address: h.ClientKey(r)}
	if c, err := r.Cookie(joinCookie); err == nil {
		from.Previous = c.Value
	}
	secret, _, err := people.RequestJoin(r.Context(), h.DB, code, name, from, h.Now())
	switch {
	case errors.Is(err, record.ErrNotFound):
		h.JoinLimit.Fail(r)
		again(http.StatusNotFound, h.Catalog.T(lang, "ui.join.unknown"))
		return
	case errors.Is(err, people.ErrJoinAddressFull):
		// Many phones from this address already wait at this session's door: the others
		// keep their places.
		w.Header().Set("Retry-After", "60")
		again(http.StatusTooManyRequests, h.Catalog.T(lang, "join.queue.full"))
		return
	case errors.Is(err, people.ErrJoinQueueFull):
		again(http.StatusServiceUnavailable, h.Catalog.T(lang, "join.queue.full"))
		return
	case err != nil:
		h.WriteInternalError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: joinCookie, Value: secret, Path: "/join", MaxAge: int(people.JoinRequestTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.PublicURL.Scheme == "https",
	})
	http.Redirect(w, r, "/join/wait", http.StatusSeeOther)
}

// JoinWait is GET /join/wait: the phone shows its number and waits (join_wait.js asks the
// status every few seconds).
func (h *Door) JoinWait(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(joinCookie)
	if err != nil {
		http.Redirect(w, r, "/join", http.StatusSeeOther)
		return
	}
	req, err := people.ClaimJoin(r.Context(), h.DB, c.Value, h.Now())
	if errors.Is(err, record.ErrNotFound) {
		h.WritePage(w, r, http.StatusOK, "join_wait", h.Catalog.T(lang, "join.wait.title"), joinWaitPage{Expired: true})
		return
	}
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	if req.Status != people.JoinPending {
		h.finishJoin(w, r, req)
		return
	}
	h.WritePage(w, r, http.StatusOK, "join_wait", h.Catalog.T(lang, "join.wait.title"), joinWaitPage{Number: req.Number, Name: req.Name})
}

// JoinStatus is GET /join/status, for the waiting page's script: pending, or where to go now.
func (h *Door) JoinStatus(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(joinCookie)
	if err != nil {
		h.JSON.Write(w, http.StatusOK, map[string]string{"status": "expired", "location": "/join"})
		return
	}
	req, err := people.ClaimJoin(r.Context(), h.DB, c.Value, h.Now())
	if errors.Is(err, record.ErrNotFound) {
		h.JSON.Write(w, http.StatusOK, map[string]string{"status": "expired", "location": "/join"})
		return
	}
	if err != nil {
		h.Log.ErrorContext(r.Context(), "join status", "err", err)
		h.JSON.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	if req.Status == people.JoinPending {
		h.JSON.Write(w, http.StatusOK, map[string]string{"status": "pending"})
		return
	}
	location, err := h.settleJoinCookies(w, r, req)
	if err != nil {
		h.Log.ErrorContext(r.Context(), "join status: session", "err", err)
		h.JSON.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	h.JSON.Write(w, http.StatusOK, map[string]string{"status": req.Status, "location": location})
}

// finishJoin answers a settled request on the waiting page itself (no script needed).
func (h *Door) finishJoin(w http.ResponseWriter, r *http.Request, req *people.JoinRequest) {
	location, err := h.settleJoinCookies(w, r, req)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	http.Redirect(w, r, location, http.StatusSeeOther)
}

// settleJoinCookies signs the phone in when the door approved it, forgets the request either
// way, and says where the phone goes next.
func (h *Door) settleJoinCookies(w http.ResponseWriter, r *http.Request, req *people.JoinRequest) (string, error) {
	http.SetCookie(w, &http.Cookie{Name: joinCookie, Value: "", Path: "/join", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.PublicURL.Scheme == "https"})
	if req.Status != people.JoinApproved || req.ParticipantID == nil {
		return "/join?refused=1", nil
	}
	token, err := people.CreateSession(r.Context(), h.DB, *req.ParticipantID, web.SessionTTL)
	if err != nil {
		return "", err
	}
	h.SetSessionCookie(w, token)
	return "/w/" + strconv.FormatInt(req.WorkshopID, 10), nil
}

// Join is POST /w/{id}/door/joins/{req} with participant (approve) or refuse=1.
func (h *Door) Join(w http.ResponseWriter, r *http.Request) {
	ws, _, back := h.doorForm(w, r)
	if ws == nil {
		return
	}
	reqID, ok := h.PageID(w, r, "req")
	if !ok {
		return
	}
	var who *int64
	if r.PostForm.Get("refuse") == "" {
		id, err := strconv.ParseInt(r.PostForm.Get("participant"), 10, 64)
		if err != nil || id <= 0 {
			h.renderDoor(w, r, ws, "", 0, 0, h.Catalog.T(web.Lang(r), "join.door.choose"), walkinForm{}, http.StatusBadRequest)
			return
		}
		who = &id
	}
	err := people.SettleJoin(r.Context(), h.DB, ws.ID, reqID, who, h.Now())
	if errors.Is(err, record.ErrNotFound) {
		h.renderDoor(w, r, ws, "", 0, 0, h.Catalog.T(web.Lang(r), "join.door.gone"), walkinForm{}, http.StatusConflict)
		return
	}
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	http.Redirect(w, r, back+"#joins", http.StatusSeeOther)
}

// joinRow is a waiting phone as the door shows it, with the registered people whose name
// looks like the one typed first in the choice.
type joinRow struct {
	ID           int64
	Number, Name string
	Waiting      string // minutes
	Candidates   []doorPerson
	Suggested    int64
}

func (h *Door) doorJoins(r *http.Request, ws *record.Workshop, registered []doorPerson) ([]joinRow, error) {
	reqs, err := people.PendingJoins(r.Context(), h.DB, ws.ID, h.Now())
	if err != nil {
		return nil, err
	}
	rows := make([]joinRow, 0, len(reqs))
	for _, q := range reqs {
		row := joinRow{ID: q.ID, Number: q.Number, Name: q.Name,
			Waiting: strconv.Itoa(int(h.Now().Sub(q.CreatedAt) / time.Minute))}
		typed := people.OrganisationKey(q.Name)
		for _, p := range registered {
			if p.Status != record.RegistrationConfirmed {
				continue
			}
			row.Candidates = append(row.Candidates, p)
			key := people.OrganisationKey(p.Name)
			if row.Suggested == 0 && len(key) >= 3 && len(typed) >= 3 && (strings.Contains(typed, key) || strings.Contains(key, typed)) {
				row.Suggested = p.ParticipantID
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}
