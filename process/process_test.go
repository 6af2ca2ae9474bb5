package process_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

func TestProcessThemesWorkshops(t *testing.T) {
	fixture.EachProcess(t, "logement", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		if p.ID == 0 {
			t.Fatal("process id not set")
		}
		got, err := process.GetBySlug(ctx, db, "logement")
		if err != nil || got.ID != p.ID || got.Languages != record.DefaultLanguages {
			t.Fatalf("get by slug: got %+v, %v; want id %d with default languages", got, err, p.ID)
		}
		if _, err := process.GetBySlug(ctx, db, "nope"); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("unknown slug: got %v, want ErrNotFound", err)
		}
		if _, err := record.GetProcess(ctx, db, 9999); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("unknown id: got %v, want ErrNotFound", err)
		}
		for i, title := range []string{"Deux", "Un"} {
			th := &record.Theme{ProcessID: p.ID, Position: 2 - i, Title: title, Why: "parce que"}
			if err := process.CreateTheme(ctx, db, th); err != nil {
				t.Fatal(err)
			}
		}
		themes, err := process.ListThemes(ctx, db, p.ID)
		if err != nil || len(themes) != 2 || themes[0].Title != "Un" {
			t.Fatalf("themes: got %+v, %v; want Un then Deux", themes, err)
		}
		start := time.Date(2023, 11, 16, 12, 0, 0, 0, time.UTC)
		late := &record.Workshop{ProcessID: p.ID, ThemeID: &themes[0].ID, Title: "B", StartsAt: start.Add(48 * time.Hour), EndsAt: start.Add(51 * time.Hour)}
		early := &record.Workshop{ProcessID: p.ID, ThemeID: &themes[0].ID, Title: "A", StartsAt: start, EndsAt: start.Add(3 * time.Hour)}
		for _, w := range []*record.Workshop{late, early} {
			if err := process.CreateWorkshop(ctx, db, w); err != nil {
				t.Fatal(err)
			}
			if len(w.Code) != 8 || w.Phase != record.PhaseLobby {
				t.Fatalf("workshop defaults: code %q phase %q, want 8-letter code and lobby", w.Code, w.Phase)
			}
		}
		ws, err := process.ListWorkshops(ctx, db, p.ID)
		if err != nil || len(ws) != 2 || ws[0].Title != "A" {
			t.Fatalf("workshops: got %+v, %v; want A then B", ws, err)
		}
		if !ws[0].StartsAt.Equal(start) {
			t.Fatalf("starts_at round trip: got %v, want %v", ws[0].StartsAt, start)
		}
		byCode, err := process.GetWorkshopByCode(ctx, db, " "+strings.ToLower(early.Code[:4])+"-"+early.Code[4:])
		if err != nil || byCode.ID != early.ID {
			t.Fatalf("by typed code: got %+v, %v; want workshop %d", byCode, err, early.ID)
		}
		items := []record.AgendaItem{{Kind: "welcome", Title: "Accueil", PlannedMinutes: 15}, {Kind: "phase", Title: "Diagnostic", Phase: record.PhaseDiagnostic, PlannedMinutes: 60}}
		if err := process.SetAgenda(ctx, db, early.ID, items); err != nil {
			t.Fatal(err)
		}
		if err := process.SetAgenda(ctx, db, early.ID, items[1:]); err != nil {
			t.Fatal(err)
		}
		agenda, err := record.ListAgenda(ctx, db, early.ID)
		if err != nil || len(agenda) != 1 || agenda[0].Phase != record.PhaseDiagnostic || agenda[0].Position != 1 {
			t.Fatalf("agenda replaced: got %+v, %v; want only the diagnostic item at position 1", agenda, err)
		}
	})
}

func TestSaveWorkshop(t *testing.T) {
	fixture.EachProcess(t, "sessions", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		w := &record.Workshop{ProcessID: p.ID, Title: "Atelier", StartsAt: start, EndsAt: start.Add(3 * time.Hour)}
		welcome := record.AgendaItem{Kind: "welcome", Title: "Accueil", PlannedMinutes: 15}
		diagnostic := record.AgendaItem{Kind: "phase", Title: "Diagnostic", Phase: record.PhaseDiagnostic, PlannedMinutes: 60}
		agendaOf := func(t *testing.T, id int64) []string {
			t.Helper()
			items, err := record.ListAgenda(ctx, db, id)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, it := range items {
				titles = append(titles, it.Title)
			}
			return titles
		}

		t.Run("a new session with its timetable", func(t *testing.T) {
			if err := process.SaveWorkshop(ctx, db, w, []record.AgendaItem{welcome, diagnostic}); err != nil {
				t.Fatal(err)
			}
			if w.ID == 0 || len(w.Code) != 8 {
				t.Fatalf("got id %d code %q, want both set", w.ID, w.Code)
			}
			if got := agendaOf(t, w.ID); strings.Join(got, ",") != "Accueil,Diagnostic" {
				t.Errorf("agenda: got %v, want Accueil,Diagnostic", got)
			}
		})
		t.Run("an edit replaces the timetable", func(t *testing.T) {
			w.Title = "Atelier logement"
			if err := process.SaveWorkshop(ctx, db, w, []record.AgendaItem{diagnostic}); err != nil {
				t.Fatal(err)
			}
			got, err := record.GetWorkshop(ctx, db, w.ID)
			if err != nil || got.Title != "Atelier logement" {
				t.Fatalf("workshop: got %+v, %v; want the new title", got, err)
			}
			if titles := agendaOf(t, w.ID); strings.Join(titles, ",") != "Diagnostic" {
				t.Errorf("agenda: got %v, want Diagnostic", titles)
			}
		})
		t.Run("a session that does not exist changes nothing", func(t *testing.T) {
			gone := *w
			gone.ID = w.ID + 1000
			err := process.SaveWorkshop(ctx, db, &gone, []record.AgendaItem{welcome})
			if !errors.Is(err, record.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
			if titles := agendaOf(t, gone.ID); len(titles) != 0 {
				t.Errorf("agenda of a missing session: got %v, want none", titles)
			}
		})
	})
}
