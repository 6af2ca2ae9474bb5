package deliberation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// The PostgreSQL road of the engine (engine_lock.go, copy.go, journal.Postgres) must give what
// SQLite gives: these tests run on both.

// messageCounter counts the statements (PostgreSQL: messages) sent to the database.
type messageCounter struct {
	n    atomic.Int64
	mu   sync.Mutex
	last []string
}

func (h *messageCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (h *messageCounter) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	h.n.Add(1)
	h.mu.Lock()
	h.last = append(h.last, ev.Query)
	h.mu.Unlock()
}

func (h *messageCounter) reset() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.last
	h.last = nil
	h.n.Store(0)
	return out
}

func codes(res Result) []string {
	out := make([]string, len(res.Outcomes))
	for i, o := range res.Outcomes {
		out[i] = o.Code
		if out[i] == "" {
			out[i] = "ok"
		}
	}
	return out
}

// checkLog checks that the workshop's log is 1, 2, 3… up to last_seq.
func checkLog(t *testing.T, r *room) {
	t.Helper()
	last, _, _, err := r.e.Open(context.Background(), r.w.ID) // first: it emits the tallies due
	if err != nil {
		t.Fatal(err)
	}
	logged, err := r.e.EventsAfter(context.Background(), r.w.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range logged {
		if ev.Seq != int64(i+1) {
			t.Fatalf("log: got seq %d at %d, want gapless", ev.Seq, i)
		}
	}
	if last != int64(len(logged)) {
		t.Fatalf("last_seq %d (%v), log of %d events", last, err, len(logged))
	}
}

// votesOf lists the vote rows of a workshop as "contribution/participant=value".
func votesOf(t *testing.T, r *room, items, people map[int64]string) []string {
	t.Helper()
	var votes []record.Vote
	if err := r.db.NewSelect().Model(&votes).Where("workshop_id = ?", r.w.ID).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(votes))
	for i, v := range votes {
		out[i] = fmt.Sprintf("%s/%s=%d", items[v.ContributionID], people[v.ParticipantID], v.Value)
	}
	slices.Sort(out)
	return out
}

func TestBatchOfVotesRepeatsAndOtherCommands(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		other := newRoom(t, db) // another workshop, its contribution out of reach
		other.phase(record.PhaseDiagnostic)
		x := other.post(other.alice, record.KindFinding, "Ailleurs")
		r.phase(record.PhaseDiagnostic)
		a := r.post(r.bob, record.KindFinding, "Constat A")
		b := r.post(r.bob, record.KindFinding, "Constat B")
		items := map[int64]string{a: "A", b: "B"}
		people := map[int64]string{r.alice.Participant: "alice", r.bob.Participant: "bob", r.mod.Participant: "mod"}
		vote := func(who Actor, id int64, v int) Command {
			return r.cmd(who, "vote.set", map[string]any{"contribution": id, "value": v})
		}

		first := vote(r.alice, a, 1)
		warm := r.exec(first, vote(r.bob, b, 1))
		if got := codes(warm); !reflect.DeepEqual(got, []string{"ok", "ok"}) {
			t.Fatalf("first batch: got %q", got)
		}

		clearA := r.cmd(r.alice, "vote.clear", map[string]any{"contribution": a})
		reused := first
		reused.Args = []byte(fmt.Sprintf(`{"contribution":%d,"value":0}`, a))
		resent := first
		resent.Args = []byte(fmt.Sprintf(` {"value": 1, "contribution": %d} `, a)) // same command, spelt otherwise
		bobA := vote(r.bob, a, 1)
		res := r.exec(
			bobA,
			clearA,
			vote(r.alice, b, 1),
			vote(r.alice, x, 1), // another workshop's
			bobA,                // twice in one batch
			resent,              // sent again after its batch
			reused,              // its id, another command
			vote(r.observer, a, 1),
			vote(r.alice, a, 1),
			vote(r.bob, b, 0),
		)
		want := []string{"ok", "ok", "ok", CodeNotFound, "ok", "ok", CodeIDReused, CodeNotAllowed, "ok", "ok"}
		if got := codes(res); !reflect.DeepEqual(got, want) {
			t.Fatalf("second batch: got %q, want %q", got, want)
		}
		if res.Outcomes[4].Seq != res.Outcomes[0].Seq || res.Outcomes[5].Seq != warm.Outcomes[0].Seq {
			t.Errorf("repeats: got seqs %d and %d, want %d (first outcome in the batch) and %d (first batch)",
				res.Outcomes[4].Seq, res.Outcomes[5].Seq, res.Outcomes[0].Seq, warm.Outcomes[0].Seq)
		}
		if got := len(named(res.Events, "vote.recorded")); got != 5 {
			t.Errorf("vote.recorded: got %d, want 5", got)
		}
		if got, want := votesOf(t, r, items, people), []string{"A/alice=1", "A/bob=1", "B/alice=1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("votes: got %q, want %q", got, want)
		}

		// Votes around other commands: those change what the next votes see.
		res = r.exec(
			vote(r.bob, b, 1),
			r.cmd(r.mod, "contribution.hide", map[string]any{"id": b, "reason": "doublon"}),
			vote(r.alice, b, 0), // hidden now
			vote(r.bob, a, 0),
			r.cmd(r.mod, "phase.set", map[string]any{"phase": record.PhaseClosed}),
			vote(r.alice, a, 0),
		)
		want = []string{"ok", "ok", CodeNotFound, "ok", "ok", CodePhaseClosed}
		if got := codes(res); !reflect.DeepEqual(got, want) {
			t.Fatalf("third batch: got %q, want %q", got, want)
		}
		if got, want := votesOf(t, r, items, people), []string{"A/alice=1", "B/alice=1", "B/bob=1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("votes: got %q, want %q", got, want)
		}
		// Every command with an id has its record; the log is gapless.
		if got := r.count((*record.CommandRecord)(nil), "workshop_id = ?", r.w.ID); got != 2+2+8+6 {
			t.Errorf("command records: got %d, want %d", got, 2+2+8+6)
		}
		checkLog(t, r)
	})
}

// A batch of votes may be applied to what the engine remembers of the workshop (PostgreSQL):
// whatever changed it since, through the engine of another node or not, must be seen. Each
// case starts from a copy that is right (forget, then a vote that reads), then changes the
// database behind it, so that the batch applied to the copy would be accepted wrongly.
func TestVotesSeeChangesMadeElsewhere(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		db := r.db
		r.e.seen.noRest = true // every batch below tries the copy first
		other := newRoom(t, db)
		other.phase(record.PhaseDiagnostic)
		x := other.post(other.alice, record.KindFinding, "Ailleurs")
		r.phase(record.PhaseDiagnostic)
		a := r.post(r.bob, record.KindFinding, "Constat A")
		hook := &messageCounter{}
		db.AddQueryHook(hook)
		vote := func(cmds ...Command) []string {
			t.Helper()
			return codes(r.exec(cmds...))
		}
		v := func(who Actor, id int64, value int) Command {
			return r.cmd(who, "vote.set", map[string]any{"contribution": id, "value": value})
		}
		set := func(model any, column string, value any, id int64) {
			t.Helper()
			if _, err := db.NewUpdate().Model(model).Set(column+" = ?", value).Where("id = ?", id).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		fresh := func() { // a right copy of A and X (absent until it moves in)
			t.Helper()
			r.e.seen.forget(r.w.ID)
			if got := vote(v(r.mod, a, 1), v(r.mod, x, 1)); got[0] != "ok" {
				t.Fatalf("fresh copy: got %q", got)
			}
			hook.reset()
		}
		node2 := NewEngine(db, EngineOptions{Clock: r.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

		fresh()
		if res, err := node2.Execute(ctx, r.w.ID, []Command{r.cmd(r.mod, "contribution.hide", map[string]any{"id": a, "reason": "hors sujet"})}); err != nil || codes(res)[0] != "ok" {
			t.Fatalf("hide on another node: %v %v", err, res.Outcomes)
		}
		if got := vote(v(r.alice, a, 1)); got[0] != CodeNotFound {
			t.Errorf("an item hidden by another node: got %s, want not_found", got[0])
		}
		set((*record.Contribution)(nil), "status", record.StatusVisible, a)

		fresh()
		set((*record.Contribution)(nil), "status", record.StatusHidden, a) // outside the engine: no event, same last_seq
		if got := vote(v(r.alice, a, 1)); got[0] != CodeNotFound {
			t.Errorf("an item hidden outside the engine: got %s, want not_found", got[0])
		}
		set((*record.Contribution)(nil), "status", record.StatusVisible, a)

		fresh()
		set((*record.Contribution)(nil), "phase", record.PhaseRecommendations, a)
		if got := vote(v(r.alice, a, 1)); got[0] != CodePhaseClosed {
			t.Errorf("an item moved to another phase: got %s, want phase_closed", got[0])
		}
		set((*record.Contribution)(nil), "phase", record.PhaseDiagnostic, a)

		fresh()
		set((*record.Workshop)(nil), "phase", record.PhaseClosed, r.w.ID)
		if got := vote(v(r.alice, a, 1)); got[0] != CodePhaseClosed {
			t.Errorf("the workshop closed outside the engine: got %s, want phase_closed", got[0])
		}
		set((*record.Workshop)(nil), "phase", record.PhaseDiagnostic, r.w.ID)

		fresh()
		w, err := record.GetWorkshop(ctx, db, r.w.ID)
		if err != nil {
			t.Fatal(err)
		}
		st, err := view.ParseLiveState(w.State)
		if err != nil {
			t.Fatal(err)
		}
		st.VoteMethods = map[record.Phase]view.VoteSettings{record.PhaseDiagnostic: {Method: record.MethodAgree}}
		state, _ := json.Marshal(st)
		set((*record.Workshop)(nil), "state", string(state), r.w.ID)
		if got := vote(v(r.bob, a, 1)); got[0] != "ok" {
			t.Errorf("vote under a method set outside the engine: got %s", got[0])
		}
		var method record.VoteMethod
		if err := db.NewSelect().Model((*record.Vote)(nil)).Column("method").Where("contribution_id = ? AND participant_id = ?", a, r.bob.Participant).Scan(ctx, &method); err != nil || method != record.MethodAgree {
			t.Errorf("the vote's method: got %q (%v), want agree", method, err)
		}

		fresh()
		set((*record.Contribution)(nil), "workshop_id", r.w.ID, x) // an item out of reach comes in
		if got := vote(v(r.alice, a, 1), v(r.bob, x, 1)); !reflect.DeepEqual(got, []string{"ok", "ok"}) {
			t.Errorf("an item moved into the workshop: got %q, want both accepted", got)
		}

		// Nothing changed elsewhere: the copy serves (PostgreSQL: one message).
		fresh()
		if got := vote(v(r.alice, a, 0)); got[0] != "ok" {
			t.Errorf("vote: got %s", got[0])
		}
		if sent := hook.reset(); storage.IsPostgres(db) && len(sent) != 1 {
			t.Errorf("a batch on a right copy: got %d messages, want one", len(sent))
		}
		checkLog(t, r)
	})
}

// TestVotesWaitForTheLockThenReadWhatItsHolderCommitted: while another transaction holds the
// workshop, hides an item and records a command id, a batch of votes (that the engine could
// apply to its copy) waits, then sees both: the id's first outcome, the item hidden.
func TestVotesWaitForTheLockThenReadWhatItsHolderCommitted(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		db := r.db
		r.phase(record.PhaseDiagnostic)
		a := r.post(r.bob, record.KindFinding, "Constat A")
		r.ok(r.alice, "vote.set", map[string]any{"contribution": a, "value": 1}) // the copy knows A

		dup := r.cmd(r.bob, "vote.set", map[string]any{"contribution": a, "value": 1})
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		q := tx.NewSelect().Model((*record.Workshop)(nil)).Column("id").Where("id = ?", r.w.ID)
		if storage.IsPostgres(db) {
			q = q.For("UPDATE")
		}
		var id int64
		if err := q.Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		rec := &record.CommandRecord{WorkshopID: r.w.ID, CommandID: dup.ID, ParticipantID: r.bob.Participant,
			Fingerprint: fingerprint(dup.Name, dup.Args), Seq: 1, CreatedAt: r.clock.Now()}
		if _, err := tx.NewInsert().Model(rec).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.NewUpdate().Model((*record.Contribution)(nil)).Set("status = ?", record.StatusHidden).Where("id = ?", a).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan Result, 1)
		go func() {
			res, err := r.e.Execute(ctx, r.w.ID, []Command{dup, r.cmd(r.alice, "vote.set", map[string]any{"contribution": a, "value": 0})})
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
		select {
		case <-done:
			t.Fatal("the batch did not wait for the workshop")
		case <-time.After(150 * time.Millisecond):
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		res := <-done
		if got := codes(res); !reflect.DeepEqual(got, []string{"ok", CodeNotFound}) || res.Outcomes[0].Seq != 1 {
			t.Errorf("got %q (first seq %d), want the recorded outcome (seq 1) and not_found", got, res.Outcomes[0].Seq)
		}
		if got := r.count((*record.Vote)(nil), "contribution_id = ?", a); got != 1 {
			t.Errorf("votes on A: got %d, want alice's only", got)
		}
	})
}

// TestEnginesOfTwoNodesVoteTogether: two engines (two nodes) commit votes on one workshop at
// the same time; each copy keeps going stale. Nothing is lost, repeated or out of order.
func TestEnginesOfTwoNodesVoteTogether(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		db := r.db
		r.phase(record.PhaseDiagnostic)
		items := []int64{r.post(r.bob, record.KindFinding, "A"), r.post(r.bob, record.KindFinding, "B")}
		voters := []Actor{r.alice, r.bob, r.mod}
		node2 := NewEngine(db, EngineOptions{Clock: r.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		const rounds = 20
		var wg sync.WaitGroup
		var mu sync.Mutex
		last := map[[2]int64]int{}
		for n, e := range []*Engine{r.e, node2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					var cmds []Command
					for k, v := range voters {
						item := items[(i+k+n)%2]
						cmds = append(cmds, Command{ID: fmt.Sprintf("n%d-%d-%d", n, i, k), Name: "vote.set",
							Args: []byte(fmt.Sprintf(`{"contribution":%d,"value":%d}`, item, (i+n)%2)), Actor: v})
					}
					res, err := e.Execute(ctx, r.w.ID, cmds)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for k, o := range res.Outcomes {
						if o.Code != "" {
							t.Errorf("node %d round %d: %s refused %s", n, i, o.CommandID, o.Code)
						}
						var a struct{ Contribution, Value int64 }
						if err := json.Unmarshal(cmds[k].Args, &a); err != nil {
							t.Error(err)
						}
						key := [2]int64{a.Contribution, voters[k].Participant}
						if prev, ok := last[key]; !ok || prev>>1 < int(o.Seq) {
							last[key] = int(o.Seq)<<1 | int(a.Value)
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		checkLog(t, r)
		if got := r.count((*record.CommandRecord)(nil), "workshop_id = ? AND command_id LIKE 'n%'", r.w.ID); got != 2*rounds*len(voters) {
			t.Errorf("records: got %d, want %d", got, 2*rounds*len(voters))
		}
		// Each vote row is the one of the highest seq.
		want := 0
		for _, v := range last {
			want += v & 1
		}
		if got := r.count((*record.Vote)(nil), "workshop_id = ?", r.w.ID); got != want {
			t.Errorf("vote rows: got %d, want %d", got, want)
		}
	})
}

// TestVotesInOneRoundTrip: on PostgreSQL a batch of votes on known items is one message (the
// lock, the writes, COMMIT), also after a tally moved the log on.
func TestVotesInOneRoundTrip(t *testing.T) {
	db := storagetest.Open(t, "postgres")
	r := newRoom(t, db)
	r.phase(record.PhaseDiagnostic)
	a := r.post(r.bob, record.KindFinding, "Constat A")
	hook := &messageCounter{}
	db.AddQueryHook(hook)
	vote := func(who Actor, v int) Result {
		t.Helper()
		res := r.exec(r.cmd(who, "vote.set", map[string]any{"contribution": a, "value": v}),
			r.cmd(r.mod, "vote.set", map[string]any{"contribution": a, "value": v}))
		if got := codes(res); !reflect.DeepEqual(got, []string{"ok", "ok"}) {
			t.Fatalf("votes: got %q", got)
		}
		return res
	}
	res := vote(r.alice, 1) // learns A
	hook.reset()
	res = vote(r.bob, 1)
	if sent := hook.reset(); len(sent) != 1 || !strings.HasPrefix(sent[0], "BEGIN;") || !strings.HasSuffix(sent[0], "COMMIT") {
		t.Errorf("a batch of votes: got %d messages %.80q, want one", len(sent), sent)
	}
	r.flush(res)
	hook.reset()
	vote(r.alice, 0)
	if sent := hook.reset(); len(sent) != 1 {
		t.Errorf("after a tally: got %d messages, want one", len(sent))
	}
	checkLog(t, r)
}
