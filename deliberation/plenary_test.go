package deliberation

import (
	"context"
	"reflect"
	"testing"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// TestGroupWorkToPlenaryVote: two groups work apart; a rapporteur marks the group's output;
// the moderator promotes the outputs, merges what both groups said (provenance kept), and the
// plenary votes; the result is stored for the notebook.
func TestGroupWorkToPlenaryVote(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		ctx := context.Background()
		crowd := r.crowd(4)
		r.ok(r.mod, "groups.split", map[string]any{"count": 2, "seed": 7})
		w, _ := record.GetWorkshop(ctx, db, r.w.ID)
		st, _ := view.ParseLiveState(w.State)
		g1, g2 := st.Groups[0], st.Groups[1]
		r.ok(r.mod, "groups.move", map[string]any{"participant": r.alice.Participant, "group": g1})
		r.ok(r.mod, "groups.move", map[string]any{"participant": r.bob.Participant, "group": g2})
		r.ok(r.mod, "groups.rapporteur", map[string]any{"participant": r.alice.Participant, "rapporteur": true})
		actors, err := r.e.Actors(ctx, r.w.ID)
		if err != nil {
			t.Fatal(err)
		}
		alice, bob := actors[r.alice.Participant], actors[r.bob.Participant]
		r.phase(record.PhaseRecommendations)

		res := r.ok(alice, "contribution.post", map[string]any{"kind": record.KindRecommendation, "body": "Un guichet unique logement"})
		a1 := int64(data(t, res.Events[0])["id"].(float64))
		if res.Events[0].Audience != AudienceGroup(g1) || !reflect.DeepEqual(res.Deferred, []string{progressKey}) {
			t.Fatalf("group post: got %v deferred %v, want it in group %d and a progress follow-up", audiences(res.Events), res.Deferred, g1)
		}
		b1 := int64(data(t, r.ok(bob, "contribution.post", map[string]any{"kind": record.KindRecommendation, "body": "Un seul guichet"}).Events[0])["id"].(float64))
		r.refused(bob, "contribution.mark", map[string]any{"id": a1, "output": true}, CodeNotFound)   // not his group's
		r.refused(bob, "contribution.mark", map[string]any{"id": b1, "output": true}, CodeNotAllowed) // not a rapporteur
		res = r.ok(alice, "contribution.mark", map[string]any{"id": a1, "output": true})
		if got := audiences(res.Events); !reflect.DeepEqual(got, []string{"contribution.marked→" + AudienceGroup(g1)}) {
			t.Errorf("mark: got %v", got)
		}
		progress := decode[struct{ Groups []view.GroupProgress }](t, only(t, r.flush(res), "groups.progress"))
		if want := (view.GroupProgress{Group: g1, Members: progress.Groups[0].Members, Contributions: 1, Outputs: 1}); progress.Groups[0] != want || progress.Groups[1].Outputs != 0 {
			t.Errorf("progress: got %+v, want group %d with 1 contribution, 1 output", progress.Groups, g1)
		}
		r.refused(r.mod, "plenary.open", map[string]any{"contributions": []int64{a1}}, CodeBadState) // still in its group

		// Synthesis: the outputs come to the plenary, then what group 2 said alike is merged in.
		res = r.ok(r.mod, "plenary.promote", map[string]any{"outputs": true})
		if got, want := audiences(res.Events), []string{"contribution.posted→all", "contribution.attributed→moderators", "contribution.promoted→all"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("promote: got %v, want %v", got, want)
		}
		r.refused(r.mod, "plenary.promote", map[string]any{"contributions": []int64{a1}}, CodeBadState)
		r.ok(r.mod, "plenary.promote", map[string]any{"contributions": []int64{b1}})
		res = r.ok(r.mod, "contribution.merge", map[string]any{"from": []int64{b1}, "into": a1})
		prov := decode[struct {
			ID     int64
			Groups []view.GroupRef
		}](t, only(t, res.Events, "contribution.provenance"))
		if len(prov.Groups) != 2 || *prov.Groups[0].Group != g1 || *prov.Groups[1].Group != g2 || prov.Groups[1].Key != "sky" {
			t.Errorf("provenance: got %+v, want groups %d (orange) and %d (sky)", prov, g1, g2)
		}

		// The plenary vote: participants choose, moderators and observers do not.
		res = r.ok(r.mod, "plenary.open", map[string]any{"contributions": []int64{a1}})
		tally := decode[struct{ Items []view.PlenaryTally }](t, only(t, r.flush(res), "plenary.tally"))
		if want := []view.PlenaryTally{{Contribution: a1, Open: true, Eligible: 6, Rule: view.DefaultPlenaryRule, OpenedAt: r.clock.Now().UnixMilli()}}; !reflect.DeepEqual(tally.Items, want) {
			t.Errorf("opened: got %+v, want %+v", tally.Items, want)
		}
		r.refused(r.mod, "plenary.open", map[string]any{"contributions": []int64{a1}}, CodeBadState)
		r.refused(r.mod, "plenary.vote", map[string]any{"contribution": a1, "choice": view.ChoiceAdopt}, CodeNotAllowed)
		r.refused(r.observer, "plenary.vote", map[string]any{"contribution": a1, "choice": view.ChoiceAdopt}, CodeNotAllowed)
		r.refused(alice, "plenary.vote", map[string]any{"contribution": a1, "choice": "yes"}, CodeInvalidArgs)
		r.refused(alice, "plenary.vote", map[string]any{"contribution": b1, "choice": view.ChoiceAdopt}, CodeAlreadyMerged) // merged into a1
		var last Result
		for _, v := range []struct {
			who    Actor
			choice string
		}{{alice, view.ChoiceAdopt}, {bob, view.ChoiceReject}, {crowd[0], view.ChoiceAdopt}, {crowd[1], view.ChoiceAbstain}, {bob, view.ChoiceAdopt}} {
			last = r.ok(v.who, "plenary.vote", map[string]any{"contribution": a1, "choice": v.choice})
			if got := audiences(last.Events); !reflect.DeepEqual(got, []string{"plenary.ballot→person:" + itoa(v.who.Participant)}) {
				t.Fatalf("ballot: got %v, want the voter only", got)
			}
		}
		tally = decode[struct{ Items []view.PlenaryTally }](t, only(t, r.flush(last), "plenary.tally"))
		if it := tally.Items[0]; it.Adopt != 3 || it.Reject != 0 || it.Abstain != 1 || it.Voters != 4 || it.Eligible != 6 {
			t.Errorf("tally: got %+v, want 3 adopt, 1 abstain, 4 of 6", it)
		}
		_, s := r.snapshot(crowd[0])
		if s.MyPlenary[a1] != view.ChoiceAdopt || len(s.Plenary) != 1 || s.Provenance[a1] == nil {
			t.Errorf("voter's snapshot: got plenary %+v mine %v provenance %v", s.Plenary, s.MyPlenary, s.Provenance)
		}

		res = r.ok(r.mod, "plenary.close", nil)
		closed := decode[struct{ Items []view.PlenaryTally }](t, only(t, res.Events, "plenary.closed"))
		if it := closed.Items[0]; it.Open || it.Outcome != view.OutcomeAdopted || it.Adopt != 3 {
			t.Errorf("closed: got %+v, want adopted", it)
		}
		r.refused(crowd[2], "plenary.vote", map[string]any{"contribution": a1, "choice": view.ChoiceReject}, CodeBadState)
		r.refused(r.mod, "plenary.close", nil, CodeBadState)

		results, err := view.PlenaryResults(ctx, db, r.w.ID)
		if err != nil || len(results) != 1 {
			t.Fatalf("PlenaryResults: got %+v %v, want one", results, err)
		}
		got := results[0]
		if got.Contribution != a1 || got.Outcome != view.OutcomeAdopted || got.Adopt != 3 || got.Abstain != 1 || got.Voters != 4 || got.Eligible != 6 ||
			len(got.Groups) != 2 || got.Groups[0].Name != "orange" || got.Groups[1].Name != "sky" || !got.ClosedAt.Equal(r.clock.Now()) {
			t.Errorf("PlenaryResults: got %+v", got)
		}

		// A re-split deletes the groups nobody posted in; the provenance still names them.
		r.ok(r.mod, "groups.split", map[string]any{"count": 3})
		results, _ = view.PlenaryResults(ctx, db, r.w.ID)
		if len(results[0].Groups) != 2 || results[0].Groups[1].Colour != "#56B4E9" {
			t.Errorf("after a re-split: got provenance %+v", results[0].Groups)
		}
	})
}

// TestHiddenPlenaryTallies: while results are hidden, live plenary tallies go to moderators;
// the closing result goes to everyone.
func TestHiddenPlenaryTallies(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseRecommendations)
		id := r.post(r.mod, record.KindRecommendation, "Une recommandation de la plénière")
		r.ok(r.mod, "results.set", map[string]any{"hidden": true})
		r.ok(r.mod, "plenary.open", map[string]any{"contributions": []int64{id}})
		res := r.ok(r.alice, "plenary.vote", map[string]any{"contribution": id, "choice": view.ChoiceReject})
		if got := audiences(r.flush(res)); !reflect.DeepEqual(got, []string{"plenary.tally→moderators"}) {
			t.Errorf("hidden tally: got %v", got)
		}
		if _, s := r.snapshot(r.bob); len(s.Plenary) != 1 || !s.Plenary[0].Hidden || s.Plenary[0].Reject != 0 {
			t.Errorf("participant's snapshot while hidden: got %+v", s.Plenary)
		}
		if got := audiences(r.ok(r.mod, "plenary.close", map[string]any{"contributions": []int64{id}}).Events); !reflect.DeepEqual(got, []string{"plenary.closed→all"}) {
			t.Errorf("close while hidden: got %v", got)
		}
	})
}
