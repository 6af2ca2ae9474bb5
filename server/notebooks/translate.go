package notebooks

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/i18n"
)

// The translation side of the notebook's editor: beside each text in the main language, one
// form per other language (those the notebook is published in by default first, the others
// folded away as optional), a "missing" mark on what is not translated yet, and the list of
// what a version published now would give in the main language.

// trForm is one language's translation form of one subject.
type trForm struct {
	Code, Label, Heading, API string
	Fields                    []trField
	Missing                   bool // a main text has no translation in this language
	Optional                  bool // not among the languages published by default
}

// trField is one field of a translation form.
type trField struct {
	ID, Name, Label, Value string
	Inherited              string // the organisers' own translation, which the notebook uses when Value is empty
	Max                    int
	Long                   bool // a textarea
}

// trFields are the fields each subject offers, in order, with their label's key and limit.
var trFields = map[string][]struct {
	name, label string
	max         int
	long        bool
}{
	notebook.SubjectProcess: {{"title", "nb.ui.field.title", 200, false}, {"description", "nb.ui.field.description", notebook.MaxThemeRunes, true}},
	notebook.SubjectTheme: {{"title", "nb.ui.field.title", 200, false}, {"why", "nb.ui.field.why", notebook.MaxThemeRunes, true},
		{"introduction", "nb.ui.theme.introduction", notebook.MaxThemeRunes, true}, {"conclusion", "nb.ui.theme.conclusion", notebook.MaxThemeRunes, true}},
	notebook.SubjectContribution: {{"text", "nb.ui.text", notebook.MaxEditRunes, true}},
	"step": {{"text", "nb.ui.text", notebook.MaxEditRunes, true}, {"who", "nb.step.who", 200, false},
		{"how", "nb.step.how", 200, false}, {"when", "nb.step.when", 200, false}},
}

// missingList is what a language still lacks.
type missingList struct {
	Heading string
	Refs    []string
	Count   int
}

// translationForms builds the forms of a subject, one per language of the draft. main holds
// the subject's texts in the main language, by field, to tell what is missing; fields names
// the form's fields (a subject, or "step").
func (h *Pages) translationForms(lang string, draft *notebook.Draft, api, subject, fields string, id int64,
	byLang, inherited map[string]notebook.Texts, main notebook.Texts) []trForm {
	var out []trForm
	for _, l := range draft.Languages {
		f := trForm{Code: l, Label: h.Catalog.T(lang, "nb.lang.name."+l), Optional: !slices.Contains(draft.Published, l)}
		f.Heading = fill(h.Catalog.T(lang, "nb.ui.translation.in"), "language", f.Label)
		if subject == notebook.SubjectProcess {
			f.API = fmt.Sprintf("%s/translations/%s/process", api, l)
		} else {
			f.API = fmt.Sprintf("%s/translations/%s/%s/%s", api, l, subject, strconv.FormatInt(id, 10))
		}
		for _, fd := range trFields[fields] {
			value, own := byLang[l][fd.name], inherited[l][fd.name]
			f.Fields = append(f.Fields, trField{ID: fmt.Sprintf("tr-%s-%s-%d-%s", l, subject, id, fd.name), Name: fd.name,
				Label: h.Catalog.T(lang, fd.label), Value: value, Inherited: own, Max: fd.max, Long: fd.long})
			if main[fd.name] != "" && value == "" && own == "" {
				f.Missing = true
			}
		}
		out = append(out, f)
	}
	return out
}

// missingLists says, per language of the draft, what is not translated yet.
func (h *Pages) missingLists(lang string, draft *notebook.Draft) []missingList {
	var out []missingList
	for _, l := range draft.Languages {
		refs := draft.Missing[l]
		name := h.Catalog.T(lang, "nb.lang.name."+l)
		m := missingList{Refs: refs, Count: len(refs),
			Heading: fill(h.Catalog.T(lang, "nb.ui.missing.count"), "language", name, "n", strconv.Itoa(len(refs)))}
		if len(refs) == 0 {
			m.Heading = fill(h.Catalog.T(lang, "nb.ui.missing.none"), "language", name)
		}
		out = append(out, m)
	}
	return out
}

// publishChoice is a language in the publishing form.
type publishChoice struct {
	Code, Label   string
	Checked, Main bool
}

func (h *Pages) publishChoices(lang string, main string, defaults []string) []publishChoice {
	var out []publishChoice
	for _, l := range i18n.Languages {
		out = append(out, publishChoice{Code: l, Label: h.Catalog.T(lang, "nb.lang.name."+l),
			Checked: l == main || slices.Contains(defaults, l), Main: l == main})
	}
	return out
}
