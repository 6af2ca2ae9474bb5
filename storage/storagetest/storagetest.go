// Package storagetest runs tests against every database Assises supports: a SQLite file in a
// temporary directory and a real PostgreSQL named by ASSISES_TEST_POSTGRES. Each test gets a
// fresh, migrated database (on PostgreSQL, a schema of its own that is dropped afterwards).
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/migrations"
	"github.com/assises/assises/storage"
)

// EnvPostgres names the PostgreSQL server the tests use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvPostgres = "ASSISES_TEST_POSTGRES"

// Kinds are the database kinds every store test runs on.
var Kinds = []string{"sqlite", "postgres"}

// EachDB runs fn once per database kind, each in its own subtest with a fresh database.
func EachDB(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	EachKind(t, func(t *testing.T, kind string) { fn(t, Open(t, kind)) })
}

// EachKind runs fn once per database kind, each in its own subtest named after it, for a test
// that opens its database itself (a server started on DSN(t, kind), a database left empty).
func EachKind(t *testing.T, fn func(t *testing.T, kind string)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) { fn(t, kind) })
	}
}

// Open returns a fresh, migrated database of the given kind, closed and removed at the end of
// the test. Without ASSISES_TEST_POSTGRES, PostgreSQL tests are skipped, except under CI=true
// where a missing PostgreSQL is a failure: CI must prove both databases.
func Open(t testing.TB, kind string) *bun.DB {
	t.Helper()
	db := OpenEmpty(t, kind)
	if _, err := migrations.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate %s: %v", kind, err)
	}
	return db
}

// OpenEmpty is Open without the migrations.
func OpenEmpty(t testing.TB, kind string) *bun.DB {
	t.Helper()
	if kind != "sqlite" && kind != "postgres" {
		t.Fatalf("unknown database kind %q", kind)
	}
	return Connect(t, DSN(t, kind), storage.Options{})
}

// Connect opens the database at dsn with opts (storage.Open), closed when the test ends: a
// pool of the test's own on a database that a server under test may also use.
func Connect(t testing.TB, dsn string, opts storage.Options) *bun.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("open the database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns a connection string for a fresh database of the given kind that outlives no
// test: for SQLite a file in a temporary directory, for PostgreSQL a new schema.
func DSN(t testing.TB, kind string) string {
	t.Helper()
	if kind == "sqlite" {
		return filepath.Join(t.TempDir(), "assises.db")
	}
	base := postgresURL(t)
	schema := "t_" + randomHex(t, 8)
	admin, err := storage.Open(context.Background(), base, storage.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatalf("postgres at %s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := storage.Open(context.Background(), base, storage.Options{MaxOpenConns: 1})
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgres)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: under CI=true the PostgreSQL tests must run", EnvPostgres)
		}
		t.Skipf("%s is not set: PostgreSQL tests skipped (make test sets it)", EnvPostgres)
	}
	return u
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
