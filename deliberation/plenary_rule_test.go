package deliberation

import (
	"context"
	"testing"

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"

	"github.com/assises/assises/storage/storagetest"
)

func TestPlenaryOutcome(t *testing.T) {
	for _, c := range []struct {
		name                        string
		adopt, reject, abstain, quo int
		threshold                   string
		wantOutcome, wantReason     string
	}{
		{"no ballot", 0, 0, 0, 0, "1/2", OutcomeNotDecided, ReasonNoBallot},
		{"only abstentions", 0, 0, 3, 0, "1/2", OutcomeNotDecided, ReasonAbstained},
		{"below quorum", 5, 0, 0, 6, "1/2", OutcomeNotDecided, ReasonQuorum},
		{"quorum met with abstentions", 3, 1, 2, 6, "1/2", OutcomeAdopted, ""},
		{"majority", 2, 1, 9, 0, "1/2", OutcomeAdopted, ""},
		{"tie", 2, 2, 0, 0, "1/2", OutcomeRejected, ReasonTie},
		{"more against", 1, 2, 0, 0, "1/2", OutcomeRejected, ""},
		{"two thirds reached exactly", 2, 1, 0, 0, "2/3", OutcomeAdopted, ""},
		{"two thirds missed", 3, 2, 0, 0, "2/3", OutcomeRejected, ReasonThreshold},
		{"tie under two thirds", 1, 1, 0, 0, "2/3", OutcomeRejected, ReasonTie},
		{"unanimity", 4, 0, 1, 0, "1/1", OutcomeAdopted, ""},
		{"unanimity missed", 4, 1, 0, 0, "1/1", OutcomeRejected, ReasonThreshold},
	} {
		t.Run(c.name, func(t *testing.T) {
			num, den, ok := parseThreshold(c.threshold)
			if !ok {
				t.Fatalf("threshold %q refused", c.threshold)
			}
			o, r := plenaryOutcome(c.adopt, c.reject, c.abstain, c.quo, num, den)
			if o != c.wantOutcome || r != c.wantReason {
				t.Errorf("got %s (%s), want %s (%s)", o, r, c.wantOutcome, c.wantReason)
			}
		})
	}
}

// TestPlenaryRules: votes opened under different rules on a finding, recommendations and a
// step; some get partial ballots, one none; each closes as its rule says, and the stored result
// carries the counts, the people who could vote and the rule.
func TestPlenaryRules(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRoom(t, db)
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
		vote(r.alice, finding, ChoiceAdopt)
		vote(r.bob, finding, ChoiceAdopt)
		vote(crowd[0], finding, ChoiceReject)
		vote(r.alice, step, ChoiceAdopt)
		vote(r.alice, recs[0], ChoiceAdopt) // 3 ballots, quorum 4
		vote(r.bob, recs[0], ChoiceAdopt)
		vote(crowd[0], recs[0], ChoiceAbstain)
		vote(r.alice, recs[1], ChoiceAdopt) // a tie
		vote(r.bob, recs[1], ChoiceReject)
		vote(r.alice, recs[2], ChoiceAdopt) // 2 of 3: two thirds
		vote(r.bob, recs[2], ChoiceAdopt)
		vote(crowd[0], recs[2], ChoiceReject)
		for i, a := range []Actor{r.alice, r.bob, crowd[0], crowd[1], crowd[2]} { // 3 of 5
			vote(a, recs[3], map[bool]string{true: ChoiceAdopt, false: ChoiceReject}[i < 3])
		}
		vote(r.alice, recs[5], ChoiceAbstain)
		vote(r.bob, recs[5], ChoiceAbstain)

		closed := decode[struct{ Items []PlenaryTally }](t, only(t, r.ok(r.mod, "plenary.close", nil).Events, "plenary.closed"))
		majority, twoThirds := PlenaryRule{Threshold: "1/2"}, PlenaryRule{Threshold: "2/3"}
		want := map[int64]PlenaryTally{
			finding: {Adopt: 2, Reject: 1, Voters: 3, Rule: majority, Outcome: OutcomeAdopted},
			step:    {Adopt: 1, Voters: 1, Rule: majority, Outcome: OutcomeAdopted},
			recs[0]: {Adopt: 2, Abstain: 1, Voters: 3, Rule: PlenaryRule{Quorum: 4, Threshold: "1/2"}, Outcome: OutcomeNotDecided, Reason: ReasonQuorum},
			recs[1]: {Adopt: 1, Reject: 1, Voters: 2, Rule: majority, Outcome: OutcomeRejected, Reason: ReasonTie},
			recs[2]: {Adopt: 2, Reject: 1, Voters: 3, Rule: twoThirds, Outcome: OutcomeAdopted},
			recs[3]: {Adopt: 3, Reject: 2, Voters: 5, Rule: twoThirds, Outcome: OutcomeRejected, Reason: ReasonThreshold},
			recs[4]: {Rule: majority, Outcome: OutcomeNotDecided, Reason: ReasonNoBallot},
			recs[5]: {Abstain: 2, Voters: 2, Rule: majority, Outcome: OutcomeNotDecided, Reason: ReasonAbstained},
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
		results, err := PlenaryResults(ctx, db, r.w.ID)
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
