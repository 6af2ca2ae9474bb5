package deliberation

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// queryCounter counts the statements sent through a bun DB (each one a round trip), and
// those that name the votes table.
type queryCounter struct{ n, votes atomic.Int64 }

func (h *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (h *queryCounter) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	h.n.Add(1)
	if strings.Contains(ev.Query, "votes") {
		h.votes.Add(1)
	}
}

// tallyFixture is a workshop whose votes the tests write directly, to control what the rules
// would not let happen in one go: votes under a method that is no longer current, votes on a
// hidden contribution, votes of another workshop.
type tallyFixture struct {
	r       *room
	visible []int64 // c1, c2 (in a group), c4 (no vote): diagnostic; c5: recommendations
	hidden  int64   // c3, diagnostic, with votes
	foreign int64   // a contribution of another workshop, with votes
	all     []int64 // every contribution above, plus an id that does not exist
}

// newTallyFixture builds the fixture; prepare, when not nil, runs on the room before anything
// else (vote.method.set clears the votes of its phase, so the methods must be set first).
func newTallyFixture(t *testing.T, db *bun.DB, prepare func(r *room)) *tallyFixture {
	t.Helper()
	ctx := context.Background()
	r := newRoom(t, db)
	if prepare != nil {
		prepare(r)
	}
	other := newRoom(t, db)
	f := &tallyFixture{r: r}

	p := make([]int64, 7) // p[1]…p[6], confirmed
	for i := 1; i < len(p); i++ {
		p[i] = r.person(record.RoleParticipant, fmt.Sprintf("P%d", i), fmt.Sprintf("Org %d", i), "", "", false).Participant
	}
	for i, status := range []string{record.RegistrationWaiting, record.RegistrationCancelled, record.RegistrationWaiting} {
		np, err := people.CreateParticipant(ctx, db, people.NewParticipant{ProcessID: &r.proc.ID, Role: record.RoleParticipant,
			Organisation: fmt.Sprintf("Attente %d", i), Person: people.Person{DisplayName: fmt.Sprintf("W%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := people.AddRegistration(ctx, db, r.w, np.ID, status); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	g := &record.Group{WorkshopID: r.w.ID, Position: 1, Name: "Groupe 1", Colour: "#123456", CreatedAt: now}
	if _, err := db.NewInsert().Model(g).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	contribution := func(w int64, ph record.Phase, st record.Status, group *int64) int64 {
		c := &record.Contribution{WorkshopID: w, Kind: record.KindFinding, Phase: ph, Body: "Constat", Status: st,
			GroupID: group, Version: 1, CreatedAt: now, UpdatedAt: now}
		if _, err := db.NewInsert().Model(c).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	c1 := contribution(r.w.ID, record.PhaseDiagnostic, record.StatusVisible, nil)
	c2 := contribution(r.w.ID, record.PhaseDiagnostic, record.StatusVisible, &g.ID)
	c3 := contribution(r.w.ID, record.PhaseDiagnostic, record.StatusHidden, nil)
	c4 := contribution(r.w.ID, record.PhaseDiagnostic, record.StatusVisible, nil)
	c5 := contribution(r.w.ID, record.PhaseRecommendations, record.StatusVisible, nil)
	o1 := contribution(other.w.ID, record.PhaseDiagnostic, record.StatusVisible, nil)
	f.visible, f.hidden, f.foreign = []int64{c1, c2, c4, c5}, c3, o1
	f.all = []int64{c5, c4, c3, c2, c1, o1, 987654321, c1} // unordered, with a duplicate

	alice, bob := r.alice.Participant, r.bob.Participant
	// Two groups of the current split behind some votes: the breadth of support counts them.
	g2 := &record.Group{WorkshopID: r.w.ID, Position: 2, Name: "Groupe 2", Colour: "#654321", CreatedAt: now}
	if _, err := db.NewInsert().Model(g2).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	gms := []record.GroupMember{{WorkshopID: r.w.ID, ParticipantID: alice, GroupID: g.ID}, {WorkshopID: r.w.ID, ParticipantID: bob, GroupID: g.ID},
		{WorkshopID: r.w.ID, ParticipantID: p[1], GroupID: g2.ID}}
	if _, err := db.NewInsert().Model(&gms).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var votes []record.Vote
	vote := func(c, who int64, m record.VoteMethod, value int) {
		votes = append(votes, record.Vote{ContributionID: c, ParticipantID: who, WorkshopID: r.w.ID, Method: m, Value: value, UpdatedAt: now})
	}
	vote(c1, alice, record.MethodSupport, 1) // stale under agree
	vote(c1, bob, record.MethodAgree, 1)
	vote(c1, p[1], record.MethodAgree, 0)
	vote(c1, p[2], record.MethodAgree, -1)
	vote(c2, alice, record.MethodAgree, 1)
	vote(c2, p[1], record.MethodAgree, 1) // p1 voted on c1 and c2: one voter of the turnout
	vote(c2, p[3], record.MethodAgree, -1)
	vote(c2, bob, record.MethodSupport, 1) // stale under agree
	vote(c3, alice, record.MethodAgree, 1) // hidden
	vote(c3, p[4], record.MethodAgree, 1)  // hidden: p4 is not a voter of the turnout
	vote(c3, p[5], record.MethodSupport, 1)
	vote(c5, alice, record.MethodDots, 2)
	vote(c5, p[1], record.MethodDots, 3)
	vote(c5, p[6], record.MethodAgree, 1)              // stale under dots
	vote(c1, r.mod.Participant, record.MethodAgree, 1) // counts in the tally, not in the turnout
	vote(c2, p[6], record.MethodAgree, 1)              // p6 is appointed moderator of the workshop below
	vote(o1, other.alice.Participant, record.MethodAgree, 1)
	votes[len(votes)-1].WorkshopID = other.w.ID
	if _, err := db.NewInsert().Model(&votes).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewInsert().Model(&record.WorkshopRole{WorkshopID: r.w.ID, ParticipantID: p[6], Role: record.RoleModerator}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// expectTallies computes what view.ReadTallies should return from the rows of the tables, without
// SQL beyond reading them whole.
func expectTallies(t *testing.T, db bun.IDB, workshop int64, st *view.LiveState, ids []int64, turnoutPhase record.Phase) ([]view.TallyItem, []view.TallyTarget, *view.Turnout) {
	t.Helper()
	ctx := context.Background()
	var (
		cs    []record.Contribution
		votes []record.Vote
		regs  []record.Registration
		ps    []record.Participant
		gms   []record.GroupMember
		roles []record.WorkshopRole
	)
	for _, m := range []any{&cs, &votes, &regs, &ps, &gms, &roles} {
		if err := db.NewSelect().Model(m).Scan(ctx); err != nil {
			t.Fatal(err)
		}
	}
	asked := map[int64]bool{}
	for _, id := range ids {
		asked[id] = true
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	byID := map[int64]record.Contribution{}
	var (
		items   []view.TallyItem
		targets []view.TallyTarget
	)
	for _, c := range cs {
		byID[c.ID] = c
		if c.WorkshopID != workshop || !asked[c.ID] {
			continue
		}
		targets = append(targets, view.TallyTarget{ID: c.ID, Phase: c.Phase, Status: c.Status, GroupID: c.GroupID})
		it := view.TallyItem{Contribution: c.ID, Method: st.VoteSettingsFor(c.Phase).Method}
		orgs, groups := map[int64]bool{}, map[int64]bool{}
		for _, v := range votes {
			if c.Status != record.StatusVisible || v.ContributionID != c.ID || v.Method != it.Method {
				continue
			}
			it.Count++
			it.Voters++
			it.Sum += v.Value
			switch {
			case it.Method == record.MethodDots:
				it.Dots += v.Value
			case it.Method != record.MethodAgree:
			case v.Value > 0:
				it.Agree++
			case v.Value == 0:
				it.Neutral++
			default:
				it.Disagree++
			}
			if v.Value <= 0 {
				continue
			}
			for _, p := range ps {
				if p.ID == v.ParticipantID && p.OrganisationID != nil {
					orgs[*p.OrganisationID] = true
				}
			}
			for _, m := range gms {
				if m.WorkshopID == workshop && m.ParticipantID == v.ParticipantID {
					groups[m.GroupID] = true
				}
			}
		}
		it.Organisations, it.Groups = len(orgs), len(groups)
		items = append(items, it)
	}
	if len(targets) == 0 || turnoutPhase == "" || turnoutPhase == record.PhaseLobby || turnoutPhase == record.PhaseClosed {
		return items, targets, nil
	}
	// Who may vote: confirmed participants of the workshop, not erased, not its moderators.
	mayVote := map[int64]bool{}
	for _, reg := range regs {
		if reg.WorkshopID == workshop && reg.Status == record.RegistrationConfirmed {
			mayVote[reg.ParticipantID] = true
		}
	}
	for _, p := range ps {
		if p.Role != record.RoleParticipant || p.ErasedAt != nil {
			delete(mayVote, p.ID)
		}
	}
	for _, r := range roles {
		if r.WorkshopID == workshop && r.Role == record.RoleModerator {
			delete(mayVote, r.ParticipantID)
		}
	}
	// A voter counts when they are a participant (not staff) and not a moderator here.
	staff := map[int64]bool{}
	for _, p := range ps {
		staff[p.ID] = p.Role != record.RoleParticipant
	}
	for _, r := range roles {
		if r.WorkshopID == workshop && r.Role == record.RoleModerator {
			staff[r.ParticipantID] = true
		}
	}
	method := st.VoteSettingsFor(turnoutPhase).Method
	voters := map[int64]bool{}
	for _, v := range votes {
		c := byID[v.ContributionID]
		if v.WorkshopID == workshop && v.Method == method && c.Phase == turnoutPhase && c.Status == record.StatusVisible && !staff[v.ParticipantID] {
			voters[v.ParticipantID] = true
		}
	}
	to := &view.Turnout{Voters: len(voters), Participants: len(mayVote)}
	return items, targets, to
}

func TestReadTalliesInOneStatement(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newTallyFixture(t, db, nil)
		c1, c2, c4, c5 := f.visible[0], f.visible[1], f.visible[2], f.visible[3]
		agreeDots := &view.LiveState{VoteMethods: map[record.Phase]view.VoteSettings{
			record.PhaseDiagnostic: {Method: record.MethodAgree}, record.PhaseRecommendations: {Method: record.MethodDots, Budget: 5}}}
		// 7 may vote: alice, bob, p1…p5 (not the moderator, the observer, nor p6, appointed moderator).
		cases := []struct {
			name  string
			st    *view.LiveState
			phase record.Phase
			ids   []int64
			want  *view.Turnout // checked by hand besides the computation
		}{
			{"agree now, support before", agreeDots, record.PhaseDiagnostic, f.all, &view.Turnout{Voters: 5, Participants: 7}},
			{"support everywhere", &view.LiveState{}, record.PhaseDiagnostic, f.all, &view.Turnout{Voters: 2, Participants: 7}},
			{"dots in recommendations", agreeDots, record.PhaseRecommendations, f.all, &view.Turnout{Voters: 2, Participants: 7}},
			{"implementation: nobody voted", agreeDots, record.PhaseImplementation, f.all, &view.Turnout{Voters: 0, Participants: 7}},
			{"closed: no turnout", agreeDots, record.PhaseClosed, f.all, nil},
			{"lobby: no turnout", agreeDots, record.PhaseLobby, f.all, nil},
			{"no turnout asked", agreeDots, "", f.all, nil},
			{"some items", agreeDots, record.PhaseDiagnostic, []int64{c4, c2, 987654321, f.foreign}, &view.Turnout{Voters: 5, Participants: 7}},
			{"an item with no vote", agreeDots, record.PhaseDiagnostic, []int64{c4}, &view.Turnout{Voters: 5, Participants: 7}},
			{"the hidden item", agreeDots, record.PhaseDiagnostic, []int64{f.hidden}, &view.Turnout{Voters: 5, Participants: 7}},
			{"another workshop's item", agreeDots, record.PhaseDiagnostic, []int64{f.foreign}, nil},
			{"no item", agreeDots, record.PhaseDiagnostic, nil, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				hook := &queryCounter{}
				db.AddQueryHook(hook)
				items, targets, to, err := view.ReadTallies(context.Background(), db, f.r.w.ID, tc.st, tc.ids, tc.phase)
				db.ResetQueryHooks()
				if err != nil {
					t.Fatal(err)
				}
				if want := min(len(tc.ids), 1); hook.n.Load() != int64(want) {
					t.Errorf("got %d statements, want %d", hook.n.Load(), want)
				}
				wantItems, wantTargets, wantTo := expectTallies(t, db, f.r.w.ID, tc.st, tc.ids, tc.phase)
				if !reflect.DeepEqual(items, wantItems) {
					t.Errorf("got items\n%+v\nwant\n%+v", items, wantItems)
				}
				if !reflect.DeepEqual(targets, wantTargets) {
					t.Errorf("got targets %+v, want %+v", targets, wantTargets)
				}
				if !reflect.DeepEqual(to, wantTo) || !reflect.DeepEqual(to, tc.want) {
					t.Errorf("got turnout %+v, want %+v (computed %+v)", to, tc.want, wantTo)
				}
				// ComputeTallies (snapshots) reads the same, without the turnout.
				items2, targets2, err := view.ComputeTallies(context.Background(), db, f.r.w.ID, tc.st, tc.ids)
				if err != nil || !reflect.DeepEqual(items2, items) || !reflect.DeepEqual(targets2, targets) {
					t.Errorf("ComputeTallies: got %+v, %+v, %v; want what ReadTallies read", items2, targets2, err)
				}
			})
		}

		// By hand, so that the computation above is not trusted alone.
		items, _, _, err := view.ReadTallies(context.Background(), db, f.r.w.ID, agreeDots, []int64{c1, c2, f.hidden, c4, c5}, record.PhaseDiagnostic)
		if err != nil {
			t.Fatal(err)
		}
		want := []view.TallyItem{
			// Bob and the moderator agree with c1 (two organisations, group 1); Alice, P1 and P6
			// with c2 (three organisations, groups 1 and 2); Alice and P1 dot c5 (groups 1 and 2);
			// disagreeing backs nothing.
			{Contribution: c1, Method: record.MethodAgree, Count: 4, Sum: 1, Agree: 2, Neutral: 1, Disagree: 1, Voters: 4, Organisations: 2, Groups: 1}, // the moderator's vote counts here
			{Contribution: c2, Method: record.MethodAgree, Count: 4, Sum: 2, Agree: 3, Disagree: 1, Voters: 4, Organisations: 3, Groups: 2},
			{Contribution: f.hidden, Method: record.MethodAgree},
			{Contribution: c4, Method: record.MethodAgree},
			{Contribution: c5, Method: record.MethodDots, Count: 2, Sum: 5, Dots: 5, Voters: 2, Organisations: 2, Groups: 2},
		}
		if !reflect.DeepEqual(items, want) {
			t.Errorf("got items\n%+v\nwant\n%+v", items, want)
		}
	})
}

// TestFlushTallyReadsOnce is the same through Engine.Flush: the items of the tally.updated
// events (the group's item in its group's event) and the turnout of the public one, with the
// state the moderator set.
func TestFlushTallyReadsOnce(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newTallyFixture(t, db, func(r *room) {
			r.phase(record.PhaseDiagnostic)
			r.ok(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodAgree})
			r.ok(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseRecommendations, "method": record.MethodDots, "budget": 5})
		})
		r := f.r
		keys := make([]string, 0, len(f.all))
		for _, id := range f.all {
			keys = append(keys, "tally:"+itoa(id))
		}
		hook := &queryCounter{}
		db.AddQueryHook(hook)
		res, err := r.e.Flush(context.Background(), r.w.ID, keys)
		db.ResetQueryHooks()
		if err != nil {
			t.Fatal(err)
		}
		if got := hook.votes.Load(); got != 1 {
			t.Errorf("got %d statements reading votes in the flush, want 1", got)
		}
		var (
			items []view.TallyItem
			to    *view.Turnout
		)
		for _, ev := range named(res.Events, "tally.updated") {
			var te view.TallyEvent
			if err := json.Unmarshal(ev.Data, &te); err != nil {
				t.Fatal(err)
			}
			items = append(items, te.Items...)
			if ev.Audience == AudienceAll {
				to = te.Turnout
			} else if te.Turnout != nil {
				t.Errorf("got turnout %+v in the event for %s, want none", te.Turnout, ev.Audience)
			}
		}
		sort.Slice(items, func(i, j int) bool { return items[i].Contribution < items[j].Contribution })
		st := &view.LiveState{VoteMethods: map[record.Phase]view.VoteSettings{
			record.PhaseDiagnostic: {Method: record.MethodAgree}, record.PhaseRecommendations: {Method: record.MethodDots, Budget: 5, MaxPerItem: 5}}}
		wantItems, _, wantTo := expectTallies(t, db, r.w.ID, st, f.all, record.PhaseDiagnostic)
		if !reflect.DeepEqual(items, wantItems) {
			t.Errorf("got items\n%+v\nwant\n%+v", items, wantItems)
		}
		if !reflect.DeepEqual(to, wantTo) || to == nil || to.Voters != 5 {
			t.Errorf("got turnout %+v, want %+v", to, wantTo)
		}
	})
}

// BenchmarkFlushTallyRoom is the tally flush of a full room: 2,000 voters who each voted on
// the five items (10,000 votes), one Flush of the five tally keys with the turnout. It reports
// the statements of one Flush (queries/op) besides the time.
//
//	go test -run - -bench FlushTallyRoom ./deliberation
func BenchmarkFlushTallyRoom(b *testing.B) {
	const voters, items, batch = 2000, 5, 250
	for _, kind := range storagetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			db := storagetest.Open(b, kind)
			r := newBenchRoom(b, db, voters, items)
			for round := range voters * items / batch {
				r.exec(b, r.voteBatch(round, batch))
			}
			keys := make([]string, len(r.items))
			for i, id := range r.items {
				keys[i] = fmt.Sprintf("tally:%d", id)
			}
			hook := &queryCounter{}
			db.AddQueryHook(hook)
			b.ReportAllocs()
			ops := 0
			for b.Loop() {
				if _, err := r.e.Flush(context.Background(), r.w.ID, keys); err != nil {
					b.Fatal(err)
				}
				ops++
			}
			b.ReportMetric(float64(hook.n.Load())/float64(ops), "queries/op")
		})
	}
}
