package people

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// Joining an open session: a session whose organiser set its access to open
// (deliberation.AccessOpen) lets in anyone with its code or the projector's QR, under a
// pseudonym, with no registration and no welcome desk — a public plenary, as with Slido or
// Mentimeter. The person becomes a participant of the process with a confirmed place marked
// OpenJoin, so the notebook counts them apart from those who registered. Joining is not
// arriving: they say "Je suis là" like everyone (check-in means arrival).

// ErrBadPseudonym refuses an empty pseudonym or one over 60 characters.
var ErrBadPseudonym = errors.New("a pseudonym of 1 to 60 characters is needed")

// BadPseudonym reports whether a typed pseudonym is empty once cleaned, or too long.
func BadPseudonym(s string) bool {
	s = strings.Join(strings.Fields(s), " ")
	return s == "" || len([]rune(s)) > 60
}

// MaxOpenRoom bounds an open session whose organiser set no capacity.
const MaxOpenRoom = 2000

// ErrRoomFull refuses an open join when the session holds as many places as its capacity.
var ErrRoomFull = errors.New("the session is full")

// OpenCapacity is how many people an open session holds: its own capacity, else the
// process's, else MaxOpenRoom.
func OpenCapacity(w *record.Workshop, p *record.Process) int {
	switch {
	case w.Capacity > 0:
		return w.Capacity
	case p.Capacity > 0:
		return p.Capacity
	}
	return MaxOpenRoom
}

// OpenSession returns the open session of a join code that one may still join, or ErrNotFound
// (an unknown code, a session that is not open, closed or over: the answer does not say which).
func OpenSession(ctx context.Context, db bun.IDB, code string, now time.Time) (*record.Workshop, error) {
	w, err := process.GetWorkshopByCode(ctx, db, code)
	if err != nil {
		return nil, err
	}
	if w.Access != record.AccessOpen || w.Phase == record.PhaseClosed || !now.Before(w.EndsAt) {
		return nil, fmt.Errorf("store: open session: %w", record.ErrNotFound)
	}
	return w, nil
}

// JoinOpen lets a person into the open session of code under pseudonym and returns the
// session and a sign-in session token (good for ttl) for their phone, in one transaction.
func JoinOpen(ctx context.Context, db bun.IDB, code, pseudonym, lang string, now time.Time, ttl time.Duration) (*record.Workshop, string, error) {
	if BadPseudonym(pseudonym) {
		return nil, "", fmt.Errorf("store: join open session: %w", ErrBadPseudonym)
	}
	pseudonym = strings.Join(strings.Fields(pseudonym), " ")
	var w *record.Workshop
	var token string
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		found, err := OpenSession(ctx, tx, code, now)
		if err != nil {
			return err
		}
		// The row lock makes concurrent joins count one after the other (PostgreSQL).
		if w, err = lockWorkshopRow(ctx, tx, found.ID); err != nil {
			return err
		}
		proc, err := record.GetProcess(ctx, tx, w.ProcessID)
		if err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*record.Registration)(nil)).
			Where("workshop_id = ? AND status = ?", w.ID, record.RegistrationConfirmed).Count(ctx)
		if err != nil {
			return fmt.Errorf("store: join open session: %w", err)
		}
		if int(n) >= OpenCapacity(w, proc) {
			return fmt.Errorf("store: join open session: %w", ErrRoomFull)
		}
		who, err := CreateParticipant(ctx, tx, NewParticipant{ProcessID: &w.ProcessID, Role: record.RoleParticipant,
			Person: Person{DisplayName: pseudonym, Language: lang}})
		if err != nil {
			return err
		}
		reg := &record.Registration{ProcessID: w.ProcessID, WorkshopID: w.ID, ParticipantID: who.ID,
			Status: record.RegistrationConfirmed, OpenJoin: true, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(reg).Exec(ctx); err != nil {
			return fmt.Errorf("store: join open session: %w", err)
		}
		token, err = CreateSession(ctx, tx, who.ID, ttl)
		return err
	})
	return w, token, err
}
