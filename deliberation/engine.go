// Package deliberation is the live engine of Assises: a command of a workshop session goes
// through the rules of its phase, becomes events committed in one transaction with the votes,
// contributions and groups it changed, and is acknowledged after the commit; tallies, snapshots,
// synthesis and the plenary are read from the same rows. The rows it reads and writes are
// in the package record; it knows nothing of HTTP or WebSockets.
package deliberation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
)

// ErrForbidden is returned by Engine.Actor when a participant may not join a workshop.
var ErrForbidden = errors.New("forbidden")

// Actor is who sends a command, as the engine sees them in one workshop. The hub gets it from
// Engine.Actor when a connection joins (and from Engine.Actors after an event that has
// ReloadViewers) and passes it back with every command: the engine trusts it.
type Actor struct {
	Participant int64
	Role        record.Role // the process-level role
	// Moderator: may moderate this workshop (a process organiser or moderator, a platform
	// organiser, or a moderator appointed in workshop_roles).
	Moderator bool
	Group     int64 // the break-out group of this workshop the person is in, 0 for none
	Language  string
}

// Command is one thing a client asks for.
type Command struct {
	ID    string // the client's UUID: resending it returns the first outcome
	Name  string
	Args  json.RawMessage
	Actor Actor
}

// Outcome is the answer to one command: accepted (Code "") with the sequence number of its
// last event, or refused with a stable code.
type Outcome struct {
	CommandID string
	Seq       int64
	Code      string
	Message   string // short English detail for logs and developers; never personal data
}

// Event is one entry of a workshop's log, for one audience (see the Audience* helpers).
type Event struct {
	Seq      int64
	Name     string
	Audience string
	Data     json.RawMessage
	At       time.Time
	// ReloadViewers asks the hub to refresh its viewers' Actors (Engine.Actors): the event
	// changed who belongs to which audience.
	ReloadViewers bool
}

// Result is what a batch of commands (or a follow-up) produced, after commit.
type Result struct {
	Outcomes []Outcome // one per command, in order
	Events   []Event   // in sequence order
	// Deferred are follow-up keys ("tally:<contributionID>") the hub coalesces and passes to
	// Flush a little later, so that a thousand votes make one tally event.
	Deferred []string
	// WakeAt, when not zero, is when the hub should call Flush with "tick" (a timer deadline).
	WakeAt time.Time
}

// Audiences of events.
const (
	AudienceAll        = "all"
	AudienceModerators = "moderators"
)

// AudienceGroup is the audience of one break-out group (moderators see it too: the hub's job).
func AudienceGroup(group int64) string { return fmt.Sprintf("group:%d", group) }

// AudiencePerson is the audience of one participant.
func AudiencePerson(participant int64) string { return fmt.Sprintf("person:%d", participant) }

// EngineOptions configure an Engine; the zero value is ready to use.
type EngineOptions struct {
	Clock  func() time.Time // the server's clock; time.Now when nil
	Logger *slog.Logger     // where database failures are reported; slog.Default() when nil
	// DueByLease: Open leaves the tallies due to the node holding the workshop's lease
	// (several nodes on one database): it reads them with DueKeys when it takes the lease,
	// so that two nodes opening one room do not both emit them.
	DueByLease bool
}

// Engine runs the live workshops: it checks commands against the rules and writes their
// events and projections in one transaction per batch. It holds no state of its own: the
// database is the truth, so any number of engines (nodes) may serve one workshop.
type Engine struct {
	db         *bun.DB
	journal    journal.Journal // where batches commit: one per database
	pg         bool
	clock      func() time.Time
	log        *slog.Logger
	seen       seenRows     // PostgreSQL: the rows the last batches read or wrote, checked before use (copy.go)
	keys       journal.Keys // the key of each workshop's current log epoch (journal/seal.go)
	dueByLease bool
}

// NewEngine returns an engine over db.
func NewEngine(db *bun.DB, opts EngineOptions) *Engine {
	e := &Engine{db: db, journal: journal.New(db), pg: storage.IsPostgres(db), clock: opts.Clock, log: opts.Logger,
		dueByLease: opts.DueByLease}
	if e.clock == nil {
		e.clock = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	return e
}

// now is the server time of a batch, in milliseconds: the precision of the wire and of both
// databases, so that what Execute returns equals what EventsAfter reads back.
func (e *Engine) now() time.Time { return e.clock().UTC().Truncate(time.Millisecond) }

// Open returns where a workshop's log stands (its last seq and its epoch, see LogEpoch) and
// when its timer wants a tick. The hub calls it when a room starts; it first emits the
// tallies that were due when the process that served the room last stopped (tally_pending),
// so that a client resuming by seq gets them (unless DueByLease).
func (e *Engine) Open(ctx context.Context, workshop int64) (lastSeq, epoch int64, wakeAt time.Time, err error) {
	if !e.dueByLease { // else the lease holder flushes them (hub.DueReader)
		if err := e.flushDue(ctx, workshop); err != nil {
			// The marks stay: the next vote on the item, or the next start, tallies it.
			e.log.Warn("deliberation: tallies due at start", "workshop", workshop, "err", err)
		}
	}
	w, err := record.GetWorkshop(ctx, e.db, workshop)
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	st, err := view.ParseLiveState(w.State)
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	if epoch, err = e.LogEpoch(ctx, workshop); err != nil {
		return 0, 0, time.Time{}, err
	}
	return w.LastSeq, epoch, st.WakeAt(), nil
}

// Execute applies a batch of commands in one transaction (group commit) and returns their
// outcomes and events once committed. If the batch fails in the database (not a refusal:
// those are outcomes), it is rolled back and each command is retried in a transaction of its
// own, so that one bad command does not sink the others. It returns an error (wrapping
// storage.ErrUnavailable) only when the database cannot be used at all or the connection broke
// under a command (see available); then nothing it did may be acknowledged (what did commit is
// recorded, and resending the same command ids returns it).
func (e *Engine) Execute(ctx context.Context, workshop int64, cmds []Command) (Result, error) {
	if len(cmds) == 0 {
		return Result{}, nil
	}
	res, err := e.runBatch(ctx, workshop, cmds, func(ctx context.Context, b *batch) error {
		for _, c := range cmds {
			if err := b.execute(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || errors.Is(err, record.ErrNotFound) {
		return res, err
	}
	if len(cmds) > 1 {
		e.log.Warn("deliberation: batch failed, retrying one command at a time",
			"workshop", workshop, "commands", len(cmds), "err", err)
	}
	var all Result
	for _, c := range cmds {
		one, err := e.runBatch(ctx, workshop, []Command{c}, func(ctx context.Context, b *batch) error { return b.execute(ctx, c) })
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, record.ErrNotFound) || !e.available(ctx, err) {
				return Result{}, fmt.Errorf("deliberation: execute: %w: %w", storage.ErrUnavailable, err)
			}
			e.log.Error("deliberation: command failed in the database",
				"workshop", workshop, "command", c.Name, "err", err)
			all.Outcomes = append(all.Outcomes, Outcome{CommandID: c.ID, Code: CodeInternal, Message: "the database refused this command"})
			continue
		}
		all.Outcomes = append(all.Outcomes, one.Outcomes...)
		all.Events = append(all.Events, one.Events...)
		all.Deferred = appendUnique(all.Deferred, one.Deferred...)
		all.WakeAt = one.WakeAt
	}
	return all, nil
}

// available tells a database that refused a statement (err is then the command's own: a
// constraint, a bug) from one that is down or whose connection broke under err. The ping alone
// cannot tell: after a restart of PostgreSQL the pool still holds dead connections, each failing
// once, while a ping on a fresh one succeeds.
func (e *Engine) available(ctx context.Context, err error) bool {
	if journal.ConnectionLost(err) {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return e.db.PingContext(ctx) == nil
}

// Flush runs coalesced follow-ups in one transaction: every "tally:<id>" key becomes one item
// of a single tally.updated event; "tick" marks an elapsed timer as expired. Unknown keys and
// ids of other workshops are ignored.
func (e *Engine) Flush(ctx context.Context, workshop int64, keys []string) (Result, error) {
	if len(keys) == 0 {
		return Result{}, nil
	}
	return e.runBatch(ctx, workshop, nil, func(ctx context.Context, b *batch) error { return b.flush(ctx, keys) })
}

// runBatch locks the workshop, runs fn, writes what it produced, commits, and only then
// returns the result. fn may run more than once: it must only act on the batch it is given.
// On PostgreSQL a batch of votes first tries the copy (copy.go), and the command records are
// read only when the journal says an id of the batch was used before.
func (e *Engine) runBatch(ctx context.Context, workshop int64, cmds []Command, fn func(ctx context.Context, b *batch) error) (Result, error) {
	readRecords := !e.pg
	if e.pg {
		var b *batch
		var ok bool
		if b, ok, readRecords = e.runOnCopy(ctx, workshop, cmds, fn); ok {
			return b.result(), nil
		}
	}
	for {
		b, err := e.runOnce(ctx, workshop, cmds, fn, readRecords)
		switch {
		case err == nil:
			if e.pg {
				e.seen.committed(b.w, b.read)
			}
			return b.result(), nil
		case !readRecords && errors.Is(err, journal.ErrCommandIDUsed):
			readRecords = true
		default:
			return Result{}, err
		}
	}
}

// runOnce runs one transaction of a batch.
func (e *Engine) runOnce(ctx context.Context, workshop int64, cmds []Command, fn func(ctx context.Context, b *batch) error, readRecords bool) (*batch, error) {
	b, err := e.begin(ctx, workshop, cmds, readRecords)
	if err != nil {
		return nil, err
	}
	defer b.jtx.Rollback() // after Commit it does nothing; before, it frees the workshop
	if err := fn(ctx, b); err != nil {
		return nil, err
	}
	if err := b.commit(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// EventsAfter returns up to limit events of a workshop with a sequence number above after, in
// order (all audiences: the hub filters per viewer).
func (e *Engine) EventsAfter(ctx context.Context, workshop, after int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	var rows []record.StoredEvent
	err := e.db.NewSelect().Model(&rows).
		Where("workshop_id = ? AND seq > ?", workshop, after).
		Order("seq").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: events after: %w", err)
	}
	if err := e.keys.Open(ctx, e.db, rows); err != nil {
		return nil, fmt.Errorf("store: events after: %w", err)
	}
	events := make([]Event, len(rows))
	for i, r := range rows {
		events[i] = Event{
			Seq: r.Seq, Name: r.Name, Audience: r.Audience, Data: json.RawMessage(r.Payload),
			At: r.CreatedAt.UTC(), ReloadViewers: reloadsViewers(r.Name),
		}
	}
	return events, nil
}

// reloadsViewers lists the events that change audiences (and so need Engine.Actors again).
func reloadsViewers(name string) bool { return name == "groups.changed" }

func appendUnique(list []string, keys ...string) []string {
	for _, k := range keys {
		dup := false
		for _, have := range list {
			if have == k {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, k)
		}
	}
	return list
}
