package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/assises/assises/deliberation"
)

type themeView struct {
	deliberation.Theme
	Workshops []workshopView
}

type workshopView struct {
	Title, Place, When, StartsISO string
}

// brussels is where every Assises takes place; times are shown in its zone whatever the
// server's own zone is.
var brussels = mustLoadLocation("Europe/Brussels")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// processPage is the public page of a process: its themes with their "why" and its sessions.
func (h *handler) processPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := deliberation.GetProcessBySlug(ctx, h.db, r.PathValue("slug"))
	if errors.Is(err, deliberation.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	themes, err := deliberation.ListThemes(ctx, h.db, p.ID)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	workshops, err := deliberation.ListWorkshops(ctx, h.db, p.ID)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
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
	h.writePage(w, r, http.StatusOK, "process", p.Title, map[string]any{"Process": p, "Themes": views})
}
