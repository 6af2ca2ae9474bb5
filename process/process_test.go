package process_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/process"
	"github.com/assises/assises/storage/storagetest"
)

func newProcess(t *testing.T, db bun.IDB, slug string) *deliberation.Process {
	t.Helper()
	p := &deliberation.Process{Slug: slug, Title: "Assises " + slug, Capacity: 40, PerOrgCap: 2, InvitationRequired: true}
	if err := process.Create(context.Background(), db, p); err != nil {
		t.Fatalf("create process: %v", err)
	}
	return p
}

func TestProcessThemesWorkshops(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := newProcess(t, db, "logement")
		if p.ID == 0 {
			t.Fatal("process id not set")
		}
		got, err := process.GetBySlug(ctx, db, "logement")
		if err != nil || got.ID != p.ID || got.Languages != "fr,nl,en" {
			t.Fatalf("get by slug: got %+v, %v; want id %d with default languages", got, err, p.ID)
		}
		if _, err := process.GetBySlug(ctx, db, "nope"); !errors.Is(err, deliberation.ErrNotFound) {
			t.Fatalf("unknown slug: got %v, want ErrNotFound", err)
		}
		if _, err := deliberation.GetProcess(ctx, db, 9999); !errors.Is(err, deliberation.ErrNotFound) {
			t.Fatalf("unknown id: got %v, want ErrNotFound", err)
		}
		for i, title := range []string{"Deux", "Un"} {
			th := &deliberation.Theme{ProcessID: p.ID, Position: 2 - i, Title: title, Why: "parce que"}
			if err := process.CreateTheme(ctx, db, th); err != nil {
				t.Fatal(err)
			}
		}
		themes, err := process.ListThemes(ctx, db, p.ID)
		if err != nil || len(themes) != 2 || themes[0].Title != "Un" {
			t.Fatalf("themes: got %+v, %v; want Un then Deux", themes, err)
		}
		start := time.Date(2023, 11, 16, 12, 0, 0, 0, time.UTC)
		late := &deliberation.Workshop{ProcessID: p.ID, ThemeID: &themes[0].ID, Title: "B", StartsAt: start.Add(48 * time.Hour), EndsAt: start.Add(51 * time.Hour)}
		early := &deliberation.Workshop{ProcessID: p.ID, ThemeID: &themes[0].ID, Title: "A", StartsAt: start, EndsAt: start.Add(3 * time.Hour)}
		for _, w := range []*deliberation.Workshop{late, early} {
			if err := process.CreateWorkshop(ctx, db, w); err != nil {
				t.Fatal(err)
			}
			if len(w.Code) != 8 || w.Phase != deliberation.PhaseLobby {
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
		items := []deliberation.AgendaItem{{Kind: "welcome", Title: "Accueil", PlannedMinutes: 15}, {Kind: "phase", Title: "Diagnostic", Phase: deliberation.PhaseDiagnostic, PlannedMinutes: 60}}
		if err := process.SetAgenda(ctx, db, early.ID, items); err != nil {
			t.Fatal(err)
		}
		if err := process.SetAgenda(ctx, db, early.ID, items[1:]); err != nil {
			t.Fatal(err)
		}
		agenda, err := deliberation.ListAgenda(ctx, db, early.ID)
		if err != nil || len(agenda) != 1 || agenda[0].Phase != deliberation.PhaseDiagnostic || agenda[0].Position != 1 {
			t.Fatalf("agenda replaced: got %+v, %v; want only the diagnostic item at position 1", agenda, err)
		}
	})
}
