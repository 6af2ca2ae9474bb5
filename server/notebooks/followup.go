package notebooks

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// The follow-up of the recommendations: a public page per process
// (/notebooks/{slug}/follow-up, and .json), and the committee's desk
// (/follow-up/processes/{id}) where the follow-up committee (role committee) or an organiser
// records a status and a dated note. Who recorded what is kept, never published.

// mayFollowUp: the process's follow-up committee and its organisers.
func mayFollowUp(p *record.Participant, processID int64) bool {
	if p == nil || p.ErasedAt != nil {
		return false
	}
	if people.MayOrganise(p, processID) {
		return true
	}
	return p.Role == record.RoleCommittee && p.ProcessID != nil && *p.ProcessID == processID
}

type trackedView struct {
	notebook.Tracked
	TextMarker  string // "[FR]" when the text is given in the main language
	ThemeMarker string
	MarkerTitle string
	StatusLabel string
	Since       string
	History     []historyEntryView
	API         string
	Options     []statusOption
}

type historyEntryView struct{ When, Status, Note string }

type statusOption struct {
	Value, Label string
	Selected     bool
}

// followUpViews puts a board in the reader's words.
func (h *Pages) followUpViews(lang string, board *notebook.Board, api string) []trackedView {
	out := make([]trackedView, 0, len(board.Items))
	for _, it := range board.Items {
		v := trackedView{Tracked: it, StatusLabel: h.Catalog.T(lang, "nb.status."+string(it.Status))}
		marker := "[" + strings.ToUpper(board.MainLanguage) + "]"
		for _, f := range it.Untranslated {
			switch f {
			case "text":
				v.TextMarker = marker
			case "theme":
				v.ThemeMarker = marker
			}
		}
		v.MarkerTitle = fill(h.Catalog.T(lang, "nb.lang.untranslated"), "language", h.Catalog.T(lang, "nb.lang.name."+board.MainLanguage))
		if it.Since != nil {
			v.Since = fill(h.Catalog.T(lang, "nb.ui.followup.since"), "date", formatDay(lang, *it.Since))
		}
		for i := len(it.History) - 1; i >= 0; i-- { // newest first on the page
			e := it.History[i]
			v.History = append(v.History, historyEntryView{When: formatDay(lang, e.At),
				Status: h.Catalog.T(lang, "nb.status."+string(e.Status)), Note: e.Note})
		}
		if api != "" {
			v.API = fmt.Sprintf("%s/%d", api, it.ID)
			for _, s := range notebook.Statuses {
				v.Options = append(v.Options, statusOption{Value: string(s), Label: h.Catalog.T(lang, "nb.status."+string(s)), Selected: s == it.Status})
			}
		}
		out = append(out, v)
	}
	return out
}

// FollowUpPage is the public follow-up: GET /notebooks/{slug}/follow-up.
func (h *Pages) FollowUpPage(w http.ResponseWriter, r *http.Request) {
	p, ok := h.publishedProcess(w, r)
	if !ok {
		return
	}
	lang := web.Lang(r)
	board, err := notebook.FollowUpBoard(r.Context(), h.DB, p.ID, lang)
	if h.LoadFailed(w, r, err, h.notebookNotFound) {
		return
	}
	// The texts follow the reader's language, as the rest of the page does.
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Vary", "Accept-Language, Cookie")
	h.WritePage(w, r, http.StatusOK, "followup", h.Catalog.T(lang, "nb.ui.followup.title")+" · "+p.Title, map[string]any{
		"Process": p, "Items": h.followUpViews(lang, board, ""), "Notebook": "/notebooks/" + p.Slug,
		"JSON": "/notebooks/" + p.Slug + "/follow-up.json",
	})
}

// FollowUpJSON is the follow-up as open data: GET /notebooks/{slug}/follow-up.json.
func (h *Pages) FollowUpJSON(w http.ResponseWriter, r *http.Request) {
	p, err := process.GetBySlug(r.Context(), h.DB, r.PathValue("slug"))
	if err == nil {
		var board *notebook.Board
		if board, err = notebook.FollowUpBoard(r.Context(), h.DB, p.ID, web.Lang(r)); err == nil {
			w.Header().Set("Cache-Control", "public, max-age=60")
			w.Header().Set("Vary", "Accept-Language, Cookie")
			h.JSON.Write(w, http.StatusOK, board)
			return
		}
	}
	if isNotFound(err) {
		h.JSON.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	h.Log.ErrorContext(r.Context(), "follow-up json", "err", err)
	h.JSON.Error(w, r, http.StatusInternalServerError, "unavailable")
}

// FollowUpDesk is the committee's page: GET /follow-up/processes/{id}.
func (h *Pages) FollowUpDesk(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	me, signedIn, err := h.Participant(r)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	id, ok := web.PathID(r, "id")
	if !signedIn || !ok || !mayFollowUp(me, id) {
		status, body := http.StatusForbidden, "nb.ui.followup.forbidden"
		if !signedIn {
			status, body = http.StatusUnauthorized, "nb.ui.signin"
		}
		h.WriteMessage(w, r, status, web.Message{Heading: h.Catalog.T(lang, "nb.ui.followup.title"),
			Body: h.Catalog.T(lang, body), Link: "/", LinkText: h.Catalog.T(lang, "nav.home"), Error: true})
		return
	}
	p, err := record.GetProcess(r.Context(), h.DB, id)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	board, err := notebook.FollowUpBoard(r.Context(), h.DB, p.ID, lang)
	if isNotFound(err) {
		h.WriteMessage(w, r, http.StatusNotFound, web.Message{Heading: h.Catalog.T(lang, "nb.ui.followup.title"),
			Body: h.Catalog.T(lang, "err.nb_unpublished"), Error: true})
		return
	}
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api := fmt.Sprintf("/api/follow-up/processes/%d/recommendations", p.ID)
	h.WritePage(w, r, http.StatusOK, "followup_desk", h.Catalog.T(lang, "nb.ui.followup.desk"), map[string]any{
		"CSRF": web.SessionCSRF(r), "Process": p, "Items": h.followUpViews(lang, board, api),
		"Public": "/notebooks/" + p.Slug + "/follow-up",
	})
}

type followUpInput struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// RecordFollowUp records a status and a note:
// POST /api/follow-up/processes/{id}/recommendations/{contribution}.
func (h *Pages) RecordFollowUp(w http.ResponseWriter, r *http.Request) {
	me := h.APISignedIn(w, r)
	if me == nil {
		return
	}
	if err := h.CheckCSRF(r); err != nil {
		h.JSON.Error(w, r, http.StatusForbidden, "org_csrf")
		return
	}
	id, ok := web.PathID(r, "id")
	cid, ok2 := web.PathID(r, "contribution")
	if !ok || !ok2 {
		h.JSON.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if !mayFollowUp(me, id) {
		h.JSON.Error(w, r, http.StatusForbidden, "forbidden")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	var in followUpInput
	if !h.JSON.Decode(w, r, &in) {
		return
	}
	e, err := notebook.RecordFollowUp(r.Context(), h.DB, id, me.ID, cid, notebook.Status(strings.TrimSpace(in.Status)), in.Note, h.Now())
	if errors.Is(err, notebook.ErrInvalid) {
		h.JSON.FieldError(w, r, "nb_invalid", "status")
		return
	}
	if err != nil {
		h.JSON.StoreError(w, r, err)
		return
	}
	h.JSON.Write(w, http.StatusCreated, map[string]any{"status": e.Status, "at": e.CreatedAt,
		"message": h.Catalog.T(web.Lang(r), "nb.ui.saved")})
}
