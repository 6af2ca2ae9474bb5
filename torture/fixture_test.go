package torture

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/migrations"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
)

// stage is a workshop in the diagnostic phase with contributions to vote on (agree method,
// so that a changed vote changes the value) and voters with sessions.
type stage struct {
	db            *bun.DB
	workshop      int64
	contributions []int64
	voters        []http.Cookie
	voterIDs      []int64
}

func setUp(t *testing.T, dsn string, voters, items int) *stage {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, dsn, storage.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	p, w := fixture.Live(t, db, "torture")
	f := &stage{db: db, workshop: w.ID}
	person := func(name string) int64 {
		pa, err := people.CreateParticipant(ctx, db, people.NewParticipant{
			ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: "Org " + name,
			Person: people.Person{DisplayName: name},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := people.AddRegistration(ctx, db, w, pa.ID, record.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}
		return pa.ID
	}
	mod := person("Modératrice")
	eng := deliberation.NewEngine(db, deliberation.EngineOptions{})
	modActor := deliberation.Actor{Participant: mod, Role: record.RoleParticipant, Moderator: true}
	run := func(name string, args any) deliberation.Result {
		raw, _ := json.Marshal(args)
		res, err := eng.Execute(ctx, w.ID, []deliberation.Command{{ID: uuid.NewString(), Name: name, Args: raw, Actor: modActor}})
		if err != nil || res.Outcomes[0].Code != "" {
			t.Fatalf("%s: %v %+v", name, err, res.Outcomes)
		}
		return res
	}
	run("vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"})
	run("phase.set", map[string]any{"phase": "diagnostic"})
	for i := 0; i < items; i++ {
		res := run("contribution.post", map[string]any{"kind": "finding", "body": fmt.Sprintf("Constat %d", i+1)})
		var d struct{ ID int64 }
		json.Unmarshal(res.Events[0].Data, &d)
		f.contributions = append(f.contributions, d.ID)
	}
	for i := 0; i < voters; i++ {
		id := person(fmt.Sprintf("Votant %d", i+1))
		token, err := people.CreateSession(ctx, db, id, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		f.voters = append(f.voters, http.Cookie{Name: "assises_session", Value: token})
		f.voterIDs = append(f.voterIDs, id)
	}
	return f
}
