package people

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/assises/assises/record"
)

// Refusals of a registration. The page shows each in plain words.
var (
	ErrRegistrationClosed = errors.New("registration closed") // past the deadline, or the session is over
	ErrAlreadyRegistered  = errors.New("already registered")
)

// Placement is where a registration landed in one workshop.
type Placement struct {
	WorkshopID int64
	Status     string // confirmed or waiting
	// Reason a registration waits: "full" (no place left) or "organisation" (the
	// per-organisation cap is reached). Empty when confirmed.
	Reason string
}

// Register places a participant in each of the given workshops, by the rules of the process:
// the first Capacity people are confirmed, the next wait; at most PerOrgCap people of one
// organisation are confirmed per workshop (the others wait, in case a colleague cancels).
// The rules hold under concurrency because each workshop's row is locked while its places
// are counted (PostgreSQL: SELECT … FOR UPDATE; SQLite: one writer at a time).
// Sessions at the same time are refused with an *OverlapError (see checkOverlap).
func Register(ctx context.Context, db bun.IDB, participantID int64, workshopIDs []int64, now time.Time) ([]Placement, error) {
	return register(ctx, db, participantID, Choice{Workshops: workshopIDs}, now)
}

// Choice is what a person asks for when registering: sessions, and whether they confirmed
// that they want sessions at the same time (which only a process that warns accepts).
type Choice struct {
	Workshops     []int64
	AcceptOverlap bool
}

func register(ctx context.Context, db bun.IDB, participantID int64, choice Choice, now time.Time) ([]Placement, error) {
	workshopIDs := choice.Workshops
	p, err := GetParticipant(ctx, db, participantID)
	if err != nil {
		return nil, err
	}
	if p.ProcessID == nil {
		return nil, fmt.Errorf("store: register: participant %d belongs to no process", participantID)
	}
	proc, err := record.GetProcess(ctx, db, *p.ProcessID)
	if err != nil {
		return nil, err
	}
	if proc.RegistrationDeadline != nil && !now.Before(*proc.RegistrationDeadline) {
		return nil, fmt.Errorf("store: register: %w", ErrRegistrationClosed)
	}
	if err := checkOverlap(ctx, db, proc, participantID, workshopIDs, choice.AcceptOverlap); err != nil {
		return nil, err
	}
	var out []Placement
	for _, wid := range workshopIDs {
		var pl Placement
		err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			var err error
			pl, err = place(ctx, tx, proc, p, wid, now)
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, pl)
	}
	return out, nil
}

func place(ctx context.Context, tx bun.Tx, proc *record.Process, p *record.Participant, workshopID int64, now time.Time) (Placement, error) {
	w, err := lockWorkshopRow(ctx, tx, workshopID)
	if err != nil {
		return Placement{}, err
	}
	if w.ProcessID != proc.ID {
		return Placement{}, fmt.Errorf("store: register: workshop %d: %w", workshopID, record.ErrNotFound)
	}
	if w.Phase == record.PhaseClosed || !now.Before(w.EndsAt) {
		return Placement{}, fmt.Errorf("store: register: %w", ErrRegistrationClosed)
	}
	exists, err := tx.NewSelect().Model((*record.Registration)(nil)).
		Where("workshop_id = ? AND participant_id = ? AND status <> ?", workshopID, p.ID, record.RegistrationCancelled).Exists(ctx)
	if err != nil {
		return Placement{}, fmt.Errorf("store: register: %w", err)
	}
	if exists {
		return Placement{}, fmt.Errorf("store: register: %w", ErrAlreadyRegistered)
	}
	status, reason, err := decide(ctx, tx, proc, w, p.OrganisationID)
	if err != nil {
		return Placement{}, err
	}
	if err := AddRegistration(ctx, tx, w, p.ID, status); err != nil {
		return Placement{}, err
	}
	return Placement{WorkshopID: workshopID, Status: status, Reason: reason}, nil
}

// decide says whether one more person of an organisation may be confirmed in a workshop now.
func decide(ctx context.Context, tx bun.Tx, proc *record.Process, w *record.Workshop, orgID *int64) (status, reason string, err error) {
	capacity := w.Capacity
	if capacity <= 0 {
		capacity = proc.Capacity
	}
	confirmed, err := tx.NewSelect().Model((*record.Registration)(nil)).
		Where("workshop_id = ? AND status = ?", w.ID, record.RegistrationConfirmed).Count(ctx)
	if err != nil {
		return "", "", fmt.Errorf("store: register: count places: %w", err)
	}
	if capacity > 0 && confirmed >= int64(capacity) {
		return record.RegistrationWaiting, "full", nil
	}
	if orgID != nil && proc.PerOrgCap > 0 {
		same, err := tx.NewSelect().Model((*record.Registration)(nil)).
			Join("JOIN participants AS p ON p.id = registration.participant_id").
			Where("registration.workshop_id = ? AND registration.status = ? AND p.organisation_id = ?", w.ID, record.RegistrationConfirmed, *orgID).
			Count(ctx)
		if err != nil {
			return "", "", fmt.Errorf("store: register: count organisation: %w", err)
		}
		if same >= int64(proc.PerOrgCap) {
			return record.RegistrationWaiting, "organisation", nil
		}
	}
	return record.RegistrationConfirmed, "", nil
}

// Cancel withdraws a registration and promotes the first person waiting who may now be
// confirmed (someone of the same organisation, or anyone when the place freed was the limit).
// It returns the participant promoted, if any, so that they can be told.
func Cancel(ctx context.Context, db bun.IDB, workshopID, participantID int64, now time.Time) (promoted *int64, err error) {
	err = withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		w, err := lockWorkshopRow(ctx, tx, workshopID)
		if err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*record.Registration)(nil)).
			Set("status = ?, updated_at = ?", record.RegistrationCancelled, now).
			Where("workshop_id = ? AND participant_id = ? AND status <> ?", workshopID, participantID, record.RegistrationCancelled).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: cancel registration: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: cancel registration: %w", record.ErrNotFound)
		}
		promoted, err = promote(ctx, tx, w)
		return err
	})
	return promoted, err
}

// promote confirms the longest-waiting registration that the rules now allow.
func promote(ctx context.Context, tx bun.Tx, w *record.Workshop) (*int64, error) {
	proc, err := record.GetProcess(ctx, tx, w.ProcessID)
	if err != nil {
		return nil, err
	}
	var waiting []struct {
		ID             int64
		ParticipantID  int64
		OrganisationID *int64
	}
	err = tx.NewSelect().Model((*record.Registration)(nil)).
		ColumnExpr("registration.id, registration.participant_id, p.organisation_id").
		Join("JOIN participants AS p ON p.id = registration.participant_id").
		Where("registration.workshop_id = ? AND registration.status = ?", w.ID, record.RegistrationWaiting).
		Order("registration.id").Scan(ctx, &waiting)
	if err != nil {
		return nil, fmt.Errorf("store: promote: %w", err)
	}
	for _, c := range waiting {
		status, _, err := decide(ctx, tx, proc, w, c.OrganisationID)
		if err != nil {
			return nil, err
		}
		if status == record.RegistrationConfirmed {
			_, err := tx.NewUpdate().Model((*record.Registration)(nil)).
				Set("status = ?, updated_at = ?", record.RegistrationConfirmed, time.Now().UTC()).
				Where("id = ?", c.ID).Exec(ctx)
			if err != nil {
				return nil, fmt.Errorf("store: promote: %w", err)
			}
			id := c.ParticipantID
			return &id, nil
		}
	}
	return nil, nil
}

// lockWorkshopRow reads a workshop and keeps other writers of its row waiting until the
// transaction ends. SQLite needs no row lock: its transactions take the single write lock.
func lockWorkshopRow(ctx context.Context, tx bun.Tx, id int64) (*record.Workshop, error) {
	w := new(record.Workshop)
	q := tx.NewSelect().Model(w).Where("id = ?", id)
	if tx.Dialect().Name() == dialect.PG {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, record.NotFound("lock workshop", err)
	}
	return w, nil
}

// withTx runs fn in a transaction of db, or inside the one db already is.
func withTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.Tx) error) error {
	if tx, ok := db.(bun.Tx); ok {
		return fn(ctx, tx)
	}
	return db.RunInTx(ctx, nil, fn)
}
