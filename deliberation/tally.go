package deliberation

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

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
