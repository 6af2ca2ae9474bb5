package people

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// Errors of the sign-in flow. The server shows them all as one page ("this link no longer
// works") so that nobody learns which links exist; they stay distinct for logs and tests.
var (
	ErrTokenExpired = errors.New("token expired")
	ErrTokenRevoked = errors.New("token revoked")
	ErrTokenUsed    = errors.New("token already used")
)

// NewToken returns a random, URL-safe secret of 256 bits.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is what we store instead of a token: a leaked database does not let anyone sign in.
// The tokens carry 256 random bits, so a fast unsalted hash is enough (no dictionary to attack).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateInvitation stores a sign-in link for a participant and returns its token, which is not
// stored anywhere and must be handed to the person now.
func CreateInvitation(ctx context.Context, db bun.IDB, participantID int64, workshopID *int64, ttl time.Duration, singleUse bool) (string, *Invitation, error) {
	now := time.Now().UTC()
	token := NewToken()
	inv := &Invitation{
		ParticipantID: participantID,
		WorkshopID:    workshopID,
		TokenHash:     HashToken(token),
		SingleUse:     singleUse,
		ExpiresAt:     now.Add(ttl),
		CreatedAt:     now,
	}
	if _, err := db.NewInsert().Model(inv).Returning("id").Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("store: create invitation: %w", err)
	}
	return token, inv, nil
}

// LookupInvitation finds the invitation of a token without using it: the door scans a
// person's card to know who they are, and must not spend a single-use link or sign anyone in.
// RedeemInvitation refuses the same links, then spends the link.
func LookupInvitation(ctx context.Context, db bun.IDB, token string, now time.Time) (*Invitation, error) {
	return lookupInvitation(ctx, db, "token_hash", HashToken(token), now)
}

// lookupInvitation finds a usable invitation by the hash of its token or of its code.
func lookupInvitation(ctx context.Context, db bun.IDB, column, hash string, now time.Time) (*Invitation, error) {
	inv := new(Invitation)
	if err := db.NewSelect().Model(inv).Where("? = ?", bun.Ident(column), hash).Scan(ctx); err != nil {
		return nil, record.NotFound("lookup invitation", err)
	}
	switch {
	case inv.RevokedAt != nil:
		return nil, fmt.Errorf("store: lookup invitation: %w", ErrTokenRevoked)
	case !now.Before(inv.ExpiresAt):
		return nil, fmt.Errorf("store: lookup invitation: %w", ErrTokenExpired)
	case inv.SingleUse && inv.UsedAt != nil:
		return nil, fmt.Errorf("store: lookup invitation: %w", ErrTokenUsed)
	}
	return inv, nil
}

// RedeemInvitation checks an invitation token and, when it is good, marks a single-use link
// as used. The lookup is by hash, an indexed equality on a value the attacker cannot choose,
// so it leaks nothing through timing.
func RedeemInvitation(ctx context.Context, db bun.IDB, token string, now time.Time) (*Invitation, error) {
	inv, err := LookupInvitation(ctx, db, token, now)
	if err != nil {
		return nil, err
	}
	// The condition on used_at makes two concurrent redemptions of a single-use link race
	// for one row update: only one wins.
	q := db.NewUpdate().Model((*Invitation)(nil)).Set("used_at = ?", now).Where("id = ?", inv.ID)
	if inv.SingleUse {
		q = q.Where("used_at IS NULL")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: redeem invitation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("store: redeem invitation: %w", ErrTokenUsed)
	}
	inv.UsedAt = &now
	return inv, nil
}

// RevokeInvitations revokes every open invitation of a participant.
func RevokeInvitations(ctx context.Context, db bun.IDB, participantID int64) error {
	return revokeAllOf[Invitation](ctx, db, participantID, "revoke invitations")
}

// revokeAllOf revokes now every open row of T (invitations, sessions) held by a participant.
func revokeAllOf[T any](ctx context.Context, db bun.IDB, participantID int64, what string) error {
	_, err := db.NewUpdate().Model((*T)(nil)).Set("revoked_at = ?", time.Now().UTC()).
		Where("participant_id = ? AND revoked_at IS NULL", participantID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// CreateSession signs a participant in and returns the cookie value (stored only as a hash).
func CreateSession(ctx context.Context, db bun.IDB, participantID int64, ttl time.Duration) (string, error) {
	now := time.Now().UTC()
	token := NewToken()
	s := &AuthSession{TokenHash: HashToken(token), ParticipantID: participantID, ExpiresAt: now.Add(ttl), CreatedAt: now}
	if _, err := db.NewInsert().Model(s).Exec(ctx); err != nil {
		return "", fmt.Errorf("store: create session: %w", err)
	}
	return token, nil
}

// SessionParticipant returns the participant signed in by a session cookie, or ErrNotFound when
// the cookie is unknown, expired or revoked.
func SessionParticipant(ctx context.Context, db bun.IDB, token string, now time.Time) (*record.Participant, error) {
	s := new(AuthSession)
	err := db.NewSelect().Model(s).
		Where("token_hash = ? AND revoked_at IS NULL AND expires_at > ?", HashToken(token), now).Scan(ctx)
	if err != nil {
		return nil, record.NotFound("session", err)
	}
	p, err := GetParticipant(ctx, db, s.ParticipantID)
	if err != nil {
		return nil, err
	}
	if p.ErasedAt != nil {
		return nil, fmt.Errorf("store: session: %w", record.ErrNotFound)
	}
	return p, nil
}

// ActiveSession returns the session of a cookie while it may sign someone in (known, not
// expired, not revoked, its person not erased), in one query: the WebSocket handshake asks
// it for every connection, and needs only who and until when.
func ActiveSession(ctx context.Context, db bun.IDB, token string, now time.Time) (*AuthSession, error) {
	s := new(AuthSession)
	err := db.NewSelect().Model(s).
		Where("token_hash = ? AND revoked_at IS NULL AND expires_at > ?", HashToken(token), now).
		Where("EXISTS (SELECT 1 FROM participants AS p WHERE p.id = auth_session.participant_id AND p.erased_at IS NULL)").
		Scan(ctx)
	if err != nil {
		return nil, record.NotFound("session", err)
	}
	return s, nil
}

// EndSession signs a browser out.
func EndSession(ctx context.Context, db bun.IDB, token string) error {
	_, err := db.NewUpdate().Model((*AuthSession)(nil)).Set("revoked_at = ?", time.Now().UTC()).
		Where("token_hash = ?", HashToken(token)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: end session: %w", err)
	}
	return nil
}

// EndSessionsOf signs a participant out everywhere: every browser must sign in again (with a
// new link). Used when their access is revoked.
func EndSessionsOf(ctx context.Context, db bun.IDB, participantID int64) error {
	return revokeAllOf[AuthSession](ctx, db, participantID, "end sessions")
}
