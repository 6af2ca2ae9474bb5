package deliberation

import (
	"context"
	"fmt"
	"strconv"
)

// flushDue emits the tallies marked due in tally_pending: items whose votes changed and whose
// coalesced tally never reached the log, because the process died in between.
func (e *Engine) flushDue(ctx context.Context, workshop int64) error {
	var ids []int64
	err := e.db.NewSelect().Table("tally_pending").Column("contribution_id").
		Where("workshop_id = ?", workshop).Order("contribution_id").Scan(ctx, &ids)
	if err != nil {
		return fmt.Errorf("store: tallies due: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = "tally:" + strconv.FormatInt(id, 10)
	}
	_, err = e.Flush(ctx, workshop, keys)
	return err
}
