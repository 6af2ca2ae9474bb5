// Package process keeps what organisers set up before anyone speaks: processes, their themes,
// their workshop sessions with join codes and timetables. The live engine (deliberation) reads
// these rows; this package writes them.
package process

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// Create stores a new process; p.ID is set.
func Create(ctx context.Context, db bun.IDB, p *record.Process) error {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now().UTC()
	}
	if p.Languages == "" {
		p.Languages = record.DefaultLanguages
	}
	if _, err := db.NewInsert().Model(p).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("store: create process: %w", err)
	}
	return nil
}

// GetBySlug returns the process with the given slug, or ErrNotFound.
func GetBySlug(ctx context.Context, db bun.IDB, slug string) (*record.Process, error) {
	p := new(record.Process)
	if err := db.NewSelect().Model(p).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, record.NotFound("get process by slug", err)
	}
	return p, nil
}

// List returns every process, newest first.
func List(ctx context.Context, db bun.IDB) ([]record.Process, error) {
	var ps []record.Process
	if err := db.NewSelect().Model(&ps).Order("created_at DESC", "id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list processes: %w", err)
	}
	return ps, nil
}

// Update saves the editable fields of a process (not its slug, which links keep using).
// It does not change the main language: ChangeMainLanguage does, with every text of the process.
func Update(ctx context.Context, db bun.IDB, p *record.Process) error {
	res, err := db.NewUpdate().Model(p).
		Column("title", "description", "languages", "capacity", "per_org_cap", "registration_deadline", "invitation_required", "translations").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: update process: %w", err)
	}
	return oneRow("update process", res)
}

// CreateTheme stores a theme of a process; t.ID is set.
func CreateTheme(ctx context.Context, db bun.IDB, t *record.Theme) error {
	if _, err := db.NewInsert().Model(t).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("store: create theme: %w", err)
	}
	return nil
}

// ListThemes returns a process's themes in their order.
func ListThemes(ctx context.Context, db bun.IDB, processID int64) ([]record.Theme, error) {
	var ts []record.Theme
	if err := db.NewSelect().Model(&ts).Where("process_id = ?", processID).Order("position", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list themes: %w", err)
	}
	return ts, nil
}

// GetTheme returns the theme with the given id, or ErrNotFound.
func GetTheme(ctx context.Context, db bun.IDB, id int64) (*record.Theme, error) {
	t := new(record.Theme)
	if err := db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, record.NotFound("get theme", err)
	}
	return t, nil
}

// UpdateTheme saves a theme's position, title and "why", in every language.
func UpdateTheme(ctx context.Context, db bun.IDB, t *record.Theme) error {
	res, err := db.NewUpdate().Model(t).Column("position", "title", "why", "translations").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: update theme: %w", err)
	}
	return oneRow("update theme", res)
}

func oneRow(op string, res interface{ RowsAffected() (int64, error) }) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", op, record.ErrNotFound)
	}
	return nil
}
