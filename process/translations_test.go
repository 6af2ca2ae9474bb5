package process_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// bilingual stores a process in French and Dutch with one theme and one session whose
// timetable has two items; only some texts are translated.
func bilingual(t *testing.T, db bun.IDB) (*record.Process, *record.Theme, *record.Workshop) {
	t.Helper()
	ctx := context.Background()
	p := fixture.Process(t, db, "logement")
	p.Description = "Des ateliers"
	p.Translations.Set("nl", "title", "Staten-Generaal Huisvesting")
	if err := process.Update(ctx, db, p); err != nil {
		t.Fatal(err)
	}
	th := &record.Theme{ProcessID: p.ID, Position: 1, Title: "L'habitat", Why: "Décloisonner"}
	th.Translations.Set("nl", "title", "De woning")
	th.Translations.Set("nl", "why", "Ontschotten")
	if err := process.CreateTheme(ctx, db, th); err != nil {
		t.Fatal(err)
	}
	w := fixture.Workshop(t, db, p)
	w.Translations.Set("nl", "title", "Workshop")
	agenda := []record.AgendaItem{
		{Kind: "welcome", Title: "Accueil", PlannedMinutes: 15, Translations: record.Translations{"nl": {"title": "Onthaal"}}},
		{Kind: "break", Title: "Pause", PlannedMinutes: 15},
	}
	if err := process.SaveWorkshop(ctx, db, w, agenda); err != nil {
		t.Fatal(err)
	}
	return p, th, w
}

func TestTranslationsRoundTrip(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p, th, w := bilingual(t, db)
		gotP, err := record.GetProcess(ctx, db, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := gotP.Localise("title", "nl"); got != (record.Localised{Text: "Staten-Generaal Huisvesting", Lang: "nl"}) {
			t.Errorf("process title in nl: got %+v", got)
		}
		if got := gotP.Localise("description", "nl"); got != (record.Localised{Text: "Des ateliers", Lang: "fr", Fallback: true}) {
			t.Errorf("untranslated description in nl: got %+v, want the French text marked as a fallback", got)
		}
		if got := gotP.Localise("title", "fr"); got.Text != "Assises logement" || got.Fallback {
			t.Errorf("process title in fr: got %+v", got)
		}
		themes, err := process.ListThemes(ctx, db, p.ID)
		if err != nil || len(themes) != 1 || !reflect.DeepEqual(themes[0].Translations, th.Translations) {
			t.Fatalf("themes: got %+v, %v; want translations %v", themes, err, th.Translations)
		}
		gotW, err := record.GetWorkshop(ctx, db, w.ID)
		if err != nil || gotW.Translations.Get("nl", "title") != "Workshop" {
			t.Fatalf("workshop: got %+v, %v", gotW, err)
		}
		items, err := record.ListAgenda(ctx, db, w.ID)
		if err != nil || len(items) != 2 || items[0].Translations.Get("nl", "title") != "Onthaal" || len(items[1].Translations) != 0 {
			t.Fatalf("agenda: got %+v, %v", items, err)
		}
	})
}

func TestMissingTranslations(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p, _, w := bilingual(t, db)
		got, err := process.MissingTranslations(ctx, db, p)
		if err != nil {
			t.Fatal(err)
		}
		want := []process.Missing{
			{Kind: "process", ID: p.ID, Field: "description", Lang: "nl", Text: "Des ateliers"},
			{Kind: "agenda", ID: w.ID, Position: 2, Field: "title", Lang: "nl", Text: "Pause"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("missing:\n got %+v\nwant %+v", got, want)
		}
		p.Languages = "fr,nl,en"
		if err := process.Update(ctx, db, p); err != nil {
			t.Fatal(err)
		}
		got, err = process.MissingTranslations(ctx, db, p)
		if err != nil {
			t.Fatal(err)
		}
		// Title, description; theme title and why; session title; two agenda items: all in English.
		english := 0
		for _, m := range got {
			if m.Lang == "en" {
				english++
			}
		}
		if english != 7 {
			t.Fatalf("with English added: got %d English texts missing (%+v), want 7", english, got)
		}
	})
}

func TestChangeMainLanguage(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p, _, w := bilingual(t, db)
		p.Languages = "nl,fr"
		err := process.ChangeMainLanguage(ctx, db, p, "fr")
		if !errors.Is(err, process.ErrUntranslated) {
			t.Fatalf("to Dutch with texts missing: got %v, want ErrUntranslated", err)
		}
		stored, err := record.GetProcess(ctx, db, p.ID)
		if err != nil || stored.Languages != record.DefaultLanguages || stored.Title != "Assises logement" {
			t.Fatalf("after a refusal: got %+v, %v; want nothing changed", stored, err)
		}

		stored.Translations.Set("nl", "description", "Workshops")
		if err := process.Update(ctx, db, stored); err != nil {
			t.Fatal(err)
		}
		items, err := record.ListAgenda(ctx, db, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		items[1].Translations.Set("nl", "title", "Pauze")
		if err := process.SetAgenda(ctx, db, w.ID, items); err != nil {
			t.Fatal(err)
		}
		stored.Languages = "nl,fr"
		if err := process.ChangeMainLanguage(ctx, db, stored, "fr"); err != nil {
			t.Fatalf("to Dutch, all translated: %v", err)
		}
		got, err := record.GetProcess(ctx, db, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MainLanguage() != "nl" || got.Title != "Staten-Generaal Huisvesting" || got.Translations.Get("fr", "title") != "Assises logement" || got.Translations.Get("nl", "title") != "" {
			t.Fatalf("process after the change: got %+v", got)
		}
		themes, err := process.ListThemes(ctx, db, p.ID)
		if err != nil || themes[0].Why != "Ontschotten" || themes[0].Translations.Get("fr", "why") != "Décloisonner" {
			t.Fatalf("theme after the change: got %+v, %v", themes, err)
		}
		items, err = record.ListAgenda(ctx, db, w.ID)
		if err != nil || items[0].Title != "Onthaal" || items[1].Title != "Pauze" || items[1].Translations.Get("fr", "title") != "Pause" {
			t.Fatalf("agenda after the change: got %+v, %v", items, err)
		}
		missing, err := process.MissingTranslations(ctx, db, got)
		if err != nil || len(missing) != 0 {
			t.Fatalf("missing after the change: got %+v, %v; want none", missing, err)
		}
	})
}
