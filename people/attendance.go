package people

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// This file holds what happens around registrations once they exist: a person's own list,
// check-in at the door (by name or by the QR code of their invitation card), places left on
// the public page, and the lists the organiser's exports and erasure need.

// ErrNotConfirmed refuses a check-in of someone without a confirmed place in the session.
var ErrNotConfirmed = errors.New("no confirmed place")

// CheckIn marks a participant present in a workshop. With admit, a person who waits or has no
// registration is first given a confirmed place, outside capacity: at the door the moderator
// decides, and the rules of the waiting list are for places booked in advance.
func CheckIn(ctx context.Context, db bun.IDB, w *record.Workshop, participantID int64, now time.Time, admit bool) error {
	return withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if admit {
			if err := AddRegistration(ctx, tx, w, participantID, record.RegistrationConfirmed); err != nil {
				return err
			}
		}
		res, err := tx.NewUpdate().Model((*record.Registration)(nil)).
			Set("checked_in_at = COALESCE(checked_in_at, ?), updated_at = ?", now, now).
			Where("workshop_id = ? AND participant_id = ? AND status = ?", w.ID, participantID, record.RegistrationConfirmed).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: check in: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: check in: %w", ErrNotConfirmed)
		}
		return nil
	})
}

// UndoCheckIn takes back a check-in made by mistake.
func UndoCheckIn(ctx context.Context, db bun.IDB, workshopID, participantID int64) error {
	_, err := db.NewUpdate().Model((*record.Registration)(nil)).
		Set("checked_in_at = NULL").
		Where("workshop_id = ? AND participant_id = ?", workshopID, participantID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: undo check in: %w", err)
	}
	return nil
}

// ListWorkshopRegistrations returns one session's registrations with each person's name and
// organisation (organisers and moderators only), in the order they came in.
func ListWorkshopRegistrations(ctx context.Context, db bun.IDB, workshopID int64) ([]RegistrationRow, error) {
	rows, err := scanRegistrationRows(ctx, selectRegistrationRows(db).Where("r.workshop_id = ?", workshopID).OrderExpr("r.id"))
	if err != nil {
		return nil, fmt.Errorf("store: list workshop registrations: %w", err)
	}
	return rows, nil
}

// ListParticipantRegistrations returns a person's registrations that are not cancelled, by
// session start.
func ListParticipantRegistrations(ctx context.Context, db bun.IDB, participantID int64) ([]record.Registration, error) {
	var rs []record.Registration
	err := db.NewSelect().Model(&rs).
		Join("JOIN workshops AS w ON w.id = registration.workshop_id").
		Where("registration.participant_id = ? AND registration.status <> ?", participantID, record.RegistrationCancelled).
		OrderExpr("w.starts_at, registration.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: list participant registrations: %w", err)
	}
	return rs, nil
}

// ConfirmedCounts returns how many confirmed places each session of a process holds.
func ConfirmedCounts(ctx context.Context, db bun.IDB, processID int64) (map[int64]int, error) {
	var rows []struct {
		WorkshopID int64
		N          int
	}
	err := db.NewSelect().Model((*record.Registration)(nil)).
		ColumnExpr("workshop_id, count(*) AS n").
		Where("process_id = ? AND status = ?", processID, record.RegistrationConfirmed).
		GroupExpr("workshop_id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: count places: %w", err)
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.WorkshopID] = r.N
	}
	return out, nil
}

// ActiveParticipantIDs returns the participants of a process who are not erased (the server
// closes their live connections after erasing the process).
func ActiveParticipantIDs(ctx context.Context, db bun.IDB, processID int64) ([]int64, error) {
	var ids []int64
	err := db.NewSelect().Model((*record.Participant)(nil)).Column("id").
		Where("process_id = ? AND erased_at IS NULL", processID).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: active participants: %w", err)
	}
	return ids, nil
}
