// Package journal is the event log of the live engine. It commits the engine's batches: for
// one workshop, the command records, the events of its log, the vote rows, the tallies due and
// the workshop's row, in one transaction. There is one Journal per database (SQLite,
// PostgreSQL) behind one interface; the engine decides what to write, the journal how. It also
// keeps what makes the log erasable: the payloads that may name someone are sealed with a key
// of the workshop's log epoch (seal.go), and a reset draws new epochs and deletes the events
// with their keys (epoch.go).
//
// The rules, written once:
//
//   - A batch is one transaction, begun by Begin, which locks the workshop's row before
//     anything else is read: batches of one workshop run one after the other, whatever the
//     node, which keeps sequence numbers gapless. SQLite transactions are IMMEDIATE
//     (storage.Open), so the writer lock is held from BEGIN; PostgreSQL locks the row
//     (FOR UPDATE), and the first read of the batch is a statement after the lock, so it sees
//     what the previous holder committed.
//   - The transaction belongs to the goroutine that called Begin until Commit or Rollback; a
//     Tx is not shared. Its DB is for the reads of the rules; nothing in a batch may open a
//     transaction of its own (on PostgreSQL it gets ErrNestedTx instead of a nested BEGIN
//     whose COMMIT would end the batch early).
//   - Nothing is acknowledged before Commit returns nil. When Commit fails, the batch
//     committed nothing; the engine may run it again from the start, never resume it.
//   - Every call takes its ctx; the journal keeps none.
//   - On PostgreSQL a batch runs on one connection of the pool in the simple query protocol,
//     so several statements go in one message: BEGIN, the lock and the first read in one
//     round trip, the writes and COMMIT in another (or all of it in one, with Opening.Later).
//     The writes of a commit are one statement, the others being its data-modifying WITH
//     clauses, and each table's rows go as arrays (INSERT … SELECT FROM unnest), not as one
//     literal per column and row. SQLite gets bun's multi-row statements one after the other.
//   - A command id used before makes the INSERT of the batch's records fail on PostgreSQL
//     (ErrCommandIDUsed): the engine does not read the records first there, and runs the
//     batch again reading them when that happens.
package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/schema"
)

// Journal commits the batches of the engine on one database.
type Journal interface {
	// Begin begins a batch: a transaction with the workshop's row locked, then open.Read.
	Begin(ctx context.Context, open Opening) (Tx, error)
}

// Tx is the transaction of one batch.
type Tx interface {
	// DB is the transaction, for the reads of the rules. It is nil for a batch begun with
	// Opening.Later, which may read nothing.
	DB() bun.IDB
	// Write sends w now, inside the transaction (votes that a rule is about to read).
	Write(ctx context.Context, w *Writes) error
	// Commit sends w and commits. After an error nothing of the batch is committed.
	Commit(ctx context.Context, w *Writes) error
	// Rollback ends a transaction that will not commit; after Commit it does nothing.
	Rollback()
}

// Opening is how a batch begins.
type Opening struct {
	Workshop int64
	// Read is the first read of the batch, run once the row is locked (in the same round trip
	// on PostgreSQL), and Scan gets its rows. Nil reads nothing.
	Read schema.QueryAppender
	Scan func(ctx context.Context, rows *sql.Rows) error
	// ReadLocks says that Read locks the workshop's row itself (SELECT … FOR UPDATE, which
	// returns the row as it stands once locked), so no separate lock is taken.
	ReadLocks bool
	// Later sends BEGIN and the lock with the writes of Commit, all in one round trip. The
	// batch may then read nothing (DB is nil); what it assumed about the database is checked
	// by Workshop.Check. Commit returns ErrNotFound when the workshop is gone.
	Later bool
}

// Errors of a batch.
var (
	ErrNotFound      = errors.New("journal: no such workshop")
	ErrCommandIDUsed = errors.New("journal: a command id of the batch was used before")
	ErrStale         = errors.New("journal: the workshop is not as the batch assumed")
	ErrNestedTx      = errors.New("journal: a batch cannot open a transaction of its own")
)

// Writes is what a batch writes: the rows of each table, written in this order.
type Writes struct {
	Workshop int64
	Commands []Command
	Votes    []Vote    // upserts; keys distinct, and distinct from Gone
	Gone     []VoteKey // votes deleted
	Events   []Event
	// Due are contributions whose tally changed and is not in the log yet (tally_pending):
	// written with the votes, they survive a crash, and the next start tallies them.
	Due []int64
	// Tallied are contributions whose tally this batch emits: their marks up to TalliedUpTo
	// (a sequence number the tally read saw) go.
	Tallied     []int64
	TalliedUpTo int64
	Row         *WorkshopRow // nil: the workshop's row is unchanged
}

func (w *Writes) empty() bool {
	return len(w.Commands) == 0 && len(w.Votes) == 0 && len(w.Gone) == 0 && len(w.Events) == 0 &&
		len(w.Due) == 0 && len(w.Tallied) == 0 && w.Row == nil
}

// WorkshopRow is what a batch changes in the workshop's row.
type WorkshopRow struct {
	LastSeq int64
	Phase   string
	State   string
	// Check, when set, is an SQL condition on the row (PostgreSQL) that the UPDATE requires:
	// if it does not hold, the whole batch fails with ErrStale. It must be built from numbers,
	// hex digests and known names only.
	Check string
}

// Event is an entry of a workshop's log.
type Event struct {
	bun.BaseModel `bun:"table:events"`

	WorkshopID int64 `bun:",pk"`
	Seq        int64 `bun:",pk"`
	Name       string
	Audience   string
	Payload    string
	CreatedAt  time.Time
}

// Command remembers the outcome of a command id, so that a resent command returns its first
// outcome and never applies twice.
type Command struct {
	bun.BaseModel `bun:"table:commands"`

	WorkshopID    int64  `bun:",pk"`
	CommandID     string `bun:",pk"`
	ParticipantID int64
	Fingerprint   string // a hash of the command's name and arguments
	Seq           int64  // the sequence number of its last event, when it was accepted
	Code          string // the refusal code, when it was refused
	CreatedAt     time.Time
}

// Vote is a vote row as written.
type Vote struct {
	bun.BaseModel `bun:"table:votes"`

	ContributionID int64 `bun:",pk"`
	ParticipantID  int64 `bun:",pk"`
	WorkshopID     int64
	Method         string
	Value          int
	UpdatedAt      time.Time
}

// VoteKey names one person's vote on one contribution.
type VoteKey struct{ Contribution, Participant int64 }

// New returns the journal of db's database.
func New(db *bun.DB) Journal {
	if db.Dialect().Name() == dialect.PG {
		return &Postgres{db: db}
	}
	return &SQLite{db: db}
}

// script is formatted statements, to be sent in one message (both journals).
type script struct {
	gen   schema.QueryGen
	parts [][]byte
	err   error
}

func (s *script) add(q schema.QueryAppender, what string) {
	if s.err != nil {
		return
	}
	b, err := q.AppendQuery(s.gen, nil)
	if err != nil {
		s.err = fmt.Errorf("journal: %s: %w", what, err)
		return
	}
	s.parts = append(s.parts, b)
}

func (s *script) join(sep string) []byte {
	n := 0
	for _, p := range s.parts {
		n += len(p) + len(sep)
	}
	q := make([]byte, 0, n)
	for i, p := range s.parts {
		if i > 0 {
			q = append(q, sep...)
		}
		q = append(q, p...)
	}
	return q
}
