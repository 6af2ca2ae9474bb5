package notebook

import (
	"context"
	"fmt"
	"sort"

	"github.com/uptrace/bun"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/record"
)

// PlenarySource gives the results of plenary votes on recommendations, by contribution id.
// Plenary votes (a public day voting the final texts) are built elsewhere; the compiler only
// asks this seam, so that they appear in the notebook as soon as a source is passed in
// Options.Plenary. Without one, no recommendation has a plenary result.
type PlenarySource interface {
	PlenaryResults(ctx context.Context, db bun.IDB, processID int64) (map[int64]PlenaryResult, error)
}

// PlenaryFunc adapts a function to PlenarySource.
type PlenaryFunc func(ctx context.Context, db bun.IDB, processID int64) (map[int64]PlenaryResult, error)

// PlenaryResults calls f.
func (f PlenaryFunc) PlenaryResults(ctx context.Context, db bun.IDB, processID int64) (map[int64]PlenaryResult, error) {
	return f(ctx, db, processID)
}

// Options tune a compilation.
type Options struct {
	Language string        // the language of the rendering (labels and translations); "" is Main
	Main     string        // the language the organisers' texts are written in; "" is the process's first language
	Plenary  PlenarySource // nil: no plenary votes
}

// mainLanguage is the language a process's texts are written in: its main language.
func mainLanguage(p *record.Process) string { return i18n.Normalise(p.MainLanguage()) }

// Compile reads a process and its editorial layer and returns its notebook as a draft
// (Version 0). It reads; it never writes.
func Compile(ctx context.Context, db bun.IDB, processID int64, opts Options) (*Notebook, error) {
	s, err := load(ctx, db, processID)
	if err != nil {
		return nil, err
	}
	nb, _, err := compile(ctx, db, s, opts)
	return nb, err
}

// compile builds the notebook of a loaded process; the compiler it returns knows where each
// contribution went (the editor's draft needs that).
func compile(ctx context.Context, db bun.IDB, s *source, opts Options) (*Notebook, *compiler, error) {
	var err error
	var plenary map[int64]PlenaryResult
	if opts.Plenary != nil {
		if plenary, err = opts.Plenary.PlenaryResults(ctx, db, s.process.ID); err != nil {
			return nil, nil, fmt.Errorf("notebook: plenary results: %w", err)
		}
	}
	main := opts.Main
	if main == "" {
		main = mainLanguage(s.process)
	}
	lang := opts.Language
	if lang == "" {
		lang = main
	}
	c := &compiler{s: s, plenary: plenary, annexRef: map[int64]string{}, bodyRef: map[int64]string{},
		tr: translator{lang: lang, main: main, tr: s.translations}}
	nb := &Notebook{
		Schema: SchemaID, Language: lang, MainLanguage: main, Ranking: RankingRule, Generator: "Assises",
		Process: ProcessRef{Slug: s.process.Slug}, Themes: []Theme{}, Annex: []Session{},
	}
	pt := s.process.Translations
	nb.Process.Title = c.tr.text(SubjectProcess, 0, "title", Clean(s.process.Title), pt, &nb.Process.Untranslated)
	nb.Process.Description = c.tr.text(SubjectProcess, 0, "description", Clean(s.process.Description), pt, &nb.Process.Untranslated)
	c.cover(nb)
	groups := c.sessions()
	nb.Annex = c.annex(groups)
	for i, g := range groups {
		nb.Themes = append(nb.Themes, c.theme(i+1, g))
	}
	nb.Method.PlenaryRules = plenaryRulesOf(nb.Annex)
	// The annex says where each contribution went in the body, now that the body is built.
	for i := range nb.Annex {
		for j := range nb.Annex[i].Contributions {
			e := &nb.Annex[i].Contributions[j]
			e.InNotebook = c.bodyRef[c.annexID[e.Ref]]
		}
	}
	return nb, c, nil
}

type compiler struct {
	s        *source
	plenary  map[int64]PlenaryResult
	annexRef map[int64]string // contribution id → A17
	annexID  map[string]int64 // A17 → contribution id
	bodyRef  map[int64]string // contribution id → R1.2
	tr       translator       // the texts in the notebook's language
}

// themeGroup is a theme with its sessions; theme is nil for sessions that have none.
type themeGroup struct {
	theme     *record.Theme
	workshops []record.Workshop
}

// sessions groups the workshops by theme, in theme order then time order; sessions without
// a theme come last, as one group, when there are any.
func (c *compiler) sessions() []themeGroup {
	byTheme := map[int64][]record.Workshop{}
	var loose []record.Workshop
	known := map[int64]bool{}
	for _, t := range c.s.themes {
		known[t.ID] = true
	}
	for _, w := range c.s.workshops { // already in time order
		if w.ThemeID != nil && known[*w.ThemeID] {
			byTheme[*w.ThemeID] = append(byTheme[*w.ThemeID], w)
		} else {
			loose = append(loose, w)
		}
	}
	var out []themeGroup
	for i := range c.s.themes {
		out = append(out, themeGroup{theme: &c.s.themes[i], workshops: byTheme[c.s.themes[i].ID]})
	}
	if len(loose) > 0 {
		out = append(out, themeGroup{workshops: loose})
	}
	return out
}

func (c *compiler) cover(nb *Notebook) {
	nb.Cover = Cover{Sessions: len(c.s.workshops), Participants: c.s.participants, Organisations: c.s.organisations, OpenParticipants: c.s.open}
	// The methods the notebook names are those of phases where something was said.
	type phaseOf struct {
		workshop int64
		phase    record.Phase
	}
	methods := map[string]bool{}
	used := map[phaseOf]bool{}
	for _, ct := range c.s.contributions {
		used[phaseOf{ct.WorkshopID, ct.Phase}] = true
	}
	for _, w := range c.s.workshops {
		start, end := w.StartsAt.UTC(), w.EndsAt.UTC()
		if nb.Cover.From == nil || start.Before(*nb.Cover.From) {
			nb.Cover.From = &start
		}
		if nb.Cover.To == nil || end.After(*nb.Cover.To) {
			nb.Cover.To = &end
		}
		st := c.s.states[w.ID]
		for _, p := range []record.Phase{record.PhaseDiagnostic, record.PhaseRecommendations, record.PhaseImplementation} {
			if used[phaseOf{w.ID, p}] {
				methods[string(st.VoteSettingsFor(p).Method)] = true
			}
		}
	}
	nb.Method = Method{Themes: len(c.s.themes), Sessions: len(c.s.workshops), VoteMethods: []string{}, Groups: len(c.s.groups) > 0}
	for m := range methods {
		nb.Method.VoteMethods = append(nb.Method.VoteMethods, m)
	}
	sort.Strings(nb.Method.VoteMethods)
}

// method is the vote method that counted for a contribution.
func (c *compiler) method(ct *record.Contribution) string {
	st := c.s.states[ct.WorkshopID]
	return string(st.VoteSettingsFor(ct.Phase).Method)
}

func (c *compiler) supportOf(ct *record.Contribution) (Support, Breadth) {
	row := c.s.support[ct.ID]
	if ct.Status != record.StatusVisible {
		row = supportRow{} // the live tally counts visible contributions only
	}
	return supportOf(c.method(ct), row)
}

func (c *compiler) roomCounts(id int64) []RoomCount {
	out := []RoomCount{}
	for _, rc := range c.s.roomCounts[id] {
		out = append(out, RoomCount{Label: Clean(rc.Label), Yes: rc.YesCount, Neutral: rc.NeutralCount, No: rc.NoCount})
	}
	return out
}

// annex lists every visible or merged contribution, session by session, and numbers them.
func (c *compiler) annex(groups []themeGroup) []Session {
	byWorkshop := map[int64][]*record.Contribution{}
	for i := range c.s.contributions {
		ct := &c.s.contributions[i]
		byWorkshop[ct.WorkshopID] = append(byWorkshop[ct.WorkshopID], ct)
	}
	c.annexID = map[string]int64{}
	n := 0
	for _, g := range groups {
		for _, w := range g.workshops {
			for _, ct := range byWorkshop[w.ID] {
				n++
				ref := fmt.Sprintf("A%d", n)
				c.annexRef[ct.ID], c.annexID[ref] = ref, ct.ID
			}
		}
	}
	out := []Session{}
	for ti, g := range groups {
		for _, w := range g.workshops {
			st := c.s.states[w.ID]
			sess := Session{Title: c.tr.name(Clean(w.Title), w.Translations), Theme: fmt.Sprintf("T%d", ti+1), StartsAt: w.StartsAt.UTC(),
				Contributions: []AnnexEntry{}, Groups: []string{}, Methods: map[string]string{}}
			for _, p := range []record.Phase{record.PhaseDiagnostic, record.PhaseRecommendations, record.PhaseImplementation} {
				sess.Methods[string(p)] = string(st.VoteSettingsFor(p).Method)
			}
			for _, gr := range c.s.workshopGroup[w.ID] {
				sess.Groups = append(sess.Groups, Clean(gr.Name))
			}
			for _, ct := range byWorkshop[w.ID] {
				sess.Contributions = append(sess.Contributions, c.annexEntry(ct))
			}
			out = append(out, sess)
		}
	}
	return out
}

func (c *compiler) annexEntry(ct *record.Contribution) AnnexEntry {
	sup, _ := c.supportOf(ct)
	e := AnnexEntry{
		Ref: c.annexRef[ct.ID], Kind: string(ct.Kind), Phase: string(ct.Phase), Text: Clean(ct.Body), Lang: ct.Lang,
		Who: Clean(ct.Who), How: Clean(ct.How), When: Clean(ct.WhenText), Links: []string{},
		Status: string(ct.Status), Edited: ct.Version > 1, Support: sup, RoomCounts: c.roomCounts(ct.ID),
		Plenary: c.plenaryOf(ct.ID),
	}
	if ct.ParentID != nil {
		e.Parent = c.annexRef[*ct.ParentID]
	}
	if ct.MergedInto != nil {
		e.MergedInto = c.annexRef[*ct.MergedInto]
	}
	if ct.GroupID != nil {
		e.Group = Clean(c.s.groups[*ct.GroupID].Name)
	}
	for _, to := range c.s.links[ct.ID] {
		if ref := c.annexRef[to]; ref != "" {
			e.Links = append(e.Links, ref)
		}
	}
	return e
}
