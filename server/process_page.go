package server

import (
	"net/http"
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/process"
)

type themeView struct {
	deliberation.Theme
	Workshops []workshopView
}

type workshopView struct {
	Title, Place, When, StartsISO string
}

// web.Brussels is where every Assises takes place; times are shown in its zone whatever the
// server's own zone is.

// processView is what the public page of a process shows: its themes with their sessions,
// and the registration form.
type processView struct {
	Process *deliberation.Process
	Themes  []themeView
	Form    *regForm
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
	views := make([]themeView, 0, len(themes))
	for _, t := range themes {
		v := themeView{Theme: t}
		for _, ws := range workshops {
			if ws.ThemeID != nil && *ws.ThemeID == t.ID {
				v.Workshops = append(v.Workshops, workshopView{
					Title: ws.Title, Place: ws.Place,
					When:      formatSession(lang, ws.StartsAt, ws.EndsAt),
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
	return &processView{Process: p, Themes: views, Form: form}, nil
}

// renderProcess writes the public page, with the form's double-submit token.
func (h *handler) renderProcess(w http.ResponseWriter, r *http.Request, pv *processView, status int) {
	pv.Form.Token = h.formToken(w, r)
	// The page carries a form token; shared caches must not keep it.
	w.Header().Set("Cache-Control", "private, no-store")
	h.writePage(w, r, status, "process", pv.Process.Title, pv)
}
