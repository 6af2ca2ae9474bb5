package people

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// AddRegistration places a participant in a workshop with the given status, as an organiser
// may do by hand (or the demo): it does not apply capacity rules.
func AddRegistration(ctx context.Context, db bun.IDB, w *record.Workshop, participantID int64, status string) error {
	now := time.Now().UTC()
	r := &record.Registration{
		ProcessID:     w.ProcessID,
		WorkshopID:    w.ID,
		ParticipantID: participantID,
		Status:        status,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	_, err := db.NewInsert().Model(r).
		On("CONFLICT (workshop_id, participant_id) DO UPDATE").Set("status = EXCLUDED.status, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: add registration: %w", err)
	}
	return nil
}

// ListRegistrations returns a workshop's registrations in the order they came in.
func ListRegistrations(ctx context.Context, db bun.IDB, workshopID int64) ([]record.Registration, error) {
	var rs []record.Registration
	if err := db.NewSelect().Model(&rs).Where("workshop_id = ?", workshopID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list registrations: %w", err)
	}
	return rs, nil
}

// CountParticipants returns how many participants a process has (people not erased), and
// from how many organisations.
func CountParticipants(ctx context.Context, db bun.IDB, processID int64) (people, organisations int, err error) {
	n, err := db.NewSelect().Model((*record.Participant)(nil)).
		Where("process_id = ? AND erased_at IS NULL AND role IN (?)", processID, bun.In([]record.Role{record.RoleParticipant, record.RoleModerator})).
		Count(ctx)
	people = int(n)
	if err != nil {
		return 0, 0, fmt.Errorf("store: count participants: %w", err)
	}
	err = db.NewSelect().Model((*record.Participant)(nil)).
		ColumnExpr("count(DISTINCT organisation_id)").
		Where("process_id = ? AND erased_at IS NULL AND role IN (?)", processID, bun.In([]record.Role{record.RoleParticipant, record.RoleModerator})).
		Scan(ctx, &organisations)
	if err != nil {
		return 0, 0, fmt.Errorf("store: count organisations: %w", err)
	}
	return people, organisations, nil
}

// WaitingPosition is where a registration stands on its session's waiting list: 1 for the
// first in line, counted in the order people registered. It is 0 when the registration does
// not wait. (A person whose organisation has reached its cap may be passed over when a place
// frees up, so the position says where one stands, not a promise.)
func WaitingPosition(ctx context.Context, db bun.IDB, reg *record.Registration) (int, error) {
	if reg.Status != record.RegistrationWaiting {
		return 0, nil
	}
	ahead, err := db.NewSelect().Model((*record.Registration)(nil)).
		Where("workshop_id = ? AND status = ? AND id < ?", reg.WorkshopID, record.RegistrationWaiting, reg.ID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: waiting position: %w", err)
	}
	return int(ahead) + 1, nil
}
