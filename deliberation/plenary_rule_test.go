package deliberation

import (
	"context"
	"testing"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// TestPlenaryRules: votes opened under different rules on a finding, recommendations and a
// step; some get partial ballots, one none; each closes as its rule says, and the stored result
// carries the counts, the people who could vote and the rule.
func TestPlenaryRules(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		ctx := context.Background()
		crowd := r.crowd(3) // with alice and bob: 5 who may vote; the moderator and the observer may not
		r.phase(record.PhaseDiagnostic)
		finding := r.post(r.alice, record.KindFinding, "Les délais sont trop longs")
		r.phase(record.PhaseRecommendations)
		var recs []int64
		for _, body := range []string{"Quorum manqué", "Égalité", "Deux tiers atteints", "Deux tiers manqués", "Personne", "Abstentions"} {
			recs = append(recs, r.post(r.bob, record.KindRecommendation, body))
		}
		r.phase(record.PhaseImplementation)
		step := r.post(r.alice, record.KindStep, "Un guichet par commune", map[string]any{"parent": recs[0]})

		for _, bad := range []map[string]any{
			{"contributions": []int64{finding}, "threshold": "1/3"},
			{"contributions": []int64{finding}, "threshold": "3/2"},
			{"contributions": []int64{finding}, "threshold": "deux tiers"},
			{"contributions": []int64{finding}, "threshold": "2/0"},
			{"contributions": []int64{finding}, "quorum": -1},
		} {
			r.refused(r.mod, "plenary.open", bad, CodeInvalidArgs)
		}
		open := func(ids []int64, rule map[string]any) {
			t.Helper()
			args := map[string]any{"contributions": ids}
			for k, v := range rule {
				args[k] = v
			}
			r.ok(r.mod, "plenary.open", args)
		}
		open([]int64{finding, step, recs[1], recs[4], recs[5]}, nil)
		open([]int64{recs[0]}, map[string]any{"quorum": 4})
		open([]int64{recs[2], recs[3]}, map[string]any{"threshold": "2/3"})
		// Once open, the rule cannot change.
		r.refused(r.mod, "plenary.open", map[string]any{"contributions": []int64{recs[0]}, "quorum": 1}, CodeBadState)

		vote := func(a Actor, id int64, choice string) {
			t.Helper()
			r.ok(a, "plenary.vote", map[string]any{"contribution": id, "choice": choice})
		}
		vote(r.alice, finding, view.ChoiceAdopt)
		vote(r.bob, finding, view.ChoiceAdopt)
		vote(crowd[0], finding, view.ChoiceReject)
		vote(r.alice, step, view.ChoiceAdopt)
		vote(r.alice, recs[0], view.ChoiceAdopt) // 3 ballots, quorum 4
		vote(r.bob, recs[0], view.ChoiceAdopt)
		vote(crowd[0], recs[0], view.ChoiceAbstain)
		vote(r.alice, recs[1], view.ChoiceAdopt) // a tie
		vote(r.bob, recs[1], view.ChoiceReject)
		vote(r.alice, recs[2], view.ChoiceAdopt) // 2 of 3: two thirds
		vote(r.bob, recs[2], view.ChoiceAdopt)
		vote(crowd[0], recs[2], view.ChoiceReject)
		for i, a := range []Actor{r.alice, r.bob, crowd[0], crowd[1], crowd[2]} { // 3 of 5
			vote(a, recs[3], map[bool]string{true: view.ChoiceAdopt, false: view.ChoiceReject}[i < 3])
		}
		vote(r.alice, recs[5], view.ChoiceAbstain)
		vote(r.bob, recs[5], view.ChoiceAbstain)

		closed := decode[struct{ Items []view.PlenaryTally }](t, only(t, r.ok(r.mod, "plenary.close", nil).Events, "plenary.closed"))
		majority, twoThirds := view.PlenaryRule{Threshold: "1/2"}, view.PlenaryRule{Threshold: "2/3"}
		want := map[int64]view.PlenaryTally{
			finding: {Adopt: 2, Reject: 1, Voters: 3, Rule: majority, Outcome: view.OutcomeAdopted},
			step:    {Adopt: 1, Voters: 1, Rule: majority, Outcome: view.OutcomeAdopted},
			recs[0]: {Adopt: 2, Abstain: 1, Voters: 3, Rule: view.PlenaryRule{Quorum: 4, Threshold: "1/2"}, Outcome: view.OutcomeNotDecided, Reason: view.ReasonQuorum},
			recs[1]: {Adopt: 1, Reject: 1, Voters: 2, Rule: majority, Outcome: view.OutcomeRejected, Reason: view.ReasonTie},
			recs[2]: {Adopt: 2, Reject: 1, Voters: 3, Rule: twoThirds, Outcome: view.OutcomeAdopted},
			recs[3]: {Adopt: 3, Reject: 2, Voters: 5, Rule: twoThirds, Outcome: view.OutcomeRejected, Reason: view.ReasonThreshold},
			recs[4]: {Rule: majority, Outcome: view.OutcomeNotDecided, Reason: view.ReasonNoBallot},
			recs[5]: {Abstain: 2, Voters: 2, Rule: majority, Outcome: view.OutcomeNotDecided, Reason: view.ReasonAbstained},
		}
		if len(closed.Items) != len(want) {
			t.Fatalf("plenary.closed: got %d items, want %d", len(closed.Items), len(want))
		}
		for _, got := range closed.Items {
			w := want[got.Contribution]
			w.Contribution, w.Eligible, w.OpenedAt, w.ClosedAt = got.Contribution, 5, r.clock.Now().UnixMilli(), r.clock.Now().UnixMilli()
			if got != w {
				t.Errorf("contribution %d: got %+v, want %+v", got.Contribution, got, w)
			}
		}
		results, err := view.PlenaryResults(ctx, db, r.w.ID)
		if err != nil || len(results) != len(want) {
			t.Fatalf("PlenaryResults: got %d, %v; want %d", len(results), err, len(want))
		}
		for _, res := range results {
			w := want[res.Contribution]
			if res.Outcome != w.Outcome || res.Reason != w.Reason || res.Rule != w.Rule || res.Eligible != 5 ||
				res.Adopt != w.Adopt || res.Reject != w.Reject || res.Abstain != w.Abstain {
				t.Errorf("stored result of %d: got %+v, want %+v", res.Contribution, res, w)
			}
		}
		// Opened again, a vote takes the new rule and starts afresh.
		open([]int64{recs[0]}, map[string]any{"quorum": 2})
		_, s := r.snapshot(r.alice)
		for _, p := range s.Plenary {
			if p.Contribution == recs[0] && (!p.Open || p.Rule.Quorum != 2 || p.Voters != 0 || p.Outcome != "") {
				t.Errorf("reopened: got %+v, want open under quorum 2 with no ballot", p)
			}
		}
	})
}
