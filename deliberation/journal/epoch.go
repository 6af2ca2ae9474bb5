package journal

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/uptrace/bun"
)

// maxEpoch keeps log epochs exact in a JavaScript number (2^53 - 1): clients hand the value
// back as they received it.
const maxEpoch = 1<<53 - 1

// NewLogEpoch draws a random log epoch in [1, 2^53-1]. Drawn, not counted: a database
// restored from an old backup must never bring back an epoch a client was already given.
func NewLogEpoch() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("journal: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return int64(binary.BigEndian.Uint64(b[:])%maxEpoch) + 1
}

// LogEpoch returns the epoch of a workshop's log, drawing and storing one first if the
// workshop has none yet (a new workshop, or one created before epochs existed). The column
// is read and written apart from the workshop's model on purpose: a whole-row update of a
// workshop loaded earlier must never put back an epoch that a reset replaced. A workshop
// that does not exist is sql.ErrNoRows.
func LogEpoch(ctx context.Context, db bun.IDB, workshop int64) (int64, error) {
	var epoch int64
	err := db.NewSelect().Table("workshops").Column("log_epoch").Where("id = ?", workshop).Scan(ctx, &epoch)
	if err != nil {
		return 0, fmt.Errorf("store: log epoch: %w", err)
	}
	if epoch != 0 {
		return epoch, nil
	}
	// Two nodes may open the room at once: the first draw wins, both read it back.
	if _, err := db.NewUpdate().Table("workshops").Set("log_epoch = ?", NewLogEpoch()).
		Where("id = ? AND log_epoch = 0", workshop).Exec(ctx); err != nil {
		return 0, fmt.Errorf("store: draw log epoch: %w", err)
	}
	if err := db.NewSelect().Table("workshops").Column("log_epoch").Where("id = ?", workshop).Scan(ctx, &epoch); err != nil {
		return 0, fmt.Errorf("store: log epoch: %w", err)
	}
	return epoch, nil
}

// ResetProcessLogs rewrites the history of every workshop of a process: their stored events
// go (they carry the author labels people saw in the room), with the keys their labels were
// sealed with (log_keys), and each gets a new log epoch.
// Sequence numbers continue from workshops.last_seq. Call it inside the transaction that
// makes the log untrue (an erasure), before its other writes; after the commit, tell the live
// rooms (hub.ResetLog) so that they drop what they keep in memory.
//
// The workshops' rows are written first, in id order: on PostgreSQL that takes the lock every
// batch of the live engine takes first (Begin), so a batch either committed before (and its
// events are deleted here) or waits for this transaction and reads the people as it leaves
// them; and the erasure takes its locks in the engine's order, so the two never deadlock.
func ResetProcessLogs(ctx context.Context, tx bun.IDB, processID int64) error {
	ids, err := ProcessWorkshopIDs(ctx, tx, processID)
	if err != nil || len(ids) == 0 {
		return err
	}
	if err := newEpochs(ctx, tx, ids); err != nil {
		return fmt.Errorf("store: reset logs: %w", err)
	}
	if _, err := tx.NewDelete().Model((*Event)(nil)).Where("workshop_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("store: reset logs: events: %w", err)
	}
	// The keys their labels were sealed with go with them: the copies the database's files
	// and backups keep of those events can no longer be opened (seal.go).
	if _, err := tx.NewDelete().Model((*LogKey)(nil)).Where("workshop_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("store: reset logs: keys: %w", err)
	}
	return nil
}

// RenewAllLogEpochs gives every workshop a new log epoch: after a restore, the logs are those
// of the backup, and a client that saw later events must not resume from them by seq.
func RenewAllLogEpochs(ctx context.Context, db bun.IDB) (int, error) {
	var ids []int64
	if err := db.NewSelect().Table("workshops").Column("id").Scan(ctx, &ids); err != nil {
		return 0, fmt.Errorf("store: renew log epochs: %w", err)
	}
	if err := newEpochs(ctx, db, ids); err != nil {
		return 0, fmt.Errorf("store: renew log epochs: %w", err)
	}
	return len(ids), nil
}

// newEpochs draws a new log epoch for each workshop, in the order given.
func newEpochs(ctx context.Context, db bun.IDB, workshops []int64) error {
	for _, id := range workshops {
		if _, err := db.NewUpdate().Table("workshops").Set("log_epoch = ?", NewLogEpoch()).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// ProcessWorkshopIDs returns the ids of a process's workshops, in id order: the logs
// ResetProcessLogs resets, whose live rooms the caller then tells.
func ProcessWorkshopIDs(ctx context.Context, db bun.IDB, processID int64) ([]int64, error) {
	var ids []int64
	if err := db.NewSelect().Table("workshops").Column("id").Where("process_id = ?", processID).Order("id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("store: workshops of process: %w", err)
	}
	return ids, nil
}
