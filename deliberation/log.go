package deliberation

import (
	"context"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/record"
)

// sealStored seals the stored payload of an event of the batch if its name says so
// (journal/seal.go), with the key of the workshop's log epoch, read once per batch.
func (b *batch) sealStored(ev *journal.Event) error {
	if !journal.SealsPayload(ev.Name) {
		return nil
	}
	if b.tx == nil {
		return errOffline // on the copy (votes only): the ordinary way will seal
	}
	if b.logKey == nil {
		k, err := b.e.keys.Current(b.ctx, b.tx, b.w.ID, b.epoch)
		if err != nil {
			return err
		}
		b.logKey, b.epoch = k, k.Epoch()
	}
	b.logKey.Seal(ev)
	return nil
}

// LogEpoch is the workshop's current log epoch (journal.LogEpoch); a workshop that does not
// exist is record.ErrNotFound.
func (e *Engine) LogEpoch(ctx context.Context, workshop int64) (int64, error) {
	epoch, err := journal.LogEpoch(ctx, e.db, workshop)
	if err != nil {
		return 0, record.NotFound("log epoch", err)
	}
	return epoch, nil
}
