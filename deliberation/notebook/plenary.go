package notebook

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/process"
)

// Plenary reads the plenary votes held in the live workshops of a process (the synthesis in
// plenary: adopt / reject / abstain on a finding, a recommendation or a step). It is the
// PlenarySource the server compiles notebooks with.
var Plenary PlenarySource = PlenaryFunc(plenaryFromWorkshops)

func plenaryFromWorkshops(ctx context.Context, db bun.IDB, processID int64) (map[int64]PlenaryResult, error) {
	workshops, err := process.ListWorkshops(ctx, db, processID)
	if err != nil {
		return nil, err
	}
	out := map[int64]PlenaryResult{}
	for _, w := range workshops {
		results, err := view.PlenaryResults(ctx, db, w.ID)
		if err != nil {
			return nil, fmt.Errorf("notebook: plenary of workshop %d: %w", w.ID, err)
		}
		for _, r := range results {
			p := PlenaryResult{
				Label:    w.Title + ", " + r.ClosedAt.In(brussels).Format("02/01/2006"),
				For:      r.Adopt,
				Against:  r.Reject,
				Abstain:  r.Abstain,
				Eligible: r.Eligible,
				Rule:     PlenaryRule{Quorum: r.Rule.Quorum, Threshold: r.Rule.Threshold},
				Outcome:  r.Outcome,
				Reason:   r.Reason,
			}
			if r.Outcome != view.OutcomeNotDecided {
				adopted := r.Outcome == view.OutcomeAdopted
				p.Adopted = &adopted
			}
			out[r.Contribution] = p
		}
	}
	return out, nil
}
