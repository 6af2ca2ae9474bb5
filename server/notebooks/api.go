package notebooks

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// The notebook's organiser API (/api/organise/processes/{id}/notebook…): the draft, the
// editorial changes and publishing. It reuses the organiser API's guard (organiser session,
// CSRF token on every change) and its answers.

func isNotFound(err error) bool { return errors.Is(err, record.ErrNotFound) }

// notebookError answers an editorial refusal (400 nb_invalid) or a store failure.
func (h *Pages) notebookError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, notebook.ErrInvalid) {
		h.JSON.Error(w, r, http.StatusBadRequest, "nb_invalid")
		return
	}
	h.JSON.StoreError(w, r, err)
}

// notebookEdit starts an editorial change of the notebook of process {id}: it returns the
// signed-in organiser, the process they may set up and the id of what the path names (name:
// "contribution", "theme"), and decodes the body into in. Otherwise it has answered (as
// organised does, 404 or 400) and ok is false.
func (h *Pages) notebookEdit(w http.ResponseWriter, r *http.Request, name string, in any) (me *record.Participant, p *record.Process, id int64, ok bool) {
	if me, p, ok = h.Organise.OrganiserAndProcess(w, r); !ok {
		return nil, nil, 0, false
	}
	if id, ok = web.PathID(r, name); !ok {
		h.JSON.Error(w, r, http.StatusNotFound, "not_found")
		return nil, nil, 0, false
	}
	if !h.JSON.Decode(w, r, in) {
		return nil, nil, 0, false
	}
	return me, p, id, true
}

// Draft returns the draft, the editable items, the versions and the history.
func (h *Pages) Draft(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.Organise.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	draft, err := notebook.CompileDraft(r.Context(), h.DB, p.ID, h.notebookOptions(web.Lang(r)))
	if err != nil {
		h.JSON.StoreError(w, r, err)
		return
	}
	versions, err := notebook.ListVersions(r.Context(), h.DB, p.ID)
	if err != nil {
		h.JSON.StoreError(w, r, err)
		return
	}
	edits, err := notebook.Edits(r.Context(), h.DB, p.ID, 200)
	if err != nil {
		h.JSON.StoreError(w, r, err)
		return
	}
	type editJSON struct {
		Action       string `json:"action"`
		Editor       string `json:"editor"`
		At           string `json:"at"`
		Contribution *int64 `json:"contribution"`
		Theme        *int64 `json:"theme"`
		Before       string `json:"before"`
		After        string `json:"after"`
	}
	history := []editJSON{}
	for _, e := range edits {
		history = append(history, editJSON{Action: e.Action, Editor: e.Editor, At: e.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
			Contribution: e.ContributionID, Theme: e.ThemeID, Before: e.BeforeText, After: e.AfterText})
	}
	if versions == nil {
		versions = []notebook.VersionInfo{}
	}
	h.JSON.Write(w, http.StatusOK, map[string]any{"draft": draft, "versions": versions, "history": history})
}

type itemInput struct {
	Text     *string `json:"text"`
	Who      *string `json:"who"`
	How      *string `json:"how"`
	When     *string `json:"when"`
	Excluded *bool   `json:"excluded"`
}

// Item rewords a contribution and/or leaves it out:
// PUT /api/organise/processes/{id}/notebook/items/{contribution}.
func (h *Pages) Item(w http.ResponseWriter, r *http.Request) {
	var in itemInput
	me, p, cid, ok := h.notebookEdit(w, r, "contribution", &in)
	if !ok {
		return
	}
	now := h.Now()
	if in.Text != nil || in.Who != nil || in.How != nil || in.When != nil {
		rw := notebook.Rewording{Body: in.Text, Who: in.Who, How: in.How, When: in.When}
		if err := notebook.Reword(r.Context(), h.DB, p.ID, me.ID, cid, rw, now); err != nil {
			h.notebookError(w, r, err)
			return
		}
	}
	if in.Excluded != nil {
		if err := notebook.SetExcluded(r.Context(), h.DB, p.ID, me.ID, cid, *in.Excluded, now); err != nil {
			h.notebookError(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

type themeTextsInput struct {
	Introduction *string `json:"introduction"`
	Conclusion   *string `json:"conclusion"`
}

// Theme saves a theme's introduction and conclusion:
// PUT /api/organise/processes/{id}/notebook/themes/{theme}.
func (h *Pages) Theme(w http.ResponseWriter, r *http.Request) {
	var in themeTextsInput
	me, p, tid, ok := h.notebookEdit(w, r, "theme", &in)
	if !ok {
		return
	}
	if err := notebook.SetThemeTexts(r.Context(), h.DB, p.ID, me.ID, tid, in.Introduction, in.Conclusion, h.Now()); err != nil {
		h.notebookError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type orderInput struct {
	Kind string  `json:"kind"`
	IDs  []int64 `json:"ids"`
}

// Order places a theme's findings or recommendations by hand (an empty list goes
// back to the computed order): PUT /api/organise/processes/{id}/notebook/themes/{theme}/order.
func (h *Pages) Order(w http.ResponseWriter, r *http.Request) {
	var in orderInput
	me, p, tid, ok := h.notebookEdit(w, r, "theme", &in)
	if !ok {
		return
	}
	if err := notebook.Reorder(r.Context(), h.DB, p.ID, me.ID, tid, record.Kind(in.Kind), in.IDs, h.Now()); err != nil {
		h.notebookError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type publishInput struct {
	Language  string   `json:"language"`  // the main language, as clients before several languages sent it
	Main      string   `json:"main"`      // the language the texts are written in
	Languages []string `json:"languages"` // the languages to publish in; none: French and Dutch
}

// notebookLanguages are the languages a notebook is published in when the organiser does not
// choose: the process's languages (French and Dutch unless it says otherwise, as Brussels is
// bilingual), its main language first: the one its texts are written in.
func notebookLanguages(p *record.Process) (main string, langs []string) {
	if p == nil {
		p = &record.Process{}
	}
	return p.MainLanguage(), p.ContentLanguages()
}

// Publish publishes the next version in its languages:
// POST /api/organise/processes/{id}/notebook/versions.
func (h *Pages) Publish(w http.ResponseWriter, r *http.Request) {
	me, p, ok := h.Organise.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	var in publishInput
	if !h.JSON.Decode(w, r, &in) {
		return
	}
	main, langs := notebookLanguages(p)
	for _, l := range []string{in.Language, in.Main} {
		if l != "" {
			main = l
		}
	}
	if len(in.Languages) > 0 {
		langs = in.Languages
	}
	langs, err := notebook.PublishLanguages(main, langs)
	if err != nil {
		h.JSON.FieldError(w, r, "invalid_args", "languages")
		return
	}
	opts := h.notebookOptions(main)
	opts.Main = main
	v, err := notebook.Publish(r.Context(), h.DB, p.ID, me.ID, opts, langs, h.notebookLabels, h.Now())
	if err != nil {
		h.notebookError(w, r, err)
		return
	}
	h.JSON.Write(w, http.StatusCreated, map[string]any{
		"version": v.Number, "url": fmt.Sprintf("/notebooks/%s/v/%d", p.Slug, v.Number), "languages": v.LanguageList(),
		"message": fill(h.Catalog.T(web.Lang(r), "nb.ui.published"), "n", fmt.Sprint(v.Number)),
	})
}

// Translate saves translations into {lang} of the process's title and
// description, of a theme's texts or of a contribution of the body:
// PUT /api/organise/processes/{id}/notebook/translations/{lang}/process and
// …/translations/{lang}/{subject}/{sid} with subject theme or contribution, and a body of
// fields (title, description; title, why, introduction, conclusion; text, who, how, when). An
// empty text removes the translation.
func (h *Pages) Translate(w http.ResponseWriter, r *http.Request) {
	var in map[string]*string
	var me *record.Participant
	var p *record.Process
	var sid int64
	var ok bool
	subject := r.PathValue("subject")
	if subject == "" {
		subject = notebook.SubjectProcess
		if me, p, ok = h.Organise.OrganiserAndProcess(w, r); !ok || !h.JSON.Decode(w, r, &in) {
			return
		}
	} else if me, p, sid, ok = h.notebookEdit(w, r, "sid", &in); !ok {
		return
	}
	err := notebook.Translate(r.Context(), h.DB, p.ID, me.ID, r.PathValue("lang"), subject, sid, in, h.Now())
	if err != nil {
		h.notebookError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
