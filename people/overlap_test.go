package people_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestOverlappingSessions: sessions at the same time are refused (the default), or, when the
// process only warns, refused until the person confirms; sessions one after the other never
// clash, and a refused sign-up keeps nothing.
func TestOverlappingSessions(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		p := fixture.Process(t, db, "chevauchement")
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
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		p := fixture.Process(t, db, "file")
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
