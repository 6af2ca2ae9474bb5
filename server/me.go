package server

import (
	"net/http"
	"strconv"

	"github.com/assises/assises/record"

	"github.com/assises/assises/people"
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

// mePage lists the signed-in person's registrations: GET /me.
func (h *handler) mePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	p := h.signedIn(w, r, "reg.me.signin", "/code", "reg.code.title")
	if p == nil {
		return
	}
	data := myPage{CSRF: sessionCSRF(r)}
	if person, err := people.GetPerson(ctx, h.db, p.ID); err == nil {
		data.Name = person.DisplayName
	}
	cancelled, _ := strconv.ParseInt(r.URL.Query().Get("cancelled"), 10, 64)
	var err error
	if data.Sessions, err = h.mySessions(ctx, lang, p.ID); err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	if cancelled > 0 {
		if ws, err := record.GetWorkshop(ctx, h.db, cancelled); err == nil {
			data.Cancelled = h.workshopTitle(ctx, ws, lang)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writePage(w, r, http.StatusOK, "me", h.catalog.T(lang, "reg.me.title"), data)
}

// meCancel gives a place back: POST /me/cancel (workshop, csrf). The first person waiting who
// may now be confirmed is promoted and, when they gave an email, told.
func (h *handler) meCancel(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, signedIn, err := h.currentParticipant(r)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	if !signedIn || r.ParseForm() != nil || !h.checkSessionForm(r) {
		h.refuseForm(w, r, "/me")
		return
	}
	id, err := strconv.ParseInt(r.PostFormValue("workshop"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return
	}
	ws := h.workshopByID(w, r, id)
	if ws == nil {
		return
	}
	if !h.now().Before(ws.EndsAt) {
		lang := h.lang(r)
		h.writeMessage(w, r, http.StatusConflict, message{
			Heading: h.catalog.T(lang, "reg.me.over"), Link: "/me", LinkText: h.catalog.T(lang, "reg.back"), Error: true,
		})
		return
	}
	promoted, err := people.Cancel(ctx, h.db, ws.ID, p.ID, h.now())
	if h.loadFailed(w, r, err, h.notFound) {
		return
	}
	h.revoke(p.ID) // their sockets close: the room let them in while they had a place
	if promoted != nil {
		h.notifyPromoted(ctx, *promoted, ws)
	}
	http.Redirect(w, r, "/me?cancelled="+strconv.FormatInt(ws.ID, 10), http.StatusSeeOther)
}
