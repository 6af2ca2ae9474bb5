package notebook

import (
	"sort"

	"github.com/assises/assises/record"
)

// RankingRule names the rule the package comment describes; a notebook records it, so that a
// reader of the open data knows how the order was made.
const RankingRule = "contested-last, organisations, groups, supporters, score, earliest"

// Thresholds of the one-sided flags: a flag must never point at one person.
const (
	minFlagSupporters = 3 // a recommendation needs this many supporters to be flagged one-sided
	minFlagSide       = 2 // and at least this many people of each side voted in that phase
)

// ranked is what ordering needs to know of a contribution.
type ranked struct {
	id        int64
	support   Support
	breadth   Breadth
	contested bool
}

// rankLess is the ranking rule of recommendations (see the package comment).
var rankLess = byKeys(byUncontested, byOrganisations, byGroups, bySupporters, byScore)

// supportLess orders findings, solution paths and steps: most supported first.
var supportLess = byKeys(bySupporters, byScore, byOrganisations)

// A rankKey is one criterion of an order: the more, the earlier.
type rankKey func(r ranked) int

func byOrganisations(r ranked) int { return r.breadth.Organisations }
func byGroups(r ranked) int        { return r.breadth.Groups }
func bySupporters(r ranked) int    { return r.support.Supporters }
func byScore(r ranked) int         { return r.support.Score }

// byUncontested puts a contested recommendation after every other, whatever its support.
func byUncontested(r ranked) int {
	if r.contested {
		return 0
	}
	return 1
}

// byKeys orders by each key in turn, most first; the earliest contribution breaks a tie.
func byKeys(keys ...rankKey) func(a, b ranked) bool {
	return func(a, b ranked) bool {
		for _, key := range keys {
			if ka, kb := key(a), key(b); ka != kb {
				return ka > kb
			}
		}
		return a.id < b.id
	}
}

// order sorts items by less and returns their ids, first first.
func order(items []ranked, less func(a, b ranked) bool) []int64 {
	sorted := append([]ranked(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return less(sorted[i], sorted[j]) })
	ids := make([]int64, len(sorted))
	for i, r := range sorted {
		ids[i] = r.id
	}
	return ids
}

// applyPositions puts the items the organisers placed by hand first, in their order, then
// the others in computed order.
func applyPositions(computed []int64, items map[int64]ItemEdit) []int64 {
	type placed struct {
		id  int64
		pos int
	}
	var manual []placed
	var rest []int64
	for _, id := range computed {
		if it, ok := items[id]; ok && it.Position != nil {
			manual = append(manual, placed{id, *it.Position})
		} else {
			rest = append(rest, id)
		}
	}
	sort.SliceStable(manual, func(i, j int) bool { return manual[i].pos < manual[j].pos })
	out := make([]int64, 0, len(computed))
	for _, m := range manual {
		out = append(out, m.id)
	}
	return append(out, rest...)
}

// supportOf turns a vote aggregate into the published figures.
func supportOf(method string, row supportRow) (Support, Breadth) {
	s := Support{Method: method, Votes: row.Votes, Supporters: row.Pos, Score: row.Total}
	switch record.VoteMethod(method) {
	case record.MethodSupport:
		s.Score = row.Pos
	case record.MethodAgree:
		s.Agree, s.Neutral, s.Disagree = row.Pos, row.Zero, row.Neg
	case record.MethodDots:
		s.Dots = row.Total
	}
	return s, Breadth{Organisations: row.Orgs + row.Unaffiliated, Groups: row.Groups}
}

// MinContestedVotes is the fewest votes under the agree method for an item to be called
// contested: with two or three votes, one person's "disagree" would brand an item.
const MinContestedVotes = 5

// contested: under the agree method, at least MinContestedVotes votes and at least as many
// disagreed as agreed. An item without votes is never contested.
func contested(s Support) bool {
	return s.Method == string(record.MethodAgree) && s.Votes >= MinContestedVotes && s.Disagree >= s.Agree
}

// flagsOf decides the flags of a recommendation from its aggregate and the phase's room.
// groupID is the group it was posted in (0: posted to the whole room).
func flagsOf(s Support, row supportRow, room roomRow, groupID int64) (flags []string, oneGroup bool) {
	if contested(s) {
		flags = append(flags, FlagContested)
	}
	if row.Pos >= minFlagSupporters && row.PosUnknown == 0 && room.SU >= minFlagSide && room.Pro >= minFlagSide {
		switch row.PosSU {
		case 0:
			flags = append(flags, FlagProfessionalsOnly)
		case row.Pos:
			flags = append(flags, FlagServiceUsersOnly)
		}
	}
	if groupID == 0 && row.Pos >= 2 && row.Groups == 1 && row.NoGroup == 0 && room.Groups >= 2 {
		flags = append(flags, FlagOneGroup)
		oneGroup = true
	}
	if row.Pos >= 2 && row.Orgs == 1 && row.Unaffiliated == 0 {
		flags = append(flags, FlagOneOrganisation)
	}
	return flags, oneGroup
}

// dissentOf is the share of votes that disagreed, under the agree method only.
func dissentOf(s Support) *float64 {
	if s.Method != string(record.MethodAgree) || s.Votes == 0 {
		return nil
	}
	d := float64(s.Disagree) / float64(s.Votes)
	return &d
}
