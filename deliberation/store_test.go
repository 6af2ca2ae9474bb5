package deliberation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/storage/storagetest"
)

func newProcess(t *testing.T, db bun.IDB, slug string) *deliberation.Process {
	t.Helper()
	p := &deliberation.Process{Slug: slug, Title: "Assises " + slug, Capacity: 40, PerOrgCap: 2, InvitationRequired: true}
	if err := deliberation.CreateProcess(context.Background(), db, p); err != nil {
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
		got, err := deliberation.GetProcessBySlug(ctx, db, "logement")
		if err != nil || got.ID != p.ID || got.Languages != "fr,nl,en" {
			t.Fatalf("get by slug: got %+v, %v; want id %d with default languages", got, err, p.ID)
		}
		if _, err := deliberation.GetProcessBySlug(ctx, db, "nope"); !errors.Is(err, deliberation.ErrNotFound) {
			t.Fatalf("unknown slug: got %v, want ErrNotFound", err)
		}
		if _, err := deliberation.GetProcess(ctx, db, 9999); !errors.Is(err, deliberation.ErrNotFound) {
			t.Fatalf("unknown id: got %v, want ErrNotFound", err)
		}
		for i, title := range []string{"Deux", "Un"} {
			th := &deliberation.Theme{ProcessID: p.ID, Position: 2 - i, Title: title, Why: "parce que"}
			if err := deliberation.CreateTheme(ctx, db, th); err != nil {
				t.Fatal(err)
			}
		}
		themes, err := deliberation.ListThemes(ctx, db, p.ID)
		if err != nil || len(themes) != 2 || themes[0].Title != "Un" {
			t.Fatalf("themes: got %+v, %v; want Un then Deux", themes, err)
		}
		start := time.Date(2023, 11, 16, 12, 0, 0, 0, time.UTC)
		late := &deliberation.Workshop{ProcessID: p.ID, ThemeID: &themes[0].ID, Title: "B", StartsAt: start.Add(48 * time.Hour), EndsAt: start.Add(51 * time.Hour)}
		early := &deliberation.Workshop{ProcessID: p.ID, ThemeID: &themes[0].ID, Title: "A", StartsAt: start, EndsAt: start.Add(3 * time.Hour)}
		for _, w := range []*deliberation.Workshop{late, early} {
			if err := deliberation.CreateWorkshop(ctx, db, w); err != nil {
				t.Fatal(err)
			}
			if len(w.Code) != 8 || w.Phase != deliberation.PhaseLobby {
				t.Fatalf("workshop defaults: code %q phase %q, want 8-letter code and lobby", w.Code, w.Phase)
			}
		}
		ws, err := deliberation.ListWorkshops(ctx, db, p.ID)
		if err != nil || len(ws) != 2 || ws[0].Title != "A" {
			t.Fatalf("workshops: got %+v, %v; want A then B", ws, err)
		}
		if !ws[0].StartsAt.Equal(start) {
			t.Fatalf("starts_at round trip: got %v, want %v", ws[0].StartsAt, start)
		}
		byCode, err := deliberation.GetWorkshopByCode(ctx, db, " "+lower(early.Code[:4])+"-"+early.Code[4:])
		if err != nil || byCode.ID != early.ID {
			t.Fatalf("by typed code: got %+v, %v; want workshop %d", byCode, err, early.ID)
		}
		items := []deliberation.AgendaItem{{Kind: "welcome", Title: "Accueil", PlannedMinutes: 15}, {Kind: "phase", Title: "Diagnostic", Phase: deliberation.PhaseDiagnostic, PlannedMinutes: 60}}
		if err := deliberation.SetAgenda(ctx, db, early.ID, items); err != nil {
			t.Fatal(err)
		}
		if err := deliberation.SetAgenda(ctx, db, early.ID, items[1:]); err != nil {
			t.Fatal(err)
		}
		agenda, err := deliberation.ListAgenda(ctx, db, early.ID)
		if err != nil || len(agenda) != 1 || agenda[0].Phase != deliberation.PhaseDiagnostic || agenda[0].Position != 1 {
			t.Fatalf("agenda replaced: got %+v, %v; want only the diagnostic item at position 1", agenda, err)
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestParticipantsKeepPersonalDataApart(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := newProcess(t, db, "travail")
		email := "fatima@example.org"
		a, err := deliberation.CreateParticipant(ctx, db, deliberation.NewParticipant{
			ProcessID: &p.ID, Role: deliberation.RoleParticipant, Organisation: "CPAS d'Anderlecht",
			Person: deliberation.Person{DisplayName: "Fatima", Email: &email, ServiceUser: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := deliberation.CreateParticipant(ctx, db, deliberation.NewParticipant{
			ProcessID: &p.ID, Role: deliberation.RoleParticipant, Organisation: "  cpas d’Anderlecht ",
			Person: deliberation.Person{DisplayName: "Marc"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if a.OrganisationID == nil || b.OrganisationID == nil || *a.OrganisationID != *b.OrganisationID {
			t.Fatalf("one organisation typed two ways: got %v and %v, want the same id", a.OrganisationID, b.OrganisationID)
		}
		person, err := deliberation.GetPerson(ctx, db, a.ID)
		if err != nil || person.Email == nil || *person.Email != email || !person.ServiceUser || person.Language != "fr" {
			t.Fatalf("person: got %+v, %v", person, err)
		}
		if _, err := deliberation.CreateParticipant(ctx, db, deliberation.NewParticipant{Role: "boss"}); err == nil {
			t.Fatal("unknown role accepted")
		}
		people, orgs, err := deliberation.CountParticipants(ctx, db, p.ID)
		if err != nil || people != 2 || orgs != 1 {
			t.Fatalf("counts: got %d people, %d organisations, %v; want 2 and 1", people, orgs, err)
		}
		// The participants table holds no personal data: its columns are ids, role and dates.
		var cols []string
		q := "SELECT name FROM pragma_table_info('participants')"
		if db.Dialect().Name().String() == "pg" {
			q = "SELECT column_name FROM information_schema.columns WHERE table_name = 'participants' AND table_schema = current_schema()"
		}
		if err := db.NewRaw(q).Scan(ctx, &cols); err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			switch c {
			case "id", "process_id", "role", "organisation_id", "erased_at", "created_at":
			default:
				t.Errorf("participants has column %q: personal data belongs in people", c)
			}
		}
	})
}

func TestPlatformOrganiserOnce(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		first, created, err := deliberation.EnsurePlatformOrganiser(ctx, db)
		if err != nil || !created {
			t.Fatalf("first: created=%v err=%v, want created", created, err)
		}
		again, created, err := deliberation.EnsurePlatformOrganiser(ctx, db)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("second: got id %d created=%v err=%v, want id %d not created", again.ID, created, err, first.ID)
		}
	})
}
