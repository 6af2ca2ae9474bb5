package deliberation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// benchRoom is a workshop in the diagnostic phase with voters and findings to vote on.
type benchRoom struct {
	e      *Engine
	w      *record.Workshop
	mod    Actor
	voters []Actor
	items  []int64
	n      int // command ids
}

func newBenchRoom(b testing.TB, db *bun.DB, voters, items int) *benchRoom {
	b.Helper()
	ctx := context.Background()
	e := NewEngine(db, EngineOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	proc := &record.Process{Slug: "bench", Title: "Assises", Capacity: voters + 1, PerOrgCap: voters + 1, InvitationRequired: true}
	if err := process.Create(ctx, db, proc); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	w := &record.Workshop{ProcessID: proc.ID, Title: "Atelier", StartsAt: now, EndsAt: now.Add(3 * time.Hour)}
	if err := process.CreateWorkshop(ctx, db, w); err != nil {
		b.Fatal(err)
	}
	r := &benchRoom{e: e, w: w}
	person := func(role record.Role, i int) Actor {
		p, err := people.CreateParticipant(ctx, db, people.NewParticipant{ProcessID: &proc.ID, Role: role,
			Organisation: fmt.Sprintf("Organisation %d", i%50), Person: people.Person{DisplayName: fmt.Sprintf("P%d", i)}})
		if err != nil {
			b.Fatal(err)
		}
		if err := people.AddRegistration(ctx, db, w, p.ID, record.RegistrationConfirmed); err != nil {
			b.Fatal(err)
		}
		a, err := e.Actor(ctx, w.ID, p.ID)
		if err != nil {
			b.Fatal(err)
		}
		return a
	}
	r.mod = person(record.RoleModerator, 0)
	for i := range voters {
		r.voters = append(r.voters, person(record.RoleParticipant, i+1))
	}
	r.exec(b, []Command{r.cmd(r.mod, "phase.set", map[string]any{"phase": "diagnostic"})})
	for i := range items {
		res := r.exec(b, []Command{r.cmd(r.mod, "contribution.post", map[string]any{"kind": "finding", "body": fmt.Sprintf("Constat %d", i)})})
		var posted struct{ ID int64 }
		json.Unmarshal(res.Events[0].Data, &posted)
		r.items = append(r.items, posted.ID)
	}
	return r
}

func (r *benchRoom) cmd(a Actor, name string, args any) Command {
	r.n++
	raw, _ := json.Marshal(args)
	return Command{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", r.n), Name: name, Args: raw, Actor: a}
}

func (r *benchRoom) exec(b testing.TB, cmds []Command) Result {
	res, err := r.e.Execute(context.Background(), r.w.ID, cmds)
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range res.Outcomes {
		if o.Code != "" {
			b.Fatalf("%s refused: %s %s", o.CommandID, o.Code, o.Message)
		}
	}
	return res
}

// voteBatch is what the hub hands Execute during a vote: size votes from distinct people,
// each changing their vote (support 1, then 0, then 1…) on one of the items.
func (r *benchRoom) voteBatch(round, size int) []Command {
	cmds := make([]Command, size)
	for k := range size {
		i := round*size + k
		voter := r.voters[i%len(r.voters)]
		pass := i / len(r.voters)
		cmds[k] = r.cmd(voter, "vote.set", map[string]any{
			"contribution": r.items[pass%len(r.items)], "value": 1 - (pass/len(r.items))%2})
	}
	return cmds
}

// BenchmarkExecuteVotes is the group commit of a batch of votes into each database: rules,
// idempotency records, events and projections in one transaction, committed durably
// (SQLite synchronous=FULL; PostgreSQL with its fsync setting). One op = one batch.
//
//	go test -run - -bench ExecuteVotes ./deliberation
func BenchmarkExecuteVotes(b *testing.B) {
	for _, kind := range storagetest.Kinds {
		for _, size := range []int{1, 16, 80, 256} {
			b.Run(fmt.Sprintf("%s/batch=%d", kind, size), func(b *testing.B) {
				r := newBenchRoom(b, storagetest.Open(b, kind), 512, 5)
				batches := make([][]Command, 0, 1024)
				b.ReportAllocs()
				b.ResetTimer()
				round := 0
				for b.Loop() {
					b.StopTimer() // building the commands is the client's work
					if round%1024 == 0 {
						batches = batches[:0]
						for i := range 1024 {
							batches = append(batches, r.voteBatch(round+i, size))
						}
					}
					cmds := batches[round%1024]
					b.StartTimer()
					r.exec(b, cmds)
					round++
				}
				b.ReportMetric(float64(round*size)/b.Elapsed().Seconds(), "votes/s")
			})
		}
	}
}

// BenchmarkFlushTally is the coalesced follow-up of many votes: one tally.updated for the
// five items of a room of 512 voters, with the turnout. One op = one Flush.
func BenchmarkFlushTally(b *testing.B) {
	for _, kind := range storagetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			r := newBenchRoom(b, storagetest.Open(b, kind), 512, 5)
			for round := range 512 / 64 {
				r.exec(b, r.voteBatch(round, 64))
			}
			keys := make([]string, len(r.items))
			for i, id := range r.items {
				keys[i] = fmt.Sprintf("tally:%d", id)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := r.e.Flush(context.Background(), r.w.ID, keys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
