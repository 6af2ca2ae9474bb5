package server

import (
	"net/http"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

type processSummary struct {
	Slug     string
	Title    record.Localised // in the reader's language
	Sessions int
}

// home lists the processes.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	list, err := h.processSummaries(r)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	h.site.WritePage(w, r, http.StatusOK, "home", h.catalog.T(web.Lang(r), "home.title"), list)
}

func (h *handler) processSummaries(r *http.Request) ([]processSummary, error) {
	ps, err := process.List(r.Context(), h.db)
	if err != nil {
		return nil, err
	}
	lang := web.Lang(r)
	out := make([]processSummary, 0, len(ps))
	for _, p := range ps {
		ws, err := process.ListWorkshops(r.Context(), h.db, p.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, processSummary{Slug: p.Slug, Title: p.Localise("title", lang), Sessions: len(ws)})
	}
	return out, nil
}

// apiListProcesses is the public list of processes as JSON.
func (h *handler) apiListProcesses(w http.ResponseWriter, r *http.Request) {
	list, err := h.processSummaries(r)
	if err != nil {
		h.log.ErrorContext(r.Context(), "list processes", "err", err)
		h.api.Error(w, r, http.StatusInternalServerError, "unavailable")
		return
	}
	// The title in the reader's language; lang says which it is, fallback that it is the
	// main language's for want of a translation.
	type item struct {
		Slug     string `json:"slug"`
		Title    string `json:"title"`
		Lang     string `json:"lang"`
		Fallback bool   `json:"fallback,omitempty"`
		Sessions int    `json:"sessions"`
	}
	items := make([]item, 0, len(list))
	for _, p := range list {
		items = append(items, item{p.Slug, p.Title.Text, p.Title.Lang, p.Title.Fallback, p.Sessions})
	}
	h.api.Write(w, http.StatusOK, map[string]any{"processes": items})
}

// apiMe says who is signed in: the participant id and role, never personal data beyond the
// display name the person chose.
func (h *handler) apiMe(w http.ResponseWriter, r *http.Request) {
	p := h.site.APISignedIn(w, r)
	if p == nil {
		return
	}
	name := ""
	if person, err := people.GetPerson(r.Context(), h.db, p.ID); err == nil {
		name = person.DisplayName
	}
	h.api.Write(w, http.StatusOK, map[string]any{"participant": p.ID, "role": p.Role, "displayName": name, "process": p.ProcessID})
}
