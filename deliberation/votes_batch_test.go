package deliberation

import (
	"testing"

	"github.com/assises/assises/record"
)

// The votes of a batch are written together (votes_batch.go); these tests check that the
// transaction still behaves as if each vote had been written when it was applied.

func TestVotesOfOneBatchLandAsIfOneByOne(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		a := r.post(r.bob, record.KindFinding, "Constat A")
		b := r.post(r.bob, record.KindFinding, "Constat B")
		vote := func(who Actor, id int64, v int) Command {
			return r.cmd(who, "vote.set", map[string]any{"contribution": id, "value": v})
		}
		res := r.exec(
			vote(r.alice, a, 1), vote(r.bob, a, 1),
			vote(r.alice, a, 0), // gone again…
			vote(r.bob, b, 1),
			vote(r.alice, a, 1), // …and back: one row, the last write wins
			vote(r.alice, b, 1), vote(r.alice, b, 0),
		)
		for i, o := range res.Outcomes {
			if o.Code != "" {
				t.Fatalf("vote %d: got refusal %s, want accepted", i, o.Code)
			}
		}
		if got := len(named(res.Events, "vote.recorded")); got != 7 {
			t.Errorf("vote.recorded: got %d, want 7", got)
		}
		if got := r.count((*record.Vote)(nil), "workshop_id = ?", r.w.ID); got != 3 {
			t.Errorf("vote rows: got %d, want 3 (alice on A, bob on A and B)", got)
		}
		tally := tallyOf(t, r.flush(res))
		if tally[a].Count != 2 || tally[b].Count != 1 {
			t.Errorf("tallies: got A %d and B %d, want 2 and 1", tally[a].Count, tally[b].Count)
		}
	})
}

func TestBatchWritesVotesBeforeOtherCommands(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		x := r.post(r.alice, record.KindFinding, "Constat retiré")
		y := r.post(r.bob, record.KindFinding, "Constat masqué")
		res := r.exec(
			r.cmd(r.alice, "vote.set", map[string]any{"contribution": x, "value": 1}),
			r.cmd(r.bob, "vote.set", map[string]any{"contribution": x, "value": 1}),
			// Withdrawing deletes the item's votes: the two above must be written first.
			r.cmd(r.alice, "contribution.withdraw", map[string]any{"id": x}),
			r.cmd(r.bob, "vote.set", map[string]any{"contribution": y, "value": 1}),
			// Hiding changes the item: a later vote of the batch must not see the old one.
			r.cmd(r.mod, "contribution.hide", map[string]any{"id": y, "reason": "doublon"}),
			r.cmd(r.alice, "vote.set", map[string]any{"contribution": y, "value": 1}),
		)
		codes := make([]string, len(res.Outcomes))
		for i, o := range res.Outcomes {
			codes[i] = o.Code
		}
		if codes[0] != "" || codes[1] != "" || codes[2] != "" || codes[3] != "" || codes[4] != "" || codes[5] != CodeNotFound {
			t.Fatalf("outcomes: got %q, want five accepted then not_found", codes)
		}
		if got := r.count((*record.Vote)(nil), "contribution_id = ?", x); got != 0 {
			t.Errorf("votes on the withdrawn item: got %d, want 0", got)
		}
		if got := r.count((*record.Vote)(nil), "contribution_id = ?", y); got != 1 {
			t.Errorf("votes on the hidden item: got %d, want bob's, kept in case it is restored", got)
		}
	})
}

func TestDotsBudgetSeesEarlierVotesOfTheBatch(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.diagnosticByDots(3, 3)
		a := r.post(r.bob, record.KindFinding, "Constat A")
		b := r.post(r.bob, record.KindFinding, "Constat B")
		res := r.exec(
			r.cmd(r.alice, "vote.set", map[string]any{"contribution": a, "value": 2}),
			r.cmd(r.alice, "vote.set", map[string]any{"contribution": b, "value": 2}), // 4 > 3
			r.cmd(r.alice, "vote.set", map[string]any{"contribution": b, "value": 1}),
		)
		if got := []string{res.Outcomes[0].Code, res.Outcomes[1].Code, res.Outcomes[2].Code}; got[0] != "" || got[1] != CodeOverBudget || got[2] != "" {
			t.Fatalf("outcomes: got %q, want accepted, over_budget, accepted", got)
		}
		last := data(t, named(res.Events, "vote.recorded")[1])
		if last["dotsLeft"] != float64(0) {
			t.Errorf("dotsLeft after the last vote: got %v, want 0", last["dotsLeft"])
		}
	})
}
