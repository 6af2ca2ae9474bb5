package people

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// The ways a person comes in and gets a personal link: invited by an organiser, signed up on
// the public form, let in at the door, or given a new link. Each is one transaction: a person
// never exists without the places and the link the use case promised them. Called inside a
// transaction (db is a bun.Tx), they join it.

// Invite adds a person to a process with a confirmed place in each of sessions (an organiser
// places by hand, outside the capacity rules) and a personal link good for ttl that lands in
// the first session, or on "my sessions" when there is none.
func Invite(ctx context.Context, db bun.IDB, np NewParticipant, sessions []*record.Workshop, ttl time.Duration) (*record.Participant, string, error) {
	var who *record.Participant
	var token string
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if who, err = CreateParticipant(ctx, tx, np); err != nil {
			return err
		}
		for _, w := range sessions {
			if err := AddRegistration(ctx, tx, w, who.ID, record.RegistrationConfirmed); err != nil {
				return err
			}
		}
		var landing *int64
		if len(sessions) > 0 {
			landing = &sessions[0].ID
		}
		token, _, err = CreateInvitation(ctx, tx, who.ID, landing, ttl, false)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return who, token, nil
}

// InviteAll invites each of nps as Invite does, into session w, all in one transaction: one
// commit for hundreds of people (the crowds of a load test). When role is set, each also gets
// that role in w. The tokens come back in the order of nps.
func InviteAll(ctx context.Context, db bun.IDB, nps []NewParticipant, w *record.Workshop, role record.Role, ttl time.Duration) ([]string, error) {
	tokens := make([]string, 0, len(nps))
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		for _, np := range nps {
			who, token, err := Invite(ctx, tx, np, []*record.Workshop{w}, ttl)
			if err != nil {
				return err
			}
			if role != "" {
				if err := SetWorkshopRole(ctx, tx, w.ID, who.ID, role); err != nil {
					return err
				}
			}
			tokens = append(tokens, token)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tokens, nil
}

// SignedUp is what a registration hands back: the person, where each session landed, and
// their way back, a personal link to "my sessions" (Token) and its short code (Code).
type SignedUp struct {
	Participant *record.Participant
	Placements  []Placement
	Token, Code string
}

// SignUp is the public registration form: a new participant of the process np names, placed
// in each of the chosen workshops by the rules of capacity and organisation (Register), with a
// link to "my sessions" and its code. Past the deadline or once a session closed it fails with
// ErrRegistrationClosed, for sessions at the same time with an *OverlapError, and keeps
// nothing.
func SignUp(ctx context.Context, db bun.IDB, np NewParticipant, choice Choice, now time.Time) (*SignedUp, error) {
	out := new(SignedUp)
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if out.Participant, err = CreateParticipant(ctx, tx, np); err != nil {
			return err
		}
		if out.Placements, err = register(ctx, tx, out.Participant.ID, choice, now); err != nil {
			return err
		}
		out.Token, out.Code, err = LinkAndCode(ctx, tx, out.Participant.ID, *np.ProcessID, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WalkIn lets in at the door a person who had no place: a new participant of the session's
// process with a confirmed place (outside capacity: the door decides), and a personal link
// with its code that lands in the session. Their arrival is the caller's to record, through
// the live room (a check-in is a command of the session), once this has committed.
func WalkIn(ctx context.Context, db bun.IDB, w *record.Workshop, np NewParticipant, now time.Time) (int64, Way, error) {
	var way Way
	var id int64
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		who, err := CreateParticipant(ctx, tx, np)
		if err != nil {
			return err
		}
		id = who.ID
		if err := AddRegistration(ctx, tx, w, who.ID, record.RegistrationConfirmed); err != nil {
			return err
		}
		ttl, err := LinkLifetime(ctx, tx, w.ProcessID, now)
		if err != nil {
			return err
		}
		way, err = newWay(ctx, tx, who.ID, &w.ID, ttl)
		return err
	})
	return id, way, err
}

// NewLink gives a person a new link (lost card, new phone) good for ttl, landing in workshopID
// when it is set. The old link was lost or taken: whoever holds it, or a browser signed in with
// it, loses access with the same commit.
func NewLink(ctx context.Context, db bun.IDB, participantID int64, workshopID *int64, ttl time.Duration) (string, error) {
	var token string
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if err := RevokeInvitations(ctx, tx, participantID); err != nil {
			return err
		}
		if err := EndSessionsOf(ctx, tx, participantID); err != nil {
			return err
		}
		var err error
		token, _, err = CreateInvitation(ctx, tx, participantID, workshopID, ttl, false)
		return err
	})
	return token, err
}

// Landing is where one person's link opens: a session, or "my sessions" when Workshop is nil.
type Landing struct {
	Participant int64
	Workshop    *int64
}

// IssueLinks makes one personal link with its code per landing (the cards an organiser
// prints), all good until a day after the process's last session; they come back in the same
// order.
func IssueLinks(ctx context.Context, db bun.IDB, processID int64, landings []Landing, now time.Time) ([]Way, error) {
	ways := make([]Way, 0, len(landings))
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		ttl, err := LinkLifetime(ctx, tx, processID, now)
		if err != nil {
			return err
		}
		for _, l := range landings {
			way, err := newWay(ctx, tx, l.Participant, l.Workshop, ttl)
			if err != nil {
				return err
			}
			ways = append(ways, way)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ways, nil
}

// SignIn exchanges an invitation link for a signed-in session good for ttl, in one
// transaction: a single-use link cannot open two sessions. It returns the invitation (where
// the link lands), who signed in and the session's token.
func SignIn(ctx context.Context, db bun.IDB, token string, now time.Time, ttl time.Duration) (*Invitation, *record.Participant, string, error) {
	return signIn(ctx, db, ttl, func(ctx context.Context, tx bun.Tx) (*Invitation, error) {
		return RedeemInvitation(ctx, tx, token, now)
	})
}

// signIn opens a session good for ttl for the person of the invitation find returns, in the
// same transaction. An erased person signs in with nothing (erasure deletes their
// invitations too; this holds even if one were left).
func signIn(ctx context.Context, db bun.IDB, ttl time.Duration, find func(context.Context, bun.Tx) (*Invitation, error)) (*Invitation, *record.Participant, string, error) {
	var inv *Invitation
	var who *record.Participant
	var session string
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if inv, err = find(ctx, tx); err != nil {
			return err
		}
		if who, err = GetParticipant(ctx, tx, inv.ParticipantID); err != nil {
			return err
		}
		if who.ErasedAt != nil {
			return fmt.Errorf("store: sign in: %w", record.ErrNotFound)
		}
		session, err = CreateSession(ctx, tx, inv.ParticipantID, ttl)
		return err
	})
	if err != nil {
		return nil, nil, "", err
	}
	return inv, who, session, nil
}

// LinkToMySessions makes a personal link that opens "my sessions", good until a day after the
// process's last session (a mail after a promotion, a link sent again).
func LinkToMySessions(ctx context.Context, db bun.IDB, participantID, processID int64, now time.Time) (string, error) {
	ttl, err := LinkLifetime(ctx, db, processID, now)
	if err != nil {
		return "", err
	}
	token, _, err := CreateInvitation(ctx, db, participantID, nil, ttl, false)
	return token, err
}

// LinkLifetime is how long a personal link of a process stays good from now: until its last
// session ends, plus a day for the stragglers; at least a day.
func LinkLifetime(ctx context.Context, db bun.IDB, processID int64, now time.Time) (time.Duration, error) {
	ws, err := process.ListWorkshops(ctx, db, processID)
	if err != nil {
		return 0, err
	}
	end := now
	for _, w := range ws {
		if w.EndsAt.After(end) {
			end = w.EndsAt
		}
	}
	return end.Add(24 * time.Hour).Sub(now), nil
}
