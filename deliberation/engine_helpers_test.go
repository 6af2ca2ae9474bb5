package deliberation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// testClock is a server clock the tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// warnCounter counts log records at Warn and above: a batch that had to be retried logs one.
type warnCounter struct{ n *atomic.Int64 }

func (h warnCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h warnCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.n.Add(1)
	}
	return nil
}
func (h warnCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h warnCounter) WithGroup(string) slog.Handler      { return h }

// Personal data of the fixture's people: no event or snapshot may ever contain them.
const (
	aliceEmail = "alice.secret@example.org"
	alicePhone = "+32470000001"
	bobEmail   = "bob.secret@example.org"
	bobPhone   = "+32470000002"
	modEmail   = "nadia.secret@example.org"
)

var roomSeq atomic.Int64

// room is a workshop with a moderator, two registered participants and an observer.
type room struct {
	t        *testing.T
	db       *bun.DB
	e        *Engine
	proc     *record.Process
	w        *record.Workshop
	clock    *testClock
	warnings *atomic.Int64

	mod, alice, bob, observer Actor
	n                         atomic.Int64 // command ids
}

// as makes the room's helpers report to t, a subtest, until the returned func gives them
// back to the test that made the room: a failing case fails under its own name.
func (r *room) as(t *testing.T) (restore func()) {
	parent := r.t
	r.t = t
	return func() { r.t = parent }
}

func newRoom(t *testing.T, db *bun.DB) *room {
	t.Helper()
	ctx := context.Background()
	n := roomSeq.Add(1)
	r := &room{t: t, db: db, clock: &testClock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}, warnings: new(atomic.Int64)}
	r.e = NewEngine(db, EngineOptions{Clock: r.clock.Now, Logger: slog.New(warnCounter{r.warnings})})
	r.proc = &record.Process{Slug: fmt.Sprintf("assises-%d", n), Title: "Assises", Capacity: 40, PerOrgCap: 2, InvitationRequired: true}
	if err := process.Create(ctx, db, r.proc); err != nil {
		t.Fatal(err)
	}
	r.w = &record.Workshop{ProcessID: r.proc.ID, Title: "Atelier 1", StartsAt: r.clock.Now(), EndsAt: r.clock.Now().Add(3 * time.Hour)}
	if err := process.CreateWorkshop(ctx, db, r.w); err != nil {
		t.Fatal(err)
	}
	r.mod = r.person(record.RoleModerator, "Nadia", "Syndicat des Locataires", modEmail, "", false)
	r.alice = r.person(record.RoleParticipant, "Alice Martin", "CPAS d'Anderlecht", aliceEmail, alicePhone, true)
	r.bob = r.person(record.RoleParticipant, "Bob", "Stics asbl", bobEmail, bobPhone, false)
	r.observer = r.person(record.RoleObserver, "Olga", "Parlement", "", "", false)
	return r
}

// person creates a participant of the room's process, registers them and returns their actor.
func (r *room) person(role record.Role, name, org, email, phone string, serviceUser bool) Actor {
	r.t.Helper()
	ctx := context.Background()
	np := people.NewParticipant{ProcessID: &r.proc.ID, Role: role, Organisation: org,
		Person: people.Person{DisplayName: name, ServiceUser: serviceUser}}
	if email != "" {
		np.Person.Email = &email
	}
	if phone != "" {
		np.Person.Phone = &phone
	}
	p, err := people.CreateParticipant(ctx, r.db, np)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := people.AddRegistration(ctx, r.db, r.w, p.ID, record.RegistrationConfirmed); err != nil {
		r.t.Fatal(err)
	}
	a, err := r.e.Actor(ctx, r.w.ID, p.ID)
	if err != nil {
		r.t.Fatalf("actor %s: %v", name, err)
	}
	return a
}

// cmd builds a command with a fresh id; args may be any JSON-encodable value or raw JSON.
func (r *room) cmd(a Actor, name string, args any) Command {
	var raw json.RawMessage
	switch v := args.(type) {
	case nil:
	case json.RawMessage:
		raw = v
	case string:
		raw = json.RawMessage(v)
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			r.t.Fatal(err)
		}
	}
	return Command{ID: fmt.Sprintf("cmd-%d", r.n.Add(1)), Name: name, Args: raw, Actor: a}
}

func (r *room) exec(cmds ...Command) Result {
	r.t.Helper()
	res, err := r.e.Execute(context.Background(), r.w.ID, cmds)
	if err != nil {
		r.t.Fatalf("execute: %v", err)
	}
	if len(res.Outcomes) != len(cmds) {
		r.t.Fatalf("got %d outcomes, want %d", len(res.Outcomes), len(cmds))
	}
	return res
}

// do sends one command and returns its outcome and result.
func (r *room) do(a Actor, name string, args any) (Outcome, Result) {
	r.t.Helper()
	res := r.exec(r.cmd(a, name, args))
	return res.Outcomes[0], res
}

// ok sends one command that must be accepted.
func (r *room) ok(a Actor, name string, args any) Result {
	r.t.Helper()
	out, res := r.do(a, name, args)
	if out.Code != "" {
		r.t.Fatalf("%s: got refusal %s (%s), want accepted", name, out.Code, out.Message)
	}
	return res
}

// refused sends one command that must be refused with code, emitting nothing.
func (r *room) refused(a Actor, name string, args any, code string) {
	r.t.Helper()
	out, res := r.do(a, name, args)
	if out.Code != code {
		r.t.Fatalf("%s %v: got code %q (%s), want %q", name, args, out.Code, out.Message, code)
	}
	if len(res.Events) != 0 || len(res.Deferred) != 0 {
		r.t.Fatalf("%s refused: got %d events and %v deferred, want none", name, len(res.Events), res.Deferred)
	}
}

func (r *room) phase(p record.Phase) {
	r.t.Helper()
	r.ok(r.mod, "phase.set", map[string]any{"phase": p})
}

// post posts a contribution and returns its id.
func (r *room) post(a Actor, kind record.Kind, body string, extra ...map[string]any) int64 {
	r.t.Helper()
	args := map[string]any{"kind": kind, "body": body}
	for _, m := range extra {
		for k, v := range m {
			args[k] = v
		}
	}
	res := r.ok(a, "contribution.post", args)
	return int64(data(r.t, res.Events[0])["id"].(float64))
}

// flush runs the result's follow-ups and returns their events.
func (r *room) flush(res Result) []Event {
	r.t.Helper()
	out, err := r.e.Flush(context.Background(), r.w.ID, res.Deferred)
	if err != nil {
		r.t.Fatalf("flush: %v", err)
	}
	return out.Events
}

func (r *room) contribution(id int64) *record.Contribution {
	r.t.Helper()
	c := new(record.Contribution)
	if err := r.db.NewSelect().Model(c).Where("id = ?", id).Scan(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *room) count(model any, where string, args ...any) int {
	r.t.Helper()
	n, err := r.db.NewSelect().Model(model).Where(where, args...).Count(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return int(n)
}

func data(t *testing.T, ev Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		t.Fatalf("event %s: %v", ev.Name, err)
	}
	return m
}

// named returns the events of a name, in order.
func named(events []Event, name string) []Event {
	var out []Event
	for _, ev := range events {
		if ev.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

// audiences lists "name→audience" for compact comparisons.
func audiences(events []Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Name + "→" + ev.Audience
	}
	return out
}

func (r *room) snapshot(viewer Actor) (int64, view.SnapshotState) {
	r.t.Helper()
	seq, raw, err := r.e.Snapshot(context.Background(), r.w.ID, viewer)
	if err != nil {
		r.t.Fatalf("snapshot: %v", err)
	}
	var s view.SnapshotState
	if err := json.Unmarshal(raw, &s); err != nil {
		r.t.Fatalf("snapshot JSON: %v", err)
	}
	return seq, s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var jsonUnmarshal = json.Unmarshal

// eachRoom runs test on each database (storagetest.EachDB) with a fresh room.
func eachRoom(t *testing.T, test func(t *testing.T, r *room)) {
	t.Helper()
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) { test(t, newRoom(t, db)) })
}

// diagnosticByDots opens the diagnostic phase voting by dots: budget dots a person, at most
// maxPerItem on one item.
func (r *room) diagnosticByDots(budget, maxPerItem int) {
	r.t.Helper()
	r.phase(record.PhaseDiagnostic)
	r.ok(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodDots, "budget": budget, "maxPerItem": maxPerItem})
}
