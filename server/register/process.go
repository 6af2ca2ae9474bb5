package register

import (
	"net/http"
	"time"

	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// The public page of a process (/p/{slug}): its themes with their "why", its sessions, and
// the registration form that register.go reads back.

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

// ProcessPage is the public page of a process: its themes with their "why", its sessions and
// the registration form.
func (h *Pages) ProcessPage(w http.ResponseWriter, r *http.Request) {
	pv, err := h.loadProcessView(r, r.PathValue("slug"))
	if h.LoadFailed(w, r, err, h.NotFound) {
		return
	}
	h.renderProcess(w, r, pv, http.StatusOK)
}

// loadProcessView reads a process with its themes and sessions, and builds an empty form.
func (h *Pages) loadProcessView(r *http.Request, slug string) (*processView, error) {
	ctx := r.Context()
	p, err := process.GetBySlug(ctx, h.DB, slug)
	if err != nil {
		return nil, err
	}
	themes, err := process.ListThemes(ctx, h.DB, p.ID)
	if err != nil {
		return nil, err
	}
	workshops, err := process.ListWorkshops(ctx, h.DB, p.ID)
	if err != nil {
		return nil, err
	}
	lang := web.Lang(r)
	loc := web.LocaliserFor(p, lang)
	views := make([]themeView, 0, len(themes))
	for _, t := range themes {
		v := themeView{Theme: t}
		v.Title, v.Why = loc.Theme(&t)
		for _, ws := range workshops {
			if ws.ThemeID != nil && *ws.ThemeID == t.ID {
				v.Workshops = append(v.Workshops, workshopView{
					Title: loc.Workshop(&ws), Place: ws.Place,
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
func (h *Pages) renderProcess(w http.ResponseWriter, r *http.Request, pv *processView, status int) {
	pv.Form.Token = h.FormToken(w, r)
	// The page carries a form token; shared caches must not keep it.
	w.Header().Set("Cache-Control", "private, no-store")
	h.WritePage(w, r, status, "process", pv.Title.Text, pv)
}
