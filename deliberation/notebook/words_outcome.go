package notebook

import (
	"sort"
	"strconv"
	"strings"
)

// How the notebook says what the room decided in plenary, and by which rule: every phrase is
// built here so that HTML, Markdown, PDF and CSV say it the same way.

// rule: "majorité des voix exprimées", "2/3 des voix exprimées, quorum : 10 votant·e·s".
func (w words) rule(r PlenaryRule) string {
	s := w.t("nb.plenary.rule.majority")
	if r.Threshold != "" && r.Threshold != "1/2" {
		s = w.f("nb.plenary.rule.threshold", "threshold", r.Threshold)
	}
	if r.Quorum > 0 {
		s += ", " + w.f("nb.plenary.rule.quorum", "quorum", strconv.Itoa(r.Quorum))
	}
	return s
}

// outcome: "adoptée", "rejetée : égalité", "non décidée : quorum de 10 votant·e·s non atteint".
func (w words) outcome(p *PlenaryResult) string {
	out := p.Outcome
	if out == "" { // a result from before outcomes were stored
		switch {
		case p.Adopted == nil:
			out = OutcomeNotDecided
		case *p.Adopted:
			out = OutcomeAdopted
		default:
			out = OutcomeRejected
		}
	}
	s := w.t("nb.plenary." + out)
	if p.Reason != "" {
		reason := w.f("nb.plenary.reason."+p.Reason, "quorum", strconv.Itoa(p.Rule.Quorum), "threshold", p.Rule.Threshold)
		s = w.f("nb.plenary.because", "outcome", s, "reason", reason)
	}
	return s
}

// plenary is the line under an item voted in plenary: the counts, how many could vote, the
// outcome and the rule.
func (w words) plenary(p *PlenaryResult) string {
	s := w.f("nb.plenary", "label", p.Label, "for", strconv.Itoa(p.For), "against", strconv.Itoa(p.Against), "abstain", strconv.Itoa(p.Abstain))
	if p.Eligible > 0 {
		s = w.f("nb.plenary.eligible", "counts", s, "voters", strconv.Itoa(p.For+p.Against+p.Abstain), "eligible", strconv.Itoa(p.Eligible))
	}
	return s + " — " + w.outcome(p) + " (" + w.f("nb.plenary.rule", "rule", w.rule(p.Rule)) + ")"
}

// plenaryMethod is what the method section says of the plenary votes: how a vote decides,
// then the rules that were used.
func (w words) plenaryMethod(rules []PlenaryRule) []string {
	if len(rules) == 0 {
		return nil
	}
	said := make([]string, len(rules))
	for i, r := range rules {
		said[i] = w.rule(r)
	}
	sep := "; "
	if w.lang == "fr" {
		sep = " ; " // French puts a space before the semicolon
	}
	return []string{w.t("nb.method.plenary"), w.f("nb.method.plenary.rules", "rules", strings.Join(said, sep))}
}

// plenaryRulesOf lists the rules of the plenary votes of the notebook, each once, in a stable
// order. The annex holds every contribution, so every vote (in the body or not) is there.
func plenaryRulesOf(annex []Session) []PlenaryRule {
	seen := map[PlenaryRule]bool{}
	for i := range annex {
		for _, e := range annex[i].Contributions {
			if e.Plenary != nil {
				seen[e.Plenary.Rule] = true
			}
		}
	}
	out := make([]PlenaryRule, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Threshold != out[j].Threshold {
			return out[i].Threshold < out[j].Threshold
		}
		return out[i].Quorum < out[j].Quorum
	})
	return out
}

// group is a break-out group's name as people read it: the live groups are stored under their
// colour's key ("sky", "orange-2"), which the catalogs name ("Bleu ciel", "Orange 2"); a name
// given by hand is kept as it is.
func (w words) group(name string) string {
	key, number := name, ""
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			key, number = name[:i], name[i+1:]
		}
	}
	label := w.t("groups.colour." + key)
	if label == "" || label == "groups.colour."+key {
		return name
	}
	if number != "" {
		return label + " " + number
	}
	return label
}
