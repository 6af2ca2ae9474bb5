package people

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// A personal code is the short, typeable form of a personal link: a person who registered
// without an email writes it on paper, or keeps the QR, and types it on /code to come back.
// It leads where the link leads and dies with it (expiry, revocation).
//
// Its symbols keep at most one of each family of look-alikes, read aloud, handwritten or
// printed small (0/O/Q/D, 1/I/L, 2/Z, 5/S, 6/G, 8/B, U/V): a person copying a code cannot
// hit a look-alike, because the look-alike never appears in a code.
// Ten of 20 symbols carry 43 bits: with the failure limit of the code page (per address),
// guessing any of thousands of live codes stays hopeless. Only a hash is stored.

// codeAlphabet holds the 20 symbols of personal codes.
const codeAlphabet = "34679ACEFHJKMNPRTWXY"

// codeLength is how many symbols a personal code has.
const codeLength = 10

// ErrBadCode is a typed code that cannot be a personal code (wrong length or symbols).
var ErrBadCode = errors.New("not a personal code")

// NewCode returns a random personal code in its canonical form (symbols only, no dashes).
func NewCode() string {
	var b strings.Builder
	max := big.NewInt(int64(len(codeAlphabet)))
	for range codeLength {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b.WriteByte(codeAlphabet[n.Int64()])
	}
	return b.String()
}

// FormatCode writes a canonical code in groups, as people read it: "ACE-HJK-MNPR".
func FormatCode(code string) string {
	if len(code) != codeLength {
		return code
	}
	return code[:3] + "-" + code[3:6] + "-" + code[6:]
}

// NormaliseCode reads what a person typed: case, spaces, dashes and dots do not matter. It
// returns the canonical code, or ErrBadCode.
func NormaliseCode(typed string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '\u00a0' || r == '\t':
			continue
		case r < 128 && strings.IndexByte(codeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", ErrBadCode
		}
	}
	if b.Len() != codeLength {
		return "", ErrBadCode
	}
	return b.String(), nil
}

// Way is a person's way back: a personal link's token and its code, both to hand over now
// (only their hashes are kept).
type Way struct {
	Token, Code string
}

// LinkAndCode makes a personal link to "my sessions" and its code, good until a day after the
// process's last session: what the result of a registration hands the person.
func LinkAndCode(ctx context.Context, db bun.IDB, participantID, processID int64, now time.Time) (token, code string, err error) {
	ttl, err := LinkLifetime(ctx, db, processID, now)
	if err != nil {
		return "", "", err
	}
	way, err := newWay(ctx, db, participantID, nil, ttl)
	return way.Token, way.Code, err
}

// newWay stores a personal link (landing in workshopID when set) with a code.
func newWay(ctx context.Context, db bun.IDB, participantID int64, workshopID *int64, ttl time.Duration) (Way, error) {
	token, inv, err := CreateInvitation(ctx, db, participantID, workshopID, ttl, false)
	if err != nil {
		return Way{}, err
	}
	// A clash among 10^13 codes is very unlikely; an unlucky draw is drawn again rather than
	// left to the unique index, whose refusal would abort the whole transaction on PostgreSQL.
	var code string
	for range 5 {
		code = NewCode()
		taken, err := db.NewSelect().Model((*Invitation)(nil)).Where("code_hash = ?", HashToken(code)).Exists(ctx)
		if err != nil {
			return Way{}, fmt.Errorf("store: personal code: %w", err)
		}
		if !taken {
			break
		}
	}
	if _, err := db.NewUpdate().Model((*Invitation)(nil)).Set("code_hash = ?", HashToken(code)).Where("id = ?", inv.ID).Exec(ctx); err != nil {
		return Way{}, fmt.Errorf("store: personal code: %w", err)
	}
	return Way{Token: token, Code: code}, nil
}

// SignInWithCode is SignIn for a typed code (canonical, see NormaliseCode): a signed-in
// session good for ttl, in one transaction. A code is refused as its link would be.
func SignInWithCode(ctx context.Context, db bun.IDB, code string, now time.Time, ttl time.Duration) (*Invitation, *record.Participant, string, error) {
	return signIn(ctx, db, ttl, func(ctx context.Context, tx bun.Tx) (*Invitation, error) {
		return lookupInvitation(ctx, tx, "code_hash", HashToken(code), now)
	})
}
