package notebook

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// A report gathers several processes of one organiser over a period: the yearly report of a
// users' council, whose sessions run all year. It is built from published versions
// only, so it says nothing that was not already public, and from the follow-up record.

// Report is the cross-process report.
type Report struct {
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	Processes   []ReportProcess `json:"processes"`
	Unpublished []string        `json:"unpublished"` // titles of processes in the period without a published notebook
	Totals      ReportTotals    `json:"totals"`
}

// ReportProcess is one process of the report, from its latest published version.
type ReportProcess struct {
	Slug            string       `json:"slug"`
	Title           string       `json:"title"`
	Version         int          `json:"version"`
	PublishedAt     time.Time    `json:"publishedAt"`
	Cover           Cover        `json:"cover"`
	Findings        int          `json:"findings"`
	Recommendations []ReportItem `json:"recommendations"`
}

// ReportItem is a recommendation of a process with where it stands now.
type ReportItem struct {
	Theme   string  `json:"theme"`
	Ref     string  `json:"ref"`
	Text    string  `json:"text"`
	Support Support `json:"support"`
	Breadth Breadth `json:"breadth"`
	Status  Status  `json:"status"`
}

// ReportTotals adds the processes up. Participations count people once per process: the
// same person in two processes is two pseudonymous participants, by design.
type ReportTotals struct {
	Processes       int            `json:"processes"`
	Sessions        int            `json:"sessions"`
	Participations  int            `json:"participations"`
	Findings        int            `json:"findings"`
	Recommendations int            `json:"recommendations"`
	ByStatus        map[Status]int `json:"byStatus"`
}

// BuildReport gathers the given processes whose sessions fall (at least partly) within
// [from, to).
func BuildReport(ctx context.Context, db bun.IDB, processIDs []int64, from, to time.Time) (*Report, error) {
	r := &Report{From: from.UTC(), To: to.UTC(), Processes: []ReportProcess{}, Unpublished: []string{},
		Totals: ReportTotals{ByStatus: map[Status]int{}}}
	for _, id := range processIDs {
		p, err := record.GetProcess(ctx, db, id)
		if err != nil {
			return nil, err
		}
		ws, err := process.ListWorkshops(ctx, db, id)
		if err != nil {
			return nil, err
		}
		inPeriod := false
		for _, w := range ws {
			inPeriod = inPeriod || (w.EndsAt.After(from) && w.StartsAt.Before(to))
		}
		if !inPeriod {
			continue
		}
		v, err := LatestVersion(ctx, db, id)
		if errors.Is(err, record.ErrNotFound) {
			r.Unpublished = append(r.Unpublished, Clean(p.Title))
			continue
		}
		if err != nil {
			return nil, err
		}
		board, err := FollowUpBoard(ctx, db, id, "")
		if err != nil {
			return nil, err
		}
		status := map[int64]Status{}
		for _, it := range board.Items {
			status[it.ID] = it.Status
		}
		nb, err := v.Notebook()
		if err != nil {
			return nil, err
		}
		rp := ReportProcess{Slug: nb.Process.Slug, Title: nb.Process.Title, Version: v.Number, PublishedAt: v.PublishedAt.UTC(),
			Cover: nb.Cover, Recommendations: []ReportItem{}}
		for _, t := range nb.Themes {
			rp.Findings += len(t.Findings)
			for _, rec := range t.Recommendations {
				rp.Recommendations = append(rp.Recommendations, ReportItem{Theme: t.Title, Ref: rec.Ref, Text: rec.Text,
					Support: rec.Support, Breadth: rec.Breadth, Status: status[rec.ID]})
				r.Totals.ByStatus[status[rec.ID]]++
			}
		}
		r.Processes = append(r.Processes, rp)
		r.Totals.Processes++
		r.Totals.Sessions += nb.Cover.Sessions
		r.Totals.Participations += nb.Cover.Participants
		r.Totals.Findings += rp.Findings
		r.Totals.Recommendations += len(rp.Recommendations)
	}
	// In time order: the report reads as the year went.
	sort.SliceStable(r.Processes, func(i, j int) bool {
		a, b := r.Processes[i].Cover.From, r.Processes[j].Cover.From
		return a != nil && (b == nil || a.Before(*b))
	})
	return r, nil
}

// RenderReportMarkdown renders the report as Markdown.
func RenderReportMarkdown(r *Report, lang string, labels Labels) string {
	w := newWords(lang, labels)
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line("# " + Markdown(w.f("nb.report.title", "from", w.date(r.From), "to", w.date(r.To.Add(-time.Second)))))
	line("")
	line(Markdown(w.f("nb.report.totals", "processes", strconv.Itoa(r.Totals.Processes), "sessions", strconv.Itoa(r.Totals.Sessions),
		"participations", strconv.Itoa(r.Totals.Participations), "recommendations", strconv.Itoa(r.Totals.Recommendations))))
	line("")
	for _, s := range Statuses {
		if n := r.Totals.ByStatus[s]; n > 0 {
			line("- " + Markdown(w.t("nb.status."+string(s))) + " : " + strconv.Itoa(n))
		}
	}
	line("")
	for _, p := range r.Processes {
		line("## " + Markdown(p.Title))
		line("")
		line("*" + Markdown(w.period(p.Cover.From, p.Cover.To)+" · "+w.f("nb.version", "n", strconv.Itoa(p.Version), "date", w.date(p.PublishedAt))) + "*")
		line("")
		for _, it := range p.Recommendations {
			line(fmt.Sprintf("- **%s** %s — %s *(%s)*", it.Ref, Markdown(it.Text), Markdown(w.t("nb.status."+string(it.Status))),
				Markdown(w.support(it.Support)+" · "+w.n("nb.breadth.organisations", it.Breadth.Organisations))))
		}
		line("")
	}
	if len(r.Unpublished) > 0 {
		line("## " + Markdown(w.t("nb.report.unpublished")))
		line("")
		for _, t := range r.Unpublished {
			line("- " + Markdown(t))
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
