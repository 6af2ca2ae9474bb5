package record

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// The engine reads the workshop it runs, its process and its timetable; the packages process
// and people write them (they import this one, never the other way round).

// GetProcess returns the process with the given id, or ErrNotFound.
func GetProcess(ctx context.Context, db bun.IDB, id int64) (*Process, error) {
	p := new(Process)
	if err := db.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, NotFound("get process", err)
	}
	return p, nil
}

// GetWorkshop returns the workshop with the given id, or ErrNotFound.
func GetWorkshop(ctx context.Context, db bun.IDB, id int64) (*Workshop, error) {
	w := new(Workshop)
	if err := db.NewSelect().Model(w).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, NotFound("get workshop", err)
	}
	return w, nil
}

// ListAgenda returns a workshop's timetable in order.
func ListAgenda(ctx context.Context, db bun.IDB, workshopID int64) ([]AgendaItem, error) {
	var items []AgendaItem
	if err := db.NewSelect().Model(&items).Where("workshop_id = ?", workshopID).Order("position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list agenda: %w", err)
	}
	return items, nil
}

// NotFound wraps a store error of op as every store of the domain does: a missing row becomes
// ErrNotFound, so that callers test one sentinel whichever package answered.
func NotFound(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
