package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/live"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// adapterTest is the adapter over a real engine and database, with a workshop whose
// moderator and participant may act.
type adapterTest struct {
	b         *live.Backend
	w         *record.Workshop
	mod, part hub.Viewer
	n         int
}

func newAdapterTest(t *testing.T, kind string) *adapterTest {
	t.Helper()
	s := stack.New(t, kind, stack.Options{})
	w := s.Workshop(t, "A")
	mod := s.Join(t, "M", "Org M", record.RoleModerator, w)
	part := s.Join(t, "P", "Org P", record.RoleParticipant, w)
	at := &adapterTest{b: live.New(deliberation.NewEngine(s.DB, deliberation.EngineOptions{})), w: w}
	ctx := stack.Ctx(t)
	if _, _, _, err := at.b.Open(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	var err error
	if at.mod, err = at.b.Viewer(ctx, w.ID, mod.Participant.ID); err != nil {
		t.Fatal(err)
	}
	if at.part, err = at.b.Viewer(ctx, w.ID, part.Participant.ID); err != nil {
		t.Fatal(err)
	}
	return at
}

// do executes one command and fails unless it is accepted.
func (at *adapterTest) do(t *testing.T, by hub.Viewer, name string, args any) hub.Result {
	t.Helper()
	raw, _ := json.Marshal(args)
	at.n++
	id := fmt.Sprintf("cmd-%d", at.n)
	res, err := at.b.Execute(stack.Ctx(t), at.w.ID, []hub.Command{{ID: id, Name: name, Args: raw, By: by}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(res.Outcomes) != 1 || res.Outcomes[0].CommandID != id || res.Outcomes[0].Code != "" {
		t.Fatalf("%s: got outcomes %+v, want %s accepted", name, res.Outcomes, id)
	}
	return res
}

// TestAdapterCarriesBothLegs: a command goes in as the hub made it (the viewer acting),
// and its outcome and events come back as the hub fans them out: acknowledged at the seq
// of its last event, with the audiences parsed.
func TestAdapterCarriesBothLegs(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			at := newAdapterTest(t, kind)
			if !at.mod.Moderator || at.part.Moderator || at.part.Role != string(record.RoleParticipant) {
				t.Fatalf("viewers: got moderator %+v and participant %+v", at.mod, at.part)
			}
			at.do(t, at.mod, "phase.set", map[string]any{"phase": "diagnostic"})
			res := at.do(t, at.part, "contribution.post", map[string]any{"kind": "finding", "body": "constat"})
			if len(res.Events) == 0 {
				t.Fatal("contribution.post: no event")
			}
			last := res.Events[len(res.Events)-1]
			if got := res.Outcomes[0].Seq; got != last.Seq {
				t.Errorf("ack seq: got %d, want %d (the command's last event)", got, last.Seq)
			}
			for i := 1; i < len(res.Events); i++ {
				if res.Events[i].Seq != res.Events[i-1].Seq+1 {
					t.Errorf("events: seq %d after %d, want contiguous", res.Events[i].Seq, res.Events[i-1].Seq)
				}
			}
			logged, err := at.b.EventsAfter(stack.Ctx(t), at.w.ID, last.Seq-1, 10)
			if err != nil || len(logged) != 1 || logged[0].Name != last.Name || logged[0].Audience != last.Audience {
				t.Errorf("the log after %d: got %+v (err %v), want the committed %s for %+v", last.Seq-1, logged, err, last.Name, last.Audience)
			}
		})
	}
}

// TestViewerOfAStrangerIsForbidden: someone without a place in the workshop is refused
// with the hub's sentinel, which the hub turns into a "forbidden" close.
func TestViewerOfAStrangerIsForbidden(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			at := newAdapterTest(t, kind)
			_, err := at.b.Viewer(stack.Ctx(t), at.w.ID, 1<<40)
			if !errors.Is(err, hub.ErrForbidden) {
				t.Fatalf("got %v, want an error wrapping hub.ErrForbidden", err)
			}
		})
	}
}

// TestPreparedFlushCommitsTheTally: the commit PrepareFlush returns publishes the tally
// of a vote, as a plain Flush would; keys that ask for no tally prepare nothing and still
// commit.
func TestPreparedFlushCommitsTheTally(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			at := newAdapterTest(t, kind)
			ctx := context.Background()
			at.do(t, at.mod, "phase.set", map[string]any{"phase": "diagnostic"})
			posted := at.do(t, at.mod, "contribution.post", map[string]any{"kind": "finding", "body": "constat"})
			var c struct{ ID int64 }
			json.Unmarshal(posted.Events[0].Data, &c)
			voted := at.do(t, at.part, "vote.set", map[string]any{"contribution": c.ID, "value": 1})
			if want := fmt.Sprintf("tally:%d", c.ID); len(voted.Deferred) == 0 || !strings.Contains(strings.Join(voted.Deferred, ","), want) {
				t.Fatalf("vote.set deferred %v, want %s", voted.Deferred, want)
			}
			commit, err := at.b.PrepareFlush(ctx, at.w.ID, voted.Deferred)
			if err != nil || commit == nil {
				t.Fatalf("PrepareFlush: got %v, err %v; want a commit", commit, err)
			}
			res, err := commit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tallies := 0
			for _, ev := range res.Events {
				if ev.Name == "tally.updated" {
					tallies++
				}
			}
			if tallies == 0 {
				t.Errorf("prepared flush: got events %+v, want a tally.updated", res.Events)
			}
			nothing, err := at.b.PrepareFlush(ctx, at.w.ID, []string{"tick"})
			if err != nil || nothing == nil {
				t.Fatalf("PrepareFlush without tallies: got %v, err %v; want a commit", nothing, err)
			}
			if _, err := nothing(ctx); err != nil {
				t.Errorf("a flush with nothing prepared: %v", err)
			}
		})
	}
}
