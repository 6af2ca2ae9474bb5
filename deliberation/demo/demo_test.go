package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/demo"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

func TestSeedTwiceCreatesOnce(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		created, err := demo.Seed(ctx, db)
		if err != nil || !created {
			t.Fatalf("first seed: created=%v err=%v", created, err)
		}
		created, err = demo.Seed(ctx, db)
		if err != nil || created {
			t.Fatalf("second seed: created=%v err=%v, want nothing created", created, err)
		}
		ps, err := process.List(ctx, db)
		if err != nil || len(ps) != 1 {
			t.Fatalf("processes: got %d, %v; want 1", len(ps), err)
		}
		p := ps[0]
		themes, err := process.ListThemes(ctx, db, p.ID)
		if err != nil || len(themes) != 3 {
			t.Fatalf("themes: got %d, %v; want 3", len(themes), err)
		}
		if !strings.Contains(themes[0].Title, "habitat") || !strings.Contains(themes[2].Why, "réseau") {
			t.Errorf("themes are not the seed's: %q / %q", themes[0].Title, themes[2].Why)
		}
		ws, err := process.ListWorkshops(ctx, db, p.ID)
		if err != nil || len(ws) != 9 {
			t.Fatalf("workshops: got %d, %v; want 9", len(ws), err)
		}
		brussels, _ := time.LoadLocation("Europe/Brussels")
		first := ws[0].StartsAt.In(brussels)
		// The seed's calendar (16 November, 13:00, 3.5 h…), moved by whole years to come.
		if first.Format("01-02 15:04") != "11-16 13:00" || ws[0].EndsAt.Sub(ws[0].StartsAt) != 210*time.Minute || (first.Year()-2023) < 0 {
			t.Errorf("first session: got %v for %v, want 16 November 13:00 Brussels for 3.5 h", first, ws[0].EndsAt.Sub(ws[0].StartsAt))
		}
		if !ws[0].StartsAt.After(time.Now()) {
			t.Errorf("first session %v is over: a demo must be open to registration", ws[0].StartsAt)
		}
		if last := ws[len(ws)-1].StartsAt.In(brussels); last.Format("01-02 15:04") != "01-15 09:00" || last.Year() != first.Year()+1 {
			t.Errorf("last session: got %v, want 15 January of the next year at 09:00", last)
		}
		agenda, err := record.ListAgenda(ctx, db, ws[0].ID)
		if err != nil || len(agenda) < 3 {
			t.Fatalf("agenda: got %d items, %v", len(agenda), err)
		}
		n, orgs, err := people.CountParticipants(ctx, db, p.ID)
		if err != nil || n < 6 || orgs < 4 {
			t.Fatalf("participants: got %d from %d organisations, %v; want several from several", n, orgs, err)
		}
		regs, err := people.ListRegistrations(ctx, db, ws[0].ID)
		if err != nil || len(regs) != n {
			t.Fatalf("registrations of the first session: got %d, %v; want %d", len(regs), err, n)
		}
	})
}

// The demo is bilingual: every text of it exists in French and Dutch.
func TestSeedInFrenchAndDutch(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := seeded(t, db)
		if got := p.ContentLanguages(); len(got) != 2 || got[0] != "fr" || got[1] != "nl" {
			t.Fatalf("languages: got %v, want [fr nl]", got)
		}
		missing, err := process.MissingTranslations(ctx, db, p)
		if err != nil || len(missing) != 0 {
			t.Fatalf("missing translations: got %+v, %v; want none", missing, err)
		}
		ws, err := process.ListWorkshops(ctx, db, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		st, err := view.ParseLiveState(ws[0].State)
		if err != nil || st.Questions[record.PhaseDiagnostic] == "" || st.QuestionTexts[record.PhaseDiagnostic]["nl"] == "" {
			t.Fatalf("first session's questions: got %+v, %v; want the diagnostic's in French and Dutch", st, err)
		}
	})
}

// seeded seeds the demo and returns its process.
func seeded(t *testing.T, db *bun.DB) *record.Process {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	p, err := process.GetBySlug(ctx, db, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
