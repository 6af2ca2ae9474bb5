package view

import "testing"

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
			num, den, ok := ParseThreshold(c.threshold)
			if !ok {
				t.Fatalf("threshold %q refused", c.threshold)
			}
			o, r := PlenaryOutcome(c.adopt, c.reject, c.abstain, c.quo, num, den)
			if o != c.wantOutcome || r != c.wantReason {
				t.Errorf("got %s (%s), want %s (%s)", o, r, c.wantOutcome, c.wantReason)
			}
		})
	}
}
