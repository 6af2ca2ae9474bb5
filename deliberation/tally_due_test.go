package deliberation

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// due lists the contributions of the room marked in tally_pending.
func (r *room) due() []int64 {
	r.t.Helper()
	var ids []int64
	err := r.db.NewSelect().Table("tally_pending").Column("contribution_id").
		Where("workshop_id = ?", r.w.ID).Order("contribution_id").Scan(context.Background(), &ids)
	if err != nil {
		r.t.Fatal(err)
	}
	return ids
}

// lastTally returns the items of the last tally.updated for everyone in the log.
func (r *room) lastTally() map[int64]view.TallyItem {
	r.t.Helper()
	evs, err := r.e.EventsAfter(context.Background(), r.w.ID, 0, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[int64]view.TallyItem{}
	for _, ev := range named(evs, "tally.updated") {
		if ev.Audience != AudienceAll {
			continue
		}
		var te view.TallyEvent
		if err := json.Unmarshal(ev.Data, &te); err != nil {
			r.t.Fatal(err)
		}
		for _, it := range te.Items {
			out[it.Contribution] = it
		}
	}
	return out
}

// TestTalliesDueAreDurable: the items a vote changes are marked due in the vote's own
// transaction, the tally event clears the marks it covers, and a start with marks left (the
// process died between the vote and its coalesced tally) emits the tallies they ask for.
func TestTalliesDueAreDurable(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		db := r.db
		r.phase(record.PhaseDiagnostic)
		a := r.post(r.bob, record.KindFinding, "Constat A")
		b := r.post(r.bob, record.KindFinding, "Constat B")

		res := r.ok(r.alice, "vote.set", map[string]any{"contribution": a, "value": 1})
		if got := r.due(); !slices.Equal(got, []int64{a}) {
			t.Fatalf("after a vote: due %v, want [%d]", got, a)
		}
		r.flush(res)
		if got := r.due(); len(got) != 0 {
			t.Fatalf("after its tally: due %v, want none", got)
		}
		if got := r.lastTally()[a].Count; got != 1 {
			t.Fatalf("tally of A: count %d, want 1", got)
		}

		// A second vote, acknowledged; the process dies before its tally is flushed.
		r.ok(r.bob, "vote.set", map[string]any{"contribution": a, "value": 1})
		r.ok(r.bob, "vote.set", map[string]any{"contribution": b, "value": 1})
		if got := r.due(); !slices.Equal(got, []int64{a, b}) {
			t.Fatalf("after two votes: due %v, want [%d %d]", got, a, b)
		}
		before, _, _, err := r.e.Open(ctx, r.w.ID) // a new engine would do the same: no state of its own
		if err != nil {
			t.Fatal(err)
		}
		restarted := NewEngine(db, EngineOptions{Clock: r.clock.Now})
		lastSeq, _, _, err := restarted.Open(ctx, r.w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if lastSeq != before {
			t.Errorf("a second start: last seq %d, want %d (nothing left to tally)", lastSeq, before)
		}
		tally := r.lastTally()
		if tally[a].Count != 2 || tally[b].Count != 1 {
			t.Errorf("after the start: counts A %d, B %d, want 2 and 1", tally[a].Count, tally[b].Count)
		}
		if got := r.due(); len(got) != 0 {
			t.Errorf("after the start: due %v, want none", got)
		}
	})
}

// TestTallyPreparedBeforeAVoteKeepsItsMark: a tally read before the lock (PrepareFlush) does
// not see a vote committed after it, so it must not clear that vote's mark.
func TestTallyPreparedBeforeAVoteKeepsItsMark(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		r.phase(record.PhaseDiagnostic)
		a := r.post(r.bob, record.KindFinding, "Constat A")
		res := r.ok(r.alice, "vote.set", map[string]any{"contribution": a, "value": 1})
		p, err := r.e.PrepareFlush(ctx, r.w.ID, res.Deferred)
		if err != nil {
			t.Fatal(err)
		}
		r.ok(r.bob, "vote.set", map[string]any{"contribution": a, "value": 1})
		if _, err := r.e.FlushPrepared(ctx, r.w.ID, res.Deferred, p); err != nil {
			t.Fatal(err)
		}
		if got := r.due(); !slices.Equal(got, []int64{a}) {
			t.Fatalf("after a tally prepared before the second vote: due %v, want [%d]", got, a)
		}
		if _, _, _, err := r.e.Open(ctx, r.w.ID); err != nil {
			t.Fatal(err)
		}
		if got := r.lastTally()[a].Count; got != 2 {
			t.Errorf("after the start: count %d, want 2", got)
		}
	})
}
