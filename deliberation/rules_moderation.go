package deliberation

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Rules for moderating contributions: hide, restore, approve, pin, merge, and counts from the room.
// Moderators act on any contribution of their workshop, whatever its status; ids of other
// workshops are not_found like everywhere else.

func (b *batch) moderated(ctx context.Context, id int64) (*record.Contribution, refusal, error) {
	c, ok, err := b.contribution(ctx, id)
	if err != nil {
		return nil, refusal{}, err
	}
	if !ok {
		return nil, refuse(CodeNotFound, "no such contribution in this workshop"), nil
	}
	return c, refusal{}, nil
}

func cmdHide(ctx context.Context, b *batch, _ Actor, args *hideArgs) (refusal, error) {
	c, r, err := b.moderated(ctx, args.ID)
	if c == nil {
		return r, err
	}
	reason, r := cleanText(args.Reason, MaxReasonRunes, singleLine, false)
	switch {
	case !r.ok():
		return r, nil
	case c.Status == record.StatusMerged:
		return refuse(CodeAlreadyMerged, "contribution was merged"), nil
	case c.Status == record.StatusWithdrawn:
		return refuse(CodeBadState, "contribution was withdrawn"), nil
	}
	// Those who saw it learn only that it is gone; the reason is the moderators' business.
	b.emitAbout(c, "contribution.hidden", map[string]int64{"id": c.ID})
	c.Status, c.HiddenReason, c.Pinned = record.StatusHidden, reason, false
	if err := b.updateContribution(ctx, c, "status", "hidden_reason", "pinned"); err != nil {
		return refusal{}, err
	}
	b.emit("contribution.hidden.reason", AudienceModerators, map[string]any{"id": c.ID, "reason": reason})
	// Its votes stop counting but are kept, in case it is restored.
	b.laterTally(c.ID)
	return refusal{}, nil
}

func cmdRestore(ctx context.Context, b *batch, _ Actor, args *idArgs) (refusal, error) {
	c, r, err := b.moderated(ctx, args.ID)
	if c == nil {
		return r, err
	}
	if c.Status != record.StatusHidden {
		return refuse(CodeBadState, "contribution is not hidden"), nil
	}
	c.Status, c.HiddenReason = record.StatusVisible, ""
	if err := b.updateContribution(ctx, c, "status", "hidden_reason"); err != nil {
		return refusal{}, err
	}
	links, err := b.links(ctx, c.ID)
	if err != nil {
		return refusal{}, err
	}
	// The whole contribution again: those who joined while it was hidden never had it.
	if err := b.emitContribution(ctx, "contribution.restored", c, links); err != nil {
		return refusal{}, err
	}
	b.laterTally(c.ID)
	return refusal{}, nil
}

func cmdApprove(ctx context.Context, b *batch, _ Actor, args *idArgs) (refusal, error) {
	c, r, err := b.moderated(ctx, args.ID)
	if c == nil {
		return r, err
	}
	if c.Status != record.StatusPending {
		return refuse(CodeBadState, "contribution is not waiting for approval"), nil
	}
	c.Status = record.StatusVisible
	if err := b.updateContribution(ctx, c, "status"); err != nil {
		return refusal{}, err
	}
	links, err := b.links(ctx, c.ID)
	if err != nil {
		return refusal{}, err
	}
	return refusal{}, b.emitContribution(ctx, "contribution.posted", c, links)
}

func cmdPin(ctx context.Context, b *batch, _ Actor, args *pinArgs) (refusal, error) {
	if args.Pinned == nil {
		return refuse(CodeInvalidArgs, "pinned is required"), nil
	}
	c, r, err := b.moderated(ctx, args.ID)
	if c == nil {
		return r, err
	}
	if c.Status != record.StatusVisible {
		return refuse(CodeBadState, "only visible contributions can be pinned"), nil
	}
	c.Pinned = *args.Pinned
	if err := b.updateContribution(ctx, c, "pinned"); err != nil {
		return refusal{}, err
	}
	b.emitAbout(c, "contribution.pinned", map[string]any{"id": c.ID, "pinned": c.Pinned})
	return refusal{}, nil
}

// maxRoomCount bounds a count from the room: more than any hall of the seeds holds.
const maxRoomCount = 100000

func cmdRoomCount(ctx context.Context, b *batch, a Actor, args *roomCountArgs) (refusal, error) {
	for _, n := range []int{args.Yes, args.Neutral, args.No} {
		if n < 0 || n > maxRoomCount {
			return refuse(CodeInvalidArgs, "counts must be 0 to 100000"), nil
		}
	}
	lbl, r := cleanText(args.Label, MaxLabelRunes, singleLine, false)
	if !r.ok() {
		return r, nil
	}
	c, r, err := b.target(ctx, a, args.Contribution, "")
	if c == nil {
		return r, err
	}
	by := a.Participant
	rc := &record.RoomCount{WorkshopID: b.w.ID, ContributionID: c.ID, Label: lbl, YesCount: args.Yes,
		NeutralCount: args.Neutral, NoCount: args.No, RecordedBy: &by, CreatedAt: b.now}
	if _, err := b.tx.NewInsert().Model(rc).Returning("id").Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: record room count: %w", err)
	}
	// Shown beside the online tally, never added to it; hidden with the results.
	aud := publicAudience(c)
	if b.st.ResultsHidden {
		aud = AudienceModerators
	}
	b.emit("roomcount.recorded", aud, view.NewRoomCountView(rc))
	return refusal{}, nil
}

// roomCounts returns the room counts everyone may see: those of visible contributions that
// belong to no break-out group.
func (b *batch) roomCounts(ctx context.Context) ([]view.RoomCountView, error) {
	var rows []record.RoomCount
	err := b.tx.NewSelect().Model(&rows).
		Join("JOIN contributions AS c ON c.id = room_count.contribution_id").
		Where("room_count.workshop_id = ? AND c.status = ? AND c.group_id IS NULL", b.w.ID, record.StatusVisible).
		Order("room_count.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: room counts: %w", err)
	}
	out := make([]view.RoomCountView, len(rows))
	for i := range rows {
		out[i] = view.NewRoomCountView(&rows[i])
	}
	return out, nil
}

// maxMergeSources bounds one merge (a moderator merges duplicates, a handful at a time).
const maxMergeSources = 50

// mergeVotes carries the votes of merged contributions over to their target without counting
// anyone twice. Each map is participant → value under the phase's current method; sources
// are applied in the order the moderator gave them. A person who voted on several of them
// keeps one vote: under support, one support; under agree, the target's vote, else the first
// source's; under dots, the largest number of dots, never more than the item maximum (so a
// budget is never exceeded either: max(a, b) ≤ a + b).
func mergeVotes(set view.VoteSettings, target map[int64]int, sources []map[int64]int) map[int64]int {
	out := make(map[int64]int, len(target))
	for p, v := range target {
		out[p] = v
	}
	for _, src := range sources {
		for p, v := range src {
			old, has := out[p]
			switch {
			case !has:
				out[p] = v
			case set.Method == record.MethodDots:
				out[p] = max(old, v)
			}
		}
	}
	if set.Method == record.MethodDots && set.MaxPerItem > 0 {
		for p, v := range out {
			out[p] = min(v, set.MaxPerItem)
		}
	}
	return out
}

func cmdMerge(ctx context.Context, b *batch, _ Actor, args *mergeArgs) (refusal, error) {
	if len(args.From) == 0 || len(args.From) > maxMergeSources {
		return refuse(CodeInvalidArgs, "from must list 1 to 50 contributions"), nil
	}
	var from []int64
	seen := map[int64]bool{}
	for _, id := range args.From {
		if id == args.Into {
			return refuse(CodeInvalidArgs, "cannot merge a contribution into itself"), nil
		}
		if !seen[id] {
			seen[id] = true
			from = append(from, id)
		}
	}
	target, r, err := b.moderated(ctx, args.Into)
	if target == nil {
		return r, err
	}
	switch target.Status {
	case record.StatusMerged:
		return refuse(CodeAlreadyMerged, "target was merged"), nil
	case record.StatusVisible:
	default:
		return refuse(CodeBadState, "target is not visible"), nil
	}
	sources := make([]*record.Contribution, 0, len(from))
	for _, id := range from {
		s, r, err := b.moderated(ctx, id)
		if s == nil {
			return r, err
		}
		switch {
		case s.Status == record.StatusMerged:
			return refuse(CodeAlreadyMerged, "a source was already merged"), nil
		case s.Status != record.StatusVisible && s.Status != record.StatusPending:
			return refuse(CodeBadState, "a source is hidden or withdrawn"), nil
		case s.Kind != target.Kind: // same kind, hence same phase
			return refuse(CodeInvalidArgs, "sources and target must be of the same kind"), nil
		}
		sources = append(sources, s)
	}

	if err := b.carryVotes(ctx, target, from); err != nil {
		return refusal{}, err
	}
	if err := b.repoint(ctx, target, sources); err != nil {
		return refusal{}, err
	}
	aud := publicAudience(target)
	for _, s := range sources {
		if publicAudience(s) != aud {
			aud = AudienceAll
		}
		into := target.ID
		s.Status, s.MergedInto, s.Pinned = record.StatusMerged, &into, false
		if err := b.updateContribution(ctx, s, "status", "merged_into", "pinned"); err != nil {
			return refusal{}, err
		}
	}
	b.emit("contribution.merged", aud, map[string]any{"into": target.ID, "from": from})
	b.laterTally(append([]int64{target.ID}, from...)...)
	// Which groups said it: the target now speaks for its sources' groups too.
	return refusal{}, b.mergeProvenance(ctx, target, sources)
}

// carryVotes replaces the votes of the target and its sources by the merged votes on the
// target. Votes cast under another method than the phase's current one did not count and go.
func (b *batch) carryVotes(ctx context.Context, target *record.Contribution, from []int64) error {
	set := b.st.VoteSettingsFor(target.Phase)
	all := append([]int64{target.ID}, from...)
	var votes []record.Vote
	err := b.tx.NewSelect().Model(&votes).
		Where("workshop_id = ? AND contribution_id IN (?) AND method = ?", b.w.ID, bun.In(all), set.Method).Scan(ctx)
	if err != nil {
		return fmt.Errorf("store: merge votes: %w", err)
	}
	index := make(map[int64]int, len(from))
	for i, id := range from {
		index[id] = i
	}
	tv := map[int64]int{}
	sv := make([]map[int64]int, len(from))
	for i := range sv {
		sv[i] = map[int64]int{}
	}
	for _, v := range votes {
		if v.ContributionID == target.ID {
			tv[v.ParticipantID] = v.Value
		} else {
			sv[index[v.ContributionID]][v.ParticipantID] = v.Value
		}
	}
	merged := mergeVotes(set, tv, sv)
	if _, err := b.tx.NewDelete().Model((*record.Vote)(nil)).Where("contribution_id IN (?)", bun.In(all)).Exec(ctx); err != nil {
		return fmt.Errorf("store: merge votes: %w", err)
	}
	if len(merged) == 0 {
		return nil
	}
	rows := make([]record.Vote, 0, len(merged))
	for p, v := range merged {
		rows = append(rows, record.Vote{ContributionID: target.ID, ParticipantID: p, WorkshopID: b.w.ID,
			Method: set.Method, Value: v, UpdatedAt: b.now})
	}
	if _, err := b.tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("store: merge votes: %w", err)
	}
	return nil
}

// repoint moves what hung on the sources to the target: links from and to them, children
// (solution paths, steps), and comments when the source was in the same audience as the
// target (a group's comments do not move into a plenary contribution behind the group's back).
func (b *batch) repoint(ctx context.Context, target *record.Contribution, sources []*record.Contribution) error {
	ids := make([]int64, len(sources))
	var sameAudience []int64
	for i, s := range sources {
		ids[i] = s.ID
		if publicAudience(s) == publicAudience(target) {
			sameAudience = append(sameAudience, s.ID)
		}
	}
	steps := []struct {
		what, query string
		args        []any
	}{
		{"links to", "INSERT INTO contribution_links (from_id, to_id) SELECT from_id, ? FROM contribution_links WHERE to_id IN (?) AND from_id <> ? ON CONFLICT DO NOTHING",
			[]any{target.ID, bun.In(ids), target.ID}},
		{"links to", "DELETE FROM contribution_links WHERE to_id IN (?)", []any{bun.In(ids)}},
		{"links from", "INSERT INTO contribution_links (from_id, to_id) SELECT ?, to_id FROM contribution_links WHERE from_id IN (?) AND to_id <> ? ON CONFLICT DO NOTHING",
			[]any{target.ID, bun.In(ids), target.ID}},
		{"links from", "DELETE FROM contribution_links WHERE from_id IN (?)", []any{bun.In(ids)}},
		{"children", "UPDATE contributions SET parent_id = ? WHERE workshop_id = ? AND parent_id IN (?)",
			[]any{target.ID, b.w.ID, bun.In(ids)}},
	}
	if len(sameAudience) > 0 {
		steps = append(steps, struct {
			what, query string
			args        []any
		}{"comments", "UPDATE comments SET contribution_id = ? WHERE workshop_id = ? AND contribution_id IN (?)",
			[]any{target.ID, b.w.ID, bun.In(sameAudience)}})
	}
	for _, s := range steps {
		if _, err := b.tx.NewRaw(s.query, s.args...).Exec(ctx); err != nil {
			return fmt.Errorf("store: merge %s: %w", s.what, err)
		}
	}
	return nil
}
