package people_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestRegistrationUnderConcurrency sends 200 registrations at once for 40 places: exactly 40
// are confirmed, never more than the per-organisation cap from one organisation.
func TestRegistrationUnderConcurrency(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "concurrence")
		w := fixture.Workshop(t, db, p)
		rng := rand.New(rand.NewSource(1))
		persons := make([]*record.Participant, 200)
		for i := range persons {
			persons[i] = fixture.Person(t, db, p, fmt.Sprintf("P%d", i), fmt.Sprintf("Organisation %d", rng.Intn(60)))
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, len(persons))
		for _, who := range persons {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := people.Register(ctx, db, who.ID, []int64{w.ID}, time.Now()); err != nil {
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("register: %v", err)
		}
		confirmed, byOrg := countConfirmed(t, db, w.ID)
		if confirmed != 40 {
			t.Fatalf("confirmed: got %d, want exactly 40", confirmed)
		}
		for org, n := range byOrg {
			if n > 2 {
				t.Errorf("organisation %d has %d confirmed, want at most 2", org, n)
			}
		}
		regs, _ := people.ListRegistrations(ctx, db, w.ID)
		if len(regs) != 200 {
			t.Fatalf("registrations: got %d, want 200 (the others wait)", len(regs))
		}
	})
}

func countConfirmed(t *testing.T, db bun.IDB, workshopID int64) (int, map[int64]int) {
	t.Helper()
	var rows []struct {
		OrganisationID int64
		N              int
	}
	err := db.NewSelect().TableExpr("registrations AS r").
		ColumnExpr("COALESCE(p.organisation_id, 0) AS organisation_id, count(*) AS n").
		Join("JOIN participants AS p ON p.id = r.participant_id").
		Where("r.workshop_id = ? AND r.status = ?", workshopID, record.RegistrationConfirmed).
		GroupExpr("COALESCE(p.organisation_id, 0)").Scan(context.Background(), &rows)
	if err != nil {
		t.Fatal(err)
	}
	total, byOrg := 0, map[int64]int{}
	for _, r := range rows {
		total += r.N
		byOrg[r.OrganisationID] = r.N
	}
	return total, byOrg
}

func TestWaitingListAndPromotion(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "attente")
		w := fixture.Workshop(t, db, p)
		w.Capacity = 3
		if _, err := db.NewUpdate().Model(w).Column("capacity").WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
		a1 := fixture.Person(t, db, p, "A1", "CPAS")
		a2 := fixture.Person(t, db, p, "A2", "cpas")
		a3 := fixture.Person(t, db, p, "A3", "CPAS ")
		b1 := fixture.Person(t, db, p, "B1", "Actiris")
		c1 := fixture.Person(t, db, p, "C1", "Stics")
		d1 := fixture.Person(t, db, p, "D1", "")
		steps := []struct {
			who        *record.Participant
			wantStatus string
			wantReason string
		}{
			{a1, "confirmed", ""},
			{a2, "confirmed", ""},
			{a3, "waiting", "organisation"}, // a third of the CPAS
			{b1, "confirmed", ""},
			{c1, "waiting", "full"},
			{d1, "waiting", "full"},
		}
		for _, s := range steps {
			pl, err := people.Register(ctx, db, s.who.ID, []int64{w.ID}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if pl[0].Status != s.wantStatus || pl[0].Reason != s.wantReason {
				t.Errorf("register: got %s/%s, want %s/%s", pl[0].Status, pl[0].Reason, s.wantStatus, s.wantReason)
			}
		}
		if _, err := people.Register(ctx, db, a1.ID, []int64{w.ID}, time.Now()); !errors.Is(err, people.ErrAlreadyRegistered) {
			t.Errorf("registering twice: got %v, want ErrAlreadyRegistered", err)
		}
		// B1 cancels: the first waiting who may take the place is C1 (A3 would be a third CPAS).
		promoted, err := people.Cancel(ctx, db, w.ID, b1.ID, time.Now())
		if err != nil || promoted == nil || *promoted != c1.ID {
			t.Fatalf("cancel B1: promoted %v, %v; want C1 (%d)", promoted, err, c1.ID)
		}
		// A1 cancels: now A3 may come (the longest waiting of those allowed).
		promoted, err = people.Cancel(ctx, db, w.ID, a1.ID, time.Now())
		if err != nil || promoted == nil || *promoted != a3.ID {
			t.Fatalf("cancel A1: promoted %v, %v; want A3 (%d)", promoted, err, a3.ID)
		}
		if _, err := people.Cancel(ctx, db, w.ID, a1.ID, time.Now()); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("cancelling twice: got %v, want ErrNotFound", err)
		}
		confirmed, _ := countConfirmed(t, db, w.ID)
		if confirmed != 3 {
			t.Errorf("confirmed after promotions: got %d, want 3", confirmed)
		}
	})
}

func TestRegistrationDeadline(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		deadline := time.Now().Add(-time.Minute)
		p := &record.Process{Slug: "tard", Title: "Tard", Capacity: 40, PerOrgCap: 2, RegistrationDeadline: &deadline}
		if err := process.Create(ctx, db, p); err != nil {
			t.Fatal(err)
		}
		w := fixture.Workshop(t, db, p)
		who := fixture.Person(t, db, p, "Retard", "X")
		if _, err := people.Register(ctx, db, who.ID, []int64{w.ID}, time.Now()); !errors.Is(err, people.ErrRegistrationClosed) {
			t.Fatalf("after the deadline: got %v, want ErrRegistrationClosed", err)
		}
	})
}
