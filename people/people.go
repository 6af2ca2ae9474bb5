// Package people keeps the persons of a process and their places: participants and their
// personal data (apart, so that erasure leaves what they said), organisations, registration and
// the waiting list, invitations and signed-in sessions, attendance at the door, phones asking to
// join, session roles, and erasure. The rows it shares with the live engine (participants,
// registrations, sessions) are record's; the engine never imports it.
package people

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/assises/assises/internal/seal"
	"github.com/assises/assises/record"
)

// NewParticipant describes a person joining a process (or the platform, when ProcessID is nil).
type NewParticipant struct {
	ProcessID    *int64
	Role         record.Role
	Organisation string // free text; matched to an existing organisation of the process when it is the same name
	Person       Person // ParticipantID and CreatedAt are filled in
}

// CreateParticipant stores a participant and their personal data in two tables (DESIGN
// invariant 9), the name, email and phone sealed with a key of the person's own, kept in a
// third (internal/seal; erasure deletes it), and returns the participant.
func CreateParticipant(ctx context.Context, db bun.IDB, np NewParticipant) (*record.Participant, error) {
	if !np.Role.Valid() {
		return nil, fmt.Errorf("store: create participant: unknown role %q", np.Role)
	}
	now := time.Now().UTC()
	p := &record.Participant{ProcessID: np.ProcessID, Role: np.Role, CreatedAt: now}
	if name := strings.TrimSpace(np.Organisation); name != "" && np.ProcessID != nil {
		org, err := EnsureOrganisation(ctx, db, *np.ProcessID, name)
		if err != nil {
			return nil, err
		}
		p.OrganisationID = &org.ID
	}
	if _, err := db.NewInsert().Model(p).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: create participant: %w", err)
	}
	person := np.Person
	person.ParticipantID = p.ID
	person.CreatedAt = now
	// A person added without a language keeps none (""): French would be a guess, and a wrong
	// one for half of Brussels. Phones then follow the browser's language, and printed cards
	// carry the titles in every language of the process.
	key, err := seal.Create(ctx, db, p.ID)
	if err != nil {
		return nil, fmt.Errorf("store: create person: %w", err)
	}
	sealed := sealPerson(key, person)
	if _, err := db.NewInsert().Model(&sealed).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: create person: %w", err)
	}
	return p, nil
}

// sealPerson returns the row as stored: name, email and phone sealed with the person's key.
func sealPerson(key seal.Key, p Person) Person {
	p.DisplayName = key.Seal(p.ParticipantID, seal.FieldDisplayName, p.DisplayName)
	for _, f := range []struct {
		v    **string
		name string
	}{{&p.Email, seal.FieldEmail}, {&p.Phone, seal.FieldPhone}} {
		if *f.v != nil {
			s := key.Seal(p.ParticipantID, f.name, **f.v)
			*f.v = &s
		}
	}
	return p
}

// openPerson opens the sealed fields of a stored row with the key as stored (nil: none).
func openPerson(key *string, p *Person) error {
	var err error
	if p.DisplayName, err = seal.OpenWith(key, p.ParticipantID, seal.FieldDisplayName, p.DisplayName); err != nil {
		return err
	}
	for _, f := range []struct {
		v    *string
		name string
	}{{p.Email, seal.FieldEmail}, {p.Phone, seal.FieldPhone}} {
		if f.v != nil {
			if *f.v, err = seal.OpenWith(key, p.ParticipantID, f.name, *f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetParticipant returns the participant with the given id, or ErrNotFound.
func GetParticipant(ctx context.Context, db bun.IDB, id int64) (*record.Participant, error) {
	p := new(record.Participant)
	if err := db.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, record.NotFound("get participant", err)
	}
	return p, nil
}

// GetPerson returns the personal data of a participant, or ErrNotFound (also after erasure).
func GetPerson(ctx context.Context, db bun.IDB, participantID int64) (*Person, error) {
	p := new(Person)
	if err := db.NewSelect().Model(p).Where("participant_id = ?", participantID).Scan(ctx); err != nil {
		return nil, record.NotFound("get person", err)
	}
	var keys []string
	if err := db.NewSelect().Model((*seal.PersonKey)(nil)).Column("data_key").Where("participant_id = ?", participantID).Scan(ctx, &keys); err != nil {
		return nil, fmt.Errorf("store: get person: key: %w", err)
	}
	var key *string
	if len(keys) > 0 {
		key = &keys[0]
	}
	if err := openPerson(key, p); err != nil {
		return nil, fmt.Errorf("store: get person: %w", err)
	}
	return p, nil
}

// DisplayNames returns the display names of some participants; the erased have none.
func DisplayNames(ctx context.Context, db bun.IDB, ids []int64) (map[int64]string, error) {
	var rows []struct {
		ParticipantID int64   `bun:"participant_id"`
		DisplayName   string  `bun:"display_name"`
		DataKey       *string `bun:"data_key"`
	}
	err := db.NewSelect().TableExpr("people AS pe").
		ColumnExpr("pe.participant_id, pe.display_name, pk.data_key").
		Join("LEFT JOIN person_keys AS pk ON pk.participant_id = pe.participant_id").
		Where("pe.participant_id IN (?)", bun.In(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: display names: %w", err)
	}
	names := make(map[int64]string, len(rows))
	for _, r := range rows {
		p := Person{ParticipantID: r.ParticipantID, DisplayName: r.DisplayName}
		if err := openPerson(r.DataKey, &p); err != nil {
			return nil, fmt.Errorf("store: display names: %w", err)
		}
		names[r.ParticipantID] = p.DisplayName
	}
	return names, nil
}

// OrganisationKey folds an organisation's name so that case, accents, punctuation and spacing
// do not make two organisations of one: "CPAS d'Anderlecht" and "cpas d’anderlecht" match.
// The per-organisation cap relies on it.
func OrganisationKey(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case unicode.Is(unicode.Mn, r): // accents, after decomposition
		case unicode.IsLetter(r), unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// EnsurePlatformOrganiser returns the platform organiser (the first person who may set up
// processes), creating it on a fresh database. created says whether it was just made.
func EnsurePlatformOrganiser(ctx context.Context, db bun.IDB) (p *record.Participant, created bool, err error) {
	p = new(record.Participant)
	err = db.NewSelect().Model(p).Where("process_id IS NULL AND role = ? AND erased_at IS NULL", record.RoleOrganiser).
		Order("id").Limit(1).Scan(ctx)
	if err == nil {
		return p, false, nil
	}
	if nf := record.NotFound("find organiser", err); !errors.Is(nf, record.ErrNotFound) {
		return nil, false, nf
	}
	p, err = CreateParticipant(ctx, db, NewParticipant{
		Role:   record.RoleOrganiser,
		Person: Person{DisplayName: "Organisation", Language: "fr"},
	})
	return p, err == nil, err
}

// ErrNoEmail refuses to send an invitation to someone who gave no email address.
var ErrNoEmail = errors.New("no email address")
