package notebook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// The notebook in each language. Brussels is bilingual and the officials the notebook is
// written for answer in French and in Dutch: the editorial team translates the texts of the
// body side by side (the process's title and description, each theme's title, "why",
// introduction and conclusion, each finding, solution path, recommendation and step), and a
// published version is rendered in each of its languages. The annex stays as it was said: it
// is the record.
//
// A text with no translation is given in the main language, never silently: its field is
// listed in the item's Untranslated, and every format prints a marker beside it ([FR]) that
// the method section explains in the reader's language.

// Subjects of a translation.
const (
	SubjectProcess      = "process"
	SubjectTheme        = "theme"
	SubjectContribution = "contribution"
)

// translatable names the fields of each subject and the longest text each may hold.
var translatable = map[string]map[string]int{
	SubjectProcess:      {"title": 200, "description": MaxThemeRunes},
	SubjectTheme:        {"title": 200, "why": MaxThemeRunes, "introduction": MaxThemeRunes, "conclusion": MaxThemeRunes},
	SubjectContribution: {"text": MaxEditRunes, "who": 200, "how": 200, "when": 200},
}

// ActionTranslate is the editorial history's name for a translation.
const ActionTranslate = "translate"

// Translation is one translated text of the notebook.
type Translation struct {
	bun.BaseModel `bun:"table:notebook_translations"`

	ProcessID int64  `bun:",pk"`
	Language  string `bun:",pk"`
	Subject   string `bun:",pk"`
	SubjectID int64  `bun:",pk"`
	Field     string `bun:",pk"`
	Text      string
	UpdatedAt time.Time
}

type trKey struct {
	lang, subject string
	id            int64
	field         string
}

// translations are a process's translated texts.
type translations map[trKey]string

func loadTranslations(ctx context.Context, db bun.IDB, processID int64) (translations, error) {
	var rows []Translation
	if err := db.NewSelect().Model(&rows).Where("process_id = ?", processID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notebook: load translations: %w", err)
	}
	out := make(translations, len(rows))
	for _, r := range rows {
		out[trKey{r.Language, r.Subject, r.SubjectID, r.Field}] = r.Text
	}
	return out, nil
}

// Translate saves the translation into lang of fields of one subject of the process (nil:
// unchanged; an empty text removes the translation, so that the main language shows again,
// marked) and records each change in the editorial history.
func Translate(ctx context.Context, db bun.IDB, processID, editor int64, lang, subject string, subjectID int64, fields map[string]*string, now time.Time) error {
	if i18n.Normalise(lang) != lang || !slices.Contains(i18n.Languages, lang) {
		return fmt.Errorf("%w: unknown language %q", ErrInvalid, lang)
	}
	limits, ok := translatable[subject]
	if !ok {
		return fmt.Errorf("%w: nothing to translate in %q", ErrInvalid, subject)
	}
	for name := range fields {
		if _, ok := limits[name]; !ok {
			return fmt.Errorf("%w: %s has no field %q", ErrInvalid, subject, name)
		}
	}
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var edit Edit
		switch subject {
		case SubjectProcess:
			subjectID = 0
		case SubjectTheme:
			th, err := process.GetTheme(ctx, tx, subjectID)
			if err != nil {
				return err
			}
			if th.ProcessID != processID {
				return fmt.Errorf("notebook: theme %d: %w", subjectID, record.ErrNotFound)
			}
			edit.ThemeID = &subjectID
		case SubjectContribution:
			c, err := processContribution(ctx, tx, processID, subjectID)
			if err != nil {
				return err
			}
			if c.Kind != record.KindStep && (fields["who"] != nil || fields["how"] != nil || fields["when"] != nil) {
				return fmt.Errorf("%w: who, how and when belong to implementation steps", ErrInvalid)
			}
			edit.ContributionID = &subjectID
		}
		var before, after []string
		for _, name := range sortedKeys(fields) {
			in := fields[name]
			if in == nil {
				continue
			}
			text := strings.TrimSpace(Clean(*in))
			if utf8.RuneCountInString(text) > limits[name] {
				return fmt.Errorf("%w: text too long", ErrInvalid)
			}
			cur := Translation{ProcessID: processID, Language: lang, Subject: subject, SubjectID: subjectID, Field: name}
			err := tx.NewSelect().Model(&cur).WherePK().Scan(ctx)
			if err != nil && !isNoRows(err) {
				return fmt.Errorf("notebook: load translation: %w", err)
			}
			old := ""
			if err == nil {
				old = cur.Text
			}
			if old == text {
				continue
			}
			if text == "" {
				_, err = tx.NewDelete().Model(&cur).WherePK().Exec(ctx)
			} else {
				cur.Text, cur.UpdatedAt = text, now
				_, err = tx.NewInsert().Model(&cur).On("CONFLICT (process_id, language, subject, subject_id, field) DO UPDATE").
					Set("text = EXCLUDED.text, updated_at = EXCLUDED.updated_at").Exec(ctx)
			}
			if err != nil {
				return fmt.Errorf("notebook: save translation: %w", err)
			}
			before = append(before, lang+" "+name+": "+old)
			after = append(after, lang+" "+name+": "+text)
		}
		if len(after) == 0 {
			return nil
		}
		edit.ProcessID, edit.EditorID, edit.Action, edit.CreatedAt = processID, &editor, ActionTranslate, now
		edit.BeforeText, edit.AfterText = strings.Join(before, "\n"), strings.Join(after, "\n")
		return logEdit(ctx, tx, &edit)
	})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// translator gives the texts of one language of the notebook: the translation when there is
// one, else the main language's text, noting the field as untranslated.
type translator struct {
	lang, main string
	tr         translations
}

// text returns the field's text in the notebook's language and adds field to *missing when it
// falls back to the main language. An empty main text needs no translation. The editorial
// team's translation comes first; else the one the organisers gave the process's own text
// (inherited: the process's, a theme's translations), else the main language's, marked.
func (t translator) text(subject string, id int64, field, main string, inherited record.Translations, missing *[]string) string {
	if t.lang == t.main {
		return main
	}
	if s := t.tr[trKey{t.lang, subject, id, field}]; s != "" {
		return Clean(s)
	}
	if s := inherited.Get(t.lang, field); s != "" && main != "" {
		return Clean(s)
	}
	if main != "" {
		*missing = append(*missing, field)
	}
	return main
}

// name is a session's title in the notebook's language when the organisers translated it, else
// as they wrote it: a name, which no marker follows.
func (t translator) name(main string, inherited record.Translations) string {
	if s := inherited.Get(t.lang, "title"); s != "" && t.lang != t.main {
		return Clean(s)
	}
	return main
}

// MissingTranslations lists what a notebook rendered in its language gives in the main
// language instead: "process title", "T1 introduction", "R1.2", "R1.2.1 who"… in notebook
// order. The editor shows it before publishing.
func MissingTranslations(nb *Notebook) []string {
	var out []string
	add := func(ref string, fields []string, plain string) {
		for _, f := range fields {
			if f == plain {
				out = append(out, ref)
			} else {
				out = append(out, ref+" "+f)
			}
		}
	}
	add("process", nb.Process.Untranslated, "")
	for _, t := range nb.Themes {
		add(t.Ref, t.Untranslated, "")
		t.items(func(it *Item, _ *Recommendation) { add(it.Ref, it.Untranslated, "text") })
	}
	return out
}
