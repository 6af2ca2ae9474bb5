package deliberation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

func (b *batch) reader() *view.Reader { return &view.Reader{DB: b.tx, Workshop: &b.w, State: &b.st} }

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

// emitProgress is the groups.progress follow-up, coalesced like tallies: one event for a burst
// of posts.
func (b *batch) emitProgress(ctx context.Context) error {
	p, err := view.ProgressOf(ctx, b.reader())
	if err != nil {
		return err
	}
	b.emit("groups.progress", AudienceAll, map[string]any{"groups": p})
	return nil
}
