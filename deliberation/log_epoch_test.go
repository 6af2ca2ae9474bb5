package deliberation

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/record"
)

// TestLogEpoch: a workshop gets an epoch when its room first opens and keeps it across
// opens (a restart is not a new history); resetting a process's logs deletes its events and
// draws new epochs for its workshops only; renewing draws a new epoch for every workshop.
// The column lives outside the Workshop model: a whole-row update of a Workshop read before
// a reset does not put the old epoch back.
func TestLogEpoch(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		db := r.db
		other := newRoom(t, db)
		stale, err := record.GetWorkshop(ctx, db, r.w.ID)
		if err != nil {
			t.Fatal(err)
		}

		_, first, _, err := r.e.Open(ctx, r.w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if first <= 0 || first > 1<<53-1 {
			t.Fatalf("epoch %d, want in [1, 2^53-1]", first)
		}
		if _, again, _, _ := r.e.Open(ctx, r.w.ID); again != first {
			t.Errorf("second open: epoch %d, want %d (same history)", again, first)
		}
		_, otherEpoch, _, err := other.e.Open(ctx, other.w.ID)
		if err != nil {
			t.Fatal(err)
		}

		r.do(r.mod, "phase.set", map[string]any{"phase": "diagnostic"})
		if evs, _ := r.e.EventsAfter(ctx, r.w.ID, 0, 10); len(evs) == 0 {
			t.Fatal("no events to reset")
		}
		if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return journal.ResetProcessLogs(ctx, tx, r.proc.ID)
		}); err != nil {
			t.Fatal(err)
		}
		reset, err := journal.LogEpoch(ctx, db, r.w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if reset == first || reset == 0 {
			t.Errorf("epoch after a reset: %d, want a new one (was %d)", reset, first)
		}
		if evs, _ := r.e.EventsAfter(ctx, r.w.ID, 0, 10); len(evs) != 0 {
			t.Errorf("events after a reset: %d, want 0", len(evs))
		}
		if e, _ := journal.LogEpoch(ctx, db, other.w.ID); e != otherEpoch {
			t.Errorf("another process's workshop: epoch %d, want %d unchanged", e, otherEpoch)
		}

		stale.Title = "Atelier renommé"
		if _, err := db.NewUpdate().Model(stale).WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if e, _ := journal.LogEpoch(ctx, db, r.w.ID); e != reset {
			t.Errorf("after a whole-row update of an older copy: epoch %d, want %d", e, reset)
		}

		n, err := journal.RenewAllLogEpochs(ctx, db)
		if err != nil || n < 2 {
			t.Fatalf("renew: %d workshops, %v", n, err)
		}
		for id, old := range map[int64]int64{r.w.ID: reset, other.w.ID: otherEpoch} {
			if e, _ := journal.LogEpoch(ctx, db, id); e == old {
				t.Errorf("workshop %d kept epoch %d after a renewal", id, e)
			}
		}
		if _, err := journal.LogEpoch(ctx, db, 1<<40); err == nil {
			t.Error("epoch of a missing workshop: no error")
		}
	})
}
