package notebook

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestPlenaryFromWorkshops: a plenary vote held live shows in the compiled notebook, with its
// counts and its outcome.
func TestPlenaryFromWorkshops(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := &record.Process{Slug: "pleniere", Title: "Plénière", Capacity: 40, PerOrgCap: 2}
		if err := process.Create(ctx, db, p); err != nil {
			t.Fatal(err)
		}
		th := &record.Theme{ProcessID: p.ID, Position: 1, Title: "Logement", Why: "Parce que."}
		if err := process.CreateTheme(ctx, db, th); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2024, 1, 8, 8, 0, 0, 0, time.UTC)
		w := &record.Workshop{ProcessID: p.ID, ThemeID: &th.ID, Title: "Atelier 1.3", StartsAt: start, EndsAt: start.Add(3 * time.Hour)}
		if err := process.CreateWorkshop(ctx, db, w); err != nil {
			t.Fatal(err)
		}
		var actors []deliberation.Actor
		for i := 0; i < 4; i++ {
			pa, err := people.CreateParticipant(ctx, db, people.NewParticipant{
				ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: fmt.Sprintf("Org %d", i),
				Person: people.Person{DisplayName: fmt.Sprintf("P%d", i)},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := people.AddRegistration(ctx, db, w, pa.ID, record.RegistrationConfirmed); err != nil {
				t.Fatal(err)
			}
			actors = append(actors, deliberation.Actor{Participant: pa.ID, Role: record.RoleParticipant, Moderator: i == 0})
		}
		clock := start.Add(time.Hour)
		eng := deliberation.NewEngine(db, deliberation.EngineOptions{Clock: func() time.Time { return clock }})
		n := 0
		run := func(a deliberation.Actor, name string, args any) deliberation.Result {
			t.Helper()
			n++
			raw, _ := json.Marshal(args)
			res, err := eng.Execute(ctx, w.ID, []deliberation.Command{{ID: fmt.Sprint("c", n), Name: name, Args: raw, Actor: a}})
			if err != nil || res.Outcomes[0].Code != "" {
				t.Fatalf("%s: %v %+v", name, err, res.Outcomes)
			}
			return res
		}
		mod := actors[0]
		run(mod, "phase.set", map[string]any{"phase": "recommendations"})
		res := run(actors[1], "contribution.post", map[string]any{"kind": "recommendation", "body": "Un guichet unique logement."})
		var posted struct{ ID int64 }
		json.Unmarshal(res.Events[0].Data, &posted)
		run(mod, "plenary.open", map[string]any{"contributions": []int64{posted.ID}})
		run(actors[1], "plenary.vote", map[string]any{"contribution": posted.ID, "choice": "adopt"})
		run(actors[2], "plenary.vote", map[string]any{"contribution": posted.ID, "choice": "adopt"})
		run(actors[3], "plenary.vote", map[string]any{"contribution": posted.ID, "choice": "reject"})
		run(mod, "plenary.close", map[string]any{})

		nb, err := Compile(ctx, db, p.ID, Options{Language: "fr", Plenary: Plenary})
		if err != nil {
			t.Fatal(err)
		}
		var found *PlenaryResult
		for _, theme := range nb.Themes {
			for _, r := range theme.Recommendations {
				if r.Plenary != nil {
					found = r.Plenary
				}
			}
		}
		if found == nil {
			t.Fatal("the plenary vote is not in the notebook")
		}
		if found.For != 2 || found.Against != 1 || found.Abstain != 0 || found.Adopted == nil || !*found.Adopted || found.Label != "Atelier 1.3, 08/01/2024" {
			t.Fatalf("plenary result: got %+v (adopted %v), want 2 for, 1 against, adopted, labelled by session and date", *found, found.Adopted)
		}
	})
}
