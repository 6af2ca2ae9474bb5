package register

import (
	"net/http"
	"strconv"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// "My sessions" (/me): where a personal link without a session of its own lands. A person
// sees the sessions they registered for (confirmed or waiting), opens one, or gives their
// place back, which promotes the first person waiting.

type myPage struct {
	Name      string
	CSRF      string
	Sessions  []mySession
	Cancelled record.Localised // the title of the session just given back, for the confirmation
}

// MySessions lists the signed-in person's registrations: GET /me.
func (h *Pages) MySessions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := web.Lang(r)
	p := h.SignedIn(w, r, "reg.me.signin", "/code", "reg.code.title")
	if p == nil {
		return
	}
	data := myPage{CSRF: web.SessionCSRF(r)}
	if person, err := people.GetPerson(ctx, h.DB, p.ID); err == nil {
		data.Name = person.DisplayName
	}
	cancelled, _ := strconv.ParseInt(r.URL.Query().Get("cancelled"), 10, 64)
	var err error
	if data.Sessions, err = h.mySessions(ctx, lang, p.ID); err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	if cancelled > 0 {
		if ws, err := record.GetWorkshop(ctx, h.DB, cancelled); err == nil {
			data.Cancelled = h.WorkshopTitle(ctx, ws, lang)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	h.WritePage(w, r, http.StatusOK, "me", h.Catalog.T(lang, "reg.me.title"), data)
}

// Cancel gives a place back: POST /me/cancel (workshop, csrf). The first person waiting who
// may now be confirmed is promoted and, when they gave an email, told.
func (h *Pages) Cancel(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, signedIn, err := h.Participant(r)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	if !signedIn || r.ParseForm() != nil || !h.CheckSessionForm(r) {
		h.RefuseForm(w, r, "/me")
		return
	}
	id, err := strconv.ParseInt(r.PostFormValue("workshop"), 10, 64)
	if err != nil {
		h.NotFound(w, r)
		return
	}
	ws := h.WorkshopByID(w, r, id)
	if ws == nil {
		return
	}
	if !h.Now().Before(ws.EndsAt) {
		lang := web.Lang(r)
		h.WriteMessage(w, r, http.StatusConflict, web.Message{
			Heading: h.Catalog.T(lang, "reg.me.over"), Link: "/me", LinkText: h.Catalog.T(lang, "reg.back"), Error: true,
		})
		return
	}
	promoted, err := people.Cancel(ctx, h.DB, ws.ID, p.ID, h.Now())
	if h.LoadFailed(w, r, err, h.NotFound) {
		return
	}
	h.Disconnect(p.ID) // their sockets close: the room let them in while they had a place
	if promoted != nil {
		h.NotifyPromoted(ctx, *promoted, ws)
	}
	http.Redirect(w, r, "/me?cancelled="+strconv.FormatInt(ws.ID, 10), http.StatusSeeOther)
}
