package organise

import (
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// invitationTTL is how long a link an organiser hands out stays good: long enough to cover a
// series of sessions. It is not single-use (a person may open it on a second phone); a new
// link revokes the previous ones.
const invitationTTL = 60 * 24 * time.Hour

type personJSON struct {
	ID           int64  `json:"id"`
	Role         string `json:"role"`
	DisplayName  string `json:"displayName"`
	Organisation string `json:"organisation"`
	Email        string `json:"email"`
	Language     string `json:"language"`
	ServiceUser  bool   `json:"serviceUser"`
	Erased       bool   `json:"erased"`
}

type registrationJSON struct {
	WorkshopID    int64  `json:"workshopId"`
	ParticipantID int64  `json:"participantId"`
	Status        string `json:"status"`
	DisplayName   string `json:"displayName"`
	Organisation  string `json:"organisation"`
	Role          string `json:"role"`
	CheckedIn     bool   `json:"checkedIn"`
}

func (a *API) peopleView(r *http.Request, processID int64) ([]personJSON, error) {
	rows, err := people.List(r.Context(), a.DB, processID)
	if err != nil {
		return nil, err
	}
	out := []personJSON{}
	for _, row := range rows {
		p := personJSON{
			ID: row.ParticipantID, Role: string(row.Role), DisplayName: row.DisplayName,
			Organisation: row.Organisation, Language: row.Language, ServiceUser: row.ServiceUser,
			Erased: row.ErasedAt != nil,
		}
		if row.Email != nil {
			p.Email = *row.Email
		}
		out = append(out, p)
	}
	return out, nil
}

type personInput struct {
	DisplayName  string  `json:"displayName"`
	Organisation string  `json:"organisation"`
	Email        string  `json:"email"`
	Language     string  `json:"language"`
	Role         string  `json:"role"`
	ServiceUser  bool    `json:"serviceUser"`
	Workshops    []int64 `json:"workshops"`
}

// Invite adds a person to a process, registers them in the chosen sessions and
// returns their personal link, which the organiser hands out (on paper, by message…).
func (a *API) Invite(w http.ResponseWriter, r *http.Request) {
	me, p, ok := a.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	var in personInput
	if !a.JSON.Decode(w, r, &in) {
		return
	}
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.Email = strings.TrimSpace(in.Email)
	role := record.Role(in.Role)
	if in.Role == "" {
		role = record.RoleParticipant
	}
	switch {
	case in.DisplayName == "":
		a.JSON.FieldError(w, r, "empty", "displayName")
		return
	case len(in.DisplayName) > web.MaxName:
		a.JSON.FieldError(w, r, "too_long", "displayName")
		return
	case len(in.Organisation) > web.MaxTitle:
		a.JSON.FieldError(w, r, "too_long", "organisation")
		return
	case in.Language != "" && i18n.Normalise(in.Language) != in.Language:
		a.JSON.FieldError(w, r, "invalid_args", "language")
		return
	case !role.Valid() || (role == record.RoleOrganiser && !people.IsPlatformOrganiser(me)):
		a.JSON.FieldError(w, r, "invalid_args", "role")
		return
	}
	var email *string
	if in.Email != "" {
		if addr, err := mail.ParseAddress(in.Email); err != nil || addr.Address != in.Email || len(in.Email) > web.MaxTitle {
			a.JSON.FieldError(w, r, "org_email", "email")
			return
		}
		email = &in.Email
	}
	ctx := r.Context()
	workshops, err := process.ListWorkshops(ctx, a.DB, p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	var chosen []*record.Workshop
	for _, id := range in.Workshops {
		var found *record.Workshop
		for i := range workshops {
			if workshops[i].ID == id {
				found = &workshops[i]
			}
		}
		if found == nil {
			a.JSON.FieldError(w, r, "invalid_args", "workshops")
			return
		}
		chosen = append(chosen, found)
	}
	who, token, err := people.Invite(ctx, a.DB, people.NewParticipant{
		ProcessID: &p.ID, Role: role, Organisation: in.Organisation,
		Person: people.Person{DisplayName: in.DisplayName, Email: email, Language: in.Language, ServiceUser: in.ServiceUser},
	}, chosen, invitationTTL)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	people, err := a.peopleView(r, p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	var person personJSON
	for _, pj := range people {
		if pj.ID == who.ID {
			person = pj
		}
	}
	a.JSON.Write(w, http.StatusCreated, map[string]any{"person": person, "link": a.PublicURL.JoinPath("i", token).String()})
}

type linkInput struct {
	Workshop *int64 `json:"workshop"`
}

// NewLink makes a new personal link for a person (lost card, new phone) and revokes
// the earlier ones.
func (a *API) NewLink(w http.ResponseWriter, r *http.Request) {
	_, who, ok := a.organiserAndPerson(w, r)
	if !ok {
		return
	}
	if who.ErasedAt != nil {
		a.JSON.Error(w, r, http.StatusForbidden, "forbidden")
		return
	}
	ctx := r.Context()
	var in linkInput
	if !a.JSON.Decode(w, r, &in) {
		return
	}
	if in.Workshop != nil {
		ws, err := record.GetWorkshop(ctx, a.DB, *in.Workshop)
		if err != nil || ws.ProcessID != *who.ProcessID {
			a.JSON.FieldError(w, r, "invalid_args", "workshop")
			return
		}
	}
	token, err := people.NewLink(ctx, a.DB, who.ID, in.Workshop, invitationTTL)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	a.Disconnect(who.ID) // their open sockets close too, not only future sign-ins
	a.JSON.Write(w, http.StatusCreated, map[string]any{"link": a.PublicURL.JoinPath("i", token).String()})
}

// Appoint makes a person a moderator of one session (PUT) or takes it back (DELETE).
func (a *API) Appoint(w http.ResponseWriter, r *http.Request) {
	ws, pid, ok := a.workshopAndParticipant(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	who, err := people.GetParticipant(ctx, a.DB, pid)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	if who.ProcessID == nil || *who.ProcessID != ws.ProcessID {
		a.JSON.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if r.Method == http.MethodDelete {
		err = people.RemoveWorkshopRole(ctx, a.DB, ws.ID, who.ID)
	} else {
		err = people.SetWorkshopRole(ctx, a.DB, ws.ID, who.ID, record.RoleModerator)
	}
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
