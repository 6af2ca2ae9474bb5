package deliberation

import (
	"fmt"
	"strconv"
	"strings"
)

// The adoption rule of a plenary vote is stated when the vote opens and cannot change while it
// is open, so that nobody moves the goalposts once the ballots come in; it is stored and printed
// with the result. By default a vote is adopted by a majority of the votes cast: more "for" than
// "against", abstentions left out. A quorum asks for a least number of ballots (abstentions
// included); a threshold asks "for" to reach a share of the votes cast (2/3…). A vote with no
// ballot, below its quorum, or where everyone abstained decided nothing: it is *not decided*,
// never rejected. A tie is not a majority: rejected, and the reason says it was a tie.

// OutcomeNotDecided: the vote decided nothing (no ballot, below quorum, only abstentions).
const OutcomeNotDecided = "not_decided"

// Reasons a closed plenary vote gives for its outcome (PlenaryTally.Reason).
const (
	ReasonTie       = "tie"       // rejected: as many for as against
	ReasonThreshold = "threshold" // rejected: more for than against, but under the threshold
	ReasonNoBallot  = "no_ballot" // not decided: nobody voted
	ReasonQuorum    = "quorum"    // not decided: fewer ballots than the quorum
	ReasonAbstained = "abstained" // not decided: every ballot was an abstention
)

// Limits of a rule.
const (
	maxPlenaryQuorum   = 100_000
	maxThresholdDenom  = 100
	defaultThresholdNm = 1
	defaultThresholdDn = 2
)

// PlenaryRule is the adoption rule of one plenary vote.
type PlenaryRule struct {
	Quorum    int    `json:"quorum"`    // the fewest ballots (abstentions count) for the vote to decide; 0: none
	Threshold string `json:"threshold"` // the share of the votes cast that "for" must reach: "1/2" is a majority
}

// DefaultPlenaryRule is a majority of the votes cast, without quorum.
var DefaultPlenaryRule = PlenaryRule{Threshold: "1/2"}

// parseThreshold reads "n/d" with 1 ≤ d ≤ 100 and 1/2 ≤ n/d ≤ 1.
func parseThreshold(s string) (num, den int, ok bool) {
	n, d, found := strings.Cut(strings.TrimSpace(s), "/")
	if !found {
		return 0, 0, false
	}
	num, err1 := strconv.Atoi(n)
	den, err2 := strconv.Atoi(d)
	if err1 != nil || err2 != nil || den < 1 || den > maxThresholdDenom || num > den || 2*num < den {
		return 0, 0, false
	}
	return num, den, true
}

// ruleOf checks the rule a moderator asked for (absent fields: the default) and returns it as
// stored: the quorum and the threshold's two terms.
func ruleOf(quorum *int, threshold *string) (q, num, den int, r refusal) {
	num, den = defaultThresholdNm, defaultThresholdDn
	if quorum != nil {
		if *quorum < 0 || *quorum > maxPlenaryQuorum {
			return 0, 0, 0, refuse(CodeInvalidArgs, fmt.Sprintf("quorum must be 0 to %d ballots", maxPlenaryQuorum))
		}
		q = *quorum
	}
	if threshold != nil {
		var ok bool
		if num, den, ok = parseThreshold(*threshold); !ok {
			return 0, 0, 0, refuse(CodeInvalidArgs, `threshold must be a fraction from "1/2" to "1/1", such as "2/3"`)
		}
	}
	return q, num, den, refusal{}
}

func ruleFor(quorum, num, den int) PlenaryRule {
	if den == 0 { // a row written before rules existed
		num, den = defaultThresholdNm, defaultThresholdDn
	}
	return PlenaryRule{Quorum: quorum, Threshold: strconv.Itoa(num) + "/" + strconv.Itoa(den)}
}

// plenaryOutcome applies a rule to the counts of a closed vote: its outcome and the reason for it.
func plenaryOutcome(adopt, reject, abstain, quorum, num, den int) (outcome, reason string) {
	if den == 0 {
		num, den = defaultThresholdNm, defaultThresholdDn
	}
	ballots := adopt + reject + abstain
	switch {
	case ballots == 0:
		return OutcomeNotDecided, ReasonNoBallot
	case ballots < quorum:
		return OutcomeNotDecided, ReasonQuorum
	case adopt+reject == 0:
		return OutcomeNotDecided, ReasonAbstained
	case adopt == reject:
		return OutcomeRejected, ReasonTie
	case adopt > reject && adopt*den >= num*(adopt+reject):
		return OutcomeAdopted, ""
	case adopt > reject:
		return OutcomeRejected, ReasonThreshold
	}
	return OutcomeRejected, ""
}
