package deliberation

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// preparedRoom is a room in the diagnostic with two findings: a with the votes of Alice
// and Bob, b with Bob's.
func preparedRoom(t *testing.T, db *bun.DB) (r *room, a, b int64, keys []string) {
	r = newRoom(t, db)
	r.phase(record.PhaseDiagnostic)
	a = r.post(r.bob, record.KindFinding, "Constat A")
	b = r.post(r.alice, record.KindFinding, "Constat B")
	r.ok(r.alice, "vote.set", map[string]any{"contribution": a, "value": 1})
	r.ok(r.bob, "vote.set", map[string]any{"contribution": a, "value": 1})
	r.ok(r.bob, "vote.set", map[string]any{"contribution": b, "value": 1})
	return r, a, b, []string{"tally:" + itoa(a), "tally:" + itoa(b)}
}

func (r *room) prepare(keys []string) *PreparedFlush {
	r.t.Helper()
	p, err := r.e.PrepareFlush(context.Background(), r.w.ID, keys)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// flushWith runs FlushPrepared and returns its events and how many of its statements
// read the votes table.
func (r *room) flushWith(keys []string, p *PreparedFlush) ([]Event, int64) {
	r.t.Helper()
	hook := &queryCounter{}
	r.db.AddQueryHook(hook)
	res, err := r.e.FlushPrepared(context.Background(), r.w.ID, keys, p)
	r.db.ResetQueryHooks()
	if err != nil {
		r.t.Fatal(err)
	}
	return res.Events, hook.votes.Load()
}

func (r *room) plainFlush(keys []string) []Event {
	r.t.Helper()
	res, err := r.e.Flush(context.Background(), r.w.ID, keys)
	if err != nil {
		r.t.Fatal(err)
	}
	return res.Events
}

// TestFlushPreparedMatchesFlush: with nothing changed since the preparation, the flush
// emits what a plain flush emits (items, turnout, audiences) without reading a vote.
func TestFlushPreparedMatchesFlush(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		r, a, _, keys := preparedRoom(t, db)
		if p, err := r.e.PrepareFlush(context.Background(), r.w.ID, []string{"tick", "progress"}); p != nil || err != nil {
			t.Errorf("keys without a tally: got %v, %v; want nothing to prepare", p, err)
		}
		p := r.prepare(keys)
		if p == nil {
			t.Fatal("no preparation for tally keys")
		}
		got, reads := r.flushWith(keys, p)
		want := r.plainFlush(keys)
		if !reflect.DeepEqual(tallyEvents(t, got), tallyEvents(t, want)) || !reflect.DeepEqual(audiences(got), audiences(want)) {
			t.Errorf("prepared flush: got %+v to %v, want %+v to %v", tallyEvents(t, got), audiences(got), tallyEvents(t, want), audiences(want))
		}
		if n := tallyOf(t, got)[a].Count; n != 2 {
			t.Errorf("count of a: got %d, want 2", n)
		}
		if reads != 0 {
			t.Errorf("the prepared flush read votes %d times, want 0", reads)
		}
		// Without a preparation it is a plain flush.
		if got, reads := r.flushWith(keys, nil); !reflect.DeepEqual(tallyEvents(t, got), tallyEvents(t, want)) || reads == 0 {
			t.Errorf("flush without preparation: got %+v (%d reads of votes), want %+v", tallyEvents(t, got), reads, tallyEvents(t, want))
		}
	})
}

// tallyEvents are the tally.updated events' data, decoded (their items and turnout).
func tallyEvents(t *testing.T, events []Event) []view.TallyEvent {
	t.Helper()
	var out []view.TallyEvent
	for _, ev := range named(events, "tally.updated") {
		var te view.TallyEvent
		if err := json.Unmarshal(ev.Data, &te); err != nil {
			t.Fatal(err)
		}
		out = append(out, te)
	}
	return out
}

// TestFlushPreparedConverges: a vote committed between the preparation and the flush is
// missing from that flush, but it deferred its key again: the next flush counts it.
func TestFlushPreparedConverges(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		r, a, _, keys := preparedRoom(t, db)
		p := r.prepare(keys)
		res := r.ok(r.alice, "vote.set", map[string]any{"contribution": a, "value": 0})
		if !slices.Contains(res.Deferred, "tally:"+itoa(a)) {
			t.Fatalf("the vote deferred %v, want its tally key", res.Deferred)
		}
		got, _ := r.flushWith(keys, p)
		if n := tallyOf(t, got)[a].Count; n != 2 {
			t.Errorf("prepared flush: count of a %d, want 2 (as prepared)", n)
		}
		if n := tallyOf(t, r.plainFlush(res.Deferred))[a].Count; n != 1 {
			t.Errorf("next flush: count of a %d, want 1", n)
		}
	})
}

// TestFlushPreparedRereadsWhatChanged: what decides a tally's content or audience is
// checked under the lock; a preparation it no longer matches is not used.
func TestFlushPreparedRereadsWhatChanged(t *testing.T) {
	cases := []struct {
		name   string
		change func(r *room, a int64)
	}{
		{"contribution hidden", func(r *room, a int64) {
			r.ok(r.mod, "contribution.hide", map[string]any{"id": a, "reason": "doublon"})
		}},
		{"results hidden", func(r *room, _ int64) { r.ok(r.mod, "results.set", map[string]any{"hidden": true}) }},
		{"vote method changed", func(r *room, _ int64) {
			r.ok(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodAgree})
		}},
		{"phase changed", func(r *room, _ int64) { r.phase(record.PhaseRecommendations) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
				r, a, _, keys := preparedRoom(t, db)
				p := r.prepare(keys)
				tc.change(r, a)
				got, reads := r.flushWith(keys, p)
				want := r.plainFlush(keys)
				if !reflect.DeepEqual(tallyEvents(t, got), tallyEvents(t, want)) || !reflect.DeepEqual(audiences(got), audiences(want)) {
					t.Errorf("got %+v to %v, want %+v to %v", tallyEvents(t, got), audiences(got), tallyEvents(t, want), audiences(want))
				}
				if reads == 0 {
					t.Error("the stale preparation was used: no vote was read")
				}
			})
		})
	}
}

// TestSameTarget: a contribution is the same for a prepared tally only if nothing that
// decides who may see it changed; its group above all (a group's items stay in it).
func TestSameTarget(t *testing.T) {
	g1, g1b, g2 := int64(1), int64(1), int64(2)
	base := view.TallyTarget{ID: 7, Phase: record.PhaseDiagnostic, Status: record.StatusVisible, GroupID: &g1}
	cases := []struct {
		name string
		edit func(*view.TallyTarget)
		same bool
	}{
		{"unchanged (the group read again is another pointer)", func(x *view.TallyTarget) { x.GroupID = &g1b }, true},
		{"another group", func(x *view.TallyTarget) { x.GroupID = &g2 }, false},
		{"out of its group", func(x *view.TallyTarget) { x.GroupID = nil }, false},
		{"hidden", func(x *view.TallyTarget) { x.Status = record.StatusHidden }, false},
		{"another phase", func(x *view.TallyTarget) { x.Phase = record.PhaseRecommendations }, false},
		{"another contribution", func(x *view.TallyTarget) { x.ID = 8 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			other := base
			tc.edit(&other)
			if got := sameTarget(base, other); got != tc.same {
				t.Errorf("got %v, want %v", got, tc.same)
			}
			if got := sameTarget(other, base); got != tc.same {
				t.Errorf("reversed: got %v, want %v", got, tc.same)
			}
		})
	}
	none := view.TallyTarget{ID: 7, Phase: record.PhaseDiagnostic, Status: record.StatusVisible}
	if !sameTarget(none, none) {
		t.Error("two contributions in no group: got different")
	}
}
