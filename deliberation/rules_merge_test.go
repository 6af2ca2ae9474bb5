package deliberation

import (
	"reflect"
	"testing"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

func TestMergeVotes(t *testing.T) {
	support := view.VoteSettings{Method: record.MethodSupport}
	agree := view.VoteSettings{Method: record.MethodAgree}
	dots := view.VoteSettings{Method: record.MethodDots, Budget: 6, MaxPerItem: 3}
	tests := []struct {
		name    string
		set     view.VoteSettings
		target  map[int64]int
		sources []map[int64]int
		want    map[int64]int
	}{
		{"nothing", support, nil, []map[int64]int{{}}, map[int64]int{}},
		{"support on both counts once", support, map[int64]int{1: 1}, []map[int64]int{{1: 1, 2: 1}}, map[int64]int{1: 1, 2: 1}},
		{"support on two sources counts once", support, nil, []map[int64]int{{1: 1}, {1: 1}}, map[int64]int{1: 1}},
		{"agree keeps the target's", agree, map[int64]int{1: -1}, []map[int64]int{{1: 1, 2: 0}}, map[int64]int{1: -1, 2: 0}},
		{"agree without target keeps the first source's", agree, nil, []map[int64]int{{3: 1}, {3: -1}}, map[int64]int{3: 1}},
		{"dots keeps the max", dots, map[int64]int{1: 2}, []map[int64]int{{1: 3}, {1: 1, 2: 2}}, map[int64]int{1: 3, 2: 2}},
		{"dots never above the item max", view.VoteSettings{Method: record.MethodDots, Budget: 6, MaxPerItem: 2}, map[int64]int{1: 1}, []map[int64]int{{1: 3}}, map[int64]int{1: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeVotes(tt.set, tt.target, tt.sources); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergeInTheEngine(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.diagnosticByDots(6, 3)
		a := r.post(r.alice, record.KindFinding, "Les délais")
		b := r.post(r.bob, record.KindFinding, "Les délais sont longs")
		c := r.post(r.bob, record.KindFinding, "Trop d'attente")
		child := r.post(r.alice, record.KindSolution, "Un guichet", map[string]any{"parent": b})
		r.ok(r.alice, "comment.post", map[string]any{"contribution": c, "body": "Oui"})
		votes := []struct {
			who   Actor
			item  int64
			value int
		}{
			{r.alice, a, 2}, {r.alice, b, 3}, // Alice on both: keeps 3
			{r.bob, b, 1}, {r.bob, c, 2}, // Bob on two sources: keeps 2
			{r.mod, c, 1}, // the moderator on one: carried over
		}
		for _, v := range votes {
			r.ok(v.who, "vote.set", map[string]any{"contribution": v.item, "value": v.value})
		}

		res := r.ok(r.mod, "contribution.merge", map[string]any{"from": []int64{b, c, b}, "into": a})
		if got, want := audiences(res.Events), []string{"contribution.merged→all"}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if d := data(t, res.Events[0]); d["into"].(float64) != float64(a) || len(d["from"].([]any)) != 2 {
			t.Errorf("got %v, want into %d from [%d %d]", d, a, b, c)
		}
		want := map[int64]view.TallyItem{
			a: {Contribution: a, Method: record.MethodDots, Count: 3, Sum: 6, Dots: 6, Voters: 3, Organisations: 3}, // Alice's, Bob's and the moderator's
			b: {Contribution: b, Method: record.MethodDots},
			c: {Contribution: c, Method: record.MethodDots},
		}
		if got := tallyOf(t, r.flush(res)); !reflect.DeepEqual(got, want) {
			t.Errorf("tallies after merge: got %+v, want %+v", got, want)
		}
		for _, id := range []int64{b, c} {
			if s := r.contribution(id); s.Status != record.StatusMerged || s.MergedInto == nil || *s.MergedInto != a {
				t.Errorf("source %d: got %s into %v, want merged into %d", id, s.Status, s.MergedInto, a)
			}
		}
		if p := r.contribution(child).ParentID; p == nil || *p != a {
			t.Errorf("child: got parent %v, want %d", p, a)
		}
		if n := r.count((*record.Comment)(nil), "contribution_id = ?", a); n != 1 {
			t.Errorf("got %d comments on the target, want 1", n)
		}
		// Alice had spent 5 of 6 dots; she now has 3 on one item.
		if _, s := r.snapshot(r.alice); *s.MyDotsLeft != 3 || s.MyVotes[a] != 3 {
			t.Errorf("got %d dots left and votes %v, want 3 left and 3 on %d", *s.MyDotsLeft, s.MyVotes, a)
		}

		other := r.post(r.alice, record.KindFinding, "Autre")
		r.refused(r.mod, "contribution.merge", map[string]any{"from": []int64{b}, "into": other}, CodeAlreadyMerged)
		r.refused(r.mod, "contribution.merge", map[string]any{"from": []int64{other}, "into": b}, CodeAlreadyMerged)
		r.refused(r.mod, "contribution.merge", map[string]any{"from": []int64{other}, "into": other}, CodeInvalidArgs)
		r.refused(r.mod, "contribution.merge", map[string]any{"from": []int64{}, "into": other}, CodeInvalidArgs)
		r.refused(r.mod, "contribution.merge", map[string]any{"from": []int64{child}, "into": other}, CodeInvalidArgs) // kinds differ
		r.refused(r.alice, "vote.set", map[string]any{"contribution": b, "value": 1}, CodeAlreadyMerged)               // she saw it merged
		r.refused(r.bob, "contribution.edit", map[string]any{"id": b, "body": "x"}, CodeAlreadyMerged)                 // his own, merged
		r.refused(r.alice, "contribution.edit", map[string]any{"id": b, "body": "x"}, CodeNotOwner)
	})
}

func TestMergeSupportAndLinks(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		f1 := r.post(r.alice, record.KindFinding, "Constat 1")
		f2 := r.post(r.alice, record.KindFinding, "Constat 2")
		r.phase(record.PhaseRecommendations)
		r1 := r.post(r.alice, record.KindRecommendation, "Simplifier", map[string]any{"links": []int64{f1}})
		r2 := r.post(r.bob, record.KindRecommendation, "Simplifier les démarches", map[string]any{"links": []int64{f1, f2}})
		r.ok(r.alice, "vote.set", map[string]any{"contribution": r1, "value": 1})
		r.ok(r.alice, "vote.set", map[string]any{"contribution": r2, "value": 1})
		r.ok(r.bob, "vote.set", map[string]any{"contribution": r2, "value": 1})
		res := r.ok(r.mod, "contribution.merge", map[string]any{"from": []int64{r2}, "into": r1})
		if got := tallyOf(t, r.flush(res))[r1]; got.Count != 2 {
			t.Errorf("got %+v, want 2 supporters (Alice once, Bob)", got)
		}
		_, s := r.snapshot(r.alice)
		for _, c := range s.Contributions {
			if c.ID == r1 && !reflect.DeepEqual(c.Links, []int64{f1, f2}) {
				t.Errorf("target links: got %v, want [%d %d]", c.Links, f1, f2)
			}
			if c.ID == r2 {
				t.Errorf("participant snapshot: got merged source %d, want it gone", r2)
			}
		}
	})
}
