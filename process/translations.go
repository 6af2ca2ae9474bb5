package process

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Missing is one text of a process not written yet in one of its languages: readers of that
// language get the main language's text instead, marked.
type Missing struct {
	Kind     string `json:"kind"`               // process, theme, workshop, agenda, question
	ID       int64  `json:"id"`                 // the process, theme or workshop (agenda items and questions: their workshop)
	Position int    `json:"position,omitempty"` // an agenda item's place in its timetable
	Field    string `json:"field"`              // title, description, why; a question: its phase
	Lang     string `json:"lang"`
	Text     string `json:"text"` // the main language's text, so that the list says which one
}

// MissingTranslations lists every text of p that exists in its main language but not in one of
// its other languages, in the order of the organiser's page: the process, its themes, its
// sessions with their timetables and questions.
func MissingTranslations(ctx context.Context, db bun.IDB, p *record.Process) ([]Missing, error) {
	langs := p.ContentLanguages()
	out := []Missing{}
	check := func(kind string, id int64, pos int, field, main string, t record.Translations) {
		if strings.TrimSpace(main) == "" {
			return
		}
		for _, l := range langs[1:] {
			if t.Get(l, field) == "" {
				out = append(out, Missing{Kind: kind, ID: id, Position: pos, Field: field, Lang: l, Text: main})
			}
		}
	}
	check("process", p.ID, 0, "title", p.Title, p.Translations)
	check("process", p.ID, 0, "description", p.Description, p.Translations)
	themes, err := ListThemes(ctx, db, p.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range themes {
		check("theme", t.ID, 0, "title", t.Title, t.Translations)
		check("theme", t.ID, 0, "why", t.Why, t.Translations)
	}
	workshops, err := ListWorkshops(ctx, db, p.ID)
	if err != nil {
		return nil, err
	}
	for _, w := range workshops {
		check("workshop", w.ID, 0, "title", w.Title, w.Translations)
		agenda, err := record.ListAgenda(ctx, db, w.ID)
		if err != nil {
			return nil, err
		}
		for _, it := range agenda {
			check("agenda", w.ID, it.Position, "title", it.Title, it.Translations)
		}
		st, err := view.ParseLiveState(w.State)
		if err != nil {
			return nil, err
		}
		for _, ph := range record.Phases {
			t := record.Translations{}
			for l, text := range st.QuestionTexts[ph] {
				t.Set(l, string(ph), text)
			}
			check("question", w.ID, 0, string(ph), st.Questions[ph], t)
		}
	}
	return out, nil
}

// ErrUntranslated refuses to make a language the main one while some text does not exist in it:
// the plain columns must always hold a text.
var ErrUntranslated = errors.New("a text is not translated into the new main language")

// ChangeMainLanguage saves p (Update) with languages whose first one differs from its stored
// main language: in one transaction, every text of the process, its themes, sessions and
// timetables swaps its plain column (the old main language) with its translation into the new
// one. It refuses with ErrUntranslated, changing nothing, when a text has no such translation.
// Questions that moderators set live stay as they were.
func ChangeMainLanguage(ctx context.Context, db bun.IDB, p *record.Process, oldMain string) error {
	newMain := p.MainLanguage()
	run := func(ctx context.Context, tx bun.Tx) error {
		if oldMain == newMain {
			return Update(ctx, tx, p)
		}
		var missing []string
		swap := func(what string, plain *string, t *record.Translations, field string) {
			if *plain == "" {
				return
			}
			next := t.Get(newMain, field)
			if next == "" {
				missing = append(missing, what+" "+field)
				return
			}
			t.Set(oldMain, field, *plain)
			t.Set(newMain, field, "")
			*plain = next
		}
		swap("process", &p.Title, &p.Translations, "title")
		swap("process", &p.Description, &p.Translations, "description")
		themes, err := ListThemes(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		for i := range themes {
			swap("theme", &themes[i].Title, &themes[i].Translations, "title")
			swap("theme", &themes[i].Why, &themes[i].Translations, "why")
		}
		workshops, err := ListWorkshops(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		agendas := make([][]record.AgendaItem, len(workshops))
		for i := range workshops {
			swap("workshop", &workshops[i].Title, &workshops[i].Translations, "title")
			if agendas[i], err = record.ListAgenda(ctx, tx, workshops[i].ID); err != nil {
				return err
			}
			for j := range agendas[i] {
				swap("agenda", &agendas[i][j].Title, &agendas[i][j].Translations, "title")
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("store: change main language to %s: %w (%s)", newMain, ErrUntranslated, strings.Join(missing, ", "))
		}
		if err := Update(ctx, tx, p); err != nil {
			return err
		}
		for i := range themes {
			if err := UpdateTheme(ctx, tx, &themes[i]); err != nil {
				return err
			}
		}
		for i := range workshops {
			if _, err := tx.NewUpdate().Model(&workshops[i]).Column("title", "translations").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("store: change main language: %w", err)
			}
			for j := range agendas[i] {
				if _, err := tx.NewUpdate().Model(&agendas[i][j]).Column("title", "translations").WherePK().Exec(ctx); err != nil {
					return fmt.Errorf("store: change main language: %w", err)
				}
			}
		}
		return nil
	}
	if tx, ok := db.(bun.Tx); ok {
		return run(ctx, tx)
	}
	return db.RunInTx(ctx, nil, run)
}
