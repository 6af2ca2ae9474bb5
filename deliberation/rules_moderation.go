package deliberation

import (
	"context"
	"fmt"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Rules for moderating contributions: hide, restore, approve, pin, and counts from the room.
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
