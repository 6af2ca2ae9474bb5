package deliberation_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestSnapshotListsMine: a person finds their own posts in the snapshot, and only theirs.
func TestSnapshotListsMine(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p, w := fixture.Session(t, db, "miens")
		a, b := fixture.Registered(t, db, p, w, "A", "X"), fixture.Registered(t, db, p, w, "B", "Y")
		eng := deliberation.NewEngine(db, deliberation.EngineOptions{})
		run := func(actor deliberation.Actor, id, name string, args any) {
			raw, _ := json.Marshal(args)
			res, err := eng.Execute(ctx, w.ID, []deliberation.Command{{ID: id, Name: name, Args: raw, Actor: actor}})
			if err != nil || res.Outcomes[0].Code != "" {
				t.Fatalf("%s: %v %+v", name, err, res.Outcomes)
			}
		}
		mod := deliberation.Actor{Participant: a.ID, Role: record.RoleParticipant, Moderator: true}
		run(mod, "c1", "phase.set", map[string]any{"phase": "diagnostic"})
		actB := deliberation.Actor{Participant: b.ID, Role: record.RoleParticipant}
		run(mod, "c2", "contribution.post", map[string]any{"kind": "finding", "body": "de A"})
		run(actB, "c3", "contribution.post", map[string]any{"kind": "finding", "body": "de B"})
		run(actB, "c4", "contribution.post", map[string]any{"kind": "finding", "body": "encore de B"})
		_, raw, err := eng.Snapshot(ctx, w.ID, actB)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			You struct{ Mine []int64 }
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if len(s.You.Mine) != 2 || s.You.Mine[0] != 2 || s.You.Mine[1] != 3 {
			t.Fatalf("B's snapshot lists %v as theirs, want [2 3]", s.You.Mine)
		}
	})
}
