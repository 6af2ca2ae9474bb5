package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// The organiser's view of the people of a process: who they are, where they registered, and
// which session roles they hold.

// PersonRow is a participant of a process as organisers see them: with their personal data.
type PersonRow struct {
	ParticipantID int64       `bun:"participant_id"`
	Role          record.Role `bun:"role"`
	Organisation  string      `bun:"organisation"`
	DisplayName   string      `bun:"display_name"`
	Email         *string     `bun:"email"`
	Language      string      `bun:"language"`
	ServiceUser   bool        `bun:"service_user"`
	ErasedAt      *time.Time  `bun:"erased_at"`
	CreatedAt     time.Time   `bun:"created_at"`
}

// List returns the participants of a process with their personal data, in the order
// they were added. Erased people keep a row with an empty name.
func List(ctx context.Context, db bun.IDB, processID int64) ([]PersonRow, error) {
	var rows []struct {
		PersonRow
		DataKey *string `bun:"data_key"`
		orgSeal
	}
	err := db.NewSelect().
		TableExpr("participants AS pa").
		ColumnExpr("pa.id AS participant_id, pa.role, pa.erased_at, pa.created_at").
		ColumnExpr("COALESCE(o.name, '') AS organisation, o.id AS org_id, okey.org_key").
		ColumnExpr("COALESCE(pe.display_name, '') AS display_name, pe.email, pk.data_key").
		ColumnExpr("COALESCE(pe.language, 'fr') AS language, COALESCE(pe.service_user, ?) AS service_user", false).
		Join("LEFT JOIN organisations AS o ON o.id = pa.organisation_id").
		Join("LEFT JOIN organisation_keys AS okey ON okey.organisation_id = o.id").
		Join("LEFT JOIN people AS pe ON pe.participant_id = pa.id").
		Join("LEFT JOIN person_keys AS pk ON pk.participant_id = pa.id").
		Where("pa.process_id = ?", processID).
		OrderExpr("pa.id").
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: list people: %w", err)
	}
	out := make([]PersonRow, len(rows))
	for i, r := range rows {
		p := Person{ParticipantID: r.ParticipantID, DisplayName: r.DisplayName, Email: r.Email}
		if err := openPerson(r.DataKey, &p); err != nil {
			return nil, fmt.Errorf("store: list people: %w", err)
		}
		org, err := OpenOrganisationName(r.OrgID, r.OrgKey, r.Organisation)
		if err != nil {
			return nil, fmt.Errorf("store: list people: %w", err)
		}
		out[i] = r.PersonRow
		out[i].DisplayName, out[i].Email, out[i].Organisation = p.DisplayName, p.Email, org
	}
	return out, nil
}

// RegistrationRow is one registration of a session with who it is, for organisers.
type RegistrationRow struct {
	ID            int64       `bun:"id"`
	WorkshopID    int64       `bun:"workshop_id"`
	ParticipantID int64       `bun:"participant_id"`
	Status        string      `bun:"status"`
	CheckedInAt   *time.Time  `bun:"checked_in_at"`
	CreatedAt     time.Time   `bun:"created_at"`
	DisplayName   string      `bun:"display_name"`
	Organisation  string      `bun:"organisation"`
	Role          record.Role `bun:"role"`
	Language      string      `bun:"language"` // the person's language; "" when no person is on file
}

// selectRegistrationRows selects RegistrationRows: registrations (r) with who they are.
func selectRegistrationRows(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().
		TableExpr("registrations AS r").
		ColumnExpr("r.id, r.workshop_id, r.participant_id, r.status, r.checked_in_at, r.created_at").
		ColumnExpr("COALESCE(pe.display_name, '') AS display_name, COALESCE(o.name, '') AS organisation, pa.role, COALESCE(pe.language, '') AS language, pk.data_key").
		ColumnExpr("o.id AS org_id, okey.org_key").
		Join("JOIN participants AS pa ON pa.id = r.participant_id").
		Join("LEFT JOIN people AS pe ON pe.participant_id = pa.id").
		Join("LEFT JOIN person_keys AS pk ON pk.participant_id = pa.id").
		Join("LEFT JOIN organisations AS o ON o.id = pa.organisation_id").
		Join("LEFT JOIN organisation_keys AS okey ON okey.organisation_id = o.id")
}

// sealedRegistrationRow is a RegistrationRow as selected, its names still sealed.
type sealedRegistrationRow struct {
	RegistrationRow
	DataKey *string `bun:"data_key"`
	orgSeal
}

// orgSeal is what a query joins to open an organisation's name (OpenOrganisationName).
type orgSeal struct {
	OrgID  *int64  `bun:"org_id"`
	OrgKey *string `bun:"org_key"`
}

// scanRegistrationRows runs a selectRegistrationRows query and opens the names.
func scanRegistrationRows(ctx context.Context, q *bun.SelectQuery) ([]RegistrationRow, error) {
	var rows []sealedRegistrationRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]RegistrationRow, len(rows))
	for i, r := range rows {
		p := Person{ParticipantID: r.ParticipantID, DisplayName: r.DisplayName}
		if err := openPerson(r.DataKey, &p); err != nil {
			return nil, err
		}
		org, err := OpenOrganisationName(r.OrgID, r.OrgKey, r.Organisation)
		if err != nil {
			return nil, err
		}
		out[i] = r.RegistrationRow
		out[i].DisplayName, out[i].Organisation = p.DisplayName, org
	}
	return out, nil
}

// ListProcessRegistrations returns every registration of a process's sessions with the name and
// organisation of each person, session by session, in the order they came in.
func ListProcessRegistrations(ctx context.Context, db bun.IDB, processID int64) ([]RegistrationRow, error) {
	rows, err := scanRegistrationRows(ctx, selectRegistrationRows(db).Where("r.process_id = ?", processID).OrderExpr("r.workshop_id, r.id"))
	if err != nil {
		return nil, fmt.Errorf("store: list process registrations: %w", err)
	}
	return rows, nil
}

// SetWorkshopRole appoints a participant to a role in one session (a moderator, say), or
// changes the role they had there.
func SetWorkshopRole(ctx context.Context, db bun.IDB, workshopID, participantID int64, role record.Role) error {
	if !role.Valid() {
		return fmt.Errorf("store: set workshop role: unknown role %q", role)
	}
	wr := &record.WorkshopRole{WorkshopID: workshopID, ParticipantID: participantID, Role: role}
	_, err := db.NewInsert().Model(wr).
		On("CONFLICT (workshop_id, participant_id) DO UPDATE").Set("role = EXCLUDED.role").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: set workshop role: %w", err)
	}
	return nil
}

// RemoveWorkshopRole takes back a participant's role in one session.
func RemoveWorkshopRole(ctx context.Context, db bun.IDB, workshopID, participantID int64) error {
	_, err := db.NewDelete().Model((*record.WorkshopRole)(nil)).
		Where("workshop_id = ? AND participant_id = ?", workshopID, participantID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: remove workshop role: %w", err)
	}
	return nil
}

// ListProcessWorkshopRoles returns the session roles of every session of a process.
func ListProcessWorkshopRoles(ctx context.Context, db bun.IDB, processID int64) ([]record.WorkshopRole, error) {
	var rs []record.WorkshopRole
	err := db.NewSelect().Model(&rs).
		Where("workshop_id IN (SELECT id FROM workshops WHERE process_id = ?)", processID).
		Order("workshop_id", "participant_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: list workshop roles: %w", err)
	}
	return rs, nil
}

// WorkshopRoleOf returns a participant's role in one session, or "" when they have none.
func WorkshopRoleOf(ctx context.Context, db bun.IDB, workshopID, participantID int64) (record.Role, error) {
	var rs []record.WorkshopRole
	err := db.NewSelect().Model(&rs).
		Where("workshop_id = ? AND participant_id = ?", workshopID, participantID).Limit(1).Scan(ctx)
	if err != nil {
		return "", fmt.Errorf("store: workshop role: %w", err)
	}
	if len(rs) == 0 {
		return "", nil
	}
	return rs[0].Role, nil
}

// HasConfirmedRegistration reports whether a participant has a confirmed place in a session.
func HasConfirmedRegistration(ctx context.Context, db bun.IDB, workshopID, participantID int64) (bool, error) {
	n, err := db.NewSelect().Model((*record.Registration)(nil)).
		Where("workshop_id = ? AND participant_id = ? AND status = ?", workshopID, participantID, record.RegistrationConfirmed).
		Count(ctx)
	if err != nil {
		return false, fmt.Errorf("store: confirmed registration: %w", err)
	}
	return n > 0, nil
}

// IsPlatformOrganiser reports whether p may run every process.
func IsPlatformOrganiser(p *record.Participant) bool {
	return p != nil && p.ProcessID == nil && p.Role == record.RoleOrganiser
}

// MayOrganise reports whether p may set up the given process.
func MayOrganise(p *record.Participant, processID int64) bool {
	if IsPlatformOrganiser(p) {
		return true
	}
	return p != nil && p.Role == record.RoleOrganiser && p.ProcessID != nil && *p.ProcessID == processID
}

// ConfirmedPlace returns a participant's confirmed registration in a session (the participant
// page shows whether they have arrived), or ErrNotFound.
func ConfirmedPlace(ctx context.Context, db bun.IDB, workshopID, participantID int64) (*record.Registration, error) {
	var reg record.Registration
	err := db.NewSelect().Model(&reg).
		Where("workshop_id = ? AND participant_id = ? AND status = ?", workshopID, participantID, record.RegistrationConfirmed).
		Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: confirmed place: %w", record.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: confirmed place: %w", err)
	}
	return &reg, nil
}

// GroupTag is the group a person was placed in for one session: what their card shows once
// groups are made.
type GroupTag struct {
	WorkshopID, ParticipantID int64
	Name, Colour              string
}

// ListGroupTags returns the group of every person placed in a group in a session of a process.
func ListGroupTags(ctx context.Context, db bun.IDB, processID int64) ([]GroupTag, error) {
	var tags []GroupTag
	err := db.NewSelect().TableExpr("group_members AS gm").
		ColumnExpr("gm.workshop_id, gm.participant_id, g.name, g.colour").
		Join("JOIN breakout_groups AS g ON g.id = gm.group_id").
		Join("JOIN workshops AS w ON w.id = gm.workshop_id").
		Where("w.process_id = ?", processID).
		OrderExpr("gm.workshop_id, gm.participant_id").Scan(ctx, &tags)
	if err != nil {
		return nil, fmt.Errorf("store: list group tags: %w", err)
	}
	return tags, nil
}
