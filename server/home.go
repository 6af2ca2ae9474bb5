package server

import (
	"net/http"

	"github.com/assises/assises/deliberation"
)

type processSummary struct {
	Slug, Title string
	Sessions    int
}

// home lists the processes.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	list, err := h.processSummaries(r)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	h.writePage(w, r, http.StatusOK, "home", h.catalog.T(h.lang(r), "home.title"), list)
}

func (h *handler) processSummaries(r *http.Request) ([]processSummary, error) {
	ps, err := deliberation.ListProcesses(r.Context(), h.db)
	if err != nil {
		return nil, err
	}
	out := make([]processSummary, 0, len(ps))
	for _, p := range ps {
		ws, err := deliberation.ListWorkshops(r.Context(), h.db, p.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, processSummary{Slug: p.Slug, Title: p.Title, Sessions: len(ws)})
	}
	return out, nil
}

// apiListProcesses is the public list of processes as JSON.
func (h *handler) apiListProcesses(w http.ResponseWriter, r *http.Request) {
	list, err := h.processSummaries(r)
	if err != nil {
		h.log.Error("list processes", "err", err)
		h.writeJSONError(w, r, http.StatusInternalServerError, "unavailable")
		return
	}
	type item struct {
		Slug     string `json:"slug"`
		Title    string `json:"title"`
		Sessions int    `json:"sessions"`
	}
	items := make([]item, 0, len(list))
	for _, p := range list {
		items = append(items, item{p.Slug, p.Title, p.Sessions})
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"processes": items})
}

// apiMe says who is signed in: the participant id and role, never personal data beyond the
// display name the person chose.
func (h *handler) apiMe(w http.ResponseWriter, r *http.Request) {
	p, signedIn, err := h.currentParticipant(r)
	if err != nil {
		h.log.Error("current participant", "err", err)
		h.writeJSONError(w, r, http.StatusInternalServerError, "unavailable")
		return
	}
	if !signedIn {
		h.writeJSONError(w, r, http.StatusUnauthorized, "forbidden")
		return
	}
	name := ""
	if person, err := deliberation.GetPerson(r.Context(), h.db, p.ID); err == nil {
		name = person.DisplayName
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"participant": p.ID, "role": p.Role, "displayName": name, "process": p.ProcessID})
}
