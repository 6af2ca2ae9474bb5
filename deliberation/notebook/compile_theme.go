package notebook

import (
	"fmt"

	"github.com/assises/assises/record"
)

// theme builds the body of one theme: its sessions, its diagnostic and its recommendations,
// with the editorial layer applied. n is its number in the notebook (T1, T2…).
func (c *compiler) theme(n int, g themeGroup) Theme {
	t := Theme{Ref: fmt.Sprintf("T%d", n), Sessions: []SessionRef{}, Findings: []Finding{},
		OtherSolutions: []Item{}, Recommendations: []Recommendation{}}
	if g.theme != nil {
		id, tt, inherited := g.theme.ID, c.s.themeTexts[g.theme.ID], g.theme.Translations
		t.Title = c.tr.text(SubjectTheme, id, "title", Clean(g.theme.Title), inherited, &t.Untranslated)
		t.Why = c.tr.text(SubjectTheme, id, "why", Clean(g.theme.Why), inherited, &t.Untranslated)
		t.Introduction = c.tr.text(SubjectTheme, id, "introduction", Clean(tt.Introduction), nil, &t.Untranslated)
		t.Conclusion = c.tr.text(SubjectTheme, id, "conclusion", Clean(tt.Conclusion), nil, &t.Untranslated)
	}
	inTheme := map[int64]bool{}
	for _, w := range g.workshops {
		inTheme[w.ID] = true
		t.Sessions = append(t.Sessions, SessionRef{Title: c.tr.name(Clean(w.Title), w.Translations), StartsAt: w.StartsAt.UTC(), EndsAt: w.EndsAt.UTC(), Place: Clean(w.Place)})
	}
	// What the body may show: visible contributions of the theme's sessions that the
	// organisers did not exclude, by kind.
	byKind := map[record.Kind][]*record.Contribution{}
	byID := map[int64]*record.Contribution{}
	for i := range c.s.contributions {
		ct := &c.s.contributions[i]
		if !inTheme[ct.WorkshopID] || ct.Status != record.StatusVisible || c.s.items[ct.ID].Excluded {
			continue
		}
		byKind[ct.Kind] = append(byKind[ct.Kind], ct)
		byID[ct.ID] = ct
	}
	children := func(kind record.Kind, parent int64) []*record.Contribution {
		var out []*record.Contribution
		for _, ct := range byKind[kind] {
			if ct.ParentID != nil && *ct.ParentID == parent {
				out = append(out, ct)
			}
		}
		return out
	}

	findings := c.ordered(byKind[record.KindFinding], supportLess, true)
	for i, f := range findings {
		fi := Finding{Item: c.item(f, fmt.Sprintf("F%d.%d", n, i+1)), Solutions: []Item{}}
		for j, sol := range c.ordered(children(record.KindSolution, f.ID), supportLess, false) {
			fi.Solutions = append(fi.Solutions, c.item(sol, fmt.Sprintf("S%d.%d.%d", n, i+1, j+1)))
		}
		t.Findings = append(t.Findings, fi)
	}
	// Solution paths that answer no finding shown in the body (none, or an excluded one).
	var others []*record.Contribution
	for _, sol := range byKind[record.KindSolution] {
		if sol.ParentID == nil || byID[*sol.ParentID] == nil {
			others = append(others, sol)
		}
	}
	for j, sol := range c.ordered(others, supportLess, false) {
		t.OtherSolutions = append(t.OtherSolutions, c.item(sol, fmt.Sprintf("S%d.0.%d", n, j+1)))
	}

	recs := byKind[record.KindRecommendation]
	computed := c.ordered(recs, rankLess, false)
	rank := map[int64]int{}
	for i, r := range computed {
		rank[r.ID] = i + 1
	}
	for i, r := range c.ordered(recs, rankLess, true) {
		t.Recommendations = append(t.Recommendations, c.recommendation(r, fmt.Sprintf("R%d.%d", n, i+1), rank[r.ID], i+1, children))
	}
	return t
}

// ordered sorts contributions by less; with manual, the organisers' positions come first.
func (c *compiler) ordered(cts []*record.Contribution, less func(a, b ranked) bool, manual bool) []*record.Contribution {
	byID := make(map[int64]*record.Contribution, len(cts))
	items := make([]ranked, len(cts))
	for i, ct := range cts {
		byID[ct.ID] = ct
		sup, br := c.supportOf(ct)
		items[i] = ranked{id: ct.ID, support: sup, breadth: br, contested: contested(sup)}
	}
	ids := order(items, less)
	if manual {
		ids = applyPositions(ids, c.s.items)
	}
	out := make([]*record.Contribution, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}

// item is the common part of every contribution in the body, with its rewording applied.
func (c *compiler) item(ct *record.Contribution, ref string) Item {
	c.bodyRef[ct.ID] = ref
	sup, _ := c.supportOf(ct)
	original := Clean(ct.Body)
	text := Clean(orText(c.s.items[ct.ID].Body, ct.Body))
	it := Item{Ref: ref, ID: ct.ID, Annex: c.annexRef[ct.ID], Session: c.sessionTitle(ct.WorkshopID),
		Reworded: text != original, Support: sup}
	it.Text = c.tr.text(SubjectContribution, ct.ID, "text", text, nil, &it.Untranslated)
	it.Plenary = c.plenaryOf(ct.ID)
	return it
}

// plenaryOf is the result of a contribution's plenary vote, or nil.
func (c *compiler) plenaryOf(id int64) *PlenaryResult {
	p, ok := c.plenary[id]
	if !ok {
		return nil
	}
	p.Label = Clean(p.Label)
	return &p
}

func (c *compiler) sessionTitle(workshop int64) string {
	for _, w := range c.s.workshops {
		if w.ID == workshop {
			return c.tr.name(Clean(w.Title), w.Translations)
		}
	}
	return ""
}

func (c *compiler) recommendation(r *record.Contribution, ref string, rank, position int,
	children func(record.Kind, int64) []*record.Contribution) Recommendation {
	it := c.item(r, ref)
	_, br := c.supportOf(r)
	row := c.s.support[r.ID]
	room := c.s.rooms[roomKey{r.WorkshopID, string(r.Phase), it.Support.Method}]
	var group int64
	if r.GroupID != nil {
		group = *r.GroupID
	}
	flags, oneGroup := flagsOf(it.Support, row, room, group)
	// Moved: the organisers placed it by hand somewhere else than its computed rank.
	moved := c.s.items[r.ID].Position != nil && rank != position
	rec := Recommendation{Item: it, Rank: rank, Moved: moved, Breadth: br, Dissent: dissentOf(it.Support),
		Flags: append([]string{}, flags...), Answers: []string{}, Steps: []Step{}, RoomCounts: c.roomCounts(r.ID)}
	if oneGroup {
		rec.FlagGroup = Clean(c.s.groups[row.OneGroup].Name)
	}
	for _, f := range c.s.links[r.ID] {
		if ref := c.bodyRef[f]; ref != "" {
			rec.Answers = append(rec.Answers, ref)
		}
	}
	for j, st := range c.ordered(children(record.KindStep, r.ID), supportLess, false) {
		ed := c.s.items[st.ID]
		step := Step{Item: c.item(st, fmt.Sprintf("%s.%d", ref, j+1))}
		step.Who = c.tr.text(SubjectContribution, st.ID, "who", Clean(orText(ed.Who, st.Who)), nil, &step.Untranslated)
		step.How = c.tr.text(SubjectContribution, st.ID, "how", Clean(orText(ed.How, st.How)), nil, &step.Untranslated)
		step.When = c.tr.text(SubjectContribution, st.ID, "when", Clean(orText(ed.WhenText, st.WhenText)), nil, &step.Untranslated)
		rec.Steps = append(rec.Steps, step)
		if ed.Who != nil || ed.How != nil || ed.WhenText != nil {
			rec.Steps[j].Reworded = true
		}
	}
	return rec
}
