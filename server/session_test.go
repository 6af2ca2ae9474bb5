package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
)

// voteModel is what the acknowledgements imply: for each contribution, each person's
// current vote, and each person's organisation (for the breadth of support). The final
// tallies must equal it exactly.
type voteModel struct {
	votes map[int64]map[int64]int
	orgOf map[int64]int64
}

func (m voteModel) set(contribution, participant int64, value int, method record.VoteMethod) {
	if m.votes[contribution] == nil {
		m.votes[contribution] = map[int64]int{}
	}
	if value == 0 && method != record.MethodAgree {
		delete(m.votes[contribution], participant)
		return
	}
	m.votes[contribution][participant] = value
}

// expected computes the tally item the model implies for one contribution.
func (m voteModel) expected(contribution int64, method record.VoteMethod) view.TallyItem {
	it := view.TallyItem{Contribution: contribution, Method: method}
	orgs := map[int64]bool{}
	for p, v := range m.votes[contribution] {
		if v > 0 {
			orgs[m.orgOf[p]] = true
		}
		it.Count++
		it.Voters++
		switch method {
		case record.MethodSupport:
			it.Sum++
		case record.MethodAgree:
			it.Sum += v
			switch v {
			case 1:
				it.Agree++
			case 0:
				it.Neutral++
			case -1:
				it.Disagree++
			}
		case record.MethodDots:
			it.Sum += v
			it.Dots += v
		}
	}
	it.Organisations = len(orgs)
	return it
}

// merge applies the engine's documented carry-over to the model: the target keeps each
// person once; a person who voted on both keeps the target's vote (for dots, the larger).
func (m voteModel) merge(into int64, from ...int64) {
	for _, f := range from {
		for p, v := range m.votes[f] {
			if m.votes[into] == nil {
				m.votes[into] = map[int64]int{}
			}
			if old, ok := m.votes[into][p]; !ok || v > old {
				if !ok {
					m.votes[into][p] = v
				}
			}
		}
		delete(m.votes, f)
	}
}

type actor struct {
	name   string
	person stack.Person
	c      *liveclient.Client
}

// barrier has the moderator make a public change and waits until everyone has seen it.
func barrier(t *testing.T, mod *actor, people []*actor, text string) int64 {
	t.Helper()
	out := stack.MustDo(t, mod.c, "question.set", map[string]any{"phase": "diagnostic", "text": text})
	for _, a := range people {
		if err := a.c.WaitSeq(stack.Ctx(t), out.Seq); err != nil {
			t.Fatalf("%s stopped at seq %d, want %d: %v", a.name, a.c.LastSeq(), out.Seq, err)
		}
	}
	return out.Seq
}

// latestTallies folds every tally.updated a client received into the latest item per contribution.
func latestTallies(c *liveclient.Client) map[int64]view.TallyItem {
	out := map[int64]view.TallyItem{}
	for _, e := range c.Events() {
		if e.Name != "tally.updated" {
			continue
		}
		var data struct{ Items []view.TallyItem }
		if json.Unmarshal(e.Data, &data) == nil {
			for _, it := range data.Items {
				out[it.Contribution] = it
			}
		}
	}
	return out
}

// waitTallies waits until a client's latest tallies equal what the model implies.
func waitTallies(t *testing.T, a *actor, m voteModel, method record.VoteMethod, ids ...int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := latestTallies(a.c)
		diff := ""
		for _, id := range ids {
			want := m.expected(id, method)
			if g := got[id]; g != want {
				diff += fmt.Sprintf("\n  contribution %d: got %+v, want %+v", id, g, want)
			}
		}
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: tallies never matched the acknowledged votes:%s", a.name, diff)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFullSession runs a whole workshop with Go clients over real WebSockets: a moderator and
// five participants, the three phases, every vote method, a merge, a reconnect in the middle.
// The final tallies equal what the acknowledgements imply.
func TestFullSession(t *testing.T) {
	stack.Each(t, stack.Options{}, runFullSession)
}

func runFullSession(t *testing.T, s *stack.Stack) {
	w := s.Workshop(t, "Atelier 1.1")
	orgs := []string{"Syndicat des Locataires", "CPAS d'Anderlecht", "CPAS d'Anderlecht", "Actiris", "Mission Locale", "Après ASBL"}
	names := []string{"Nadia", "Fatima", "Marc", "Sofia", "Youssef", "Jean"}
	var people []*actor
	for i, name := range names {
		role := record.RoleParticipant
		if i == 0 {
			role = record.RoleModerator
		}
		p := s.Join(t, name, orgs[i], role, w)
		people = append(people, &actor{name: name, person: p, c: s.Connect(t, p, w)})
	}
	mod, p1, p2, p3, p4, p5 := people[0], people[1], people[2], people[3], people[4], people[5]
	if !mod.c.Welcome().Moderator || p1.c.Welcome().Moderator {
		t.Fatalf("roles: moderator %v, participant %v", mod.c.Welcome().Moderator, p1.c.Welcome().Moderator)
	}
	model := voteModel{votes: map[int64]map[int64]int{}, orgOf: map[int64]int64{}}
	for _, a := range people {
		model.orgOf[a.person.Participant.ID] = *a.person.Participant.OrganisationID
	}
	type sentVote struct {
		who   *actor
		seq   int64
		value int
	}
	var votes []sentVote
	vote := func(a *actor, contribution int64, value int, method record.VoteMethod) {
		t.Helper()
		out := stack.MustDo(t, a.c, "vote.set", map[string]any{"contribution": contribution, "value": value})
		model.set(contribution, a.person.Participant.ID, value, method)
		votes = append(votes, sentVote{a, out.Seq, value})
	}

	// A participant may not steer, nor post before the diagnostic opens.
	stack.MustRefuse(t, p1.c, "not_allowed", "phase.set", map[string]any{"phase": "diagnostic"})
	stack.MustRefuse(t, p1.c, "phase_closed", "contribution.post", map[string]any{"kind": "finding", "body": "trop tôt"})

	// Phase 1: diagnostic, support votes.
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "diagnostic"})
	stack.MustDo(t, mod.c, "question.set", map[string]any{"phase": "diagnostic", "text": "Qu'est-ce qui bloque l'accès au logement ?"})
	timer := stack.MustDo(t, mod.c, "timer.start", map[string]any{"seconds": 900})
	for _, a := range people {
		if err := a.c.WaitSeq(stack.Ctx(t), timer.Seq); err != nil {
			t.Fatalf("%s never saw the timer start: %v", a.name, err)
		}
	}
	f1 := stack.Post(t, p1.c, map[string]any{"kind": "finding", "body": "Les délais d'accès au logement social sont trop longs."})
	f2 := stack.Post(t, p2.c, map[string]any{"kind": "finding", "body": "On attend des années pour un logement social."})
	s1 := stack.Post(t, p3.c, map[string]any{"kind": "solution", "body": "Un guichet unique logement-CPAS.", "parent": f1})
	stack.MustRefuse(t, p2.c, "not_owner", "contribution.edit", map[string]any{"id": f1, "body": "réécrit"})
	stack.MustDo(t, p1.c, "contribution.edit", map[string]any{"id": f1, "body": "Les délais d'accès au logement social sont beaucoup trop longs."})

	vote(p1, f1, 1, record.MethodSupport)
	vote(p2, f2, 1, record.MethodSupport)
	vote(p1, f2, 1, record.MethodSupport) // Fatima supports both: the merge must count her once
	vote(p3, f1, 1, record.MethodSupport)
	vote(p3, f1, 0, record.MethodSupport) // a toggle off…
	vote(p3, f1, 1, record.MethodSupport) // …and on again
	vote(p4, f2, 1, record.MethodSupport)
	vote(p5, s1, 1, record.MethodSupport)
	waitTallies(t, p5, model, record.MethodSupport, f1, f2, s1)

	// Youssef's phone drops; meanwhile the moderator merges the duplicates and Jean votes.
	p4.c.Close()
	awayFrom := p4.c.LastSeq()
	stack.MustDo(t, mod.c, "contribution.merge", map[string]any{"from": []int64{f2}, "into": f1})
	model.merge(f1, f2)
	vote(p5, f1, 1, record.MethodSupport)
	waitTallies(t, p5, model, record.MethodSupport, f1, s1)
	if got := model.expected(f1, record.MethodSupport).Sum; got != 5 {
		t.Fatalf("model after merge: %d supporters of the merged finding, want 5 (Fatima once)", got)
	}
	if err := p4.c.Reconnect(stack.Ctx(t)); err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	barrier(t, mod, people, "Qu'est-ce qui bloque l'accès au logement ? (suite)")
	if _, err := p4.c.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool {
		return m.Name == "contribution.merged" && m.Seq > awayFrom
	}); err != nil {
		t.Fatalf("Youssef missed the merge made while he was away: %v", err)
	}
	if len(p4.c.Snapshots()) != 1 {
		t.Errorf("Youssef resumed with a snapshot (%d snapshots), want the missed events only", len(p4.c.Snapshots()))
	}

	// Phase 2: recommendations, agree / neutral / disagree.
	stack.MustDo(t, mod.c, "vote.method.set", map[string]any{"phase": "recommendations", "method": "agree"})
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "recommendations"})
	stack.MustRefuse(t, p1.c, "phase_closed", "vote.set", map[string]any{"contribution": f1, "value": 1})
	r1 := stack.Post(t, p1.c, map[string]any{"kind": "recommendation", "body": "Créer un guichet unique logement dans chaque CPAS.", "links": []int64{f1}})
	r2 := stack.Post(t, p3.c, map[string]any{"kind": "recommendation", "body": "Financer des référents logement dans les Missions Locales."})
	for _, v := range []struct {
		a     *actor
		c     int64
		value int
	}{{p1, r1, 1}, {p2, r1, 1}, {p3, r1, -1}, {p4, r1, 0}, {p5, r1, 1}, {p5, r1, -1}, {p1, r2, -1}, {p2, r2, 1}} {
		vote(v.a, v.c, v.value, record.MethodAgree)
	}
	waitTallies(t, mod, model, record.MethodAgree, r1, r2)
	if it := model.expected(r1, record.MethodAgree); it.Agree != 2 || it.Neutral != 1 || it.Disagree != 2 {
		t.Fatalf("model of r1: %+v", it)
	}

	// Phase 3: implementation, dots (budget 3, at most 2 on one item).
	stack.MustDo(t, mod.c, "vote.method.set", map[string]any{"phase": "implementation", "method": "dots", "budget": 3, "maxPerItem": 2})
	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "implementation"})
	stack.MustRefuse(t, p2.c, "invalid_args", "contribution.post", map[string]any{"kind": "step", "body": "sans recommandation"})
	st1 := stack.Post(t, p3.c, map[string]any{"kind": "step", "body": "Former les agents d'accueil.", "parent": r1, "who": "CPAS", "how": "formation", "when": "2025"})
	st2 := stack.Post(t, p4.c, map[string]any{"kind": "step", "body": "Un numéro unique.", "parent": r1, "who": "Région", "how": "marché public", "when": "2026"})
	st3 := stack.Post(t, p5.c, map[string]any{"kind": "step", "body": "Un budget pluriannuel.", "parent": r2, "who": "Parlement", "how": "ordonnance", "when": "2025"})
	vote(p1, st1, 2, record.MethodDots)
	vote(p1, st2, 1, record.MethodDots)
	stack.MustRefuse(t, p1.c, "over_budget", "vote.set", map[string]any{"contribution": st3, "value": 1})
	stack.MustRefuse(t, p2.c, "over_item_max", "vote.set", map[string]any{"contribution": st1, "value": 3})
	vote(p2, st1, 2, record.MethodDots)
	vote(p3, st2, 2, record.MethodDots)
	vote(p3, st2, 1, record.MethodDots) // a new vote replaces the old one
	vote(p3, st3, 2, record.MethodDots)
	waitTallies(t, p2, model, record.MethodDots, st1, st2, st3)

	stack.MustDo(t, mod.c, "phase.set", map[string]any{"phase": "closed"})
	stack.MustRefuse(t, p2.c, "phase_closed", "vote.set", map[string]any{"contribution": st3, "value": 1})

	// Everyone saw the same public history, in order, exactly once.
	barrier(t, mod, people, "Merci à toutes et à tous.")
	for _, a := range people {
		var last int64
		for _, e := range a.c.Events() {
			if e.Seq <= last {
				t.Fatalf("%s: seq %d after %d", a.name, e.Seq, last)
			}
			last = e.Seq
		}
	}
	// Who voted what reaches nobody but the voter: each vote.recorded a person received is
	// the event of one of their own acknowledged votes.
	own := map[*actor]map[int64]bool{}
	for _, v := range votes {
		if own[v.who] == nil {
			own[v.who] = map[int64]bool{}
		}
		own[v.who][v.seq] = true
	}
	for _, a := range people {
		for _, e := range a.c.Events() {
			if e.Name == "vote.recorded" && !own[a][e.Seq] {
				t.Errorf("%s received someone else's vote (seq %d): %s", a.name, e.Seq, e.Data)
			}
		}
	}
	publicOf := func(a *actor) []int64 {
		var seqs []int64
		for _, e := range a.c.Events() {
			if e.Name != "vote.recorded" {
				seqs = append(seqs, e.Seq)
			}
		}
		return seqs
	}
	want := publicOf(p1)
	for _, a := range []*actor{p2, p3, p5} {
		if got := publicOf(a); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s saw public events %v, %s saw %v", a.name, got, p1.name, want)
		}
	}

	// The logs of the whole session carry no secrets, names or words people wrote
	// (docs/security.md, item 13): the server logged something, just nothing of that.
	logs := s.Logs.String()
	if logs == "" {
		t.Fatal("the server logged nothing at all: the check below would prove nothing")
	}
	secrets := []string{w.Code, "Qu'est-ce qui bloque", "guichet unique", "logement social", "Un budget pluriannuel"}
	for _, a := range people {
		secrets = append(secrets, a.person.Cookie.Value, a.name, orgs[0])
	}
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}
