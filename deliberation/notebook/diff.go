package notebook

import "strings"

// Change is one difference between a published version and the one before: what a reader
// who knows version n−1 needs to look at in version n. Items are matched by contribution id,
// so a recommendation that moved keeps its identity while its ref changes.
type Change struct {
	Kind   string `json:"kind"`   // see the Change* constants
	Ref    string `json:"ref"`    // the item's ref in the new version (the old one when removed)
	OldRef string `json:"oldRef"` // the item's ref in the previous version, when it had one
	Theme  string `json:"theme"`  // the theme's title in the new version
	Text   string `json:"text"`   // the item's text (new, or old when removed)
}

// Kinds of change.
const (
	ChangeAdded        = "added"         // a recommendation or finding is new
	ChangeRemoved      = "removed"       // it is no longer in the body
	ChangeReworded     = "reworded"      // its text changed
	ChangeMoved        = "moved"         // its place changed
	ChangeSteps        = "steps"         // its implementation steps changed
	ChangeIntroduction = "introduction"  // a theme's introduction changed
	ChangeConclusion   = "conclusion"    // a theme's conclusion changed
	ChangeThemeAdded   = "theme_added"   // a theme appeared
	ChangeThemeRemoved = "theme_removed" // a theme disappeared
)

type diffItem struct {
	ref, theme, text, steps string
	kind                    string // finding or recommendation
}

func diffItems(nb *Notebook) (map[int64]diffItem, []int64) {
	m := map[int64]diffItem{}
	var order []int64
	for _, t := range nb.Themes {
		title := t.Title
		for _, f := range t.Findings {
			m[f.ID] = diffItem{ref: f.Ref, theme: title, text: f.Text, kind: "finding"}
			order = append(order, f.ID)
		}
		for _, r := range t.Recommendations {
			var steps []string
			for _, s := range r.Steps {
				steps = append(steps, s.Text+"|"+s.Who+"|"+s.How+"|"+s.When)
			}
			m[r.ID] = diffItem{ref: r.Ref, theme: title, text: r.Text, kind: "recommendation", steps: strings.Join(steps, "\n")}
			order = append(order, r.ID)
		}
	}
	return m, order
}

// Diff lists what changed from old to nb, in the order of the new notebook, then removals.
func Diff(old, nb *Notebook) []Change {
	out := []Change{}
	before, _ := diffItems(old)
	after, order := diffItems(nb)
	oldThemes := map[string]Theme{}
	for _, t := range old.Themes {
		oldThemes[t.Title] = t
	}
	for _, t := range nb.Themes {
		o, ok := oldThemes[t.Title]
		switch {
		case !ok:
			out = append(out, Change{Kind: ChangeThemeAdded, Ref: t.Ref, Theme: t.Title, Text: t.Title})
			continue
		case o.Introduction != t.Introduction:
			out = append(out, Change{Kind: ChangeIntroduction, Ref: t.Ref, OldRef: o.Ref, Theme: t.Title, Text: t.Introduction})
		}
		if o.Conclusion != t.Conclusion {
			out = append(out, Change{Kind: ChangeConclusion, Ref: t.Ref, OldRef: o.Ref, Theme: t.Title, Text: t.Conclusion})
		}
	}
	for _, id := range order {
		a := after[id]
		b, ok := before[id]
		c := Change{Ref: a.ref, Theme: a.theme, Text: a.text}
		switch {
		case !ok:
			c.Kind = ChangeAdded
			out = append(out, c)
			continue
		case b.text != a.text:
			c.Kind, c.OldRef = ChangeReworded, b.ref
			out = append(out, c)
		}
		if b.ref != a.ref {
			out = append(out, Change{Kind: ChangeMoved, Ref: a.ref, OldRef: b.ref, Theme: a.theme, Text: a.text})
		}
		if b.steps != a.steps {
			out = append(out, Change{Kind: ChangeSteps, Ref: a.ref, OldRef: b.ref, Theme: a.theme, Text: a.text})
		}
	}
	_, oldOrder := diffItems(old)
	for _, id := range oldOrder {
		if _, ok := after[id]; !ok {
			b := before[id]
			out = append(out, Change{Kind: ChangeRemoved, Ref: b.ref, OldRef: b.ref, Theme: b.theme, Text: b.text})
		}
	}
	for _, t := range old.Themes {
		found := false
		for _, n := range nb.Themes {
			found = found || n.Title == t.Title
		}
		if !found {
			out = append(out, Change{Kind: ChangeThemeRemoved, OldRef: t.Ref, Theme: t.Title, Text: t.Title})
		}
	}
	return out
}
