package migrations_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/migrations"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// TestMigrateFromEmptyTwice checks that the whole schema applies to an empty database and that
// a second run is a no-op, on both databases.
func TestMigrateFromEmptyTwice(t *testing.T) {
	storagetest.EachKind(t, func(t *testing.T, kind string) {
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

// TestMigrateLockIsPerSchema checks, on PostgreSQL, that nodes sharing a schema migrate one
// after the other (each migration applied once), while a migration held up in one schema never
// blocks another schema of the same server.
func TestMigrateLockIsPerSchema(t *testing.T) {
	ctx := context.Background()
	// Nodes that wait for each other wait as long as a migration takes on a loaded machine;
	// the node that must give up (a held schema) gives up after 2 s.
	const patient, impatient = 2 * time.Minute, 2 * time.Second
	open := func(dsn string, lockTimeout time.Duration) *bun.DB {
		db, err := storage.Open(ctx, dsn, storage.Options{MaxOpenConns: 2, LockTimeout: lockTimeout})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}

	t.Run("nodes sharing a schema", func(t *testing.T) {
		dsn := storagetest.DSN(t, "postgres")
		var wg sync.WaitGroup
		applied := make([][]string, 3)
		errs := make([]error, 3)
		for i := range applied {
			db := open(dsn, patient)
			wg.Go(func() { applied[i], errs[i] = migrations.Migrate(ctx, db) })
		}
		wg.Wait()
		seen := map[string]int{}
		for i, names := range applied {
			if errs[i] != nil {
				t.Fatalf("node %d: %v", i, errs[i])
			}
			for _, n := range names {
				seen[n]++
			}
		}
		again, err := migrations.Migrate(ctx, open(dsn, patient))
		if err != nil || len(again) != 0 {
			t.Fatalf("a later start applied %v (%v), want nothing", again, err)
		}
		if len(seen) == 0 {
			t.Fatal("no node applied anything")
		}
		for n, k := range seen {
			if k != 1 {
				t.Errorf("migration %s applied %d times, want once", n, k)
			}
		}
	})

	t.Run("another schema is not held up", func(t *testing.T) {
		held, other := storagetest.DSN(t, "postgres"), storagetest.DSN(t, "postgres")
		conn, err := open(held, patient).Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A migration in progress in the first schema: its lock taken and kept.
		if _, err := conn.ExecContext(ctx, migrations.LockStatement, migrations.LockClass); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, migrations.UnlockStatement, migrations.LockClass)
		if _, err := migrations.Migrate(ctx, open(other, impatient)); err != nil {
			t.Fatalf("migrating another schema while the first is locked: %v, want no wait", err)
		}
		if _, err := migrations.Migrate(ctx, open(held, impatient)); err == nil {
			t.Fatal("migrating the locked schema succeeded within the lock timeout, want it to wait")
		}
	})
}
