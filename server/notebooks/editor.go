package notebooks

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// The organiser's side of the notebook: the editor page (GET /organise/processes/{id}/notebook),
// a preview of the draft and its files. The page is rendered on the server; a small script
// (js/notebook.js) sends its forms to the JSON API with the session's CSRF token.

// organiserProcessPage checks that the signed-in person may organise the process of the path
// and answers with a message page otherwise.
func (h *Pages) organiserProcessPage(w http.ResponseWriter, r *http.Request) (*record.Participant, *record.Process, bool) {
	me := h.SignedIn(w, r, "nb.ui.signin", "/", "nav.home")
	if me == nil {
		return nil, nil, false
	}
	id, ok := h.PageID(w, r, "id")
	if !ok {
		return nil, nil, false
	}
	p, err := record.GetProcess(r.Context(), h.DB, id)
	if err != nil || !people.MayOrganise(me, p.ID) {
		if err != nil && !isNotFound(err) {
			h.WriteInternalError(w, r, err)
			return nil, nil, false
		}
		h.Forbidden(w, r, "nb.ui.forbidden")
		return nil, nil, false
	}
	w.Header().Set("Cache-Control", "no-store")
	return me, p, true
}

// draftHTML compiles the draft notebook of the process of the path, for an organiser who may
// set it up (organiserProcessPage), and renders it as HTML, both in the reader's language.
// Otherwise it has answered and ok is false.
func (h *Pages) draftHTML(w http.ResponseWriter, r *http.Request) (p *record.Process, nb *notebook.Notebook, html string, ok bool) {
	if _, p, ok = h.organiserProcessPage(w, r); !ok {
		return nil, nil, "", false
	}
	lang := web.Lang(r)
	nb, err := notebook.Compile(r.Context(), h.DB, p.ID, h.notebookOptions(lang))
	if err == nil {
		html, err = notebook.RenderHTML(nb, h.notebookLabels(lang))
	}
	if err != nil {
		h.WriteInternalError(w, r, err)
		return nil, nil, "", false
	}
	return p, nb, html, true
}

type editorItem struct {
	notebook.EditableItem
	API          string
	Status       string // rank, placed by hand, left out: in the reader's words
	Step         bool
	Translations []trForm
	MainHeading  string // "In het Frans (hoofdtaal)"
}

type editorTheme struct {
	ID, Title, Ref       string
	API, OrderAPI        string
	Introduction         string
	Conclusion           string
	Why                  string
	Translations         []trForm
	MainHeading          string
	Findings, Recs, Rest []editorItem
}

type historyLine struct{ Who, When, What, Before, After string }

// EditorPage is the editor: GET /organise/processes/{id}/notebook.
func (h *Pages) EditorPage(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.organiserProcessPage(w, r)
	if !ok {
		return
	}
	lang := web.Lang(r)
	draft, err := notebook.CompileDraft(r.Context(), h.DB, p.ID, h.notebookOptions(lang))
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	api := fmt.Sprintf("/api/organise/processes/%d/notebook", p.ID)
	base := fmt.Sprintf("/organise/processes/%d/notebook", p.ID)
	annex := map[int64]string{}
	mainHeading := fill(h.Catalog.T(lang, "nb.ui.translation.main"), "language", h.Catalog.T(lang, "nb.lang.name."+draft.Main))
	var themes []editorTheme
	for _, t := range draft.Themes {
		et := editorTheme{Ref: t.Ref, Title: t.Title, Introduction: t.Introduction, Conclusion: t.Conclusion, Why: t.Why, MainHeading: mainHeading}
		if t.ID != 0 {
			et.ID = strconv.FormatInt(t.ID, 10)
			et.API = fmt.Sprintf("%s/themes/%d", api, t.ID)
			et.OrderAPI = et.API + "/order"
			et.Translations = h.translationForms(lang, draft, api, notebook.SubjectTheme, notebook.SubjectTheme, t.ID, t.Translations, t.Inherited,
				notebook.Texts{"title": t.Title, "why": t.Why, "introduction": t.Introduction, "conclusion": t.Conclusion})
		}
		if et.Title == "" {
			et.Title = h.Catalog.T(lang, "nb.theme.untitled")
		}
		item := func(it notebook.EditableItem) editorItem {
			annex[it.ID] = it.Annex
			var status []string
			if it.Rank > 0 {
				status = append(status, fill(h.Catalog.T(lang, "nb.ui.rank"), "rank", strconv.Itoa(it.Rank)))
			}
			if it.Manual {
				status = append(status, h.Catalog.T(lang, "nb.ui.manual"))
			}
			if it.Excluded {
				status = append(status, h.Catalog.T(lang, "nb.ui.excluded"))
			}
			main := notebook.Texts{"text": it.Text, "who": it.Who, "how": it.How, "when": it.When}
			if it.Excluded {
				main = nil // left out of the notebook: nothing to translate
			}
			step, fields := it.Kind == string(record.KindStep), notebook.SubjectContribution
			if step {
				fields = "step"
			}
			return editorItem{EditableItem: it, API: fmt.Sprintf("%s/items/%d", api, it.ID), Status: strings.Join(status, " · "),
				Step: step, MainHeading: mainHeading, Translations: h.translationForms(lang, draft, api, notebook.SubjectContribution, fields, it.ID, it.Translations, nil, main)}
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
	versions, err := notebook.ListVersions(r.Context(), h.DB, p.ID)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	var vlinks []versionLink
	for _, v := range versions {
		label := fill(h.Catalog.T(lang, "nb.ui.view.version"), "n", strconv.Itoa(v.Number), "date", formatDay(lang, v.PublishedAt))
		if v.Languages != "" {
			label += " (" + strings.ToUpper(strings.ReplaceAll(v.Languages, ",", ", ")) + ")"
		}
		vlinks = append(vlinks, versionLink{URL: fmt.Sprintf("/notebooks/%s/v/%d", p.Slug, v.Number), Label: label})
	}
	edits, err := notebook.Edits(r.Context(), h.DB, p.ID, 200)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	titles := map[int64]string{}
	for _, t := range draft.Themes {
		titles[t.ID] = t.Title
	}
	var history []historyLine
	for _, e := range edits {
		what := h.Catalog.T(lang, "nb.ui.action."+e.Action)
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
	main, defaults := notebookLanguages(p)
	// Publishing asks once more, saying what the languages published by default still lack.
	confirm := []string{h.Catalog.T(lang, "nb.ui.publish.help")}
	missing := h.missingLists(lang, draft)
	for i, l := range draft.Languages {
		if slices.Contains(defaults, l) && missing[i].Count > 0 {
			confirm = append(confirm, missing[i].Heading+" — "+h.Catalog.T(lang, "nb.ui.missing.help"))
		}
	}
	processForms := h.translationForms(lang, draft, api, notebook.SubjectProcess, notebook.SubjectProcess, 0, draft.Process, draft.ProcessInherited,
		notebook.Texts{"title": p.Title, "description": p.Description})
	h.WritePage(w, r, http.StatusOK, "notebook_editor", h.Catalog.T(lang, "nb.ui.editor.title"), map[string]any{
		"CSRF": web.SessionCSRF(r), "Process": p, "API": api, "Themes": themes, "Versions": vlinks, "History": history,
		"Languages": h.publishChoices(lang, main, defaults), "MainHeading": mainHeading, "Missing": missing, "Confirm": strings.Join(confirm, "\n\n"), "ProcessForms": processForms,
		"Preview": base + "/preview", "DraftPDF": base + "/draft/notebook.pdf",
		"FollowUp": fmt.Sprintf("/follow-up/processes/%d", p.ID), "Report": "/organise/report",
		"Public": "/notebooks/" + p.Slug, "Published": len(versions) > 0,
	})
}

// Preview shows the draft as it would be published: GET …/notebook/preview.
func (h *Pages) Preview(w http.ResponseWriter, r *http.Request) {
	p, nb, html, ok := h.draftHTML(w, r)
	if !ok {
		return
	}
	base := fmt.Sprintf("/organise/processes/%d/notebook/draft/", p.ID)
	view := notebookView{Title: nb.Process.Title, Draft: true, HTML: template.HTML(html)}
	for _, f := range notebookFiles {
		view.Files = append(view.Files, fileLink{URL: base + f.Name, Label: f.Label})
	}
	h.WritePage(w, r, http.StatusOK, "notebook_view", nb.Process.Title, view)
}

// DraftFile renders one format of the draft: GET …/notebook/draft/{file}.
func (h *Pages) DraftFile(w http.ResponseWriter, r *http.Request) {
	p, nb, html, ok := h.draftHTML(w, r)
	if !ok {
		return
	}
	labels := h.notebookLabels(web.Lang(r))
	csv, err := notebook.RenderCSV(nb)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	js, err := notebook.RenderJSON(nb)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	f := storedFormats{HTML: html, Markdown: notebook.RenderMarkdown(nb, labels), CSV: csv, JSON: string(js),
		PDF: func() ([]byte, error) { return notebook.RenderPDF(nb, labels) }}
	h.serveNotebookFile(w, r, nb, f, p.Slug+"-draft", "no-store")
}

// Report gathers the published notebooks of the processes the signed-in organiser
// may organise, over a period: GET /organise/report?from=2024-01-01&to=2024-12-31
// (&format=md or json). Without dates it covers the current calendar year.
func (h *Pages) Report(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	me, signedIn, err := h.Participant(r)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	if !signedIn || me.Role != record.RoleOrganiser {
		status, body := http.StatusForbidden, "nb.ui.forbidden"
		if !signedIn {
			status, body = http.StatusUnauthorized, "nb.ui.signin"
		}
		h.WriteMessage(w, r, status, web.Message{Heading: h.Catalog.T(lang, "nb.ui.report"), Body: h.Catalog.T(lang, body),
			Link: "/", LinkText: h.Catalog.T(lang, "nav.home"), Error: true})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	year := h.Now().In(web.Brussels).Year()
	from := parseDay(r.URL.Query().Get("from"), time.Date(year, 1, 1, 0, 0, 0, 0, web.Brussels))
	to := parseDay(r.URL.Query().Get("to"), time.Date(year, 12, 31, 0, 0, 0, 0, web.Brussels))
	end := to.AddDate(0, 0, 1) // "to" is included: the period ends at the next midnight
	if !end.After(from) {
		from, end = end.AddDate(0, 0, -1), from.AddDate(0, 0, 1)
	}
	ps, err := process.List(r.Context(), h.DB)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	var ids []int64
	for _, p := range ps {
		if people.MayOrganise(me, p.ID) {
			ids = append(ids, p.ID)
		}
	}
	rep, err := notebook.BuildReport(r.Context(), h.DB, ids, from, end)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	switch r.URL.Query().Get("format") {
	case "json":
		h.JSON.Write(w, http.StatusOK, rep)
		return
	case "md":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="report-`+from.Format("2006-01-02")+`.md"`)
		w.Write([]byte(notebook.RenderReportMarkdown(rep, lang, h.notebookLabels(lang))))
		return
	}
	type item struct{ Ref, Text, Status, Figures string }
	type proc struct {
		Title, Period, Version, URL string
		Items                       []item
	}
	var procs []proc
	for _, p := range rep.Processes {
		pv := proc{Title: p.Title, URL: "/notebooks/" + p.Slug + "/v/" + strconv.Itoa(p.Version),
			Version: fill(h.Catalog.T(lang, "nb.ui.view.version"), "n", strconv.Itoa(p.Version), "date", formatDay(lang, p.PublishedAt))}
		if p.Cover.From != nil && p.Cover.To != nil {
			pv.Period = fill(h.Catalog.T(lang, "nb.cover.period"), "from", formatDay(lang, *p.Cover.From), "to", formatDay(lang, *p.Cover.To))
		}
		for _, it := range p.Recommendations {
			pv.Items = append(pv.Items, item{Ref: it.Ref, Text: it.Text, Status: h.Catalog.T(lang, "nb.status."+string(it.Status)),
				Figures: h.Catalog.T(lang, "nb.breadth.organisations."+plural(lang, it.Breadth.Organisations))})
			pv.Items[len(pv.Items)-1].Figures = fill(pv.Items[len(pv.Items)-1].Figures, "n", strconv.Itoa(it.Breadth.Organisations))
		}
		procs = append(procs, pv)
	}
	var byStatus []item
	for _, s := range notebook.Statuses {
		if n := rep.Totals.ByStatus[s]; n > 0 {
			byStatus = append(byStatus, item{Status: h.Catalog.T(lang, "nb.status."+string(s)), Figures: strconv.Itoa(n)})
		}
	}
	t := rep.Totals
	query := "?from=" + from.Format("2006-01-02") + "&to=" + end.AddDate(0, 0, -1).Format("2006-01-02")
	h.WritePage(w, r, http.StatusOK, "notebook_report", h.Catalog.T(lang, "nb.ui.report"), map[string]any{
		"From": from.Format("2006-01-02"), "To": end.AddDate(0, 0, -1).Format("2006-01-02"),
		"Heading": fill(h.Catalog.T(lang, "nb.report.title"), "from", formatDay(lang, from), "to", formatDay(lang, end.AddDate(0, 0, -1))),
		"Totals": fill(h.Catalog.T(lang, "nb.report.totals"), "processes", strconv.Itoa(t.Processes), "sessions", strconv.Itoa(t.Sessions),
			"participations", strconv.Itoa(t.Participations), "recommendations", strconv.Itoa(t.Recommendations)),
		"ByStatus": byStatus, "Processes": procs, "Unpublished": rep.Unpublished,
		"Markdown": "/organise/report" + query + "&format=md", "JSON": "/organise/report" + query + "&format=json",
	})
}

// parseDay reads a YYYY-MM-DD day in Brussels, or returns def.
func parseDay(s string, def time.Time) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, web.Brussels)
	if err != nil {
		return def
	}
	return t
}

// plural picks the catalog form: French uses the singular for 0 and 1.
func plural(lang string, n int) string {
	if n == 1 || (n == 0 && lang == "fr") {
		return "one"
	}
	return "other"
}
