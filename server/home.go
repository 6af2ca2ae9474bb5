package server

import (
	"net/http"
	"time"

	"github.com/assises/assises/record"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
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
		h.writeInternalError(w, r, err)
		return
	}
	h.writePage(w, r, http.StatusOK, "home", h.catalog.T(h.lang(r), "home.title"), list)
}

func (h *handler) processSummaries(r *http.Request) ([]processSummary, error) {
	ps, err := process.List(r.Context(), h.db)
	if err != nil {
		return nil, err
	}
	lang := h.lang(r)
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
	p := h.apiSignedIn(w, r)
	if p == nil {
		return
	}
	name := ""
	if person, err := people.GetPerson(r.Context(), h.db, p.ID); err == nil {
		name = person.DisplayName
	}
	h.api.Write(w, http.StatusOK, map[string]any{"participant": p.ID, "role": p.Role, "displayName": name, "process": p.ProcessID})
}

type themeView struct {
	record.Theme
	// Title and Why in the reader's language (the embedded Theme keeps the main language's).
	Title, Why record.Localised
	Workshops  []workshopView
}

type workshopView struct {
	Title                  record.Localised
	Place, When, StartsISO string
}

// processView is what the public page of a process shows: its themes with their sessions,
// and the registration form.
type processView struct {
	Process            *record.Process
	Title, Description record.Localised // in the reader's language
	Themes             []themeView
	Form               *regForm
}

// processPage is the public page of a process: its themes with their "why", its sessions and
// the registration form.
func (h *handler) processPage(w http.ResponseWriter, r *http.Request) {
	pv, err := h.loadProcessView(r, r.PathValue("slug"))
	if h.loadFailed(w, r, err, h.notFound) {
		return
	}
	h.renderProcess(w, r, pv, http.StatusOK)
}

// loadProcessView reads a process with its themes and sessions, and builds an empty form.
func (h *handler) loadProcessView(r *http.Request, slug string) (*processView, error) {
	ctx := r.Context()
	p, err := process.GetBySlug(ctx, h.db, slug)
	if err != nil {
		return nil, err
	}
	themes, err := process.ListThemes(ctx, h.db, p.ID)
	if err != nil {
		return nil, err
	}
	workshops, err := process.ListWorkshops(ctx, h.db, p.ID)
	if err != nil {
		return nil, err
	}
	lang := h.lang(r)
	loc := localiserFor(p, lang)
	views := make([]themeView, 0, len(themes))
	for _, t := range themes {
		v := themeView{Theme: t}
		v.Title, v.Why = loc.theme(&t)
		for _, ws := range workshops {
			if ws.ThemeID != nil && *ws.ThemeID == t.ID {
				v.Workshops = append(v.Workshops, workshopView{
					Title: loc.workshop(&ws), Place: ws.Place,
					When:      web.FormatSession(lang, ws.StartsAt, ws.EndsAt),
					StartsISO: ws.StartsAt.Format(time.RFC3339),
				})
			}
		}
		views = append(views, v)
	}
	form, err := h.newRegForm(ctx, lang, p, workshops, themes)
	if err != nil {
		return nil, err
	}
	return &processView{Process: p, Title: p.Localise("title", lang), Description: p.Localise("description", lang), Themes: views, Form: form}, nil
}

// renderProcess writes the public page, with the form's double-submit token.
func (h *handler) renderProcess(w http.ResponseWriter, r *http.Request, pv *processView, status int) {
	pv.Form.Token = h.formToken(w, r)
	// The page carries a form token; shared caches must not keep it.
	w.Header().Set("Cache-Control", "private, no-store")
	h.writePage(w, r, status, "process", pv.Title.Text, pv)
}
