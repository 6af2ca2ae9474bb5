package deliberation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"
)

// batchReader is what the read helpers of groups, agenda and plenary need: a database handle,
// the workshop and its live state. A batch (inside its transaction) and a snapshot (inside its
// read transaction) both provide one, so events and snapshots are built by the same code.
type batchReader struct {
	db bun.IDB
	w  *record.Workshop
	st *LiveState
}

func (b *batch) reader() *batchReader { return &batchReader{db: b.tx, w: &b.w, st: &b.st} }

// Check-in: who is present. Check-in means arrival: the welcome desk checks people in from the
// moderator console (checkin.set) or at the door; a participant's own "Je suis là" button
// (checkin.self) counts only on the day, within the session's hours (SelfCheckInWindow), so that
// a card or a personal link opened at home never marks anyone present. Present people are who
// groups.split dispatches and who a plenary vote's turnout counts.

// CodeOutsideHours refuses a checkin.self sent before the session opens or after it ends.
const CodeOutsideHours = "outside_hours"

// SelfCheckInOpens is how long before a session starts a person may say "I am here" themselves:
// people arrive early for the coffee; days before, they are not in the room.
const SelfCheckInOpens = time.Hour

// SelfCheckInWindow reports whether a participant may check themselves in to w at now: from
// SelfCheckInOpens before the start to the end of the session.
func SelfCheckInWindow(w *record.Workshop, now time.Time) bool {
	return !now.Before(w.StartsAt.Add(-SelfCheckInOpens)) && now.Before(w.EndsAt)
}

type checkinArgs struct {
	Participant int64
	Present     *bool
}

func cmdCheckinSet(ctx context.Context, b *batch, _ Actor, args *checkinArgs) (refusal, error) {
	if args.Present == nil {
		return refuse(CodeInvalidArgs, "present is required"), nil
	}
	return b.checkIn(ctx, args.Participant, *args.Present)
}

func cmdCheckinSelf(ctx context.Context, b *batch, a Actor, _ *noArgs) (refusal, error) {
	if a.Role != record.RoleParticipant {
		return refuse(CodeNotAllowed, "only participants check in"), nil
	}
	if !SelfCheckInWindow(&b.w, b.now) {
		return refuse(CodeOutsideHours, "one checks in on the day, from an hour before the session starts to its end"), nil
	}
	return b.checkIn(ctx, a.Participant, true)
}

func (b *batch) checkIn(ctx context.Context, participant int64, present bool) (refusal, error) {
	var reg record.Registration
	err := b.tx.NewSelect().Model(&reg).
		Where("workshop_id = ? AND participant_id = ? AND status = ?", b.w.ID, participant, record.RegistrationConfirmed).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return refuse(CodeNotFound, "no confirmed registration for this person in this session"), nil
	}
	if err != nil {
		return refusal{}, fmt.Errorf("store: check in: %w", err)
	}
	// Checking in again keeps the first time: it is when the person arrived.
	if present && reg.CheckedInAt == nil {
		now := b.now
		reg.CheckedInAt = &now
	} else if !present {
		reg.CheckedInAt = nil
	}
	reg.UpdatedAt = b.now
	if _, err := b.tx.NewUpdate().Model(&reg).Column("checked_in_at", "updated_at").WherePK().Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: check in: %w", err)
	}
	n, err := b.tx.NewSelect().Model((*record.Registration)(nil)).
		Where("workshop_id = ? AND status = ? AND checked_in_at IS NOT NULL", b.w.ID, record.RegistrationConfirmed).Count(ctx)
	if err != nil {
		return refusal{}, fmt.Errorf("store: check in: %w", err)
	}
	b.emit("checkin.changed", AudienceModerators, map[string]any{"participant": participant, "present": present, "checkedIn": n})
	b.emit("checkin.changed", AudiencePerson(participant), map[string]any{"participant": participant, "present": present})
	return refusal{}, nil
}

// GroupProgress is what the projector shows of a group at work: counts, never content.
type GroupProgress struct {
	Group         int64 `json:"group"`
	Members       int   `json:"members"`
	Contributions int   `json:"contributions"` // visible contributions posted in the group
	Outputs       int   `json:"outputs"`       // of which the rapporteur marked as outputs
}

// groupProgress counts, for each group of the current split, its members, its visible
// contributions and its marked outputs.
func groupProgress(ctx context.Context, r *batchReader) ([]GroupProgress, error) {
	out := []GroupProgress{}
	if len(r.st.Groups) == 0 {
		return out, nil
	}
	type count struct {
		GroupID int64
		N       int
	}
	var mem, con, outp []count
	err := r.db.NewSelect().Model((*record.GroupMember)(nil)).ColumnExpr("group_id, count(*) AS n").
		Where("workshop_id = ? AND group_id IN (?)", r.w.ID, bun.In(r.st.Groups)).Group("group_id").Scan(ctx, &mem)
	if err != nil {
		return nil, fmt.Errorf("store: group progress: %w", err)
	}
	err = r.db.NewSelect().Model((*record.Contribution)(nil)).ColumnExpr("group_id, count(*) AS n").
		Where("workshop_id = ? AND status = ? AND group_id IN (?)", r.w.ID, record.StatusVisible, bun.In(r.st.Groups)).
		Group("group_id").Scan(ctx, &con)
	if err != nil {
		return nil, fmt.Errorf("store: group progress: %w", err)
	}
	err = r.db.NewSelect().TableExpr("contribution_outputs AS o").ColumnExpr("c.group_id AS group_id, count(*) AS n").
		Join("JOIN contributions AS c ON c.id = o.contribution_id").
		Where("o.workshop_id = ? AND c.status = ? AND c.group_id IN (?)", r.w.ID, record.StatusVisible, bun.In(r.st.Groups)).
		Group("c.group_id").Scan(ctx, &outp)
	if err != nil {
		return nil, fmt.Errorf("store: group progress: %w", err)
	}
	index := map[int64]int{}
	for i, id := range r.st.Groups {
		index[id] = i
		out = append(out, GroupProgress{Group: id})
	}
	for _, c := range mem {
		out[index[c.GroupID]].Members = c.N
	}
	for _, c := range con {
		out[index[c.GroupID]].Contributions = c.N
	}
	for _, c := range outp {
		out[index[c.GroupID]].Outputs = c.N
	}
	return out, nil
}

// emitProgress is the groups.progress follow-up, coalesced like tallies: one event for a burst
// of posts.
func (b *batch) emitProgress(ctx context.Context) error {
	p, err := groupProgress(ctx, b.reader())
	if err != nil {
		return err
	}
	b.emit("groups.progress", AudienceAll, map[string]any{"groups": p})
	return nil
}
