package deliberation

import (
	"context"
	"fmt"
	"strconv"
)

// DueKeys are the follow-up keys ("tally:<id>") of the tallies marked due in tally_pending:
// items whose votes changed and whose coalesced tally is not in the log yet. With several
// nodes, the node holding the workshop's lease reads them to flush what other nodes'
// commits made due (hub.DueReader).
func (e *Engine) DueKeys(ctx context.Context, workshop int64) ([]string, error) {
	var ids []int64
	err := e.db.NewSelect().Table("tally_pending").Column("contribution_id").
		Where("workshop_id = ?", workshop).Order("contribution_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: tallies due: %w", err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = "tally:" + strconv.FormatInt(id, 10)
	}
	return keys, nil
}

// flushDue emits the tallies marked due in tally_pending, whose coalesced tally never reached
// the log because the process died in between.
func (e *Engine) flushDue(ctx context.Context, workshop int64) error {
	keys, err := e.DueKeys(ctx, workshop)
	if err != nil || len(keys) == 0 {
		return err
	}
	_, err = e.Flush(ctx, workshop, keys)
	return err
}
