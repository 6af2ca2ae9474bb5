package migrations_test

import (
	"context"
	"testing"

	"github.com/assises/assises/migrations"
	"github.com/assises/assises/storage/storagetest"
)

// TestMigrateFromEmptyTwice checks that the whole schema applies to an empty database and that
// a second run is a no-op, on both databases.
func TestMigrateFromEmptyTwice(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storagetest.OpenEmpty(t, kind)
			first, err := migrations.Migrate(ctx, db)
			if err != nil {
				t.Fatalf("first migrate: %v", err)
			}
			if len(first) == 0 {
				t.Fatalf("first migrate applied nothing, want every migration")
			}
			second, err := migrations.Migrate(ctx, db)
			if err != nil {
				t.Fatalf("second migrate: %v", err)
			}
			if len(second) != 0 {
				t.Fatalf("second migrate applied %v, want nothing", second)
			}
			// The schema is really there: the event log accepts a row shape we rely on.
			var n int
			if err := db.NewSelect().Table("events").ColumnExpr("count(*)").Scan(ctx, &n); err != nil {
				t.Fatalf("events table: %v", err)
			}
		})
	}
}
