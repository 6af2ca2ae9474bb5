package journal

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/uptrace/bun"
)

// SQLite is the journal on SQLite: bun's multi-row statements, sent one after the other
// (SQLite parses them in-process, fast), in a transaction that is IMMEDIATE (storage.Open).
type SQLite struct{ db *bun.DB }

var _ Journal = (*SQLite)(nil)

type sqliteTx struct {
	db   *bun.DB
	tx   bun.Tx
	done bool
}

// Begin begins the transaction, which takes SQLite's writer lock, then runs open.Read.
func (j *SQLite) Begin(ctx context.Context, open Opening) (Tx, error) {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("journal: begin: %w", err)
	}
	t := &sqliteTx{db: j.db, tx: tx}
	if open.Read != nil {
		if err := t.read(ctx, open); err != nil {
			t.Rollback()
			return nil, err
		}
	}
	return t, nil
}

func (t *sqliteTx) read(ctx context.Context, open Opening) error {
	q, err := open.Read.AppendQuery(t.db.QueryGen(), nil)
	if err != nil {
		return fmt.Errorf("journal: first read: %w", err)
	}
	rows, err := t.tx.QueryContext(ctx, string(q))
	if err != nil {
		return fmt.Errorf("journal: first read: %w", err)
	}
	defer rows.Close()
	if err := open.Scan(ctx, rows); err != nil {
		return err
	}
	return rows.Close()
}

func (t *sqliteTx) DB() bun.IDB { return t.tx }

func (t *sqliteTx) Write(ctx context.Context, w *Writes) error {
	q, err := sqliteScript(t.db, w)
	if err != nil || len(q) == 0 {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, string(q)); err != nil {
		return fmt.Errorf("journal: write batch: %w", err)
	}
	return nil
}

func (t *sqliteTx) Commit(ctx context.Context, w *Writes) error {
	if err := t.Write(ctx, w); err != nil {
		t.Rollback()
		return err
	}
	t.done = true
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("journal: commit: %w", err)
	}
	return nil
}

func (t *sqliteTx) Rollback() {
	if !t.done {
		t.done = true
		_ = t.tx.Rollback() // the batch failed already; the connection goes back to the pool either way
	}
}

// sqliteScript formats the statements of w, separated by semicolons.
func sqliteScript(db *bun.DB, w *Writes) ([]byte, error) {
	s := script{gen: db.QueryGen()}
	if len(w.Commands) > 0 {
		s.add(db.NewInsert().Model(&w.Commands), "record commands")
	}
	if len(w.Votes) > 0 {
		s.add(db.NewInsert().Model(&w.Votes).
			On("CONFLICT (contribution_id, participant_id) DO UPDATE").
			Set("method = EXCLUDED.method, value = EXCLUDED.value, updated_at = EXCLUDED.updated_at"), "set votes")
	}
	if len(w.Gone) > 0 {
		byItem := map[int64][]int64{}
		for _, k := range w.Gone {
			byItem[k.Contribution] = append(byItem[k.Contribution], k.Participant)
		}
		for _, c := range slices.Sorted(maps.Keys(byItem)) {
			s.add(db.NewDelete().TableExpr("votes").
				Where("contribution_id = ? AND participant_id IN (?)", c, bun.In(byItem[c])), "delete votes")
		}
	}
	if len(w.Events) > 0 {
		s.add(db.NewInsert().Model(&w.Events), "append events")
	}
	if len(w.Tallied) > 0 {
		s.add(db.NewDelete().TableExpr("tally_pending").
			Where("workshop_id = ? AND contribution_id IN (?) AND seq <= ?", w.Workshop, bun.In(w.Tallied), w.TalliedUpTo),
			"clear tallies due")
	}
	if len(w.Due) > 0 {
		seq := int64(0)
		if w.Row != nil {
			seq = w.Row.LastSeq
		}
		rows := make([]dueRow, len(w.Due))
		for i, c := range w.Due {
			rows[i] = dueRow{WorkshopID: w.Workshop, ContributionID: c, Seq: seq}
		}
		s.add(db.NewInsert().Model(&rows).
			On("CONFLICT (workshop_id, contribution_id) DO UPDATE").Set("seq = EXCLUDED.seq"), "mark tallies due")
	}
	if w.Row != nil {
		s.add(db.NewUpdate().Table("workshops").
			Set("last_seq = ?", w.Row.LastSeq).Set("phase = ?", w.Row.Phase).Set("state = ?", w.Row.State).
			Where("id = ?", w.Workshop), "update workshop")
	}
	return s.join(";\n"), s.err
}

// dueRow is a row of tally_pending.
type dueRow struct {
	bun.BaseModel `bun:"table:tally_pending"`

	WorkshopID     int64 `bun:",pk"`
	ContributionID int64 `bun:",pk"`
	Seq            int64 // the workshop's last sequence number when the mark was set
}
