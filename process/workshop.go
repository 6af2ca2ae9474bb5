package process

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// CreateWorkshop stores a workshop session; w.ID is set, and w.Code too when it was empty.
func CreateWorkshop(ctx context.Context, db bun.IDB, w *record.Workshop) error {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = time.Now().UTC()
	}
	if w.Phase == "" {
		w.Phase = record.PhaseLobby
	}
	if w.State == "" {
		w.State = "{}"
	}
	generated := w.Code == ""
	for attempt := 0; ; attempt++ {
		if generated {
			w.Code = NewJoinCode()
		}
		_, err := db.NewInsert().Model(w).Returning("id").Exec(ctx)
		if err == nil {
			return nil
		}
		// A generated code may collide with an existing one: try another, a few times.
		if !generated || attempt >= 4 || !isUniqueViolation(err) {
			return fmt.Errorf("store: create workshop: %w", err)
		}
	}
}

// GetWorkshopByCode returns the workshop with the given join code (case and spaces ignored).
func GetWorkshopByCode(ctx context.Context, db bun.IDB, code string) (*record.Workshop, error) {
	w := new(record.Workshop)
	if err := db.NewSelect().Model(w).Where("code = ?", NormaliseJoinCode(code)).Scan(ctx); err != nil {
		return nil, record.NotFound("get workshop by code", err)
	}
	return w, nil
}

// ListWorkshops returns a process's workshops in time order.
func ListWorkshops(ctx context.Context, db bun.IDB, processID int64) ([]record.Workshop, error) {
	var ws []record.Workshop
	if err := db.NewSelect().Model(&ws).Where("process_id = ?", processID).Order("starts_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list workshops: %w", err)
	}
	return ws, nil
}

// UpdateWorkshop saves what an organiser may change of a session: its theme, title, times,
// place, capacity and who may join (access), and the title's translations. The live state (phase, settings, sequence) belongs to the engine.
func UpdateWorkshop(ctx context.Context, db bun.IDB, w *record.Workshop) error {
	res, err := db.NewUpdate().Model(w).
		Column("theme_id", "title", "starts_at", "ends_at", "place", "capacity", "access", "translations").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: update workshop: %w", err)
	}
	return oneRow("update workshop", res)
}

// SetAgenda replaces a workshop's timetable.
func SetAgenda(ctx context.Context, db bun.IDB, workshopID int64, items []record.AgendaItem) error {
	if _, err := db.NewDelete().Model((*record.AgendaItem)(nil)).Where("workshop_id = ?", workshopID).Exec(ctx); err != nil {
		return fmt.Errorf("store: set agenda: %w", err)
	}
	if len(items) == 0 {
		return nil
	}
	for i := range items {
		items[i].ID = 0
		items[i].WorkshopID = workshopID
		items[i].Position = i + 1
	}
	if _, err := db.NewInsert().Model(&items).Exec(ctx); err != nil {
		return fmt.Errorf("store: set agenda: %w", err)
	}
	return nil
}

// SaveWorkshop stores a session set up by an organiser with its timetable, in one transaction:
// a new one (w.ID is 0; w.ID and w.Code are set) or the editable fields of an existing one
// (UpdateWorkshop). The timetable replaces the one it had.
func SaveWorkshop(ctx context.Context, db bun.IDB, w *record.Workshop, agenda []record.AgendaItem) error {
	save := func(ctx context.Context, tx bun.Tx) error {
		if w.ID == 0 {
			if err := CreateWorkshop(ctx, tx, w); err != nil {
				return err
			}
		} else if err := UpdateWorkshop(ctx, tx, w); err != nil {
			return err
		}
		return SetAgenda(ctx, tx, w.ID, agenda)
	}
	if tx, ok := db.(bun.Tx); ok {
		return save(ctx, tx)
	}
	return db.RunInTx(ctx, nil, save)
}

// joinCodeAlphabet leaves out letters and digits people confuse when reading them aloud or
// from a projector (0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V).
const joinCodeAlphabet = "ACDEFGHJKMNPQRTWXY34679"

// joinCodeLength gives 23^8 ≈ 7.8e10 codes: guessing one is hopeless once attempts are throttled.
const joinCodeLength = 8

// NewJoinCode returns a random short code that people can type on a phone.
func NewJoinCode() string {
	// Rejection sampling keeps every letter equally likely (256 is not a multiple of 23).
	const limit = 256 - 256%len(joinCodeAlphabet)
	code := make([]byte, 0, joinCodeLength)
	buf := make([]byte, 16)
	for len(code) < joinCodeLength {
		rand.Read(buf) // crypto/rand.Read never fails on supported platforms
		for _, c := range buf {
			if int(c) < limit && len(code) < joinCodeLength {
				code = append(code, joinCodeAlphabet[int(c)%len(joinCodeAlphabet)])
			}
		}
	}
	return string(code)
}

// NormaliseJoinCode uppercases a typed code and drops spaces and dashes.
func NormaliseJoinCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
}

// isUniqueViolation recognises a unique-constraint error from either database.
func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE=23505") || strings.Contains(msg, "duplicate key value") // PostgreSQL
}
