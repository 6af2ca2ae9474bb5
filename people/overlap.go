package people

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// Two sessions overlap when one starts before the other ends. A person cannot be in both, so
// registering for both is refused or only allowed once the person confirms it, as the process
// says (deliberation.Process.OverlapRule).

// Overlap rules of a process.
const (
	OverlapRefuse = "refuse" // the default: the form says which sessions clash, nothing is kept
	OverlapWarn   = "warn"   // the form says which sessions clash; the person may confirm both
)

// ErrOverlap is the refusal of a registration for sessions at the same time; the error is an
// *OverlapError that names them.
var ErrOverlap = errors.New("sessions at the same time")

// OverlapError names the sessions that clash, and whether the person may confirm anyway.
type OverlapError struct {
	Rule  string     // OverlapRefuse or OverlapWarn
	Pairs [][2]int64 // workshop ids, each pair once, the smaller id first
}

func (e *OverlapError) Error() string {
	return fmt.Sprintf("store: register: %d pair(s) of sessions at the same time (%s)", len(e.Pairs), e.Rule)
}

func (e *OverlapError) Unwrap() error { return ErrOverlap }

// overlapRule reads a process's rule; anything but "warn" refuses.
func overlapRule(p *record.Process) string {
	if p.OverlapRule == OverlapWarn {
		return OverlapWarn
	}
	return OverlapRefuse
}

// checkOverlap refuses workshopIDs when two of them, or one of them and a session the person
// already holds a place in (or waits for), are at the same time, unless the process only warns
// and the person accepted.
func checkOverlap(ctx context.Context, db bun.IDB, proc *record.Process, participantID int64, workshopIDs []int64, accepted bool) error {
	rule := overlapRule(proc)
	if rule == OverlapWarn && accepted {
		return nil
	}
	var held []int64
	err := db.NewSelect().Model((*record.Registration)(nil)).Column("workshop_id").
		Where("participant_id = ? AND status <> ?", participantID, record.RegistrationCancelled).Scan(ctx, &held)
	if err != nil {
		return fmt.Errorf("store: register: sessions held: %w", err)
	}
	ids := slices.Concat(workshopIDs, held)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) < 2 {
		return nil
	}
	var ws []record.Workshop
	if err := db.NewSelect().Model(&ws).Where("id IN (?)", bun.In(ids)).Order("id").Scan(ctx); err != nil {
		return fmt.Errorf("store: register: sessions: %w", err)
	}
	asked := func(id int64) bool { return slices.Contains(workshopIDs, id) }
	var pairs [][2]int64
	for i := range ws {
		for j := i + 1; j < len(ws); j++ {
			a, b := ws[i], ws[j]
			if !asked(a.ID) && !asked(b.ID) {
				continue // two places held already: not this registration's doing
			}
			if a.StartsAt.Before(b.EndsAt) && b.StartsAt.Before(a.EndsAt) {
				pairs = append(pairs, [2]int64{a.ID, b.ID})
			}
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	return &OverlapError{Rule: rule, Pairs: pairs}
}
