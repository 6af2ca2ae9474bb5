package people

import (
	"time"

	"github.com/uptrace/bun"
)

// Organisation is a body people come from (a CPAS, an association, a union…).
type Organisation struct {
	bun.BaseModel `bun:"table:organisations"`

	ID        int64 `bun:",pk,autoincrement"`
	ProcessID int64
	Name      string
	NameKey   string // normalised name, so "CPAS  d'Anderlecht" and "cpas d'anderlecht" are one
}

// Person is the personal data of a participant (DESIGN invariant 9). It is shown to
// organisers only, except the display name, which the room shows as the moderator chooses.
type Person struct {
	bun.BaseModel `bun:"table:people"`

	ParticipantID      int64 `bun:",pk"`
	DisplayName        string
	Email              *string
	Phone              *string
	Language           string
	ServiceUser        bool // "I come as a service user": private, organisers only
	AttributionConsent bool // may keep their organisation on what they said after erasure
	CreatedAt          time.Time
}

// Invitation is a personal sign-in link. Only the hash of its token is stored.
type Invitation struct {
	bun.BaseModel `bun:"table:invitations"`

	ID            int64 `bun:",pk,autoincrement"`
	ParticipantID int64
	WorkshopID    *int64 // where the link lands, if anywhere in particular
	TokenHash     string
	CodeHash      *string // the hash of its short code, when it has one (people.NewCode)
	SingleUse     bool
	ExpiresAt     time.Time
	UsedAt        *time.Time
	RevokedAt     *time.Time
	CreatedAt     time.Time
}

// AuthSession is a signed-in browser, identified by the hash of its cookie.
type AuthSession struct {
	bun.BaseModel `bun:"table:auth_sessions"`

	TokenHash     string `bun:",pk"`
	ParticipantID int64
	ExpiresAt     time.Time
	RevokedAt     *time.Time
	CreatedAt     time.Time
}
