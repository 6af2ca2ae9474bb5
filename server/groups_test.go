package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// member is a participant of the groups session, with what the test learns about them.
type member struct {
	actor
	org         string
	serviceUser bool
	group       int64
}

// waitFor polls cond with a generous deadline: a slow machine only makes the test slower.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventData finds the data of the last event of a name a client received.
func eventData[T any](t *testing.T, c *liveclient.Client, name string) T {
	t.Helper()
	var v T
	found := false
	for _, e := range c.Events() {
		if e.Name == name {
			if err := json.Unmarshal(e.Data, &v); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("no %s received", name)
	}
	return v
}

// TestGroupsSession runs a Partner Day over real WebSockets, on both databases: people
// check in, the agenda moves the session into the diagnostic, the moderator splits the room
// into two mixed groups by colour, the groups work apart (nothing of one reaches the other),
// rapporteurs mark outputs, the moderator brings them to the plenary, merges what both groups
// said, and the room votes; the result is stored for the notebook.
func TestGroupsSession(t *testing.T) {
	stack.Each(t, stack.Options{}, runGroupsSession)
}

func runGroupsSession(t *testing.T, s *stack.Stack) {
	ctx := context.Background()
	w := s.Workshop(t, "Partner Day")
	err := process.SetAgenda(ctx, s.DB, w.ID, []record.AgendaItem{
		{Kind: "welcome", Title: "Accueil", PlannedMinutes: 30},
		{Kind: "phase", Title: "Comment donner la parole aux usagers ?", Phase: record.PhaseDiagnostic, PlannedMinutes: 180},
		{Kind: "phase", Title: "Recommandations", Phase: record.PhaseRecommendations, PlannedMinutes: 60},
	})
	if err != nil {
		t.Fatal(err)
	}
	modP := s.Join(t, "Natacha", "Actiris", record.RoleModerator, w)
	mod := &actor{name: "Natacha", person: modP, c: s.Connect(t, modP, w)}
	specs := []struct {
		name, org string
		su        bool
	}{
		{"Fatima", "CPAS d'Anderlecht", false}, {"Marc", "CPAS d'Anderlecht", false},
		{"Eric", "Actiris", false}, {"Sofia", "Actiris", false},
		{"Guillaume", "Mission Locale", false}, {"Ygal", "Mission Locale", false},
		{"Rachid", "", true}, {"Josiane", "", true},
	}
	var joined []*member
	for _, sp := range specs {
		p := s.Join(t, sp.name, sp.org, record.RoleParticipant, w)
		if sp.su {
			if _, err := s.DB.NewUpdate().Model((*people.Person)(nil)).Set("service_user = ?", true).
				Where("participant_id = ?", p.Participant.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		joined = append(joined, &member{actor: actor{name: sp.name, person: p, c: s.Connect(t, p, w)}, org: sp.org, serviceUser: sp.su})
	}
	lateP := s.Join(t, "Youssef", "Après ASBL", record.RoleParticipant, w) // registered, not checked in
	late := &actor{name: "Youssef", person: lateP, c: s.Connect(t, lateP, w)}
	everyone := []*actor{mod, late}
	for _, m := range joined {
		everyone = append(everyone, &m.actor)
	}
	// Every snapshot first, so that what follows arrives as events.
	for _, a := range everyone {
		if err := a.c.WaitSnapshots(stack.Ctx(t), 1); err != nil {
			t.Fatalf("%s: %v", a.name, err)
		}
	}

	for _, m := range joined {
		stack.MustDo(t, m.c, "checkin.self", nil)
	}
	stack.MustDo(t, mod.c, "agenda.next", nil)
	stack.MustDo(t, mod.c, "agenda.next", nil)
	split := stack.MustDo(t, mod.c, "groups.split", map[string]any{"count": 2, "seed": 25012018, "rapporteurs": true})
	barrier(t, mod, everyone, "Comment donner la parole aux usagers ?")

	// Everyone present is in a group, and knows its colour; organisations and service users
	// are mixed; the latecomer is in none and still connected.
	groups := eventData[struct {
		On     bool
		Groups []view.GroupView
	}](t, joined[0].c, "groups.changed")
	if !groups.On || len(groups.Groups) != 2 || groups.Groups[0].Key != "orange" || groups.Groups[1].Key != "sky" {
		t.Fatalf("groups.changed: got %+v, want orange and sky", groups)
	}
	byGroup := map[int64][]*member{}
	for _, m := range joined {
		m.group = m.c.Welcome().Group
		byGroup[m.group] = append(byGroup[m.group], m)
	}
	for _, g := range groups.Groups {
		orgs, su := map[string]bool{}, 0
		for _, m := range byGroup[g.ID] {
			if m.org != "" && orgs[m.org] {
				t.Errorf("group %s has two people of %s", g.Key, m.org)
			}
			orgs[m.org] = true
			if m.serviceUser {
				su++
			}
		}
		if len(byGroup[g.ID]) != 4 || su != 1 {
			t.Errorf("group %s: got %d people, %d service users; want 4 and 1", g.Key, len(byGroup[g.ID]), su)
		}
	}
	if g := late.c.Welcome().Group; g != 0 || late.c.Err() != nil {
		t.Errorf("latecomer: got group %d (connection error %v), want no group and still connected", g, late.c.Err())
	}
	members := eventData[struct {
		Split struct{ OrgCapMet bool }
	}](t, mod.c, "groups.members")
	if !members.Split.OrgCapMet {
		t.Errorf("groups.members: got orgCapMet false, want true")
	}
	rapporteur := map[int64]*member{}
	for _, m := range joined {
		for _, e := range m.c.Events() {
			if e.Name == "group.rapporteur" && strings.Contains(string(e.Data), `"rapporteur":true`) {
				rapporteur[m.group] = m
			}
		}
	}
	if len(rapporteur) != 2 {
		t.Fatalf("rapporteurs: got %d, want one per group (split acked at seq %d)", len(rapporteur), split.Seq)
	}

	// Group work: findings, comments and votes, each group on its own.
	gA, gB := groups.Groups[0].ID, groups.Groups[1].ID
	secret := map[int64][]string{} // what each group said, which the other must never see
	ids := map[int64][]int64{}
	for gi, gid := range []int64{gA, gB} {
		ms := byGroup[gid]
		body := fmt.Sprintf("Constat du groupe %d : les usagers ne sont pas écoutés.", gi+1)
		f := stack.Post(t, ms[0].actor.c, map[string]any{"kind": "finding", "body": body})
		comment := fmt.Sprintf("Commentaire du groupe %d", gi+1)
		stack.MustDo(t, ms[1].c, "comment.post", map[string]any{"contribution": f, "body": comment})
		stack.MustDo(t, ms[2].c, "vote.set", map[string]any{"contribution": f, "value": 1})
		secret[gid] = append(secret[gid], body, comment)
		ids[gid] = append(ids[gid], f)
	}
	stack.MustRefuse(t, byGroup[gB][0].c, "not_found", "vote.set", map[string]any{"contribution": ids[gA][0], "value": 1})
	stack.MustDo(t, mod.c, "agenda.next", nil) // recommendations
	recs := map[int64]int64{}
	for gi, gid := range []int64{gA, gB} {
		r := rapporteur[gid]
		body := []string{"Associer les usagers à chaque groupe de travail, un ou deux par groupe.",
			"Inviter un ou deux usagers dans chaque groupe de travail."}[gi]
		recs[gid] = stack.Post(t, r.actor.c, map[string]any{"kind": "recommendation", "body": body})
		secret[gid] = append(secret[gid], body)
		ids[gid] = append(ids[gid], recs[gid])
		stack.MustDo(t, r.c, "contribution.mark", map[string]any{"id": recs[gid], "output": true})
	}
	stack.MustRefuse(t, byGroup[gA][0].c, "not_allowed", "contribution.mark", map[string]any{"id": recs[gA], "output": false})

	// Synthesis in plenary.
	// Everything up to here was group work: checked below against what each member received.
	groupWork := stack.MustDo(t, mod.c, "groups.set", map[string]any{"on": false})
	stack.MustDo(t, mod.c, "plenary.promote", map[string]any{"outputs": true})
	stack.MustDo(t, mod.c, "contribution.merge", map[string]any{"from": []int64{recs[gB]}, "into": recs[gA]})
	barrier(t, mod, everyone, "Synthèse en plénière")
	for _, gid := range []int64{gA, gB} {
		other := gB
		if gid == gB {
			other = gA
		}
		for _, m := range byGroup[gid] {
			assertNothingOf(t, m, groupWork.Seq, secret[other], ids[other])
		}
	}
	assertNothingOf(t, &member{actor: *late}, groupWork.Seq, append(secret[gA], secret[gB]...), append(ids[gA], ids[gB]...))
	prov := eventData[struct {
		ID     int64
		Groups []view.GroupRef
	}](t, late.c, "contribution.provenance")
	if prov.ID != recs[gA] || len(prov.Groups) != 2 || prov.Groups[0].Key != "orange" || prov.Groups[1].Key != "sky" {
		t.Errorf("provenance: got %+v, want both groups on %d", prov, recs[gA])
	}

	// The plenary vote. The latecomer votes too: the turnout counts them in.
	stack.MustDo(t, mod.c, "plenary.open", map[string]any{"contributions": []int64{recs[gA]}})
	stack.MustRefuse(t, mod.c, "not_allowed", "plenary.vote", map[string]any{"contribution": recs[gA], "choice": "adopt"})
	choices := []string{"adopt", "adopt", "reject", "adopt", "abstain", "adopt", "adopt", "reject"}
	for i, m := range joined {
		stack.MustDo(t, m.c, "plenary.vote", map[string]any{"contribution": recs[gA], "choice": choices[i]})
	}
	stack.MustDo(t, late.c, "plenary.vote", map[string]any{"contribution": recs[gA], "choice": "adopt"})
	stack.MustDo(t, joined[2].c, "plenary.vote", map[string]any{"contribution": recs[gA], "choice": "adopt"}) // changes their mind
	stack.MustDo(t, mod.c, "plenary.close", nil)
	want := view.PlenaryTally{Contribution: recs[gA], Adopt: 7, Reject: 1, Abstain: 1, Voters: 9, Eligible: 9, Rule: view.DefaultPlenaryRule, Outcome: "adopted"}
	for _, a := range everyone {
		ev, err := a.c.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool { return m.Name == "plenary.closed" })
		if err != nil {
			t.Fatalf("%s never heard the plenary's result: %v", a.name, err)
		}
		var closed struct{ Items []view.PlenaryTally }
		json.Unmarshal(ev.Data, &closed)
		got := closed.Items[0]
		got.OpenedAt, got.ClosedAt = 0, 0
		if got != want {
			t.Errorf("%s: plenary.closed got %+v, want %+v", a.name, got, want)
		}
	}
	results, err := view.PlenaryResults(ctx, s.DB, w.ID)
	if err != nil || len(results) != 1 || results[0].Outcome != "adopted" || results[0].Adopt != 7 || len(results[0].Groups) != 2 {
		t.Fatalf("PlenaryResults: got %+v %v, want the adopted recommendation said by both groups", results, err)
	}

	// Who chose what went to the voter only; nobody learned who is a service user.
	for _, a := range everyone {
		for _, e := range a.c.Events() {
			if e.Name == "plenary.ballot" && a == mod {
				t.Errorf("the moderator received a ballot: %s", e.Data)
			}
			if strings.Contains(strings.ToLower(string(e.Data)), "service") {
				t.Errorf("%s received %s mentioning service users: %s", a.name, e.Name, e.Data)
			}
		}
	}
	if n := countEvents(joined[2].c, "plenary.ballot"); n != 2 {
		t.Errorf("Eric's ballots: got %d plenary.ballot, want his own 2", n)
	}
}

// assertNothingOf checks that a member received nothing of another group up to seq: none of
// its texts, no event about its contributions.
func assertNothingOf(t *testing.T, m *member, upto int64, texts []string, ids []int64) {
	t.Helper()
	for _, e := range m.c.Events() {
		if e.Seq > upto {
			continue
		}
		for _, text := range texts {
			if strings.Contains(string(e.Data), text) {
				t.Errorf("%s (group %d) received %s with another group's text %q", m.name, m.group, e.Name, text)
			}
		}
		var d struct {
			ID           int64
			Contribution int64
			Items        []struct{ Contribution int64 }
		}
		json.Unmarshal(e.Data, &d)
		refs := []int64{d.ID, d.Contribution}
		for _, it := range d.Items {
			refs = append(refs, it.Contribution)
		}
		for _, id := range ids {
			for _, ref := range refs {
				if ref == id && e.Name != "groups.changed" && e.Name != "groups.progress" {
					t.Errorf("%s (group %d) received %s about another group's contribution %d: %s", m.name, m.group, e.Name, id, e.Data)
				}
			}
		}
	}
}

func countEvents(c *liveclient.Client, name string) int {
	n := 0
	for _, e := range c.Events() {
		if e.Name == name {
			n++
		}
	}
	return n
}

// TestRoundsFollowServerClock: the server's clock runs ten minutes ahead of the client's (as a
// phone with a wrong clock would see it). Timed rounds advance by themselves on the server's
// clock, each starting at the previous one's deadline; every endsAt is on the server's clock,
// so a client that counts down against serverTime shows the right time, and one that trusted
// its own clock would be ten minutes off.
func TestRoundsFollowServerClock(t *testing.T) {
	const skew = 10 * time.Minute
	serverClock := func() time.Time { return time.Now().Add(skew) }
	opts := stack.Options{
		Engine: deliberation.EngineOptions{Clock: serverClock},
		Hub:    func(c *hub.Config) { c.Now = serverClock },
	}
	stack.Each(t, opts, func(t *testing.T, s *stack.Stack) {
		w := s.Workshop(t, "Études de cas")
		mod := s.Connect(t, s.Join(t, "Eric", "Actiris", record.RoleModerator, w), w)
		p := s.Connect(t, s.Join(t, "Fatima", "CPAS", record.RoleParticipant, w), w)
		// The participant's snapshot first, so that every rounds.changed arrives as an event.
		if err := p.WaitSnapshots(stack.Ctx(t), 1); err != nil {
			t.Fatal(err)
		}
		steps := []map[string]any{{"key": "presentation", "seconds": 1}, {"key": "questions", "seconds": 1}, {"key": "advice", "seconds": 1}}
		stack.MustDo(t, mod, "rounds.start", map[string]any{"steps": steps, "repeat": 1})
		finished, err := p.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool {
			return m.Name == "rounds.changed" && strings.Contains(string(m.Data), `"finished":true`)
		})
		if err != nil {
			t.Fatalf("the rounds never finished on their own: %v", err)
		}
		var rounds []view.RoundsView
		var first liveclient.Message
		for _, e := range p.Events() {
			if e.Name != "rounds.changed" {
				continue
			}
			var v view.RoundsView
			if err := json.Unmarshal(e.Data, &v); err != nil {
				t.Fatal(err)
			}
			if len(rounds) == 0 {
				first = e
			}
			rounds = append(rounds, v)
		}
		start := rounds[0].StartedAt
		for i, v := range rounds {
			// Each round ends exactly where the plan puts it, whenever the tick ran.
			if v.Active && v.EndsAt != start+int64(v.Index+1)*1000 {
				t.Errorf("round %d: got endsAt %d, want %d (start + %d s)", v.Index, v.EndsAt, start+int64(v.Index+1)*1000, v.Index+1)
			}
			if i > 0 && v.Index <= rounds[i-1].Index && !v.Finished {
				t.Errorf("rounds went from %d to %d", rounds[i-1].Index, v.Index)
			}
		}
		if last := rounds[len(rounds)-1]; !last.Finished || last.Index != 2 {
			t.Errorf("last rounds.changed: got %+v, want the third round finished", last)
		}
		// The deadlines are on the server's clock: counted against serverTime (stamped after the
		// commit), the first round had at most its second left; counted against the client's
		// own clock, ten minutes more.
		if left := rounds[0].EndsAt - first.ServerTime; left > 1000 {
			t.Errorf("first round: endsAt − serverTime = %d ms, want at most the round's 1000 ms", left)
		}
		if naive := rounds[0].EndsAt - first.Received.UnixMilli(); naive < (skew - time.Minute).Milliseconds() {
			t.Errorf("first round: endsAt − client clock = %d ms, want about ten minutes: endsAt is not on the server's clock", naive)
		}
		// After the last round the timer is cleared: no "time's up" is left on the screens.
		if _, err := p.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool {
			var tm view.Timer
			json.Unmarshal(m.Data, &tm)
			return m.Name == "timer.changed" && m.Seq > finished.Seq && tm == (view.Timer{})
		}); err != nil {
			t.Errorf("the timer was never cleared after the last round: %v", err)
		}
	})
}
