package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/assises/assises/hub"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
)

// TestModelBasedVoting (docs/security.md, item 20): participants vote, change and clear their votes,
// withdraw their own contributions and reconnect (resending in-flight commands with the same
// id), while a moderator merges contributions, all at once over real sockets. The accepted
// commands, replayed in the order of their acknowledged seqs on a simple model, give the
// tallies: the last tally.updated of every contribution and the votes in the database must
// equal the model's exactly.
func TestModelBasedVoting(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		for seed := int64(1); seed <= 2; seed++ {
			modelRun(t, s, seed)
		}
	})
}

type modelOp struct {
	seq    int64
	person int64
	name   string
	c      int64   // vote.set, vote.clear, contribution.withdraw
	value  int     // vote.set
	into   int64   // contribution.merge
	from   []int64 // contribution.merge
}

func modelRun(t *testing.T, s *stack.Stack, seed int64) {
	const people, ownItems, opsEach, merges = 6, 2, 40, 6
	w := s.Workshop(t, fmt.Sprintf("Modèle %d", seed))
	modP := s.Join(t, "Mod", fmt.Sprintf("Org mod %d", seed), record.RoleModerator, w)
	mod := connectReady(t, s, modP, w)
	stack.MustDo(t, mod, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"})
	stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
	type member struct {
		p   stack.Person
		c   *liveclient.Client
		own []int64
	}
	var items []int64
	var members []*member
	for i := range people {
		p := s.Join(t, fmt.Sprintf("P%d", i), fmt.Sprintf("Org %d-%d", seed, i), record.RoleParticipant, w)
		m := &member{p: p, c: connectReady(t, s, p, w)}
		for j := range ownItems {
			out := stack.MustDo(t, m.c, "contribution.post", map[string]any{"kind": "finding", "body": fmt.Sprintf("Constat %d.%d", i, j)})
			id := lastEventID(t, m.c, out.Seq)
			m.own = append(m.own, id)
			items = append(items, id)
		}
		members = append(members, m)
	}
	for j := range 3 {
		out := stack.MustDo(t, mod, "contribution.post", map[string]any{"kind": "finding", "body": fmt.Sprintf("Constat M.%d", j)})
		items = append(items, lastEventID(t, mod, out.Seq))
	}

	var mu sync.Mutex
	var accepted []modelOp
	refusals := map[string]int{}
	reconnects := 0
	// do sends a command and insists with the same id until it has a final outcome; with
	// drop, it reconnects right after sending (the answer may be lost) and resends.
	do := func(c *liveclient.Client, op modelOp, args any, drop bool) {
		ctx := stack.Ctx(t)
		id := uuid.NewString()
		for attempt := 0; ; attempt++ {
			if attempt > 200 {
				t.Errorf("%s never got a final outcome", op.name)
				return
			}
			if err := c.Send(id, op.name, args); err == nil {
				if drop && attempt == 0 {
					if err := c.Reconnect(ctx); err != nil {
						t.Errorf("reconnect: %v", err)
						return
					}
					mu.Lock()
					reconnects++
					mu.Unlock()
					continue // resend with the same id
				}
				out, err := c.Await(ctx, id)
				if err == nil {
					switch {
					case out.Accepted():
						op.seq = out.Seq
						mu.Lock()
						accepted = append(accepted, op)
						mu.Unlock()
						return
					case out.Code == hub.CodeBusy || out.Code == hub.CodeUnavailable || out.Code == hub.CodeRateLimited:
						time.Sleep(30 * time.Millisecond)
						continue
					default:
						mu.Lock()
						refusals[out.Code]++
						mu.Unlock()
						return
					}
				}
				if !errors.Is(err, liveclient.ErrClosed) {
					t.Errorf("%s: %v", op.name, err)
					return
				}
			}
			if err := c.Reconnect(ctx); err != nil {
				t.Errorf("reconnect: %v", err)
				return
			}
		}
	}

	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed*100 + int64(i)))
			who := m.p.Participant.ID
			for range opsEach {
				c := items[rng.Intn(len(items))]
				drop := rng.Intn(10) == 0
				switch r := rng.Intn(100); {
				case r < 65:
					v := rng.Intn(3) - 1
					do(m.c, modelOp{person: who, name: "vote.set", c: c, value: v}, map[string]any{"contribution": c, "value": v}, drop)
				case r < 85:
					do(m.c, modelOp{person: who, name: "vote.clear", c: c}, map[string]any{"contribution": c}, drop)
				case r < 90:
					own := m.own[rng.Intn(len(m.own))]
					do(m.c, modelOp{person: who, name: "contribution.withdraw", c: own}, map[string]any{"id": own}, drop)
				default:
					if err := m.c.Reconnect(stack.Ctx(t)); err != nil {
						t.Errorf("reconnect: %v", err)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewSource(seed))
		for range merges {
			time.Sleep(time.Duration(20+rng.Intn(60)) * time.Millisecond)
			perm := rng.Perm(len(items))
			into := items[perm[0]]
			from := []int64{items[perm[1]]}
			if rng.Intn(2) == 0 {
				from = append(from, items[perm[2]])
			}
			do(mod, modelOp{person: modP.Participant.ID, name: "contribution.merge", into: into, from: from},
				map[string]any{"into": into, "from": from}, false)
		}
	}()
	wg.Wait()

	// The model: the accepted commands in the order of their seqs.
	sort.Slice(accepted, func(i, j int) bool { return accepted[i].seq < accepted[j].seq })
	status := map[int64]string{}
	for _, c := range items {
		status[c] = "visible"
	}
	votes := map[int64]map[int64]int{} // contribution → person → value
	vote := func(c int64) map[int64]int {
		if votes[c] == nil {
			votes[c] = map[int64]int{}
		}
		return votes[c]
	}
	for _, op := range accepted {
		switch op.name {
		case "vote.set":
			if status[op.c] != "visible" {
				t.Errorf("seq %d: a vote on a %s contribution was accepted", op.seq, status[op.c])
			}
			vote(op.c)[op.person] = op.value
		case "vote.clear":
			delete(vote(op.c), op.person)
		case "contribution.withdraw":
			if status[op.c] != "visible" {
				t.Errorf("seq %d: withdrawal of a %s contribution was accepted", op.seq, status[op.c])
			}
			status[op.c] = "withdrawn"
			delete(votes, op.c)
		case "contribution.merge":
			if status[op.into] != "visible" || slices.ContainsFunc(op.from, func(c int64) bool { return status[c] != "visible" }) {
				t.Errorf("seq %d: merge %v into %d accepted with states %v", op.seq, op.from, op.into, status)
			}
			target := vote(op.into)
			for _, src := range op.from {
				for person, v := range vote(src) {
					if _, ok := target[person]; !ok { // agree: the target's, else the first source's
						target[person] = v
					}
				}
				status[src] = "merged"
			}
		}
	}
	type tally struct{ Count, Sum, Agree, Neutral, Disagree, Voters int }
	want := map[int64]tally{}
	for _, c := range items {
		var tl tally
		if status[c] == "visible" {
			for _, v := range votes[c] {
				tl.Count++
				tl.Voters++
				tl.Sum += v
				switch v {
				case 1:
					tl.Agree++
				case 0:
					tl.Neutral++
				case -1:
					tl.Disagree++
				}
			}
		}
		want[c] = tl
	}

	// The tallies the room published: the last item of each contribution in tally.updated.
	published := func() map[int64]tally {
		got := map[int64]tally{}
		for _, e := range mod.Events() {
			if e.Name != "tally.updated" {
				continue
			}
			var d struct {
				Items []struct {
					Contribution int64
					tally
				}
			}
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatalf("tally.updated: %v", err)
			}
			for _, it := range d.Items {
				got[it.Contribution] = it.tally
			}
		}
		return got
	}
	deadline := time.Now().Add(15 * time.Second)
	var got map[int64]tally
	for {
		got = published()
		if fmt.Sprint(got) == fmt.Sprint(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range items {
		if got[c] != want[c] {
			t.Errorf("seed %d: contribution %d (%s): published tally %+v, the model says %+v", seed, c, status[c], got[c], want[c])
		}
	}
	// The database: statuses and the counted votes equal the model's.
	ctx := context.Background()
	var rows []record.Contribution
	if err := s.DB.NewSelect().Model(&rows).Where("workshop_id = ?", w.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if string(r.Status) != status[r.ID] {
			t.Errorf("seed %d: contribution %d is %s in the database, %s in the model", seed, r.ID, r.Status, status[r.ID])
		}
	}
	var vrows []record.Vote
	if err := s.DB.NewSelect().Model(&vrows).Where("workshop_id = ?", w.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	inDB := map[int64]map[int64]int{}
	for _, v := range vrows {
		if status[v.ContributionID] != "visible" {
			continue // kept for a restore, never counted
		}
		if inDB[v.ContributionID] == nil {
			inDB[v.ContributionID] = map[int64]int{}
		}
		inDB[v.ContributionID][v.ParticipantID] = v.Value
	}
	for _, c := range items {
		if status[c] != "visible" {
			continue
		}
		if len(votes[c]) == 0 && len(inDB[c]) == 0 {
			continue
		}
		if fmt.Sprint(inDB[c]) != fmt.Sprint(votes[c]) {
			t.Errorf("seed %d: votes on %d in the database %v, in the model %v", seed, c, inDB[c], votes[c])
		}
	}
	kinds := map[string]int{}
	for _, op := range accepted {
		kinds[op.name]++
	}
	t.Logf("seed %d: %d accepted %v, refused %v, %d reconnects with a command in flight", seed, len(accepted), kinds, refusals, reconnects)
	if kinds["vote.set"] == 0 || kinds["contribution.merge"] == 0 {
		t.Errorf("seed %d: the run exercised too little: %v", seed, kinds)
	}
}
