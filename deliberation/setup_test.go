package deliberation_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
)

// The engine's outside tests set up their rooms through the packages organisers use.

func newProcess(t *testing.T, db bun.IDB, slug string) *deliberation.Process {
	t.Helper()
	p := &deliberation.Process{Slug: slug, Title: "Assises " + slug, Capacity: 40, PerOrgCap: 2, InvitationRequired: true}
	if err := process.Create(context.Background(), db, p); err != nil {
		t.Fatalf("create process: %v", err)
	}
	return p
}

func newWorkshop(t *testing.T, db bun.IDB, p *deliberation.Process) *deliberation.Workshop {
	t.Helper()
	start := time.Now().UTC().Add(24 * time.Hour)
	w := &deliberation.Workshop{ProcessID: p.ID, Title: "Atelier", StartsAt: start, EndsAt: start.Add(3 * time.Hour)}
	if err := process.CreateWorkshop(context.Background(), db, w); err != nil {
		t.Fatal(err)
	}
	return w
}

func newPerson(t *testing.T, db bun.IDB, p *deliberation.Process, name, org string) *deliberation.Participant {
	t.Helper()
	who, err := people.CreateParticipant(context.Background(), db, people.NewParticipant{
		ProcessID: &p.ID, Role: deliberation.RoleParticipant, Organisation: org,
		Person: people.Person{DisplayName: name},
	})
	if err != nil {
		t.Fatal(err)
	}
	return who
}
