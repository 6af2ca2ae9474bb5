package deliberation

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"
)

// The engine's own tests cannot import the packages process and people: those import this one.
// So the fixtures write the rows those packages would write (a process, a session, a person
// with their personal data, a place), with the same names, and no rule of their own: the
// rules of registration and placement are tested in people.

// Person is a row of the people table as the fixtures write it.
type Person struct {
	bun.BaseModel `bun:"table:people"`

	ParticipantID int64 `bun:",pk"`
	DisplayName   string
	Email         *string
	Phone         *string
	Language      string
	ServiceUser   bool
	CreatedAt     time.Time
}

// NewParticipant is a person to add to a process (or to the platform, when ProcessID is nil).
type NewParticipant struct {
	ProcessID    *int64
	Role         record.Role
	Organisation string
	Person       Person
}

func CreateProcess(ctx context.Context, db bun.IDB, p *record.Process) error {
	p.CreatedAt, p.Languages = time.Now().UTC(), "fr,nl,en"
	_, err := db.NewInsert().Model(p).Returning("id").Exec(ctx)
	return err
}

var fixtureCodes atomic.Int64

func CreateWorkshop(ctx context.Context, db bun.IDB, w *record.Workshop) error {
	w.CreatedAt, w.State = time.Now().UTC(), "{}"
	if w.Phase == "" {
		w.Phase = record.PhaseLobby
	}
	if w.Code == "" {
		w.Code = fmt.Sprintf("T%07d", fixtureCodes.Add(1))
	}
	_, err := db.NewInsert().Model(w).Returning("id").Exec(ctx)
	return err
}

func CreateParticipant(ctx context.Context, db bun.IDB, np NewParticipant) (*record.Participant, error) {
	p := &record.Participant{ProcessID: np.ProcessID, Role: np.Role, CreatedAt: time.Now().UTC()}
	if np.Organisation != "" && np.ProcessID != nil {
		var orgID int64
		err := db.NewRaw(`INSERT INTO organisations (process_id, name, name_key) VALUES (?, ?, ?)
			ON CONFLICT (process_id, name_key) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
			*np.ProcessID, np.Organisation, np.Organisation).Scan(ctx, &orgID)
		if err != nil {
			return nil, fmt.Errorf("fixture organisation: %w", err)
		}
		p.OrganisationID = &orgID
	}
	if _, err := db.NewInsert().Model(p).Returning("id").Exec(ctx); err != nil {
		return nil, err
	}
	person := np.Person
	person.ParticipantID, person.CreatedAt = p.ID, p.CreatedAt
	if person.Language == "" {
		person.Language = "fr"
	}
	_, err := db.NewInsert().Model(&person).Exec(ctx)
	return p, err
}

func EnsurePlatformOrganiser(ctx context.Context, db bun.IDB) (*record.Participant, bool, error) {
	p, err := CreateParticipant(ctx, db, NewParticipant{Role: record.RoleOrganiser, Person: Person{DisplayName: "Organisation"}})
	return p, true, err
}

func AddRegistration(ctx context.Context, db bun.IDB, w *record.Workshop, participantID int64, status string) error {
	now := time.Now().UTC()
	_, err := db.NewInsert().Model(&record.Registration{ProcessID: w.ProcessID, WorkshopID: w.ID,
		ParticipantID: participantID, Status: status, CreatedAt: now, UpdatedAt: now}).Exec(ctx)
	return err
}

func SetAgenda(ctx context.Context, db bun.IDB, workshopID int64, items []record.AgendaItem) error {
	for i := range items {
		items[i].WorkshopID, items[i].Position = workshopID, i+1
	}
	_, err := db.NewInsert().Model(&items).Exec(ctx)
	return err
}
