package deliberation

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
)

// txCounter counts the transactions committed and the workshop locks taken through a bun DB.
type txCounter struct{ commits, rollbacks, locks atomic.Int64 }

func (h *txCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (h *txCounter) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	// On PostgreSQL the engine sends BEGIN with the lock and COMMIT with the writes (journal.Postgres).
	switch {
	case ev.Query == "COMMIT" || strings.HasSuffix(ev.Query, ";\nCOMMIT"):
		h.commits.Add(1)
	case ev.Query == "ROLLBACK":
		h.rollbacks.Add(1)
	case strings.HasPrefix(ev.Query, "SELECT") && strings.Contains(ev.Query, `FROM "workshops"`),
		strings.HasPrefix(ev.Query, "BEGIN;") && strings.Contains(ev.Query, "FROM workshops"):
		h.locks.Add(1)
	}
}

func TestBatchIsOneTransactionWithGaplessSeq(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		hook := &txCounter{}
		db.AddQueryHook(hook)

		batch := []Command{
			r.cmd(r.mod, "phase.set", map[string]any{"phase": record.PhaseDiagnostic}),
			r.cmd(r.mod, "question.set", map[string]any{"phase": record.PhaseDiagnostic, "text": "Quels constats ?"}),
			r.cmd(r.alice, "phase.set", map[string]any{"phase": record.PhaseClosed}), // refused: not a moderator
			r.cmd(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Les délais sont trop longs"}),
			r.cmd(r.bob, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Trop de guichets"}),
		}
		commitsBefore := hook.commits.Load()
		res := r.exec(batch...)
		if got := hook.commits.Load() - commitsBefore; got != 1 {
			t.Errorf("got %d commits for a batch of %d, want 1", got, len(batch))
		}
		if got := hook.locks.Load(); got != 1 {
			t.Errorf("got %d workshop reads in the batch, want 1 (state loaded once)", got)
		}

		wantCodes := []string{"", "", CodeNotAllowed, "", ""}
		for i, out := range res.Outcomes {
			if out.CommandID != batch[i].ID || out.Code != wantCodes[i] {
				t.Errorf("outcome %d: got (%s, %q), want (%s, %q)", i, out.CommandID, out.Code, batch[i].ID, wantCodes[i])
			}
		}
		if res.Outcomes[2].Seq != 0 {
			t.Errorf("refused command: got seq %d, want 0", res.Outcomes[2].Seq)
		}
		// Gapless: 1, 2, 3… and each accepted outcome carries its last event's seq.
		for i, ev := range res.Events {
			if ev.Seq != int64(i+1) {
				t.Fatalf("event %d: got seq %d, want %d", i, ev.Seq, i+1)
			}
		}
		last := res.Events[len(res.Events)-1].Seq
		if res.Outcomes[4].Seq != last {
			t.Errorf("last outcome: got seq %d, want %d", res.Outcomes[4].Seq, last)
		}
		if !(res.Outcomes[0].Seq < res.Outcomes[1].Seq && res.Outcomes[1].Seq < res.Outcomes[3].Seq && res.Outcomes[3].Seq < res.Outcomes[4].Seq) {
			t.Errorf("got outcome seqs %v, want increasing", res.Outcomes)
		}

		// What Execute returned is what the log holds, and last_seq agrees.
		logged, err := r.e.EventsAfter(context.Background(), r.w.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(logged, res.Events) {
			t.Errorf("got log %v, want the returned events %v", logged, res.Events)
		}
		lastSeq, _, _, err := r.e.Open(context.Background(), r.w.ID)
		if err != nil || lastSeq != last {
			t.Errorf("Open: got last seq %d (%v), want %d", lastSeq, err, last)
		}
		// The refused command left only its record: the phase is the moderator's.
		w, _ := record.GetWorkshop(context.Background(), db, r.w.ID)
		if w.Phase != record.PhaseDiagnostic {
			t.Errorf("got phase %s, want diagnostic", w.Phase)
		}
		if n := r.count((*record.CommandRecord)(nil), "workshop_id = ?", r.w.ID); n != len(batch) {
			t.Errorf("got %d command records, want %d", n, len(batch))
		}

		// A second batch continues the sequence.
		res2 := r.exec(r.cmd(r.mod, "posting.set", map[string]any{"locked": true}))
		if res2.Events[0].Seq != last+1 {
			t.Errorf("next batch: got seq %d, want %d", res2.Events[0].Seq, last+1)
		}
		after, _ := r.e.EventsAfter(context.Background(), r.w.ID, last, 10)
		if len(after) != 1 || after[0].Seq != last+1 {
			t.Errorf("EventsAfter(%d): got %v, want one event %d", last, after, last+1)
		}
	})
}

func TestBatchRetriesCommandsAfterDatabaseError(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.alice, record.KindFinding, "Un constat")
		start := r.warnings.Load()

		// A participant id that does not exist passes the rules (the engine trusts the hub's
		// actor) but breaks a foreign key when the vote is written: a database error.
		ghost := Actor{Participant: 987654321, Role: record.RoleParticipant}
		batch := []Command{
			r.cmd(r.alice, "vote.set", map[string]any{"contribution": id, "value": 1}),
			r.cmd(ghost, "vote.set", map[string]any{"contribution": id, "value": 1}),
			r.cmd(r.bob, "vote.set", map[string]any{"contribution": id, "value": 1}),
		}
		res := r.exec(batch...)
		got := []string{res.Outcomes[0].Code, res.Outcomes[1].Code, res.Outcomes[2].Code}
		if want := []string{"", CodeInternal, ""}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got codes %q, want %q", got, want)
		}
		if r.warnings.Load() == start {
			t.Error("got no warning for the failed batch, want one")
		}
		// The two good votes committed, one per transaction, with consecutive sequence numbers.
		if n := r.count((*record.Vote)(nil), "contribution_id = ?", id); n != 2 {
			t.Errorf("got %d votes, want 2", n)
		}
		if len(res.Events) != 2 || res.Events[1].Seq != res.Events[0].Seq+1 {
			t.Errorf("got events %v, want two consecutive", res.Events)
		}
		logged, _ := r.e.EventsAfter(context.Background(), r.w.ID, 0, 0)
		for i, ev := range logged {
			if ev.Seq != int64(i+1) {
				t.Fatalf("log: got seq %d at %d, want %d", ev.Seq, i, i+1)
			}
		}
		// A transient outcome is not recorded: the same id may be sent again.
		if n := r.count((*record.CommandRecord)(nil), "command_id = ?", batch[1].ID); n != 0 {
			t.Errorf("got %d records of the failed command, want 0", n)
		}
	})
}

func TestUnavailableDatabaseIsAnError(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		c := r.cmd(r.mod, "phase.set", map[string]any{"phase": record.PhaseDiagnostic})
		db.Close()
		res, err := r.e.Execute(context.Background(), r.w.ID, []Command{c})
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("got error %v, want storage.ErrUnavailable", err)
		}
		if len(res.Outcomes) != 0 {
			t.Errorf("got outcomes %v, want none (nothing may be acknowledged)", res.Outcomes)
		}
	})
}

func TestUnknownWorkshop(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		c := r.cmd(r.mod, "phase.set", map[string]any{"phase": record.PhaseDiagnostic})
		if _, err := r.e.Execute(context.Background(), r.w.ID+1000, []Command{c}); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("Execute: got %v, want ErrNotFound", err)
		}
		if _, _, _, err := r.e.Open(context.Background(), r.w.ID+1000); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("Open: got %v, want ErrNotFound", err)
		}
	})
}

func TestIdempotentCommands(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		post := r.cmd(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Une fois"})
		countPosts := func() int { return r.count((*record.Contribution)(nil), "workshop_id = ?", r.w.ID) }

		first := r.exec(post)
		again := r.exec(post)
		if again.Outcomes[0].Seq != first.Outcomes[0].Seq || again.Outcomes[0].Code != "" {
			t.Errorf("resent: got %+v, want the first outcome %+v", again.Outcomes[0], first.Outcomes[0])
		}
		if len(again.Events) != 0 || countPosts() != 1 {
			t.Errorf("resent: got %d events and %d contributions, want 0 and 1", len(again.Events), countPosts())
		}

		// The same arguments written differently are the same command.
		same := post
		same.Args = []byte(` { "body" : "Une fois", "kind":"finding" } `)
		if out := r.exec(same).Outcomes[0]; out.Seq != first.Outcomes[0].Seq || out.Code != "" {
			t.Errorf("re-encoded: got %+v, want the first outcome", out)
		}

		// Twice in one batch: applied once, both get the first outcome.
		twice := r.cmd(r.bob, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Deux fois"})
		res := r.exec(twice, twice)
		if res.Outcomes[0] != (Outcome{CommandID: twice.ID, Seq: res.Outcomes[0].Seq}) || res.Outcomes[1].Seq != res.Outcomes[0].Seq || res.Outcomes[1].Code != "" {
			t.Errorf("twice in a batch: got %+v, want two equal acceptances", res.Outcomes)
		}
		if countPosts() != 2 {
			t.Errorf("got %d contributions, want 2", countPosts())
		}

		tests := []struct {
			name string
			cmd  Command
		}{
			{"other payload", Command{ID: post.ID, Name: post.Name, Args: []byte(`{"kind":"finding","body":"Autre chose"}`), Actor: r.alice}},
			{"other command", Command{ID: post.ID, Name: "vote.set", Args: []byte(`{"contribution":1,"value":1}`), Actor: r.alice}},
			{"other participant", Command{ID: post.ID, Name: post.Name, Args: post.Args, Actor: r.bob}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				defer r.as(t)()
				out := r.exec(tt.cmd).Outcomes[0]
				if out.Code != CodeIDReused {
					t.Errorf("%s: got %q, want id_reused", tt.name, out.Code)
				}
			})
		}
		if countPosts() != 2 {
			t.Errorf("got %d contributions after reuses, want 2", countPosts())
		}

		// A refusal is an outcome too: resending returns it even once the rule would pass.
		r.ok(r.mod, "posting.set", map[string]any{"locked": true})
		locked := r.cmd(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Trop tard"})
		if out := r.exec(locked).Outcomes[0]; out.Code != CodePostingLocked {
			t.Fatalf("got %q, want posting_locked", out.Code)
		}
		r.ok(r.mod, "posting.set", map[string]any{"locked": false})
		if out := r.exec(locked).Outcomes[0]; out.Code != CodePostingLocked {
			t.Errorf("resent refusal: got %q, want the first outcome posting_locked", out.Code)
		}
		if countPosts() != 2 {
			t.Errorf("got %d contributions, want 2", countPosts())
		}

		// A command without a usable id cannot be made idempotent: refused, not recorded.
		noID := r.cmd(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "x"})
		noID.ID = ""
		if out := r.exec(noID).Outcomes[0]; out.Code != CodeInvalidArgs {
			t.Errorf("empty id: got %q, want invalid_args", out.Code)
		}
	})
}

func TestEventsAfterLimit(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		for range 5 {
			r.ok(r.mod, "timer.reset", nil)
		}
		got, err := r.e.EventsAfter(context.Background(), r.w.ID, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 3 {
			t.Errorf("got %v, want seqs 2 and 3", got)
		}
	})
}
