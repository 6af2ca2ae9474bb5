package people

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
)

// Erase removes a participant's personal data for good (DESIGN invariant 9): their row
// in people (name, email, phone, language, service-user status) goes; their organisation stays
// on what they said only if they agreed to it; their sign-in links and sessions end. What they
// said and voted stays, attributed to "a participant", so a published notebook and the tallies
// do not change.
//
// The live event logs of the process's workshops are cleared too, because events carry the
// author labels people saw in the room, and each gets a new log epoch
// (deliberation.ResetProcessLogs): a client that resumes after the erasure gets a fresh
// snapshot, never a replay. The caller then tells the live rooms (hub.Hub.ResetLog), whose
// memory still holds the old events.
func Erase(ctx context.Context, db bun.IDB, participantID int64, now time.Time) error {
	return withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		p, err := GetParticipant(ctx, tx, participantID)
		if err != nil {
			return err
		}
		if p.ProcessID != nil { // first: it takes the live engine's locks in its order
			if err := clearEventLogs(ctx, tx, *p.ProcessID); err != nil {
				return err
			}
		}
		return erase(ctx, tx, []int64{participantID}, now)
	})
}

// EraseProcess erases the personal data of every participant of a process (after
// publication, say) and returns how many people were erased.
func EraseProcess(ctx context.Context, db bun.IDB, processID int64, now time.Time) (int, error) {
	var ids []int64
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Model((*deliberation.Participant)(nil)).Column("id").
			Where("process_id = ? AND erased_at IS NULL", processID).Scan(ctx, &ids)
		if err != nil {
			return fmt.Errorf("store: erase process: %w", err)
		}
		if err := clearEventLogs(ctx, tx, processID); err != nil { // first, as in Erase
			return err
		}
		if len(ids) > 0 {
			return erase(ctx, tx, ids, now)
		}
		return nil
	})
	return len(ids), err
}

// erase removes the personal data of some participants inside a transaction.
func erase(ctx context.Context, tx bun.Tx, ids []int64, now time.Time) error {
	// Organisations stay only where the person agreed to keep them on what they said.
	_, err := tx.NewUpdate().Model((*deliberation.Participant)(nil)).
		Set("organisation_id = NULL").
		Where("id IN (?)", bun.In(ids)).
		Where("NOT EXISTS (SELECT 1 FROM people AS pe WHERE pe.participant_id = participant.id AND pe.attribution_consent)").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: erase: organisations: %w", err)
	}
	steps := []struct {
		what string
		q    interface {
			Exec(context.Context, ...any) (sql.Result, error)
		}
	}{
		{"people", tx.NewDelete().Model((*Person)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		{"invitations", tx.NewDelete().Model((*Invitation)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		{"sessions", tx.NewDelete().Model((*AuthSession)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		{"join requests", tx.NewDelete().Model((*JoinRequest)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		{"participants", tx.NewUpdate().Model((*deliberation.Participant)(nil)).Set("erased_at = ?", now).Where("id IN (?)", bun.In(ids))},
		// An organisation is typed by people and may name them ("Zoé, indépendante"): one that
		// nobody refers to any more goes too.
		{"organisations", tx.NewDelete().Model((*Organisation)(nil)).
			Where("id NOT IN (?)", tx.NewSelect().Model((*deliberation.Participant)(nil)).Column("organisation_id").Where("organisation_id IS NOT NULL"))},
	}
	for _, s := range steps {
		if _, err := s.q.Exec(ctx); err != nil {
			return fmt.Errorf("store: erase: %s: %w", s.what, err)
		}
	}
	return nil
}

// clearEventLogs deletes the live event logs of a process's workshops and changes their
// epochs (see Erase).
func clearEventLogs(ctx context.Context, tx bun.Tx, processID int64) error {
	return deliberation.ResetProcessLogs(ctx, tx, processID)
}
