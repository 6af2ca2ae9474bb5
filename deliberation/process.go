package deliberation

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// CreateProcess stores a new process; p.ID is set.
func CreateProcess(ctx context.Context, db bun.IDB, p *Process) error {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now().UTC()
	}
	if p.Languages == "" {
		p.Languages = "fr,nl,en"
	}
	if _, err := db.NewInsert().Model(p).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("store: create process: %w", err)
	}
	return nil
}

// GetProcess returns the process with the given id, or ErrNotFound.
func GetProcess(ctx context.Context, db bun.IDB, id int64) (*Process, error) {
	p := new(Process)
	if err := db.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound("get process", err)
	}
	return p, nil
}

// GetProcessBySlug returns the process with the given slug, or ErrNotFound.
func GetProcessBySlug(ctx context.Context, db bun.IDB, slug string) (*Process, error) {
	p := new(Process)
	if err := db.NewSelect().Model(p).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, notFound("get process by slug", err)
	}
	return p, nil
}

// ListProcesses returns every process, newest first.
func ListProcesses(ctx context.Context, db bun.IDB) ([]Process, error) {
	var ps []Process
	if err := db.NewSelect().Model(&ps).Order("created_at DESC", "id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list processes: %w", err)
	}
	return ps, nil
}

// CreateTheme stores a theme of a process; t.ID is set.
func CreateTheme(ctx context.Context, db bun.IDB, t *Theme) error {
	if _, err := db.NewInsert().Model(t).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("store: create theme: %w", err)
	}
	return nil
}

// ListThemes returns a process's themes in their order.
func ListThemes(ctx context.Context, db bun.IDB, processID int64) ([]Theme, error) {
	var ts []Theme
	if err := db.NewSelect().Model(&ts).Where("process_id = ?", processID).Order("position", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list themes: %w", err)
	}
	return ts, nil
}

// CreateWorkshop stores a workshop session; w.ID is set, and w.Code too when it was empty.
func CreateWorkshop(ctx context.Context, db bun.IDB, w *Workshop) error {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = time.Now().UTC()
	}
	if w.Phase == "" {
		w.Phase = PhaseLobby
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

// GetWorkshop returns the workshop with the given id, or ErrNotFound.
func GetWorkshop(ctx context.Context, db bun.IDB, id int64) (*Workshop, error) {
	w := new(Workshop)
	if err := db.NewSelect().Model(w).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound("get workshop", err)
	}
	return w, nil
}

// GetWorkshopByCode returns the workshop with the given join code (case and spaces ignored).
func GetWorkshopByCode(ctx context.Context, db bun.IDB, code string) (*Workshop, error) {
	w := new(Workshop)
	if err := db.NewSelect().Model(w).Where("code = ?", NormaliseJoinCode(code)).Scan(ctx); err != nil {
		return nil, notFound("get workshop by code", err)
	}
	return w, nil
}

// ListWorkshops returns a process's workshops in time order.
func ListWorkshops(ctx context.Context, db bun.IDB, processID int64) ([]Workshop, error) {
	var ws []Workshop
	if err := db.NewSelect().Model(&ws).Where("process_id = ?", processID).Order("starts_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list workshops: %w", err)
	}
	return ws, nil
}

// SetAgenda replaces a workshop's timetable.
func SetAgenda(ctx context.Context, db bun.IDB, workshopID int64, items []AgendaItem) error {
	if _, err := db.NewDelete().Model((*AgendaItem)(nil)).Where("workshop_id = ?", workshopID).Exec(ctx); err != nil {
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

// ListAgenda returns a workshop's timetable in order.
func ListAgenda(ctx context.Context, db bun.IDB, workshopID int64) ([]AgendaItem, error) {
	var items []AgendaItem
	if err := db.NewSelect().Model(&items).Where("workshop_id = ?", workshopID).Order("position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list agenda: %w", err)
	}
	return items, nil
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

func notFound(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// isUniqueViolation recognises a unique-constraint error from either database.
func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE=23505") || strings.Contains(msg, "duplicate key value") // PostgreSQL
}
