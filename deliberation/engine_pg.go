package deliberation

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// A batch on PostgreSQL in two round trips (one for most batches of votes: engine_pgfast.go).
// Through database/sql, a batch of votes cost six: BEGIN, the lock of the workshop row, the
// command records, the contributions voted on, the writes, COMMIT; each one a wake-up of the
// server and of the engine, which on a busy machine costs more than the statements. pgdriver
// speaks the simple query protocol, where one message may hold several statements, so the
// engine runs its own transaction on one connection of the pool:
//
//  1. BEGIN; the lock; one SELECT of the workshop row and of the contributions voted on.
//     The lock is a DO block (PERFORM … FOR UPDATE) because pgdriver reads one result set per
//     message. The SELECT is a statement of its own, so (READ COMMITTED) it takes its snapshot
//     after the lock was granted and sees everything the previous holder committed: reading in
//     the locking statement itself would not. With no contribution to read, the SELECT … FOR
//     UPDATE of the workshop row alone does both (it returns the row as it stands once locked).
//  2. The writes (one statement, writeSet.script) and COMMIT.
//
// Rules that read or write in between (any command other than a vote, a dots budget) use the
// same connection, inside the transaction.
//
// Idempotency is optimistic: the command records are not read first. A command id used before
// makes the INSERT of the batch's records fail on their primary key, so nothing is committed;
// the batch is then run again, this time reading the records (same id: its first outcome;
// other command: id_reused). Resent ids are rare (a client resends what it sent before a
// reconnect), so most batches save the read.

// pgConn is a connection of the pool inside a transaction the engine began itself. A store
// function that wants a transaction of its own gets an error instead of a nested BEGIN (which
// PostgreSQL would ignore, and whose COMMIT would end the batch's transaction early).
type pgConn struct{ bun.Conn }

var errNestedTx = errors.New("deliberation: a batch cannot open a transaction of its own")

func (pgConn) BeginTx(context.Context, *sql.TxOptions) (bun.Tx, error) {
	return bun.Tx{}, errNestedTx
}

func (pgConn) RunInTx(context.Context, *sql.TxOptions, func(context.Context, bun.Tx) error) error {
	return errNestedTx
}

// errStaleConn marks a connection of the pool that the driver found closed before the batch
// began (driver.ErrBadConn): the batch is tried on another one, as database/sql does for BEGIN.
// Other failures (a connection the server ended, say) are left to Execute to classify.
var errStaleConn = errors.New("deliberation: connection closed before the batch began")

// runBatchPG is runBatch on PostgreSQL.
func (e *Engine) runBatchPG(ctx context.Context, workshop int64, cmds []Command, fn func(b *batch) error) (Result, error) {
	b, ok, readRecords := e.runFast(ctx, workshop, cmds, fn)
	if ok {
		return b.result(), nil
	}
	stale := 0
	for {
		b, err := e.runPG(ctx, workshop, cmds, fn, readRecords)
		switch {
		case err == nil:
			e.seen.committed(b.w, b.read)
			return b.result(), nil
		case !readRecords && isCommandIDConflict(err):
			readRecords = true
		case errors.Is(err, errStaleConn) && stale < 2 && ctx.Err() == nil:
			stale++
		default:
			return Result{}, err
		}
	}
}

// isCommandIDConflict recognises the INSERT of a command record whose id is already taken.
func isCommandIDConflict(err error) bool {
	var pe pgdriver.Error
	return errors.As(err, &pe) && pe.Field('C') == "23505" && pe.Field('n') == "commands_pkey"
}

// runPG runs one transaction of a batch (see the top of this file).
func (e *Engine) runPG(ctx context.Context, workshop int64, cmds []Command, fn func(b *batch) error, readRecords bool) (*batch, error) {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			abortPG(conn)
		}
		conn.Close()
	}()
	b, err := e.beginPG(ctx, pgConn{conn}, workshop, cmds, readRecords)
	if err != nil {
		return nil, err
	}
	if err := fn(b); err != nil {
		return nil, err
	}
	w, err := b.writes()
	if err != nil {
		return nil, err
	}
	q := w.script(true)
	if len(q) > 0 {
		q = append(q, ";\n"...)
	}
	q = append(q, "COMMIT"...)
	if _, err := conn.ExecContext(ctx, string(q)); err != nil {
		return nil, fmt.Errorf("store: write batch: %w", err)
	}
	done = true
	return b, nil
}

// abortPG ends the transaction of a batch that failed. A connection that cannot even roll
// back is in an unknown state: it is closed instead of going back to the pool.
func abortPG(conn bun.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.Conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// lockedRow is a row of the first message: the workshop, and one contribution voted on (all
// NULL, so ID 0, when there is none).
type lockedRow struct {
	W     Workshop     `bun:"embed:w__"`
	C     Contribution `bun:"embed:c__"`
	CXmin string       `bun:"c_xmin"` // the contribution's row version (engine_pgfast.go)
}

var lockedColumns struct {
	once sync.Once
	expr string
}

// lockedSelectColumns lists the columns of lockedRow, from the models (so a column added to
// them is read too).
func lockedSelectColumns(db *bun.DB) string {
	lockedColumns.once.Do(func() {
		var cols []string
		for _, t := range []struct {
			alias string
			typ   reflect.Type
		}{{"w", reflect.TypeFor[Workshop]()}, {"c", reflect.TypeFor[Contribution]()}} {
			for _, f := range db.Table(t.typ).Fields {
				cols = append(cols, fmt.Sprintf("%s.%s AS %s__%s", t.alias, f.SQLName, t.alias, f.Name))
			}
		}
		cols = append(cols, "c.xmin::text AS c_xmin")
		lockedColumns.expr = strings.Join(cols, ", ")
	})
	return lockedColumns.expr
}

// beginPG sends BEGIN, locks the workshop row and reads it with the contributions the votes of
// the batch are about, in one round trip; then, when asked, the command records.
func (e *Engine) beginPG(ctx context.Context, conn pgConn, workshop int64, cmds []Command, readRecords bool) (*batch, error) {
	b := e.newBatch(ctx, conn)
	targets := voteTargetIDs(cmds)
	q := make([]byte, 0, 2048)
	q = append(q, "BEGIN"...) // appendStatement adds the semicolon
	sel := conn.NewSelect().ColumnExpr(lockedSelectColumns(e.db)).TableExpr("workshops AS w").Where("w.id = ?", workshop)
	if len(targets) > 0 {
		q = append(q, ";\nDO $$BEGIN PERFORM FROM workshops WHERE id = "...)
		q = strconv.AppendInt(q, workshop, 10)
		q = append(q, " FOR UPDATE; END$$"...)
		sel = sel.Join("LEFT JOIN contributions AS c ON c.workshop_id = w.id AND c.id = ANY(?::bigint[])", pgdialect.Array(targets))
	} else {
		// Nothing else to read: the row locked is the row read, as it stands once locked.
		sel = sel.Join("LEFT JOIN contributions AS c ON false").For("UPDATE OF w")
	}
	q, err := appendStatement(q, sel)
	if err != nil {
		return nil, fmt.Errorf("store: lock workshop: %w", err)
	}
	var found []lockedRow
	rows, err := conn.QueryContext(ctx, string(q))
	if errors.Is(err, driver.ErrBadConn) {
		err = fmt.Errorf("%w: %w", errStaleConn, err)
	}
	if err == nil {
		err = e.db.ScanRows(ctx, rows, &found)
	}
	if err != nil {
		return nil, fmt.Errorf("store: lock workshop: %w", err)
	}
	if len(found) == 0 {
		return nil, notFound("lock workshop", sql.ErrNoRows)
	}
	b.w = found[0].W
	if err := b.parseState(); err != nil {
		return nil, err
	}
	if len(targets) > 0 {
		cs := make([]Contribution, 0, len(found))
		b.read = make([]seenRead, 0, len(targets))
		for _, r := range found {
			if r.C.ID == 0 {
				continue
			}
			cs = append(cs, r.C)
			if isDigits(r.CXmin) {
				b.read = append(b.read, seenRead{id: r.C.ID, seenTarget: seenTarget{c: r.C, xmin: r.CXmin}})
			}
		}
		b.setVoteTargets(targets, cs)
		for id, c := range b.voteTargets {
			if c == nil {
				b.read = append(b.read, seenRead{id: id}) // not in this workshop
			}
		}
	}
	if readRecords {
		if err := b.loadRecords(cmds); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
