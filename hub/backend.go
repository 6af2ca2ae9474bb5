package hub

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrForbidden is wrapped by Backend.Viewer when a participant may not join a workshop.
var ErrForbidden = errors.New("hub: forbidden")

// Event is one committed entry of a workshop's log.
type Event struct {
	Seq      int64
	Name     string
	Audience Audience
	Data     json.RawMessage
	At       time.Time
	// ReloadViewers says memberships (groups, roles) changed: the room refreshes its
	// viewers (Backend.Viewers) before fanning out later events.
	ReloadViewers bool

	// head is the event's frame encoded up to its serverTime, made once by the room when it
	// fans the event out and kept with it in the ring: a replay to ten thousand returning
	// connections then copies it instead of encoding it for each (frames.go).
	head []byte
}

// Command is a change a participant asks for. ID is the client's UUID, which makes
// retries idempotent: the Backend returns the first outcome for a known ID.
type Command struct {
	ID   string
	Name string
	Args json.RawMessage
	By   Viewer
}

// Outcome is the fate of one command.
type Outcome struct {
	CommandID string
	Seq       int64  // the seq the client may wait for (last event of the command)
	Code      string // "" = accepted; otherwise a stable, translatable refusal code
	Message   string // optional detail; the translated message comes from Config.Translate
}

// Result is what one commit produced.
type Result struct {
	Outcomes []Outcome // one per command, same order
	Events   []Event   // committed, ascending seq
	Deferred []string  // coalescing keys ("tally:42") to pass to Flush later
	WakeAt   time.Time // zero = no request; else call Flush(ctx, ws, []string{"tick"}) then
}

// Backend is the domain seen from the hub: persistence and rules. Every method may be
// called concurrently for different workshops; for one workshop, Execute and Flush are
// never called concurrently by one hub (the committer serialises them).
type Backend interface {
	// Open prepares a room: the last committed seq, the log's epoch (a non-zero number that
	// changes whenever the log's history is rewritten: an erasure, a restore) and an
	// optional wake-up time.
	Open(ctx context.Context, workshop int64) (lastSeq, epoch int64, wakeAt time.Time, err error)
	// Viewer says who a participant is in a workshop; an error wrapping ErrForbidden
	// means they may not join.
	Viewer(ctx context.Context, workshop, participant int64) (Viewer, error)
	// Viewers returns the current viewer of every participant with a membership in the
	// workshop (called after an event with ReloadViewers).
	Viewers(ctx context.Context, workshop int64) (map[int64]Viewer, error)
	// Execute applies commands in ONE transaction and returns after commit. An error
	// means nothing was committed.
	Execute(ctx context.Context, workshop int64, cmds []Command) (Result, error)
	// Flush runs coalesced follow-ups (the Deferred keys collected since the last
	// flush, or "tick") as one commit.
	Flush(ctx context.Context, workshop int64, keys []string) (Result, error)
	// EventsAfter reads the log: events with seq > after, ascending, at most limit, all
	// audiences (the hub filters).
	EventsAfter(ctx context.Context, workshop, after int64, limit int) ([]Event, error)
	// Snapshot returns the state as this viewer may see it, consistent with seq (the
	// last event included in it).
	Snapshot(ctx context.Context, workshop int64, v Viewer) (seq int64, state json.RawMessage, err error)
}

// FlushPreparer is a Backend whose Flush can do its slow reads first, without holding up
// the workshop's commits: a tally aggregates every vote on its items, which in a room of
// thousands takes milliseconds that every vote committed after it would wait.
//
// The hub calls PrepareFlush for a set of keys while Execute goes on committing other
// batches of the same workshop (never two preparations of one workshop at once), then runs
// the PreparedFlush it returned, serialised like Flush. What it commits may describe the
// state as PrepareFlush read it, slightly older than the commit: the commits made in
// between return their keys again in Deferred, and the next flush includes them. The
// PreparedFlush must redo in its transaction whatever the preparation cannot vouch for.
// When PrepareFlush fails, the hub calls Flush with the keys instead.
type FlushPreparer interface {
	PrepareFlush(ctx context.Context, workshop int64, keys []string) (PreparedFlush, error)
}

// PreparedFlush commits a flush whose reads were done beforehand (FlushPreparer).
type PreparedFlush func(ctx context.Context) (Result, error)

// DueReader is a Backend that keeps the follow-ups it returns in Deferred durably due until
// a Flush covers them, and can list them. With a TickLease, only the lease holder flushes
// them: a node that does not hold the lease drops the keys of its commits and cues the
// holder (CueDue), which reads them here. A Backend without it is flushed by every node,
// each for its own commits.
type DueReader interface {
	DueKeys(ctx context.Context, workshop int64) ([]string, error)
}

// EpochReader is a Backend that can say a workshop's current log epoch alone. When the bus
// may have lost cues (CueLost), a room asks it: a lost CueReset would otherwise leave the
// room serving a history that was rewritten (an erasure) on another node.
type EpochReader interface {
	LogEpoch(ctx context.Context, workshop int64) (int64, error)
}
