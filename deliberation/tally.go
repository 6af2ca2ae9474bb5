package deliberation

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Tallies: the batch's emission of tally.updated (counted by view.ReadTallies) to the
// audiences that may see each item, the follow-ups Flush runs, the tallies marked due that a
// restart emits, and the prepared flush that counts them before taking the workshop's lock.

// emitTallies emits the tallies of some contributions: one tally.updated for moderators while
// results are hidden; otherwise one for everyone, plus one per break-out group for items
// posted in a group (so that a group's items stay in the group).
func (b *batch) emitTallies(ctx context.Context, ids []int64) error {
	items, targets, to, err := b.tallies(ctx, ids)
	if err != nil || len(items) == 0 {
		return err
	}
	if b.st.ResultsHidden {
		b.emit("tally.updated", AudienceModerators, view.TallyEvent{Items: items, Turnout: to})
		return nil
	}
	byAudience := map[string][]view.TallyItem{}
	for i, t := range targets {
		aud := publicAudience(&record.Contribution{GroupID: t.GroupID})
		byAudience[aud] = append(byAudience[aud], items[i])
	}
	auds := make([]string, 0, len(byAudience))
	for aud := range byAudience {
		if aud != AudienceAll {
			auds = append(auds, aud)
		}
	}
	sort.Strings(auds)
	if all, ok := byAudience[AudienceAll]; ok {
		b.emit("tally.updated", AudienceAll, view.TallyEvent{Items: all, Turnout: to})
	}
	for _, aud := range auds {
		b.emit("tally.updated", aud, view.TallyEvent{Items: byAudience[aud]})
	}
	return nil
}

func (b *batch) visibleContributionIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := b.tx.NewSelect().Model((*record.Contribution)(nil)).Column("id").
		Where("workshop_id = ? AND status = ?", b.w.ID, record.StatusVisible).Order("id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: visible contributions: %w", err)
	}
	return ids, nil
}

// flush runs the follow-ups of Engine.Flush.
func (b *batch) flush(ctx context.Context, keys []string) error {
	var plenary []int64
	for _, k := range keys {
		switch {
		case k == "tick":
			b.tickRounds() // before the timer's tick: a round's end starts the next round
			b.tick()
			if err := b.tickAgenda(ctx); err != nil {
				return err
			}
		case k == progressKey:
			if err := b.emitProgress(ctx); err != nil {
				return err
			}
		case strings.HasPrefix(k, plenaryKeyPrefix):
			if id, err := strconv.ParseInt(strings.TrimPrefix(k, plenaryKeyPrefix), 10, 64); err == nil {
				plenary = append(plenary, id)
			}
		}
	}
	if err := b.emitTallies(ctx, tallyIDs(keys)); err != nil {
		return err
	}
	if err := b.emitPlenaryTallies(ctx, plenary); err != nil {
		return err
	}
	return b.err
}

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

// PreparedFlush is the tallies of a Flush, read by PrepareFlush before the flush takes
// the workshop's lock. A tally aggregates every vote on its items: in a room of
// thousands it takes milliseconds, and every vote committed after it would wait for
// them. Read beforehand, while the room's votes go on committing, it costs the locked
// flush a read of a few contribution rows instead.
//
// Its figures may miss the votes committed between the preparation and the flush: each
// of those commits deferred its items' tally keys again, so the next flush counts them.
// What decides who may see a tally (the contributions' status and group, the methods,
// whether results are hidden) is never taken from the preparation without checking it
// under the lock.
type PreparedFlush struct {
	ids           []int64
	lastSeq       int64        // the workshop's, read before the tallies: they saw the votes up to it
	phase         record.Phase // the workshop's, for the turnout
	turnoutMethod record.VoteMethod
	resultsHidden bool
	items         []view.TallyItem
	targets       []view.TallyTarget
	turnout       *view.Turnout
}

// PrepareFlush reads the tallies a Flush of keys would emit, without the workshop's lock
// (nil when keys ask for no tally).
func (e *Engine) PrepareFlush(ctx context.Context, workshop int64, keys []string) (*PreparedFlush, error) {
	ids := tallyIDs(keys)
	if len(ids) == 0 {
		return nil, nil
	}
	var w record.Workshop
	if err := e.db.NewSelect().Model(&w).Where("id = ?", workshop).Scan(ctx); err != nil {
		return nil, record.NotFound("prepare flush", err)
	}
	st, err := view.ParseLiveState(w.State)
	if err != nil {
		return nil, err
	}
	items, targets, to, err := view.ReadTallies(ctx, e.db, workshop, &st, ids, w.Phase)
	if err != nil {
		return nil, err
	}
	return &PreparedFlush{ids: ids, lastSeq: w.LastSeq, phase: w.Phase, turnoutMethod: st.VoteSettingsFor(w.Phase).Method,
		resultsHidden: st.ResultsHidden, items: items, targets: targets, turnout: to}, nil
}

// FlushPrepared is Flush, taking the tallies from p where it still holds (p may be nil).
func (e *Engine) FlushPrepared(ctx context.Context, workshop int64, keys []string, p *PreparedFlush) (Result, error) {
	if len(keys) == 0 {
		return Result{}, nil
	}
	return e.runBatch(ctx, workshop, nil, func(ctx context.Context, b *batch) error {
		b.prepared = p
		return b.flush(ctx, keys)
	})
}

// tallyIDs are the contributions of the "tally:" keys, once each, in the keys' order (the
// order flush reads them in).
func tallyIDs(keys []string) []int64 {
	var ids []int64
	for _, k := range keys {
		if s, ok := strings.CutPrefix(k, "tally:"); ok {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// tallies returns the tallies of ids: the prepared ones when the batch has them for
// exactly these ids and nothing they depend on changed since, else read now. The marks of
// ids in tally_pending that the tallies cover go with the batch (batch.writes).
func (b *batch) tallies(ctx context.Context, ids []int64) ([]view.TallyItem, []view.TallyTarget, *view.Turnout, error) {
	p := b.prepared
	if p == nil || !slices.Equal(p.ids, ids) || !b.stillHolds(p) {
		b.talliesRead(ids, b.w.LastSeq)
		return view.ReadTallies(ctx, b.tx, b.w.ID, &b.st, ids, b.w.Phase)
	}

	var now []view.TallyTarget
	err := b.tx.NewSelect().Model((*record.Contribution)(nil)).Column("id", "phase", "status", "group_id").
		Where("workshop_id = ? AND id IN (?)", b.w.ID, bun.In(ids)).Order("id").Scan(ctx, &now)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("store: tally contributions: %w", err)
	}
	if !slices.EqualFunc(now, p.targets, sameTarget) {
		// Hidden, moved or gone since: its tally, and who may see it, are read again.
		b.talliesRead(ids, b.w.LastSeq)
		return view.ReadTallies(ctx, b.tx, b.w.ID, &b.st, ids, b.w.Phase)
	}
	b.talliesRead(ids, p.lastSeq)
	return p.items, p.targets, p.turnout, nil
}

// talliesRead notes that the batch emits the tallies of ids, which saw the votes committed up
// to sequence number upTo.
func (b *batch) talliesRead(ids []int64, upTo int64) {
	if len(b.tallied) == 0 || upTo < b.talliedUpTo {
		b.talliedUpTo = upTo
	}
	b.tallied = append(b.tallied, ids...)
}

// stillHolds checks p against the workshop's state under the lock: same phase, methods
// and visibility of results.
func (b *batch) stillHolds(p *PreparedFlush) bool {
	if p.phase != b.w.Phase || p.resultsHidden != b.st.ResultsHidden ||
		p.turnoutMethod != b.st.VoteSettingsFor(b.w.Phase).Method {
		return false
	}
	for i, t := range p.targets {
		if p.items[i].Method != b.st.VoteSettingsFor(t.Phase).Method {
			return false
		}
	}
	return true
}

func sameTarget(a, b view.TallyTarget) bool {
	return a.ID == b.ID && a.Phase == b.Phase && a.Status == b.Status &&
		(a.GroupID == nil) == (b.GroupID == nil) && (a.GroupID == nil || *a.GroupID == *b.GroupID)
}
