package organise

import (
	"net/http"
	"strings"
	"time"

	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// Sessions: an organiser adds a session to a process or edits one, with its timetable, in
// one transaction (process.SaveWorkshop).

type workshopInput struct {
	ThemeID  *int64       `json:"themeId"`
	Title    string       `json:"title"`
	Starts   string       `json:"starts"`
	Ends     string       `json:"ends"`
	Place    string       `json:"place"`
	Capacity int          `json:"capacity"`
	Access   string       `json:"access"` // invitation, registered, open; "" or absent: the process decides
	Agenda   []agendaJSON `json:"agenda"`
	// Translations of the title (absent: kept); each agenda item carries its own.
	Translations map[string]map[string]string `json:"translations"`
}

// maxAgendaItems bounds a session's timetable.
const maxAgendaItems = 40

// apply checks the input and copies it onto w; themes are the process's.
func (in *workshopInput) apply(w *record.Workshop, themes []record.Theme, main string) (agenda []record.AgendaItem, code, field string) {
	if code := titleRefusal(&in.Title); code != "" {
		return nil, code, "title"
	}
	switch {
	case len(in.Place) > web.MaxTitle:
		return nil, "too_long", "place"
	case in.Capacity < 0 || in.Capacity > 100000:
		return nil, "invalid_args", "capacity"
	case !record.ValidAccess(in.Access):
		return nil, "invalid_args", "access"
	case len(in.Agenda) > maxAgendaItems:
		return nil, "too_long", "agenda"
	}
	if in.ThemeID != nil {
		found := false
		for _, t := range themes {
			found = found || t.ID == *in.ThemeID
		}
		if !found {
			return nil, "invalid_args", "themeId"
		}
	}
	starts, err1 := time.ParseInLocation(localLayout, in.Starts, web.Brussels)
	ends, err2 := time.ParseInLocation(localLayout, in.Ends, web.Brussels)
	if err1 != nil {
		return nil, "org_dates", "starts"
	}
	if err2 != nil || !ends.After(starts) {
		return nil, "org_dates", "ends"
	}
	for _, a := range in.Agenda {
		a.Title = strings.TrimSpace(a.Title)
		ph := record.Phase(a.Phase)
		switch {
		case a.Title == "":
			return nil, "empty", "agenda"
		case len(a.Title) > web.MaxTitle || len(a.Kind) > 40:
			return nil, "too_long", "agenda"
		case a.Phase != "" && !ph.Valid():
			return nil, "invalid_args", "agenda"
		case a.PlannedMinutes < 0 || a.PlannedMinutes > 24*60:
			return nil, "invalid_args", "agenda"
		}
		kind := a.Kind
		if kind == "" {
			kind = "item"
			if ph != "" {
				kind = "phase"
			}
		}
		tr, code := translationsOf(a.Translations, main, agendaFields)
		if code != "" {
			return nil, code, "agenda"
		}
		agenda = append(agenda, record.AgendaItem{Kind: kind, Title: a.Title, Phase: ph, PlannedMinutes: a.PlannedMinutes, Translations: tr})
	}
	if in.Translations != nil {
		tr, code := translationsOf(in.Translations, main, workshopFields)
		if code != "" {
			return nil, code, "translations"
		}
		w.Translations = tr
	}
	w.ThemeID, w.Title, w.Place, w.Capacity, w.Access = in.ThemeID, in.Title, strings.TrimSpace(in.Place), in.Capacity, in.Access
	w.StartsAt, w.EndsAt = starts.UTC(), ends.UTC()
	return agenda, "", ""
}

// CreateWorkshop adds a session to a process, with its agenda.
func (a *API) CreateWorkshop(w http.ResponseWriter, r *http.Request) {
	_, p, ok := a.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	a.saveWorkshop(w, r, p.ID, &record.Workshop{ProcessID: p.ID}, true)
}

// UpdateWorkshop saves a session and replaces its agenda.
func (a *API) UpdateWorkshop(w http.ResponseWriter, r *http.Request) {
	_, ws, ok := a.organiserAndWorkshop(w, r)
	if !ok {
		return
	}
	a.saveWorkshop(w, r, ws.ProcessID, ws, false)
}

func (a *API) saveWorkshop(w http.ResponseWriter, r *http.Request, processID int64, ws *record.Workshop, create bool) {
	ctx := r.Context()
	var in workshopInput
	if !a.JSON.Decode(w, r, &in) {
		return
	}
	themes, err := process.ListThemes(ctx, a.DB, processID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	p, err := record.GetProcess(ctx, a.DB, processID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	agenda, code, field := in.apply(ws, themes, p.MainLanguage())
	if code != "" {
		a.JSON.FieldError(w, r, code, field)
		return
	}
	if err := process.SaveWorkshop(ctx, a.DB, ws, agenda); err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	status := http.StatusOK
	if create {
		status = http.StatusCreated
	}
	items, err := record.ListAgenda(ctx, a.DB, ws.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	a.JSON.Write(w, status, map[string]any{"workshop": workshopJSONOf(a.Lang(r), ws, items, nil)})
}

// organiserAndWorkshop returns the signed-in organiser and the workshop {id} they may set up,
// or answers as organised does.
func (a *API) organiserAndWorkshop(w http.ResponseWriter, r *http.Request) (*record.Participant, *record.Workshop, bool) {
	return organised(a, w, r, record.GetWorkshop, func(ws *record.Workshop) *int64 { return &ws.ProcessID })
}

// workshopAndParticipant serves the routes on one person in one session
// (/api/organise/workshops/{id}/…/{participant}): it returns the workshop an organiser may set
// up and the participant's id, or answers (as organised does, or 404) and returns false.
func (a *API) workshopAndParticipant(w http.ResponseWriter, r *http.Request) (*record.Workshop, int64, bool) {
	_, ws, ok := a.organiserAndWorkshop(w, r)
	if !ok {
		return nil, 0, false
	}
	pid, ok := web.PathID(r, "participant")
	if !ok {
		a.JSON.Error(w, r, http.StatusNotFound, "not_found")
		return nil, 0, false
	}
	return ws, pid, true
}
