package organise

import (
	"errors"
	"net/http"

	"github.com/assises/assises/mail"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
)

// The organiser's hand on registrations and personal data: cancel a place on someone's
// behalf (which promotes the next person waiting), check someone in or out, email an
// invitation again, erase a person or every person of a process. Same rules as the rest of
// the organiser API: an organiser session, and the CSRF header on every change.

// Cancel gives up a person's place on their behalf (they phoned, they are ill).
func (a *API) Cancel(w http.ResponseWriter, r *http.Request) {
	ws, pid, ok := a.workshopAndParticipant(w, r)
	if !ok {
		return
	}
	promoted, err := people.Cancel(r.Context(), a.DB, ws.ID, pid, a.Now())
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	a.Disconnect(pid) // their sockets close now: the room let them in while they had a place
	if promoted != nil {
		a.NotifyPromoted(r.Context(), *promoted, ws)
	}
	a.JSON.Write(w, http.StatusOK, map[string]any{"promoted": promoted})
}

type checkInInput struct {
	CheckedIn bool `json:"checkedIn"`
}

// CheckIn marks a person present in a session, or takes it back.
func (a *API) CheckIn(w http.ResponseWriter, r *http.Request) {
	ws, pid, ok := a.workshopAndParticipant(w, r)
	if !ok {
		return
	}
	var in checkInInput
	if !a.JSON.Decode(w, r, &in) {
		return
	}
	var err error
	if in.CheckedIn {
		err = people.CheckIn(r.Context(), a.DB, ws, pid, a.Now(), false)
	} else {
		err = people.UndoCheckIn(r.Context(), a.DB, ws.ID, pid)
	}
	if errors.Is(err, people.ErrNotConfirmed) {
		a.JSON.Error(w, r, http.StatusConflict, "reg_not_confirmed")
		return
	}
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// organiserAndPerson returns the signed-in organiser and the participant {id} of a process
// they may set up, or answers as organised does.
func (a *API) organiserAndPerson(w http.ResponseWriter, r *http.Request) (me, who *record.Participant, ok bool) {
	return organised(a, w, r, people.GetParticipant, func(p *record.Participant) *int64 { return p.ProcessID })
}

// SendInvitation queues an email with a fresh personal link for a person.
func (a *API) SendInvitation(w http.ResponseWriter, r *http.Request) {
	_, who, ok := a.organiserAndPerson(w, r)
	if !ok {
		return
	}
	if who.ErasedAt != nil {
		a.JSON.Error(w, r, http.StatusConflict, "reg_no_email")
		return
	}
	if !a.Mail.Enabled() {
		a.JSON.Error(w, r, http.StatusConflict, "reg_mail_disabled")
		return
	}
	err := a.MailInvitation(r.Context(), who.ID)
	switch {
	case errors.Is(err, people.ErrNoEmail):
		a.JSON.Error(w, r, http.StatusConflict, "reg_no_email")
	case errors.Is(err, mail.ErrDisabled):
		a.JSON.Error(w, r, http.StatusConflict, "reg_mail_disabled")
	case errors.Is(err, record.ErrNotFound):
		a.JSON.Error(w, r, http.StatusConflict, "reg_no_email")
	case err != nil:
		a.JSON.StoreError(w, r, err)
	default:
		// Queued: the outbox sends it in the background (its failures show on the desk).
		w.WriteHeader(http.StatusNoContent)
	}
}

// ErasePerson erases a person's personal data (people.Erase) and
// closes their live connections at once, so that their phone stops showing the room.
func (a *API) ErasePerson(w http.ResponseWriter, r *http.Request) {
	me, who, ok := a.organiserAndPerson(w, r)
	if !ok {
		return
	}
	if who.ID == me.ID {
		// Erasing oneself would end the session mid-request; another organiser can do it.
		a.JSON.Error(w, r, http.StatusConflict, "reg_erase_self")
		return
	}
	err := people.Erase(r.Context(), a.DB, who.ID, a.Now())
	if err != nil && !errors.Is(err, people.ErrNotScrubbed) {
		a.JSON.StoreError(w, r, err)
		return
	}
	a.Disconnect(who.ID) // erased, even when not yet scrubbed from the files
	if who.ProcessID != nil {
		a.LogsReset(r.Context(), *who.ProcessID)
	}
	if err != nil {
		a.JSON.StoreError(w, r, err) // the organiser erases again to finish
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type eraseProcessInput struct {
	Confirm string `json:"confirm"` // the process's slug, typed by the organiser
}

// EraseProcess erases the personal data of every person of a process. The
// organiser types the process's address name to confirm: this cannot be undone.
func (a *API) EraseProcess(w http.ResponseWriter, r *http.Request) {
	_, p, ok := a.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	var in eraseProcessInput
	if !a.JSON.Decode(w, r, &in) {
		return
	}
	if in.Confirm != p.Slug {
		a.JSON.FieldError(w, r, "reg_erase_confirm", "confirm")
		return
	}
	// Read who will be erased first: afterwards nothing tells them apart from people erased
	// earlier, whose sockets are long closed.
	ids, err := people.ActiveParticipantIDs(r.Context(), a.DB, p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	n, err := people.EraseProcess(r.Context(), a.DB, p.ID, a.Now())
	if err != nil && !errors.Is(err, people.ErrNotScrubbed) {
		a.JSON.StoreError(w, r, err)
		return
	}
	for _, id := range ids {
		a.Disconnect(id)
	}
	a.LogsReset(r.Context(), p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err) // erased, not yet scrubbed: the organiser erases again
		return
	}
	a.JSON.Write(w, http.StatusOK, map[string]any{"erased": n})
}
