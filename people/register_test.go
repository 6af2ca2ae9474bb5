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
	fixture.EachProcess(t, "concurrence", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
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
	fixture.EachProcess(t, "attente", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
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

// TestOverlappingSessions: sessions at the same time are refused (the default), or, when the
// process only warns, refused until the person confirms; sessions one after the other never
// clash, and a refused sign-up keeps nothing.
func TestOverlappingSessions(t *testing.T) {
	fixture.EachProcess(t, "chevauchement", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		now := time.Now().UTC()
		morning := fixture.Workshop(t, db, p) // tomorrow, three hours
		parallel := &record.Workshop{ProcessID: p.ID, Title: "En parallèle", StartsAt: morning.StartsAt.Add(time.Hour), EndsAt: morning.EndsAt}
		after := &record.Workshop{ProcessID: p.ID, Title: "Ensuite", StartsAt: morning.EndsAt, EndsAt: morning.EndsAt.Add(2 * time.Hour)}
		for _, w := range []*record.Workshop{parallel, after} {
			if err := process.CreateWorkshop(ctx, db, w); err != nil {
				t.Fatal(err)
			}
		}
		np := func(name string) people.NewParticipant {
			return people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant, Person: people.Person{DisplayName: name}}
		}
		before := countOf(t, db, (*record.Participant)(nil))
		_, err := people.SignUp(ctx, db, np("Léa"), people.Choice{Workshops: []int64{morning.ID, parallel.ID, after.ID}, AcceptOverlap: true}, now)
		var oe *people.OverlapError
		if !errors.As(err, &oe) || oe.Rule != people.OverlapRefuse || len(oe.Pairs) != 1 || oe.Pairs[0] != [2]int64{morning.ID, parallel.ID} {
			t.Fatalf("refuse: got %v (%+v), want one clash, %d and %d", err, oe, morning.ID, parallel.ID)
		}
		if n := countOf(t, db, (*record.Participant)(nil)); n != before {
			t.Errorf("participants after a refused sign-up: got %d, want %d", n, before)
		}
		// Back to back is not at the same time.
		if _, err := people.SignUp(ctx, db, np("Léa"), people.Choice{Workshops: []int64{morning.ID, after.ID}}, now); err != nil {
			t.Fatalf("back to back: %v", err)
		}
		// A person who holds a place already cannot add one at the same time.
		lea := fixture.Person(t, db, p, "Léo", "")
		if _, err := people.Register(ctx, db, lea.ID, []int64{morning.ID}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := people.Register(ctx, db, lea.ID, []int64{parallel.ID}, now); !errors.Is(err, people.ErrOverlap) {
			t.Errorf("a second session at the same time: got %v, want ErrOverlap", err)
		}
		// Once cancelled, the first no longer holds the time.
		if _, err := people.Cancel(ctx, db, morning.ID, lea.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, err := people.Register(ctx, db, lea.ID, []int64{parallel.ID}, now); err != nil {
			t.Errorf("after cancelling the other: %v", err)
		}

		// A process that warns: refused without the confirmation, placed with it.
		p.OverlapRule = people.OverlapWarn
		if _, err := db.NewUpdate().Model(p).Column("overlap_rule").WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = people.SignUp(ctx, db, np("Max"), people.Choice{Workshops: []int64{morning.ID, parallel.ID}}, now)
		if !errors.As(err, &oe) || oe.Rule != people.OverlapWarn {
			t.Fatalf("warn, not confirmed: got %v, want an OverlapError that warns", err)
		}
		done, err := people.SignUp(ctx, db, np("Max"), people.Choice{Workshops: []int64{morning.ID, parallel.ID}, AcceptOverlap: true}, now)
		if err != nil || len(done.Placements) != 2 {
			t.Fatalf("warn, confirmed: got %+v, %v; want two places", done, err)
		}
	})
}

// TestWaitingPositionAndPromotion: each person waiting knows their place in line; when a
// confirmed person cancels, the first in line is confirmed in the same transaction and the
// others move up.
func TestWaitingPositionAndPromotion(t *testing.T) {
	fixture.EachProcess(t, "file", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		now := time.Now().UTC()
		w := fixture.Workshop(t, db, p)
		w.Capacity = 1
		if _, err := db.NewUpdate().Model(w).Column("capacity").WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
		var who []*record.Participant
		for _, name := range []string{"Ana", "Ben", "Cleo"} {
			x := fixture.Person(t, db, p, name, "")
			if _, err := people.Register(ctx, db, x.ID, []int64{w.ID}, now); err != nil {
				t.Fatal(err)
			}
			who = append(who, x)
		}
		position := func(pid int64) (string, int) {
			t.Helper()
			reg := new(record.Registration)
			if err := db.NewSelect().Model(reg).Where("workshop_id = ? AND participant_id = ?", w.ID, pid).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			n, err := people.WaitingPosition(ctx, db, reg)
			if err != nil {
				t.Fatal(err)
			}
			return reg.Status, n
		}
		for i, want := range []int{0, 1, 2} {
			if _, got := position(who[i].ID); got != want {
				t.Errorf("%d: position %d, want %d", i, got, want)
			}
		}
		promoted, err := people.Cancel(ctx, db, w.ID, who[0].ID, now)
		if err != nil || promoted == nil || *promoted != who[1].ID {
			t.Fatalf("cancel: promoted %v, %v; want Ben", promoted, err)
		}
		if st, n := position(who[1].ID); st != record.RegistrationConfirmed || n != 0 {
			t.Errorf("Ben: %s #%d, want confirmed", st, n)
		}
		if st, n := position(who[2].ID); st != record.RegistrationWaiting || n != 1 {
			t.Errorf("Cleo: %s #%d, want waiting #1", st, n)
		}
	})
}
