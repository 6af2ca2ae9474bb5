package server

import (
	"errors"
	"net/http"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/people"
)

// The organiser's hand on registrations and personal data: cancel a place on someone's
// behalf (which promotes the next person waiting), check someone in or out, email an
// invitation again, erase a person or every person of a process. Same rules as the rest of
// the organiser API: an organiser session, and the CSRF header on every change.

// apiOrganiseCancel gives up a person's place on their behalf (they phoned, they are ill).
func (h *handler) apiOrganiseCancel(w http.ResponseWriter, r *http.Request) {
	ws, pid, ok := h.workshopAndParticipant(w, r)
	if !ok {
		return
	}
	promoted, err := people.Cancel(r.Context(), h.db, ws.ID, pid, h.now())
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if promoted != nil {
		h.notifyPromoted(r.Context(), *promoted, ws)
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"promoted": promoted})
}

type checkInInput struct {
	CheckedIn bool `json:"checkedIn"`
}

// apiOrganiseCheckIn marks a person present in a session, or takes it back.
func (h *handler) apiOrganiseCheckIn(w http.ResponseWriter, r *http.Request) {
	ws, pid, ok := h.workshopAndParticipant(w, r)
	if !ok {
		return
	}
	var in checkInInput
	if !h.decodeBody(w, r, &in) {
		return
	}
	var err error
	if in.CheckedIn {
		err = people.CheckIn(r.Context(), h.db, ws, pid, h.now(), false)
	} else {
		err = people.UndoCheckIn(r.Context(), h.db, ws.ID, pid)
	}
	if errors.Is(err, people.ErrNotConfirmed) {
		h.writeJSONError(w, r, http.StatusConflict, "reg_not_confirmed")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// organiserAndPerson returns the signed-in organiser and the participant {id} of a process
// they may set up, or answers as organised does.
func (h *handler) organiserAndPerson(w http.ResponseWriter, r *http.Request) (me, who *deliberation.Participant, ok bool) {
	return organised(h, w, r, people.GetParticipant, func(p *deliberation.Participant) *int64 { return p.ProcessID })
}

// apiOrganiseSendInvitation emails a person a fresh personal link.
func (h *handler) apiOrganiseSendInvitation(w http.ResponseWriter, r *http.Request) {
	_, who, ok := h.organiserAndPerson(w, r)
	if !ok {
		return
	}
	if who.ErasedAt != nil {
		h.writeJSONError(w, r, http.StatusConflict, "reg_no_email")
		return
	}
	if !h.mail.Enabled() {
		h.writeJSONError(w, r, http.StatusConflict, "reg_mail_disabled")
		return
	}
	err := h.sendInvitation(r.Context(), who.ID)
	switch {
	case errors.Is(err, errNoEmail):
		h.writeJSONError(w, r, http.StatusConflict, "reg_no_email")
	case errors.Is(err, mail.ErrDisabled):
		h.writeJSONError(w, r, http.StatusConflict, "reg_mail_disabled")
	case errors.Is(err, deliberation.ErrNotFound):
		h.writeJSONError(w, r, http.StatusConflict, "reg_no_email")
	case err != nil:
		h.log.Warn("invitation email not sent", "participant", who.ID, "err", err)
		h.writeJSONError(w, r, http.StatusBadGateway, "reg_mail_failed")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// apiOrganiseErasePerson erases a person's personal data (people.Erase) and
// closes their live connections at once, so that their phone stops showing the room.
func (h *handler) apiOrganiseErasePerson(w http.ResponseWriter, r *http.Request) {
	me, who, ok := h.organiserAndPerson(w, r)
	if !ok {
		return
	}
	if who.ID == me.ID {
		// Erasing oneself would end the session mid-request; another organiser can do it.
		h.writeJSONError(w, r, http.StatusConflict, "reg_erase_self")
		return
	}
	if err := people.Erase(r.Context(), h.db, who.ID, h.now()); err != nil {
		h.storeError(w, r, err)
		return
	}
	if h.hub != nil {
		h.hub.Disconnect(who.ID)
	}
	w.WriteHeader(http.StatusNoContent)
}

type eraseProcessInput struct {
	Confirm string `json:"confirm"` // the process's slug, typed by the organiser
}

// apiOrganiseEraseProcess erases the personal data of every person of a process. The
// organiser types the process's address name to confirm: this cannot be undone.
func (h *handler) apiOrganiseEraseProcess(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.organiserAndProcess(w, r)
	if !ok {
		return
	}
	var in eraseProcessInput
	if !h.decodeBody(w, r, &in) {
		return
	}
	if in.Confirm != p.Slug {
		h.fieldError(w, r, "reg_erase_confirm", "confirm")
		return
	}
	// Read who will be erased first: afterwards nothing tells them apart from people erased
	// earlier, whose sockets are long closed.
	ids, err := people.ActiveParticipantIDs(r.Context(), h.db, p.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	n, err := people.EraseProcess(r.Context(), h.db, p.ID, h.now())
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if h.hub != nil {
		for _, id := range ids {
			h.hub.Disconnect(id)
		}
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"erased": n})
}
