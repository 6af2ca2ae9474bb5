package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/deliberation/notebook"
)

// notebookReport gathers the published notebooks of the processes the signed-in organiser
// may organise, over a period: GET /organise/report?from=2024-01-01&to=2024-12-31
// (&format=md or json). Without dates it covers the current calendar year.
func (h *handler) notebookReport(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	me, signedIn, err := h.currentParticipant(r)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	if !signedIn || me.Role != deliberation.RoleOrganiser {
		status, body := http.StatusForbidden, "nb.ui.forbidden"
		if !signedIn {
			status, body = http.StatusUnauthorized, "nb.ui.signin"
		}
		h.writeMessage(w, r, status, message{Heading: h.catalog.T(lang, "nb.ui.report"), Body: h.catalog.T(lang, body),
			Link: "/", LinkText: h.catalog.T(lang, "nav.home"), Error: true})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	year := h.now().In(brussels).Year()
	from := parseDay(r.URL.Query().Get("from"), time.Date(year, 1, 1, 0, 0, 0, 0, brussels))
	to := parseDay(r.URL.Query().Get("to"), time.Date(year, 12, 31, 0, 0, 0, 0, brussels))
	end := to.AddDate(0, 0, 1) // "to" is included: the period ends at the next midnight
	if !end.After(from) {
		from, end = end.AddDate(0, 0, -1), from.AddDate(0, 0, 1)
	}
	ps, err := deliberation.ListProcesses(r.Context(), h.db)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	var ids []int64
	for _, p := range ps {
		if mayOrganise(me, p.ID) {
			ids = append(ids, p.ID)
		}
	}
	rep, err := notebook.BuildReport(r.Context(), h.db, ids, from, end)
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	switch r.URL.Query().Get("format") {
	case "json":
		h.writeJSON(w, http.StatusOK, rep)
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
			Version: fill(h.catalog.T(lang, "nb.ui.view.version"), "n", strconv.Itoa(p.Version), "date", formatDay(lang, p.PublishedAt))}
		if p.Cover.From != nil && p.Cover.To != nil {
			pv.Period = fill(h.catalog.T(lang, "nb.cover.period"), "from", formatDay(lang, *p.Cover.From), "to", formatDay(lang, *p.Cover.To))
		}
		for _, it := range p.Recommendations {
			pv.Items = append(pv.Items, item{Ref: it.Ref, Text: it.Text, Status: h.catalog.T(lang, "nb.status."+string(it.Status)),
				Figures: h.catalog.T(lang, "nb.breadth.organisations."+plural(lang, it.Breadth.Organisations))})
			pv.Items[len(pv.Items)-1].Figures = fill(pv.Items[len(pv.Items)-1].Figures, "n", strconv.Itoa(it.Breadth.Organisations))
		}
		procs = append(procs, pv)
	}
	var byStatus []item
	for _, s := range notebook.Statuses {
		if n := rep.Totals.ByStatus[s]; n > 0 {
			byStatus = append(byStatus, item{Status: h.catalog.T(lang, "nb.status."+string(s)), Figures: strconv.Itoa(n)})
		}
	}
	t := rep.Totals
	query := "?from=" + from.Format("2006-01-02") + "&to=" + end.AddDate(0, 0, -1).Format("2006-01-02")
	h.writePage(w, r, http.StatusOK, "notebook_report", h.catalog.T(lang, "nb.ui.report"), map[string]any{
		"From": from.Format("2006-01-02"), "To": end.AddDate(0, 0, -1).Format("2006-01-02"),
		"Heading": fill(h.catalog.T(lang, "nb.report.title"), "from", formatDay(lang, from), "to", formatDay(lang, end.AddDate(0, 0, -1))),
		"Totals": fill(h.catalog.T(lang, "nb.report.totals"), "processes", strconv.Itoa(t.Processes), "sessions", strconv.Itoa(t.Sessions),
			"participations", strconv.Itoa(t.Participations), "recommendations", strconv.Itoa(t.Recommendations)),
		"ByStatus": byStatus, "Processes": procs, "Unpublished": rep.Unpublished,
		"Markdown": "/organise/report" + query + "&format=md", "JSON": "/organise/report" + query + "&format=json",
	})
}

// parseDay reads a YYYY-MM-DD day in Brussels, or returns def.
func parseDay(s string, def time.Time) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, brussels)
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
