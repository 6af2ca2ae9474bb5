package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// audienceRoom is a workshop seen by one of each kind of viewer: a moderator, an observer (the
// projector's view: watches, never posts), two participants of one break-out group, one of
// the other group, and a participant who never checked in (in no group).
type audienceRoom struct {
	s              *stack.Stack
	w              *record.Workshop
	mod, obs       *actor
	x, y, z, loner *actor // x and y share a group, z is in the other
	all            []*actor
	groupOf        map[*actor]int64
	gA, gB         int64
	afterSnapshots int64
	posts          map[string]int64
	barriers       int
}

func newAudienceRoom(t *testing.T, s *stack.Stack) *audienceRoom { return newAudienceRoomOn(t, s, s) }

// newAudienceRoomOn is newAudienceRoom with the observer, Eric and Sofia (one of each group)
// connected to another node of the cluster.
func newAudienceRoomOn(t *testing.T, s, peer *stack.Stack) *audienceRoom {
	ctx := context.Background()
	r := &audienceRoom{s: s, w: s.Workshop(t, "Qui reçoit quoi"), groupOf: map[*actor]int64{}, posts: map[string]int64{}}
	if err := process.SetAgenda(ctx, s.DB, r.w.ID, []record.AgendaItem{
		{Kind: "welcome", Title: "Accueil", PlannedMinutes: 10},
		{Kind: "phase", Title: "Constats", Phase: record.PhaseDiagnostic, PlannedMinutes: 60},
	}); err != nil {
		t.Fatal(err)
	}
	join := func(name, org string, role record.Role) *actor {
		p := s.Join(t, name, org, role, r.w)
		on := s
		if name == "Projecteur" || name == "Eric" || name == "Sofia" {
			on = peer
		}
		a := &actor{name: name, person: p, c: on.Connect(t, p, r.w)}
		r.all = append(r.all, a)
		return a
	}
	r.mod = join("Natacha", "Actiris", record.RoleModerator)
	r.obs = join("Projecteur", "", record.RoleObserver)
	r.x = join("Fatima", "CPAS d'Anderlecht", record.RoleParticipant)
	r.y = join("Eric", "Actiris", record.RoleParticipant)
	r.z = join("Sofia", "Mission Locale", record.RoleParticipant)
	r.loner = join("Youssef", "Après ASBL", record.RoleParticipant)
	for _, a := range r.all {
		if err := a.c.WaitSnapshots(stack.Ctx(t), 1); err != nil {
			t.Fatalf("%s: %v", a.name, err)
		}
		if s := a.c.Snapshots(); s[0].Seq > r.afterSnapshots {
			r.afterSnapshots = s[0].Seq
		}
	}
	return r
}

// barrier sends an event to everyone and waits until every client has it: whatever was sent
// before it has arrived too (one ordered stream per socket), so an absence checked after it
// is an absence, not a delay.
func (r *audienceRoom) barrier(t *testing.T) int64 {
	t.Helper()
	r.barriers++
	return barrier(t, r.mod, r.all, fmt.Sprintf("Barrière %d", r.barriers))
}

// postAs posts a finding and returns its id, read from the log (a pending post reaches only
// its author and the moderators, so the id is taken where it is sure to be).
func (r *audienceRoom) postAs(t *testing.T, a *actor, key string) int64 {
	t.Helper()
	out := stack.MustDo(t, a.c, "contribution.post", map[string]any{"kind": "finding", "body": "Constat " + key + " : les délais sont trop longs."})
	var ev journal.Event
	if err := r.s.DB.NewSelect().Model(&ev).Where("workshop_id = ? AND seq <= ? AND name = ?", r.w.ID, out.Seq, "contribution.posted").
		Order("seq DESC").Limit(1).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := []journal.Event{ev}
	if err := journal.OpenStoredEvents(context.Background(), r.s.DB, evs); err != nil {
		t.Fatal(err)
	}
	ev = evs[0]
	var data struct{ ID int64 }
	if err := json.Unmarshal([]byte(ev.Payload), &data); err != nil || data.ID == 0 {
		t.Fatalf("post %s: no id in %q: %v", key, ev.Payload, err)
	}
	r.posts[key] = data.ID
	return data.ID
}

// mayReceive says, from what the test set up (not from the hub's own rules), whether a client
// may receive an event for aud: everyone for all; the moderator for moderators; the group's
// members (after the split) and the moderator for a group; that participant alone for a person.
func (r *audienceRoom) mayReceive(aud hub.Audience, a *actor, afterSplit bool) bool {
	switch aud.Kind {
	case hub.All:
		return true
	case hub.Moderators:
		return a == r.mod
	case hub.Group:
		return a == r.mod || afterSplit && r.groupOf[a] == aud.ID
	case hub.Person:
		return a.person.Participant.ID == aud.ID
	}
	return false
}

// split checks everyone in, opens the diagnostic and splits the room into two groups, Fatima
// and Eric in one, Sofia in the other (trying seeds until the split puts them so); it returns
// the seq of that split.
func (r *audienceRoom) split(t *testing.T) int64 {
	t.Helper()
	for _, a := range []*actor{r.x, r.y, r.z} {
		stack.MustDo(t, a.c, "checkin.self", nil)
	}
	stack.MustDo(t, r.mod.c, "agenda.next", nil)
	stack.MustDo(t, r.mod.c, "agenda.next", nil) // the diagnostic
	stack.MustDo(t, r.mod.c, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"})
	for seed := 1; seed <= 50; seed++ {
		split := stack.MustDo(t, r.mod.c, "groups.split", map[string]any{"count": 2, "seed": seed, "rapporteurs": true}).Seq
		r.barrier(t)
		gx, gy, gz := r.x.c.Welcome().Group, r.y.c.Welcome().Group, r.z.c.Welcome().Group
		if gx != 0 && gx == gy && gz != 0 && gz != gx {
			r.gA, r.gB = gx, gz
			r.groupOf = map[*actor]int64{r.x: r.gA, r.y: r.gA, r.z: r.gB}
			if g := r.loner.c.Welcome().Group; g != 0 {
				t.Fatalf("the participant who never checked in is in group %d, want none", g)
			}
			return split
		}
	}
	t.Fatalf("no seed of 50 put Fatima and Eric together apart from Sofia")
	return 0
}

// receivers names the clients that received the event at seq.
func (r *audienceRoom) receivers(seq int64) []string {
	var names []string
	for _, a := range r.all {
		for _, e := range a.c.Events() {
			if e.Seq == seq {
				names = append(names, a.name)
			}
		}
	}
	return names
}

// TestVoteClearReachesOnlyTheVoter: clearing a vote (the phone sends it whenever someone
// taps their choice again) tells the voter alone, like vote.set: not their group, not the
// moderator, not the projector. Checked after a barrier, so a late leak would be seen.
func TestVoteClearReachesOnlyTheVoter(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		r := newAudienceRoom(t, s)
		r.split(t)
		for _, key := range []string{"group", "plenary"} {
			f := r.postAs(t, r.x, key)
			if key == "plenary" {
				stack.MustDo(t, r.mod.c, "plenary.promote", map[string]any{"contributions": []int64{f}})
			}
			stack.MustDo(t, r.y.c, "vote.set", map[string]any{"contribution": f, "value": 1})
			clear := stack.MustDo(t, r.y.c, "vote.clear", map[string]any{"contribution": f})
			r.barrier(t)
			// vote.recorded is the clear's only event: the ack's seq.
			var cleared []liveclient.Message
			for _, e := range r.y.c.Events() {
				if e.Name == "vote.recorded" && e.Seq == clear.Seq && strings.Contains(string(e.Data), `"value":null`) {
					cleared = append(cleared, e)
				}
			}
			if len(cleared) != 1 {
				t.Fatalf("%s: the voter got %d vote.recorded with value null, want 1", key, len(cleared))
			}
			if got := r.receivers(cleared[0].Seq); len(got) != 1 || got[0] != r.y.name {
				t.Errorf("%s: vote.recorded of a vote.clear reached %v, want only the voter %s", key, got, r.y.name)
			}
		}
	})
}

// TestCommentAttributionReachesOnlyModerators: who wrote a comment (comment.attributed: the
// author's id and full label) goes to moderators only: not the author's group, not another
// group, not the projector, not the author, for a comment in a group and one in the plenary.
func TestCommentAttributionReachesOnlyModerators(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		r := newAudienceRoom(t, s)
		r.split(t)
		stack.MustDo(t, r.mod.c, "identity.set", map[string]any{"mode": "full"})
		for _, key := range []string{"group", "plenary"} {
			f := r.postAs(t, r.x, key)
			if key == "plenary" {
				stack.MustDo(t, r.mod.c, "plenary.promote", map[string]any{"contributions": []int64{f}})
			}
			out := stack.MustDo(t, r.y.c, "comment.post", map[string]any{"contribution": f, "body": "Chez nous aussi, " + key})
			r.barrier(t)
			// comment.attributed is the comment's last event: the ack's seq.
			var attributed []liveclient.Message
			for _, e := range r.mod.c.Events() {
				if e.Name == "comment.attributed" && e.Seq == out.Seq && strings.Contains(string(e.Data), fmt.Sprintf(`"authorId":%d`, r.y.person.Participant.ID)) {
					attributed = append(attributed, e)
				}
			}
			if len(attributed) == 0 {
				t.Fatalf("%s: the moderator got no comment.attributed for Eric's comment", key)
			}
			for _, e := range attributed {
				if got := r.receivers(e.Seq); len(got) != 1 || got[0] != r.mod.name {
					t.Errorf("%s: comment.attributed reached %v, want only the moderator %s", key, got, r.mod.name)
				}
			}
		}
	})
}

// TestEveryEventReachesOnlyItsAudience drives every event of deliberation.EventAudiences over
// real sockets, on both databases, and checks, for every event in the log, that exactly the
// clients its audience includes received it: no leak to another group, to a participant in no
// group, to the projector's observer, to a moderator when it was the voter's own, and no loss.
// It fails when an event has no row (the engine refuses to emit it), when a row's event is
// never driven here (add it to the script), and when an event goes to a kind its row forbids.
func TestEveryEventReachesOnlyItsAudience(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		everyEventReachesOnlyItsAudience(t, s, newAudienceRoom(t, s))
	})
}

// TestEveryEventReachesOnlyItsAudienceAcrossNodes is the same script with the room spread over
// two nodes on one PostgreSQL: each group has a member on each node, the projector watches
// from the second. Nothing of one group reaches the other on either node, nothing is lost on
// the way through the bus and the log.
func TestEveryEventReachesOnlyItsAudienceAcrossNodes(t *testing.T) {
	s := stack.New(t, "postgres", stack.Options{Cluster: true})
	everyEventReachesOnlyItsAudience(t, s, newAudienceRoomOn(t, s, s.Peer(t)))
}

func everyEventReachesOnlyItsAudience(t *testing.T, s *stack.Stack, r *audienceRoom) {
	do := func(a *actor, name string, args any) liveclient.Outcome { return stack.MustDo(t, a.c, name, args) }

	split := r.split(t)
	groupsFrom := split

	do(r.mod, "question.set", map[string]any{"phase": "diagnostic", "text": "Quels constats ?"})
	do(r.mod, "timer.start", map[string]any{"seconds": 600})
	do(r.mod, "posting.set", map[string]any{"locked": true})
	do(r.mod, "posting.set", map[string]any{"locked": false})
	do(r.mod, "joinpanel.set", map[string]any{"hidden": true})
	do(r.mod, "identity.set", map[string]any{"mode": "organisation"})

	// A pending post reaches its author and the moderators; approved, its group.
	do(r.mod, "premoderation.set", map[string]any{"on": true})
	f1 := r.postAs(t, r.x, "f1")
	do(r.mod, "contribution.approve", map[string]any{"id": f1})
	do(r.mod, "premoderation.set", map[string]any{"on": false})

	f2 := r.postAs(t, r.x, "f2")
	f5 := r.postAs(t, r.z, "f5")
	do(r.x, "contribution.edit", map[string]any{"id": f2, "body": "Constat f2 corrigé"})
	do(r.y, "comment.post", map[string]any{"contribution": f2, "body": "Chez nous aussi"})
	do(r.mod, "contribution.translate", map[string]any{"id": f2, "lang": "nl", "body": "Vaststelling f2 verbeterd"})
	do(r.y, "vote.set", map[string]any{"contribution": f2, "value": 1})
	do(r.y, "vote.clear", map[string]any{"contribution": f2})
	do(r.mod, "results.set", map[string]any{"hidden": true})
	do(r.y, "vote.set", map[string]any{"contribution": f2, "value": -1})
	do(r.mod, "roomcount.record", map[string]any{"contribution": f2, "label": "Salle", "yes": 3, "neutral": 1, "no": 0})
	do(r.mod, "results.set", map[string]any{"hidden": false})
	do(r.mod, "roomcount.record", map[string]any{"contribution": f5, "label": "Salle", "yes": 2, "neutral": 0, "no": 1})
	do(r.mod, "contribution.pin", map[string]any{"id": f2, "pinned": true})
	do(r.mod, "contribution.hide", map[string]any{"id": f1, "reason": "hors sujet"})
	do(r.mod, "contribution.restore", map[string]any{"id": f1})
	f3 := r.postAs(t, r.x, "f3")
	do(r.x, "contribution.withdraw", map[string]any{"id": f3})
	do(r.mod, "contribution.mark", map[string]any{"id": f2, "output": true})
	do(r.mod, "groups.rapporteur", map[string]any{"participant": r.y.person.Participant.ID, "rapporteur": true})
	do(r.mod, "rounds.start", map[string]any{"steps": []map[string]any{{"key": "presentation", "seconds": 600}}, "repeat": 1})
	do(r.mod, "rounds.stop", nil)
	do(r.mod, "groups.set", map[string]any{"on": false})

	// The plenary: both groups' findings come to everyone, one merged into the other.
	do(r.mod, "plenary.promote", map[string]any{"contributions": []int64{f2, f5}})
	do(r.mod, "contribution.merge", map[string]any{"from": []int64{f5}, "into": f2})
	do(r.mod, "plenary.open", map[string]any{"contributions": []int64{f2}})
	do(r.x, "plenary.vote", map[string]any{"contribution": f2, "choice": "adopt"})
	// The tally is a coalesced follow-up: wait for it before closing the vote.
	if _, err := r.obs.c.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool { return m.Name == "plenary.tally" }); err != nil {
		t.Fatalf("no plenary.tally after a ballot: %v", err)
	}
	do(r.mod, "plenary.close", nil)
	end := r.barrier(t)

	var log []journal.Event
	if err := s.DB.NewSelect().Model(&log).Where("workshop_id = ? AND seq > ? AND seq <= ?", r.w.ID, r.afterSnapshots, end).
		Order("seq").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	received := map[*actor]map[int64]bool{}
	for _, a := range r.all {
		received[a] = map[int64]bool{}
		for _, e := range a.c.Events() {
			received[a][e.Seq] = true
		}
		if len(a.c.Snapshots()) != 1 {
			t.Errorf("%s got %d snapshots, want only the first: the rest must arrive as events", a.name, len(a.c.Snapshots()))
		}
	}
	reach := map[string]deliberation.Reach{}
	for _, row := range deliberation.EventAudiences {
		reach[row.Name] = row.Reach
	}
	driven := map[string]bool{}
	for _, e := range log {
		driven[e.Name] = true
		aud, err := hub.ParseAudience(e.Audience)
		if err != nil {
			t.Errorf("seq %d %s: audience %q: %v", e.Seq, e.Name, e.Audience, err)
			continue
		}
		if kind := audienceKind(aud); reach[e.Name]&kind == 0 {
			t.Errorf("seq %d %s went to %s; its row allows %s", e.Seq, e.Name, e.Audience, reach[e.Name])
		}
		afterSplit := e.Seq > groupsFrom
		for _, a := range r.all {
			want := r.mayReceive(aud, a, afterSplit)
			if got := received[a][e.Seq]; got != want {
				t.Errorf("seq %d %s to %s: %s received it: got %v, want %v", e.Seq, e.Name, e.Audience, a.name, got, want)
			}
		}
	}
	var missing []string
	for _, row := range deliberation.EventAudiences {
		if !driven[row.Name] {
			missing = append(missing, row.Name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("events never driven by this test (add them to its script): %s", strings.Join(missing, ", "))
	}
}

func audienceKind(a hub.Audience) deliberation.Reach {
	switch a.Kind {
	case hub.All:
		return deliberation.ReachAll
	case hub.Moderators:
		return deliberation.ReachModerators
	case hub.Group:
		return deliberation.ReachGroup
	case hub.Person:
		return deliberation.ReachPerson
	}
	return 0
}

// stillOpen checks that a socket survived what closed others' sockets. Its own command,
// acknowledged after the closing, is the barrier: a close queued for it before would have
// ended the socket before the ack came back.
func stillOpen(t *testing.T, c *liveclient.Client, who string) {
	t.Helper()
	if _, err := c.Do(stack.Ctx(t), "checkin.self", nil); err != nil {
		t.Fatalf("%s's socket: %v (closed with the others?)", who, err)
	}
	select {
	case <-c.Done():
		t.Fatalf("%s's socket was closed too", who)
	default:
	}
}
