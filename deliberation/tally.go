package deliberation

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
)

// TallyItem is the online result of one contribution under its phase's current method. Votes
// cast under another method (before the moderator changed it) and votes on contributions that
// are not visible do not count. Room counts are never added in.
type TallyItem struct {
	Contribution int64      `json:"contribution"`
	Method       VoteMethod `json:"method"`
	Count        int        `json:"count"`    // votes counted
	Sum          int        `json:"sum"`      // support: supporters; agree: agree − disagree; dots: dots
	Agree        int        `json:"agree"`    // agree only
	Neutral      int        `json:"neutral"`  // agree only
	Disagree     int        `json:"disagree"` // agree only
	Dots         int        `json:"dots"`     // dots only
	Voters       int        `json:"voters"`   // people who voted on it
}

// tallyEvent is the data of tally.updated.
type tallyEvent struct {
	Items   []TallyItem `json:"items"`
	Turnout *turnout    `json:"turnout,omitempty"`
}

// turnout: how many people voted in the current phase, of how many confirmed registrations.
type turnout struct {
	Voters       int `json:"voters"`
	Participants int `json:"participants"`
}

// tallyTarget is what a tally needs to know of a contribution.
type tallyTarget struct {
	ID      int64
	Phase   Phase
	Status  Status
	GroupID *int64
}

// computeTallies aggregates the votes of some contributions of a workshop (ids of other
// workshops are ignored) and returns their items in id order, with the contributions.
func computeTallies(ctx context.Context, db bun.IDB, workshop int64, st *LiveState, ids []int64) ([]TallyItem, []tallyTarget, error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	var targets []tallyTarget
	err := db.NewSelect().Model((*Contribution)(nil)).Column("id", "phase", "status", "group_id").
		Where("workshop_id = ? AND id IN (?)", workshop, bun.In(ids)).Order("id").Scan(ctx, &targets)
	if err != nil {
		return nil, nil, fmt.Errorf("store: tally contributions: %w", err)
	}
	var aggs []struct {
		ContributionID int64
		Method         VoteMethod
		N              int
		Total          int
		Pos            int
		Zero           int
		Neg            int
	}
	err = db.NewSelect().Model((*Vote)(nil)).
		ColumnExpr("contribution_id, method, count(*) AS n, coalesce(sum(value), 0) AS total").
		ColumnExpr("coalesce(sum(CASE WHEN value > 0 THEN 1 ELSE 0 END), 0) AS pos").
		ColumnExpr("coalesce(sum(CASE WHEN value = 0 THEN 1 ELSE 0 END), 0) AS zero").
		ColumnExpr("coalesce(sum(CASE WHEN value < 0 THEN 1 ELSE 0 END), 0) AS neg").
		Where("workshop_id = ? AND contribution_id IN (?)", workshop, bun.In(ids)).
		Group("contribution_id", "method").Scan(ctx, &aggs)
	if err != nil {
		return nil, nil, fmt.Errorf("store: tally votes: %w", err)
	}
	type key struct {
		id     int64
		method VoteMethod
	}
	byKey := make(map[key]int, len(aggs))
	for i, a := range aggs {
		byKey[key{a.ContributionID, a.Method}] = i
	}
	items := make([]TallyItem, len(targets))
	for i, t := range targets {
		method := st.VoteSettingsFor(t.Phase).Method
		item := TallyItem{Contribution: t.ID, Method: method}
		if j, ok := byKey[key{t.ID, method}]; ok && t.Status == StatusVisible {
			a := aggs[j]
			item.Count, item.Sum, item.Voters = a.N, a.Total, a.N
			switch method {
			case MethodAgree:
				item.Agree, item.Neutral, item.Disagree = a.Pos, a.Zero, a.Neg
			case MethodDots:
				item.Dots = a.Total
			}
		}
		items[i] = item
	}
	return items, targets, nil
}

// emitTallies emits the tallies of some contributions: one tally.updated for moderators while
// results are hidden; otherwise one for everyone, plus one per break-out group for items
// posted in a group (so that a group's items stay in the group).
func (b *batch) emitTallies(ids []int64) error {
	items, targets, err := computeTallies(b.ctx, b.tx, b.w.ID, &b.st, ids)
	if err != nil || len(items) == 0 {
		return err
	}
	to, err := b.turnout()
	if err != nil {
		return err
	}
	if b.st.ResultsHidden {
		b.emit("tally.updated", AudienceModerators, tallyEvent{Items: items, Turnout: to})
		return nil
	}
	byAudience := map[string][]TallyItem{}
	for i, t := range targets {
		aud := publicAudience(&Contribution{GroupID: t.GroupID})
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
		b.emit("tally.updated", AudienceAll, tallyEvent{Items: all, Turnout: to})
	}
	for _, aud := range auds {
		b.emit("tally.updated", aud, tallyEvent{Items: byAudience[aud]})
	}
	return nil
}

// turnout counts the people who voted in the current phase (nil outside voting phases).
func (b *batch) turnout() (*turnout, error) {
	if !openPhase(b.w.Phase) {
		return nil, nil
	}
	var to turnout
	method := b.st.VoteSettingsFor(b.w.Phase).Method
	err := b.tx.NewSelect().Model((*Vote)(nil)).ColumnExpr("count(DISTINCT vote.participant_id)").
		Join("JOIN contributions AS c ON c.id = vote.contribution_id").
		Where("vote.workshop_id = ? AND vote.method = ? AND c.phase = ? AND c.status = ?", b.w.ID, method, b.w.Phase, StatusVisible).
		Scan(b.ctx, &to.Voters)
	if err != nil {
		return nil, fmt.Errorf("store: turnout: %w", err)
	}
	n, err := b.tx.NewSelect().Model((*Registration)(nil)).
		Where("workshop_id = ? AND status = ?", b.w.ID, RegistrationConfirmed).Count(b.ctx)
	if err != nil {
		return nil, fmt.Errorf("store: turnout: %w", err)
	}
	to.Participants = int(n)
	return &to, nil
}

func (b *batch) visibleContributionIDs() ([]int64, error) {
	var ids []int64
	err := b.tx.NewSelect().Model((*Contribution)(nil)).Column("id").
		Where("workshop_id = ? AND status = ?", b.w.ID, StatusVisible).Order("id").Scan(b.ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: visible contributions: %w", err)
	}
	return ids, nil
}

// flush runs the follow-ups of Engine.Flush.
func (b *batch) flush(keys []string) error {
	var ids, plenary []int64
	seen := map[int64]bool{}
	for _, k := range keys {
		switch {
		case k == "tick":
			b.tickRounds() // before the timer's tick: a round's end starts the next round
			b.tick()
			if err := b.tickAgenda(); err != nil {
				return err
			}
		case k == progressKey:
			if err := b.emitProgress(); err != nil {
				return err
			}
		case strings.HasPrefix(k, plenaryKeyPrefix):
			if id, err := strconv.ParseInt(strings.TrimPrefix(k, plenaryKeyPrefix), 10, 64); err == nil {
				plenary = append(plenary, id)
			}
		case strings.HasPrefix(k, "tally:"):
			id, err := strconv.ParseInt(strings.TrimPrefix(k, "tally:"), 10, 64)
			if err == nil && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if err := b.emitTallies(ids); err != nil {
		return err
	}
	if err := b.emitPlenaryTallies(plenary); err != nil {
		return err
	}
	return b.err
}
