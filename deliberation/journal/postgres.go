package journal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Postgres is the journal on PostgreSQL: the engine's own transaction on one connection of
// the pool, its statements grouped in as few messages as the rules allow (see the package
// comment). Through database/sql a batch of votes cost six round trips (BEGIN, the lock, the
// records, the contributions, the writes, COMMIT), each a wake-up of the server and of the
// engine.
type Postgres struct{ db *bun.DB }

var _ Journal = (*Postgres)(nil)

// pgConn is a connection of the pool inside a transaction the journal began itself.
type pgConn struct{ bun.Conn }

func (pgConn) BeginTx(context.Context, *sql.TxOptions) (bun.Tx, error) {
	return bun.Tx{}, ErrNestedTx
}

func (pgConn) RunInTx(context.Context, *sql.TxOptions, func(context.Context, bun.Tx) error) error {
	return ErrNestedTx
}

type pgTx struct {
	db       *bun.DB
	conn     pgConn
	workshop int64
	later    bool // BEGIN and the lock not sent yet: they go with Commit
	done     bool
}

// Begin sends BEGIN, the lock and open.Read in one message. A connection of the pool that the
// driver finds closed before anything was sent (driver.ErrBadConn) is replaced, as database/sql
// does for BEGIN; any other failure is the caller's to classify.
func (j *Postgres) Begin(ctx context.Context, open Opening) (Tx, error) {
	for stale := 0; ; stale++ {
		t, err := j.begin(ctx, open)
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, driver.ErrBadConn) || stale == 2 || ctx.Err() != nil {
			return nil, err
		}
	}
}

func (j *Postgres) begin(ctx context.Context, open Opening) (*pgTx, error) {
	conn, err := j.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("journal: connection: %w", err)
	}
	t := &pgTx{db: j.db, conn: pgConn{conn}, workshop: open.Workshop, later: open.Later}
	if open.Later {
		return t, nil
	}
	q := make([]byte, 0, 2048)
	q = append(q, "BEGIN;\n"...)
	if !open.ReadLocks {
		// A DO block, because pgdriver reads one result set per message.
		q = append(q, "DO $$BEGIN PERFORM FROM workshops WHERE id = "...)
		q = strconv.AppendInt(q, open.Workshop, 10)
		q = append(q, " FOR UPDATE; END$$;\n"...)
	}
	if open.Read == nil {
		q = append(q, "SELECT 1"...)
	} else if q, err = open.Read.AppendQuery(j.db.QueryGen(), q); err != nil {
		t.abort()
		return nil, fmt.Errorf("journal: first read: %w", err)
	}
	rows, err := conn.QueryContext(ctx, string(q))
	if err == nil && open.Scan != nil {
		err = open.Scan(ctx, rows)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	} else if err == nil {
		err = rows.Close()
	}
	if err != nil {
		t.abort()
		return nil, fmt.Errorf("journal: begin: %w", err)
	}
	return t, nil
}

func (t *pgTx) DB() bun.IDB {
	if t.later {
		return nil
	}
	return t.conn
}

func (t *pgTx) Write(ctx context.Context, w *Writes) error {
	if t.later {
		return ErrStale // nothing may be sent before the lock: the batch must read nothing
	}
	q, err := pgStatement(t.db, w, nil)
	if err != nil || len(q) == 0 {
		return err
	}
	if _, err := t.conn.ExecContext(ctx, string(q)); err != nil {
		return classify(fmt.Errorf("journal: write batch: %w", err))
	}
	return nil
}

func (t *pgTx) Commit(ctx context.Context, w *Writes) error {
	q := make([]byte, 0, 4096)
	if t.later {
		q = append(q, "BEGIN;\nSELECT FROM workshops WHERE id = "...)
		q = strconv.AppendInt(q, t.workshop, 10)
		q = append(q, " FOR UPDATE;\n"...)
	}
	n := len(q)
	q, err := pgStatement(t.db, w, q)
	if err != nil {
		t.Rollback()
		return err
	}
	if len(q) > n {
		q = append(q, ";\n"...)
	}
	q = append(q, "COMMIT"...)
	if t.later {
		err = commitLocked(ctx, t.conn, string(q))
	} else {
		_, err = t.conn.ExecContext(ctx, string(q))
	}
	if err != nil {
		t.Rollback()
		return classify(fmt.Errorf("journal: commit: %w", err))
	}
	t.done = true
	t.conn.Close()
	return nil
}

// commitLocked runs a message whose one statement returning rows is the lock of the workshop's
// row: no row means the workshop is gone. An error anywhere in the message (COMMIT included)
// is returned.
func commitLocked(ctx context.Context, conn pgConn, q string) error {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != 1 {
		return ErrNotFound
	}
	return nil
}

func (t *pgTx) Rollback() {
	if t.done {
		return
	}
	t.abort()
}

// abort ends the transaction and gives the connection back. A connection that cannot even
// roll back is in an unknown state: it is closed instead of going back to the pool.
func (t *pgTx) abort() {
	t.done = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := t.conn.Conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		_ = t.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	t.conn.Close()
}

// classify recognises the failures the engine acts on: a command id used before (the primary
// key of commands) and a check that did not hold (staleMarker).
func classify(err error) error {
	var pe pgdriver.Error
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.Field('C') == "23505" && pe.Field('n') == "commands_pkey":
		return fmt.Errorf("%w: %w", ErrCommandIDUsed, err)
	case pe.Field('C') == "22P02" && strings.Contains(pe.Field('M'), staleMarker):
		return fmt.Errorf("%w: %w", ErrStale, err)
	}
	return err
}

// staleMarker starts the text that a failed check makes PostgreSQL fail to read as an integer.
const staleMarker = "assises: stale copy"

// pgStatement appends the writes of w to q as one statement, the others running as its
// data-modifying WITH clauses: one parse, plan and executor start instead of one each. Such
// clauses all see the snapshot the statement started with, not each other's rows: the writes
// of a batch touch distinct rows and none reads what another writes, so that is the same;
// foreign keys are checked at the end of the statement, once all rows are in.
func pgStatement(db *bun.DB, w *Writes, q []byte) ([]byte, error) {
	if w.empty() {
		return q, nil
	}
	s := script{gen: db.QueryGen()}
	if len(w.Commands) > 0 {
		s.add(insertCommands(db, w.Commands), "record commands")
	}
	if len(w.Votes) > 0 {
		s.add(upsertVotes(db, w.Votes), "set votes")
	}
	if len(w.Gone) > 0 {
		s.add(deleteVotes(db, w.Gone), "delete votes")
	}
	if len(w.Events) > 0 {
		s.add(insertEvents(db, w.Events), "append events")
	}
	if len(w.Tallied) > 0 {
		s.add(db.NewRaw("DELETE FROM tally_pending WHERE workshop_id = ? AND contribution_id = ANY(?::bigint[]) AND seq <= ?",
			w.Workshop, int64Array(w.Tallied), w.TalliedUpTo), "clear tallies due")
	}
	if len(w.Due) > 0 {
		s.add(markDue(db, w), "mark tallies due")
	}
	if w.Row != nil {
		u := db.NewUpdate().Table("workshops").
			Set("last_seq = ?", w.Row.LastSeq).Set("phase = ?", w.Row.Phase).Set("state = ?", w.Row.State).
			Where("id = ?", w.Workshop)
		if w.Row.Check != "" {
			u = u.Where("CASE WHEN " + w.Row.Check + " THEN true ELSE ('" + staleMarker + " ' || last_seq)::integer = 0 END")
		}
		s.add(u, "update workshop")
	}
	if s.err != nil {
		return q, s.err
	}
	for i, p := range s.parts[:len(s.parts)-1] {
		if i == 0 {
			q = append(q, "WITH "...)
		} else {
			q = append(q, ",\n"...)
		}
		q = append(q, 'w')
		q = strconv.AppendInt(q, int64(i), 10)
		q = append(q, " AS (\n"...)
		q = append(q, p...)
		q = append(q, "\n)"...)
	}
	if len(s.parts) > 1 {
		q = append(q, '\n')
	}
	return append(q, s.parts[len(s.parts)-1]...), nil
}
