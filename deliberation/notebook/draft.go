package notebook

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/record"
)

// Draft is what the organisers' editor shows: the compiled notebook and, theme by theme,
// every contribution they may reword, exclude or reorder, excluded ones included (the
// notebook itself leaves those out), each with its original text beside the current one.
type Draft struct {
	Notebook *Notebook       `json:"notebook"`
	Themes   []EditableTheme `json:"themes"`
	// Main is the language the texts are written in; Languages are the others, into which the
	// editorial team translates side by side.
	Main      string   `json:"main"`
	Languages []string `json:"languages"`
	// Published are the languages a version is published in unless the organiser chooses
	// otherwise: the process's languages, main first.
	Published []string `json:"published"`
	// Process holds the translations of the process's title and description, by language;
	// ProcessInherited those the organisers gave the process itself, which the notebook uses
	// when the editorial team gives none.
	Process          map[string]Texts `json:"process"`
	ProcessInherited map[string]Texts `json:"processInherited"`
	// Missing lists, by language, what a version published now would give in the main
	// language (MissingTranslations).
	Missing map[string][]string `json:"missing"`
}

// Texts are the translated fields of one subject in one language, by field name (title, why,
// introduction, conclusion; text, who, how, when): "" when not translated.
type Texts map[string]string

// EditableTheme is a theme in the editor.
type EditableTheme struct {
	ID              int64            `json:"id"` // 0 for the sessions without a theme
	Ref             string           `json:"ref"`
	Title           string           `json:"title"`
	Introduction    string           `json:"introduction"`
	Conclusion      string           `json:"conclusion"`
	Why             string           `json:"why"`
	Translations    map[string]Texts `json:"translations"` // by language
	Inherited       map[string]Texts `json:"inherited"`    // the theme's own title and why, by language
	Findings        []EditableItem   `json:"findings"`
	Recommendations []EditableItem   `json:"recommendations"`
	Others          []EditableItem   `json:"others"` // solution paths and implementation steps
}

// EditableItem is a contribution in the editor.
type EditableItem struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	Ref      string `json:"ref"`   // its ref in the draft's body, "" when excluded
	Annex    string `json:"annex"` // its ref in the annex
	Rank     int    `json:"rank"`  // recommendations: the computed rank
	Session  string `json:"session"`
	Original string `json:"original"` // as said (after any edit its author made in the session)
	Text     string `json:"text"`     // as the notebook shows it
	Who      string `json:"who"`
	How      string `json:"how"`
	When     string `json:"when"`
	Excluded bool   `json:"excluded"`
	Manual   bool   `json:"manual"` // placed by hand
	// Translations are the editorial team's translations, by language.
	Translations map[string]Texts `json:"translations"`
}

// CompileDraft compiles the process and lists what the editor may change.
func CompileDraft(ctx context.Context, db bun.IDB, processID int64, opts Options) (*Draft, error) {
	s, err := load(ctx, db, processID)
	if err != nil {
		return nil, err
	}
	if opts.Main == "" {
		opts.Main = mainLanguage(s.process)
	}
	opts.Language = opts.Main
	nb, c, err := compile(ctx, db, s, opts)
	if err != nil {
		return nil, err
	}
	d := &Draft{Notebook: nb, Themes: []EditableTheme{}, Main: opts.Main, Languages: []string{}, Published: s.process.ContentLanguages(),
		Process: map[string]Texts{}, Missing: map[string][]string{}}
	for _, lang := range i18n.Languages {
		if lang == opts.Main {
			continue
		}
		d.Languages = append(d.Languages, lang)
		in := opts
		in.Language = lang
		other, _, err := compile(ctx, db, s, in)
		if err != nil {
			return nil, err
		}
		d.Missing[lang] = append([]string{}, MissingTranslations(other)...)
	}
	texts := func(subject string, id int64) map[string]Texts {
		out := map[string]Texts{}
		for _, lang := range d.Languages {
			t := Texts{}
			for field := range translatable[subject] {
				t[field] = s.translations[trKey{lang, subject, id, field}]
			}
			out[lang] = t
		}
		return out
	}
	d.Process = texts(SubjectProcess, 0)
	inherited := func(t record.Translations) map[string]Texts {
		out := map[string]Texts{}
		for _, lang := range d.Languages {
			out[lang] = Texts(t[lang])
		}
		return out
	}
	d.ProcessInherited = inherited(s.process.Translations)
	rank := map[int64]int{}
	for _, t := range nb.Themes {
		for _, r := range t.Recommendations {
			rank[r.ID] = r.Rank
		}
	}
	body, annex := c.bodyRef, c.annexRef
	groups := c.sessions()
	for i, g := range groups {
		et := EditableTheme{Ref: nb.Themes[i].Ref, Title: nb.Themes[i].Title, Introduction: nb.Themes[i].Introduction,
			Conclusion: nb.Themes[i].Conclusion, Why: nb.Themes[i].Why, Translations: map[string]Texts{}, Inherited: map[string]Texts{},
			Findings: []EditableItem{}, Recommendations: []EditableItem{}, Others: []EditableItem{}}
		if g.theme != nil {
			et.ID = g.theme.ID
			et.Translations = texts(SubjectTheme, g.theme.ID)
			et.Inherited = inherited(g.theme.Translations)
		}
		inTheme := map[int64]bool{}
		for _, w := range g.workshops {
			inTheme[w.ID] = true
		}
		// Body order first, then what the body leaves out, in the order it was said.
		var first, rest []EditableItem
		for i := range s.contributions {
			ct := &s.contributions[i]
			if !inTheme[ct.WorkshopID] || ct.Status != record.StatusVisible {
				continue
			}
			ed := s.items[ct.ID]
			it := EditableItem{ID: ct.ID, Kind: string(ct.Kind), Ref: body[ct.ID], Annex: annex[ct.ID], Rank: rank[ct.ID],
				Session: c.sessionTitle(ct.WorkshopID), Original: Clean(ct.Body), Text: Clean(orText(ed.Body, ct.Body)),
				Who: Clean(orText(ed.Who, ct.Who)), How: Clean(orText(ed.How, ct.How)), When: Clean(orText(ed.WhenText, ct.WhenText)),
				Excluded: ed.Excluded, Manual: ed.Position != nil, Translations: texts(SubjectContribution, ct.ID)}
			if it.Ref != "" {
				first = append(first, it)
			} else {
				rest = append(rest, it)
			}
		}
		sortByRef(first)
		for _, it := range append(first, rest...) {
			switch record.Kind(it.Kind) {
			case record.KindFinding:
				et.Findings = append(et.Findings, it)
			case record.KindRecommendation:
				et.Recommendations = append(et.Recommendations, it)
			default:
				et.Others = append(et.Others, it)
			}
		}
		d.Themes = append(d.Themes, et)
	}
	return d, nil
}

// sortByRef orders body items as the body does: F1.2 before F1.10 (numbers, not text).
func sortByRef(items []EditableItem) {
	key := func(ref string) []int {
		var out []int
		n, in := 0, false
		for _, r := range ref {
			if r >= '0' && r <= '9' {
				n, in = n*10+int(r-'0'), true
			} else if in {
				out, n, in = append(out, n), 0, false
			}
		}
		if in {
			out = append(out, n)
		}
		return out
	}
	less := func(a, b EditableItem) bool {
		if a.Ref[0] != b.Ref[0] {
			return a.Ref[0] < b.Ref[0]
		}
		ka, kb := key(a.Ref), key(b.Ref)
		for i := 0; i < len(ka) && i < len(kb); i++ {
			if ka[i] != kb[i] {
				return ka[i] < kb[i]
			}
		}
		return len(ka) < len(kb)
	}
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && less(items[j], items[j-1]); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}
