package server

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/i18n"
)

// The organiser's side of the notebook: the editor page (GET /organise/processes/{id}/notebook),
// a preview of the draft and its files. The page is rendered on the server; a small script
// (js/notebook.js) sends its forms to the JSON API with the session's CSRF token.

// organiserProcessPage checks that the signed-in person may organise the process of the path
// and answers with a message page otherwise.
func (h *handler) organiserProcessPage(w http.ResponseWriter, r *http.Request) (*deliberation.Participant, *deliberation.Process, bool) {
	me := h.signedIn(w, r, "nb.ui.signin", "/", "nav.home")
	if me == nil {
		return nil, nil, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return nil, nil, false
	}
	p, err := deliberation.GetProcess(r.Context(), h.db, id)
	if err != nil || !mayOrganise(me, p.ID) {
		if err != nil && !isNotFound(err) {
			h.writeInternalError(w, r, err)
			return nil, nil, false
		}
		h.forbidden(w, r, "nb.ui.forbidden")
		return nil, nil, false
	}
	w.Header().Set("Cache-Control", "no-store")
	return me, p, true
}

// draftHTML compiles the draft notebook of the process of the path, for an organiser who may
// set it up (organiserProcessPage), and renders it as HTML, both in the reader's language.
// Otherwise it has answered and ok is false.
func (h *handler) draftHTML(w http.ResponseWriter, r *http.Request) (p *deliberation.Process, nb *notebook.Notebook, html string, ok bool) {
	if _, p, ok = h.organiserProcessPage(w, r); !ok {
		return nil, nil, "", false
	}
	lang := h.lang(r)
	nb, err := notebook.Compile(r.Context(), h.db, p.ID, h.notebookOptions(lang))
	if err == nil {
		html, err = notebook.RenderHTML(nb, h.notebookLabels(lang))
	}
	if err != nil {
		h.writeInternalError(w, r, err)
		return nil, nil, "", false
	}
	return p, nb, html, true
}

type editorItem struct {
	notebook.EditableItem
	API    string
	Status string // rank, placed by hand, left out: in the reader's words
	Step   bool
}

type editorTheme struct {
	ID, Title, Ref       string
	API, OrderAPI        string
	Introduction         string
	Conclusion           string
	Findings, Recs, Rest []editorItem
}

type historyLine struct{ Who, When, What, Before, After string }

type langOption struct {
	Code, Label string
	Selected    bool
}

// notebookEditorPage is the editor: GET /organise/processes/{id}/notebook.
func (h *handler) notebookEditorPage(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.organiserProcessPage(w, r)
	if !ok {
		return
	}
	lang := h.lang(r)
	draft, err := notebook.CompileDraft(r.Context(), h.db, p.ID, h.notebookOptions(lang))
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	api := fmt.Sprintf("/api/organise/processes/%d/notebook", p.ID)
	base := fmt.Sprintf("/organise/processes/%d/notebook", p.ID)
	annex := map[int64]string{}
	var themes []editorTheme
	for _, t := range draft.Themes {
		et := editorTheme{Ref: t.Ref, Title: t.Title, Introduction: t.Introduction, Conclusion: t.Conclusion}
		if t.ID != 0 {
			et.ID = strconv.FormatInt(t.ID, 10)
			et.API = fmt.Sprintf("%s/themes/%d", api, t.ID)
			et.OrderAPI = et.API + "/order"
		}
		if et.Title == "" {
			et.Title = h.catalog.T(lang, "nb.theme.untitled")
		}
		item := func(it notebook.EditableItem) editorItem {
			annex[it.ID] = it.Annex
			var status []string
			if it.Rank > 0 {
				status = append(status, fill(h.catalog.T(lang, "nb.ui.rank"), "rank", strconv.Itoa(it.Rank)))
			}
			if it.Manual {
				status = append(status, h.catalog.T(lang, "nb.ui.manual"))
			}
			if it.Excluded {
				status = append(status, h.catalog.T(lang, "nb.ui.excluded"))
			}
			return editorItem{EditableItem: it, API: fmt.Sprintf("%s/items/%d", api, it.ID), Status: strings.Join(status, " · "),
				Step: it.Kind == string(deliberation.KindStep)}
		}
		for _, it := range t.Findings {
			et.Findings = append(et.Findings, item(it))
		}
		for _, it := range t.Recommendations {
			et.Recs = append(et.Recs, item(it))
		}
		for _, it := range t.Others {
			et.Rest = append(et.Rest, item(it))
		}
		themes = append(themes, et)
	}
	versions, err := notebook.ListVersions(r.Context(), h.db, p.ID)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	var vlinks []versionLink
	for _, v := range versions {
		vlinks = append(vlinks, versionLink{URL: fmt.Sprintf("/notebooks/%s/v/%d", p.Slug, v.Number),
			Label: fill(h.catalog.T(lang, "nb.ui.view.version"), "n", strconv.Itoa(v.Number), "date", formatDay(lang, v.PublishedAt))})
	}
	edits, err := notebook.Edits(r.Context(), h.db, p.ID, 200)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	titles := map[int64]string{}
	for _, t := range draft.Themes {
		titles[t.ID] = t.Title
	}
	var history []historyLine
	for _, e := range edits {
		what := h.catalog.T(lang, "nb.ui.action."+e.Action)
		switch {
		case e.ContributionID != nil:
			what += " · " + annex[*e.ContributionID]
		case e.ThemeID != nil:
			what += " · " + titles[*e.ThemeID]
		case e.Action == notebook.ActionPublish:
			what += " " + e.AfterText
		}
		line := historyLine{Who: e.Editor, When: formatMoment(lang, e.CreatedAt), What: what}
		if e.Action != notebook.ActionPublish && e.Action != notebook.ActionReorder {
			line.Before, line.After = e.BeforeText, e.AfterText
		}
		history = append(history, line)
	}
	first := strings.TrimSpace(strings.Split(p.Languages+",", ",")[0])
	var langs []langOption
	for _, l := range i18n.Languages {
		langs = append(langs, langOption{Code: l, Label: languageLabels[l], Selected: l == i18n.Normalise(first)})
	}
	h.writePage(w, r, http.StatusOK, "notebook_editor", h.catalog.T(lang, "nb.ui.editor.title"), map[string]any{
		"CSRF": sessionCSRF(r), "Process": p, "API": api, "Themes": themes, "Versions": vlinks, "History": history,
		"Languages": langs, "Preview": base + "/preview", "DraftPDF": base + "/draft/notebook.pdf",
		"FollowUp": fmt.Sprintf("/follow-up/processes/%d", p.ID), "Report": "/organise/report",
		"Public": "/notebooks/" + p.Slug, "Published": len(versions) > 0,
	})
}

// notebookPreview shows the draft as it would be published: GET …/notebook/preview.
func (h *handler) notebookPreview(w http.ResponseWriter, r *http.Request) {
	p, nb, html, ok := h.draftHTML(w, r)
	if !ok {
		return
	}
	base := fmt.Sprintf("/organise/processes/%d/notebook/draft/", p.ID)
	view := notebookView{Title: nb.Process.Title, Draft: true, HTML: template.HTML(html)}
	for _, f := range notebookFiles {
		view.Files = append(view.Files, fileLink{URL: base + f.Name, Label: f.Label})
	}
	h.writePage(w, r, http.StatusOK, "notebook_view", nb.Process.Title, view)
}

// notebookDraftFile renders one format of the draft: GET …/notebook/draft/{file}.
func (h *handler) notebookDraftFile(w http.ResponseWriter, r *http.Request) {
	p, nb, html, ok := h.draftHTML(w, r)
	if !ok {
		return
	}
	labels := h.notebookLabels(h.lang(r))
	csv, err := notebook.RenderCSV(nb)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	js, err := notebook.RenderJSON(nb)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	f := storedFormats{HTML: html, Markdown: notebook.RenderMarkdown(nb, labels), CSV: csv, JSON: string(js),
		PDF: func() ([]byte, error) { return notebook.RenderPDF(nb, labels) }}
	h.serveNotebookFile(w, r, nb, f, p.Slug+"-draft", "no-store")
}
