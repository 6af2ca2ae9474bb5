package deliberation

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Snapshot returns the state of a workshop as one viewer may see it, and the sequence number
// it is at: state and last_seq are read in one read transaction (REPEATABLE READ on
// PostgreSQL; SQLite's single connection gives the same), so that the events after seq apply
// on top of it exactly.
func (e *Engine) Snapshot(ctx context.Context, workshop int64, viewer Actor) (int64, json.RawMessage, error) {
	var opts *sql.TxOptions
	if e.pg {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	var seq int64
	var out json.RawMessage
	now := e.now()
	err := e.db.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		w := new(record.Workshop)
		if err := tx.NewSelect().Model(w).Where("id = ?", workshop).Scan(ctx); err != nil {
			return record.NotFound("snapshot", err)
		}
		s, err := view.BuildSnapshot(ctx, tx, w, view.Viewer{Participant: viewer.Participant, Role: viewer.Role,
			Moderator: viewer.Moderator, Group: viewer.Group}, now)
		if err != nil {
			return err
		}
		seq = w.LastSeq
		out, err = json.Marshal(s)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return seq, out, nil
}
