package people_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

func TestParticipantsKeepPersonalDataApart(t *testing.T) {
	fixture.EachProcess(t, "travail", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		email := "fatima@example.org"
		a, err := people.CreateParticipant(ctx, db, people.NewParticipant{
			ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: "CPAS d'Anderlecht",
			Person: people.Person{DisplayName: "Fatima", Email: &email, ServiceUser: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := people.CreateParticipant(ctx, db, people.NewParticipant{
			ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: "  cpas d’Anderlecht ",
			Person: people.Person{DisplayName: "Marc"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if a.OrganisationID == nil || b.OrganisationID == nil || *a.OrganisationID != *b.OrganisationID {
			t.Fatalf("one organisation typed two ways: got %v and %v, want the same id", a.OrganisationID, b.OrganisationID)
		}
		person, err := people.GetPerson(ctx, db, a.ID)
		if err != nil || person.Email == nil || *person.Email != email || !person.ServiceUser || person.Language != "" {
			t.Fatalf("person: got %+v, %v", person, err)
		}
		if _, err := people.CreateParticipant(ctx, db, people.NewParticipant{Role: "boss"}); err == nil {
			t.Fatal("unknown role accepted")
		}
		n, orgs, err := people.CountParticipants(ctx, db, p.ID)
		if err != nil || n != 2 || orgs != 1 {
			t.Fatalf("counts: got %d people, %d organisations, %v; want 2 and 1", n, orgs, err)
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
		first, created, err := people.EnsurePlatformOrganiser(ctx, db)
		if err != nil || !created {
			t.Fatalf("first: created=%v err=%v, want created", created, err)
		}
		again, created, err := people.EnsurePlatformOrganiser(ctx, db)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("second: got id %d created=%v err=%v, want id %d not created", again.ID, created, err, first.ID)
		}
	})
}
