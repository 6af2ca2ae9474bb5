package deliberation

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// tallyOf returns the items of the tally.updated events, by contribution.
func tallyOf(t *testing.T, events []Event) map[int64]view.TallyItem {
	t.Helper()
	out := map[int64]view.TallyItem{}
	for _, ev := range named(events, "tally.updated") {
		var te view.TallyEvent
		if err := json.Unmarshal(ev.Data, &te); err != nil {
			t.Fatal(err)
		}
		for _, it := range te.Items {
			out[it.Contribution] = it
		}
	}
	return out
}

func TestVoteRecordedGoesToTheVoterOnly(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.bob, record.KindFinding, "Un constat")
		res := r.ok(r.alice, "vote.set", map[string]any{"contribution": id, "value": 1})
		if got, want := audiences(res.Events), []string{"vote.recorded→" + AudiencePerson(r.alice.Participant)}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if want := []string{"tally:" + itoa(id)}; !reflect.DeepEqual(res.Deferred, want) {
			t.Errorf("got deferred %v, want %v", res.Deferred, want)
		}
	})
}

func TestSupportToggle(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.bob, record.KindFinding, "Un constat")
		steps := []struct {
			who   Actor
			value any
			code  string
			count int
		}{
			{r.alice, 1, "", 1},
			{r.alice, 1, "", 1}, // again: still one vote
			{r.bob, 1, "", 2},
			{r.alice, 0, "", 1}, // toggled off
			{r.alice, 2, CodeInvalidArgs, 1},
			{r.alice, -1, CodeInvalidArgs, 1},
			{r.alice, nil, CodeInvalidArgs, 1},
			{r.alice, 1.5, CodeInvalidArgs, 1},
		}
		for i, s := range steps {
			args := map[string]any{"contribution": id}
			if s.value != nil {
				args["value"] = s.value
			}
			out, res := r.do(s.who, "vote.set", args)
			if out.Code != s.code {
				t.Fatalf("step %d: got %q, want %q", i, out.Code, s.code)
			}
			if s.code != "" {
				continue
			}
			if got := tallyOf(t, r.flush(res))[id]; got.Count != s.count || got.Sum != s.count || got.Method != record.MethodSupport {
				t.Errorf("step %d: got tally %+v, want %d supporters", i, got, s.count)
			}
		}
	})
}

func TestAgreeChangeAndClear(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		r.ok(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodAgree})
		id := r.post(r.bob, record.KindFinding, "Un constat")
		r.ok(r.alice, "vote.set", map[string]any{"contribution": id, "value": 1})
		r.ok(r.bob, "vote.set", map[string]any{"contribution": id, "value": 0})
		res := r.ok(r.alice, "vote.set", map[string]any{"contribution": id, "value": -1}) // changed her mind
		want := view.TallyItem{Contribution: id, Method: record.MethodAgree, Count: 2, Sum: -1, Neutral: 1, Disagree: 1, Voters: 2}
		if got := tallyOf(t, r.flush(res))[id]; got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
		res = r.ok(r.alice, "vote.clear", map[string]any{"contribution": id})
		if d := data(t, res.Events[0]); d["value"] != nil {
			t.Errorf("clear: got value %v, want null", d["value"])
		}
		want = view.TallyItem{Contribution: id, Method: record.MethodAgree, Count: 1, Neutral: 1, Voters: 1}
		if got := tallyOf(t, r.flush(res))[id]; got != want {
			t.Errorf("after clear: got %+v, want %+v", got, want)
		}
		r.refused(r.alice, "vote.set", map[string]any{"contribution": id, "value": 2}, CodeInvalidArgs)
	})
}

func TestDotsBudget(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		a := r.post(r.bob, record.KindFinding, "A")
		b := r.post(r.bob, record.KindFinding, "B")
		c := r.post(r.bob, record.KindFinding, "C")
		r.ok(r.alice, "vote.set", map[string]any{"contribution": a, "value": 1})
		// Changing the rules clears the votes of the phase, and says so.
		res := r.ok(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodDots, "budget": 5, "maxPerItem": 3})
		if d := data(t, res.Events[0]); d["reset"] != true || d["budget"].(float64) != 5 {
			t.Errorf("got %v, want reset with budget 5", d)
		}
		if n := r.count((*record.Vote)(nil), "workshop_id = ?", r.w.ID); n != 0 {
			t.Errorf("got %d votes after the method changed, want 0", n)
		}
		r.refused(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodDots, "budget": 21}, CodeInvalidArgs)
		r.refused(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodDots, "budget": 3, "maxPerItem": 4}, CodeInvalidArgs)
		r.refused(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodSupport, "budget": 3}, CodeInvalidArgs)

		steps := []struct {
			item  int64
			value int
			code  string
			left  int
		}{
			{a, 3, "", 2},
			{a, 4, CodeOverItemMax, 2},
			{b, 3, CodeOverBudget, 2},
			{b, 2, "", 0},
			{c, 1, CodeOverBudget, 0},
			{a, 1, "", 2}, // moving dots around frees some
			{c, 2, "", 0},
			{a, -1, CodeInvalidArgs, 0},
			{a, 0, "", 1},
		}
		for i, s := range steps {
			out, res := r.do(r.alice, "vote.set", map[string]any{"contribution": s.item, "value": s.value})
			if out.Code != s.code {
				t.Fatalf("step %d: got %q, want %q", i, out.Code, s.code)
			}
			if s.code == "" {
				if got := data(t, res.Events[0])["dotsLeft"].(float64); int(got) != s.left {
					t.Errorf("step %d: got %v dots left, want %d", i, got, s.left)
				}
			}
		}
		if _, s := r.snapshot(r.alice); s.MyDotsLeft == nil || *s.MyDotsLeft != 1 {
			t.Errorf("snapshot: got dots left %v, want 1", s.MyDotsLeft)
		}
		res, _ = r.e.Flush(context.Background(), r.w.ID, []string{"tally:" + itoa(a), "tally:" + itoa(b), "tally:" + itoa(c)})
		if len(res.Events) != 1 {
			t.Errorf("got %d tally events for 3 keys, want 1", len(res.Events))
		}
		got := tallyOf(t, res.Events)
		want := map[int64]view.TallyItem{
			a: {Contribution: a, Method: record.MethodDots},
			b: {Contribution: b, Method: record.MethodDots, Count: 1, Sum: 2, Dots: 2, Voters: 1, Organisations: 1},
			c: {Contribution: c, Method: record.MethodDots, Count: 1, Sum: 2, Dots: 2, Voters: 1, Organisations: 1},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
}

// TestDotsBudgetUnderConcurrency: 50 Execute calls at once, for one participant, each putting
// one dot on a different item: the budget holds exactly, and no batch needed a retry.
func TestDotsBudgetUnderConcurrency(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		r.phase(record.PhaseDiagnostic)
		const budget, calls = 5, 50
		r.ok(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodDots, "budget": budget, "maxPerItem": 1})
		items := make([]int64, calls)
		for i := range items {
			items[i] = r.post(r.bob, record.KindFinding, fmt.Sprintf("Constat %d", i))
		}
		warnings := r.warnings.Load()
		var wg sync.WaitGroup
		outcomes := make([]Outcome, calls)
		errs := make([]error, calls)
		for i := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := Command{ID: fmt.Sprintf("dot-%d", i), Name: "vote.set",
					Args: []byte(fmt.Sprintf(`{"contribution":%d,"value":1}`, items[i])), Actor: r.alice}
				res, err := r.e.Execute(context.Background(), r.w.ID, []Command{c})
				errs[i] = err
				if err == nil {
					outcomes[i] = res.Outcomes[0]
				}
			}()
		}
		wg.Wait()
		accepted, refused := 0, 0
		for i := range calls {
			switch {
			case errs[i] != nil:
				t.Fatalf("call %d: %v", i, errs[i])
			case outcomes[i].Code == "":
				accepted++
			case outcomes[i].Code == CodeOverBudget:
				refused++
			default:
				t.Errorf("call %d: got %q, want accepted or over_budget", i, outcomes[i].Code)
			}
		}
		if accepted != budget || refused != calls-budget {
			t.Errorf("got %d accepted and %d over_budget, want %d and %d", accepted, refused, budget, calls-budget)
		}
		var sum int
		err := db.NewSelect().Model((*record.Vote)(nil)).ColumnExpr("coalesce(sum(value), 0)").
			Where("participant_id = ?", r.alice.Participant).Scan(context.Background(), &sum)
		if err != nil || sum != budget {
			t.Errorf("got %d dots stored (%v), want %d", sum, err, budget)
		}
		if got := r.warnings.Load() - warnings; got != 0 {
			t.Errorf("got %d retried batches, want 0: the workshop lock must serialise them", got)
		}
		logged, _ := r.e.EventsAfter(context.Background(), r.w.ID, 0, 0)
		for i, ev := range logged {
			if ev.Seq != int64(i+1) {
				t.Fatalf("got seq %d at %d, want gapless", ev.Seq, i)
			}
		}
	})
}

func TestWithdrawnAndHiddenVotesStopCounting(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.diagnosticByDots(3, 3)
		mine := r.post(r.alice, record.KindFinding, "Le mien")
		hidden := r.post(r.alice, record.KindFinding, "Caché")
		r.ok(r.bob, "vote.set", map[string]any{"contribution": mine, "value": 2})
		r.ok(r.bob, "vote.set", map[string]any{"contribution": hidden, "value": 1})

		res := r.ok(r.alice, "contribution.withdraw", map[string]any{"id": mine})
		if got := tallyOf(t, r.flush(res))[mine]; got.Dots != 0 {
			t.Errorf("withdrawn: got %+v, want no dots", got)
		}
		res = r.ok(r.mod, "contribution.hide", map[string]any{"id": hidden})
		if got := tallyOf(t, r.flush(res))[hidden]; got.Dots != 0 {
			t.Errorf("hidden: got %+v, want no dots", got)
		}
		// Withdrawal gave Bob his 2 dots back; the hidden item's dot stays spent (it may return).
		if _, s := r.snapshot(r.bob); s.MyDotsLeft == nil || *s.MyDotsLeft != 2 {
			t.Errorf("got dots left %v, want 2", s.MyDotsLeft)
		}
		res = r.ok(r.mod, "contribution.restore", map[string]any{"id": hidden})
		if got := tallyOf(t, r.flush(res))[hidden]; got.Dots != 1 {
			t.Errorf("restored: got %+v, want 1 dot", got)
		}
		r.refused(r.bob, "vote.set", map[string]any{"contribution": mine, "value": 1}, CodeNotFound)
	})
}

func TestHiddenResults(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.bob, record.KindFinding, "Un constat")
		r.ok(r.mod, "results.set", map[string]any{"hidden": true})
		res := r.ok(r.alice, "vote.set", map[string]any{"contribution": id, "value": 1})
		rc := r.ok(r.mod, "roomcount.record", map[string]any{"contribution": id, "label": "Salle", "yes": 12, "neutral": 3, "no": 1})
		if got := audiences(rc.Events); !reflect.DeepEqual(got, []string{"roomcount.recorded→moderators"}) {
			t.Errorf("room count while hidden: got %v", got)
		}
		if got := audiences(r.flush(res)); !reflect.DeepEqual(got, []string{"tally.updated→moderators"}) {
			t.Errorf("tally while hidden: got %v, want moderators only", got)
		}
		if _, s := r.snapshot(r.alice); s.Tallies != nil || s.RoomCounts != nil {
			t.Errorf("participant snapshot while hidden: got tallies %v and room counts %v, want null", s.Tallies, s.RoomCounts)
		}
		if _, s := r.snapshot(r.mod); len(s.Tallies) != 1 || s.Tallies[0].Count != 1 || len(s.RoomCounts) != 1 {
			t.Errorf("moderator snapshot: got %+v %+v, want the tally and the room count", s.Tallies, s.RoomCounts)
		}

		// Reveal: everyone gets the current tallies and room counts at once.
		res = r.ok(r.mod, "results.set", map[string]any{"hidden": false})
		if got, want := audiences(res.Events), []string{"results.changed→all", "tally.updated→all"}; !reflect.DeepEqual(got, want) {
			t.Errorf("reveal: got %v, want %v", got, want)
		}
		if got := tallyOf(t, res.Events)[id]; got.Count != 1 {
			t.Errorf("reveal: got %+v, want one supporter", got)
		}
		var changed struct{ RoomCounts []view.RoomCountView }
		json.Unmarshal(res.Events[0].Data, &changed)
		if len(changed.RoomCounts) != 1 || changed.RoomCounts[0].Yes != 12 {
			t.Errorf("reveal: got room counts %+v, want the count of 12", changed.RoomCounts)
		}
		// Room counts are shown beside the online tally, never added to it.
		if got := tallyOf(t, r.flush(r.ok(r.bob, "vote.set", map[string]any{"contribution": id, "value": 1})))[id]; got.Count != 2 {
			t.Errorf("got %+v, want 2 online votes", got)
		}
		r.refused(r.mod, "roomcount.record", map[string]any{"contribution": id, "yes": 100001}, CodeInvalidArgs)
	})
}

// TestDefaultVoteMethodPerPhase: before the moderator chooses, findings and implementation
// steps gather support and recommendations are weighed agree / neutral / disagree, in the
// snapshot and in the votes the engine accepts and counts; a choice overrides the default.
func TestDefaultVoteMethodPerPhase(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		_, s := r.snapshot(r.alice)
		want := map[record.Phase]record.VoteMethod{record.PhaseDiagnostic: record.MethodSupport, record.PhaseRecommendations: record.MethodAgree, record.PhaseImplementation: record.MethodSupport}
		for p, m := range want {
			if got := s.Workshop.VoteMethods[p].Method; got != m {
				t.Errorf("snapshot, %s: got %q, want %q", p, got, m)
			}
		}
		cases := []struct {
			phase record.Phase
			kind  record.Kind
			value int
			want  view.TallyItem
		}{
			{record.PhaseDiagnostic, record.KindFinding, 1, view.TallyItem{Method: record.MethodSupport, Count: 1, Sum: 1, Voters: 1, Organisations: 1}}, // Alice's organisation backs it
			{record.PhaseRecommendations, record.KindRecommendation, -1, view.TallyItem{Method: record.MethodAgree, Count: 1, Sum: -1, Disagree: 1, Voters: 1}},
		}
		for _, c := range cases {
			t.Run(string(c.phase), func(t *testing.T) {
				r.phase(c.phase)
				id := r.post(r.bob, c.kind, "Dans la phase "+string(c.phase))
				res := r.ok(r.alice, "vote.set", map[string]any{"contribution": id, "value": c.value})
				c.want.Contribution = id
				if got := tallyOf(t, r.flush(res))[id]; got != c.want {
					t.Errorf("got %+v, want %+v", got, c.want)
				}
			})
		}
		r.refused(r.alice, "vote.set", map[string]any{"contribution": r.post(r.bob, record.KindRecommendation, "Une autre"), "value": 2}, CodeInvalidArgs)
		r.ok(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseRecommendations, "method": record.MethodSupport})
		if _, s := r.snapshot(r.alice); s.Workshop.VoteMethods[record.PhaseRecommendations].Method != record.MethodSupport {
			t.Errorf("after the moderator chose support: got %q", s.Workshop.VoteMethods[record.PhaseRecommendations].Method)
		}
	})
}
