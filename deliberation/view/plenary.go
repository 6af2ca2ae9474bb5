package view

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
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

// ParseThreshold reads "n/d" with 1 ≤ d ≤ 100 and 1/2 ≤ n/d ≤ 1.
func ParseThreshold(s string) (num, den int, ok bool) {
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

// RuleFor is the rule stored as a quorum and a threshold num/den (den 0: a row written before
// rules existed, which a majority decided).
func RuleFor(quorum, num, den int) PlenaryRule {
	if den == 0 { // a row written before rules existed
		num, den = defaultThresholdNm, defaultThresholdDn
	}
	return PlenaryRule{Quorum: quorum, Threshold: strconv.Itoa(num) + "/" + strconv.Itoa(den)}
}

// PlenaryOutcome applies a rule to the counts of a closed vote: its outcome and the reason for it.
func PlenaryOutcome(adopt, reject, abstain, quorum, num, den int) (outcome, reason string) {
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

// Plenary choices.
const (
	ChoiceAdopt   = "adopt"
	ChoiceReject  = "reject"
	ChoiceAbstain = "abstain"
)

// Plenary outcomes.
const (
	OutcomeAdopted  = "adopted"
	OutcomeRejected = "rejected"
)

// PlenaryItem is a plenary vote on one contribution; the counts are set when it closes.
type PlenaryItem struct {
	bun.BaseModel `bun:"table:plenary_items"`

	ID             int64 `bun:",pk,autoincrement"`
	WorkshopID     int64
	ContributionID int64
	Status         string // open, closed
	OpenedAt       time.Time
	ClosedAt       *time.Time
	Adopt          int
	Reject         int
	Abstain        int
	Voters         int
	Eligible       int
	Outcome        string
	Reason         string
	Quorum         int
	ThresholdNum   int
	ThresholdDen   int
}

// Rule is the adoption rule the item was opened under.
func (it *PlenaryItem) Rule() PlenaryRule {
	return RuleFor(it.Quorum, it.ThresholdNum, it.ThresholdDen)
}

// PlenaryBallot is one person's current choice on an open item.
type PlenaryBallot struct {
	bun.BaseModel `bun:"table:plenary_ballots"`

	ItemID        int64 `bun:",pk"`
	ParticipantID int64 `bun:",pk"`
	WorkshopID    int64
	Choice        string
	UpdatedAt     time.Time
}

// PlenaryTally is the count of one item: plenary.tally, plenary.closed and the snapshot carry
// it. Eligible is the people who may vote: participants (not moderators, not observers) present
// (checked in; every confirmed registration when nobody checked in), plus anyone else who voted,
// so that turnout = voters / eligible never exceeds 1.
type PlenaryTally struct {
	Contribution int64       `json:"contribution"`
	Open         bool        `json:"open"`
	Adopt        int         `json:"adopt"`
	Reject       int         `json:"reject"`
	Abstain      int         `json:"abstain"`
	Voters       int         `json:"voters"`
	Eligible     int         `json:"eligible"`
	Rule         PlenaryRule `json:"rule"`
	Outcome      string      `json:"outcome,omitempty"` // once closed: adopted, rejected or not_decided
	Reason       string      `json:"reason,omitempty"`  // once closed: see the Reason constants
	OpenedAt     int64       `json:"openedAt"`
	ClosedAt     int64       `json:"closedAt,omitempty"`
	Hidden       bool        `json:"hidden,omitempty"` // counts withheld while results are hidden
}

// PlenaryTallies counts the open items among some contributions from their ballots; closed
// items return what was stored when they closed.
func PlenaryTallies(ctx context.Context, r *Reader, contributions []int64) ([]PlenaryTally, error) {
	if len(contributions) == 0 {
		return nil, nil
	}
	var items []PlenaryItem
	err := r.DB.NewSelect().Model(&items).Where("workshop_id = ? AND contribution_id IN (?)", r.Workshop.ID, bun.In(contributions)).
		Order("contribution_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: plenary items: %w", err)
	}
	var open []int64
	for _, it := range items {
		if it.Status == "open" {
			open = append(open, it.ID)
		}
	}
	var ballots []PlenaryBallot
	if len(open) > 0 {
		if err := r.DB.NewSelect().Model(&ballots).Where("item_id IN (?)", bun.In(open)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("store: plenary ballots: %w", err)
		}
	}
	var present map[int64]bool
	if len(open) > 0 {
		roster, err := PresentRoster(ctx, r, false)
		if err != nil {
			return nil, err
		}
		present = make(map[int64]bool, len(roster))
		for _, p := range roster {
			present[p.ID] = true
		}
	}
	byItem := map[int64][]PlenaryBallot{}
	for _, bl := range ballots {
		byItem[bl.ItemID] = append(byItem[bl.ItemID], bl)
	}
	out := make([]PlenaryTally, len(items))
	for i, it := range items {
		t := PlenaryTally{Contribution: it.ContributionID, Open: it.Status == "open", OpenedAt: it.OpenedAt.UnixMilli(), Rule: it.Rule()}
		if !t.Open {
			t.Adopt, t.Reject, t.Abstain, t.Voters, t.Eligible = it.Adopt, it.Reject, it.Abstain, it.Voters, it.Eligible
			t.Outcome, t.Reason = it.Outcome, it.Reason
			if it.ClosedAt != nil {
				t.ClosedAt = it.ClosedAt.UnixMilli()
			}
			out[i] = t
			continue
		}
		t.Eligible = len(present)
		for _, bl := range byItem[it.ID] {
			switch bl.Choice {
			case ChoiceAdopt:
				t.Adopt++
			case ChoiceReject:
				t.Reject++
			case ChoiceAbstain:
				t.Abstain++
			}
			t.Voters++
			if !present[bl.ParticipantID] {
				t.Eligible++
			}
		}
		out[i] = t
	}
	return out, nil
}

// PlenaryResult is the stored result of a closed plenary vote, for the notebook.
type PlenaryResult struct {
	Contribution int64
	Adopt        int
	Reject       int
	Abstain      int
	Voters       int
	Eligible     int    // participants present (or registered) plus anyone else who voted
	Outcome      string // OutcomeAdopted, OutcomeRejected or OutcomeNotDecided
	Reason       string // why: see the Reason constants
	Rule         PlenaryRule
	ClosedAt     time.Time
	Groups       []GroupRef // the groups that said it, in order; empty for a plenary contribution
}

// PlenaryResults returns the results of a workshop's closed plenary votes, by contribution id.
// A contribution whose vote was reopened and is open again has no result until it closes.
func PlenaryResults(ctx context.Context, db bun.IDB, workshopID int64) ([]PlenaryResult, error) {
	var items []PlenaryItem
	err := db.NewSelect().Model(&items).Where("workshop_id = ? AND status = ?", workshopID, "closed").
		Order("contribution_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: plenary results: %w", err)
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ContributionID
	}
	prov, err := ProvenanceOf(ctx, db, workshopID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]PlenaryResult, len(items))
	for i, it := range items {
		out[i] = PlenaryResult{Contribution: it.ContributionID, Adopt: it.Adopt, Reject: it.Reject, Abstain: it.Abstain,
			Voters: it.Voters, Eligible: it.Eligible, Outcome: it.Outcome, Reason: it.Reason, Rule: it.Rule(),
			Groups: GroupRefs(prov[it.ContributionID])}
		if it.ClosedAt != nil {
			out[i].ClosedAt = it.ClosedAt.UTC()
		}
	}
	return out, nil
}

// CheckRule checks the rule a moderator asked for (absent fields: the default) and returns it
// as stored: the quorum and the threshold's two terms; or what is wrong with it.
func CheckRule(quorum *int, threshold *string) (q, num, den int, problem string) {
	num, den = defaultThresholdNm, defaultThresholdDn
	if quorum != nil {
		if *quorum < 0 || *quorum > maxPlenaryQuorum {
			return 0, 0, 0, fmt.Sprintf("quorum must be 0 to %d ballots", maxPlenaryQuorum)
		}
		q = *quorum
	}
	if threshold != nil {
		var ok bool
		if num, den, ok = ParseThreshold(*threshold); !ok {
			return 0, 0, 0, `threshold must be a fraction from "1/2" to "1/1", such as "2/3"`
		}
	}
	return q, num, den, ""
}
