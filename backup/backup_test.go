package backup

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

func TestParsePG(t *testing.T) {
	tests := []struct {
		dsn                   string
		uri, schema, password string
	}{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "", ""},
		{"postgres://u:s3cr%27t@db:5432/assises?search_path=t_1&sslmode=require", "postgres://u@db:5432/assises?sslmode=require", "t_1", "s3cr't"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			got, err := parsePG(tt.dsn)
			if err != nil || got.uri != tt.uri || got.schema != tt.schema || got.password != tt.password {
				t.Errorf("parsePG(%q) = %+v, %v; want %q %q %q", tt.dsn, got, err, tt.uri, tt.schema, tt.password)
			}
		})
	}
	if p := (pgTarget{uri: "postgres://u@db/a", password: "x"}).printed("pg_dump", "--file=it's.dump", "postgres://u@db/a"); p != `PGPASSWORD='…' pg_dump '--file=it'\''s.dump' postgres://u@db/a` {
		t.Errorf("printed: %s", p)
	}
}

// TestBackupAndRestorePostgres: pg_dump copies the database while it is in use; a change made
// afterwards is undone by pg_restore over the same database; every workshop gets a new epoch.
func TestBackupAndRestorePostgres(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on the PATH: the command prints it instead (TestPrintsTheCommandWithoutTools)", tool)
		}
	}
	ctx := context.Background()
	dsn := storagetest.DSN(t, "postgres")
	db := open(t, dsn)
	p := fixture.Process(t, db, "sauvegarde")
	w := fixture.Workshop(t, db, p)
	before, err := journal.LogEpoch(ctx, db, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "assises.dump")
	var out bytes.Buffer
	if err := Backup(ctx, dsn, file, Options{Out: &out}); err != nil {
		t.Fatalf("backup: %v\n%s", err, out.String())
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v, want mode 0600", err, fi)
	}
	if err := Backup(ctx, dsn, file, Options{}); err == nil {
		t.Error("a second backup over the first: no error, want a refusal")
	}
	if _, err := db.NewUpdate().Model((*record.Workshop)(nil)).Set("title = 'après la sauvegarde'").Where("id = ?", w.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close() // the servers are stopped for a restore

	if err := Restore(ctx, dsn, file, Options{Out: &out}); err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	db = open(t, dsn)
	got, err := record.GetWorkshop(ctx, db, w.ID)
	if err != nil || got.Title != w.Title {
		t.Errorf("restored workshop: %+v %v, want the title %q of the backup", got, err, w.Title)
	}
	after, err := journal.LogEpoch(ctx, db, w.ID)
	if err != nil || after == before {
		t.Errorf("epoch after restore: %d (%v), want a new one (was %d)", after, err, before)
	}
}

// TestPrintsTheCommandWithoutTools: without pg_dump on the PATH, backup prints the command
// and fails, so that no script believes a backup was made.
func TestPrintsTheCommandWithoutTools(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var out bytes.Buffer
	dsn := "postgres://assises:secret@db.example:5432/assises?sslmode=require"
	file := filepath.Join(t.TempDir(), "b.dump")
	err := Backup(context.Background(), dsn, file, Options{Out: &out})
	if !errors.Is(err, ErrManual) {
		t.Fatalf("backup without pg_dump: %v, want ErrManual", err)
	}
	want := "PGPASSWORD='…' pg_dump --format=custom --no-owner --no-privileges --file=" + file + " 'postgres://assises@db.example:5432/assises?sslmode=require'"
	if !strings.Contains(out.String(), want) || strings.Contains(out.String(), "secret") {
		t.Errorf("printed:\n%s\nwant the line\n%s\nand never the password", out.String(), want)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("a file was written")
	}
	out.Reset()
	if err := Restore(context.Background(), dsn, file, Options{Out: &out}); err == nil {
		t.Error("restore of a missing file: no error")
	}
}

// TestSQLiteBackupIsACheckedSingleFile: backup refuses to overwrite, restore refuses what is
// not an Assises database and keeps the file it replaces aside.
func TestSQLiteBackupIsACheckedSingleFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "live", "assises.db")
	db := open(t, dsn)
	w := fixture.Workshop(t, db, fixture.Process(t, db, "s"))
	before, _ := journal.LogEpoch(ctx, db, w.ID)
	file := filepath.Join(dir, "copy.db")
	if err := Backup(ctx, dsn, file, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Backup(ctx, dsn, file, Options{}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v, want a refusal", err)
	}
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("not a database"), 0o600)
	target := filepath.Join(dir, "restored", "assises.db")
	if err := Restore(ctx, target, junk, Options{}); err == nil {
		t.Error("restore of a file that is not a database: no error")
	}
	if err := Restore(ctx, target, file, Options{}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	if err := Restore(ctx, target, file, Options{Now: func() time.Time { return at }}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target + ".before-restore-20261206T050000Z"); err != nil {
		t.Errorf("the replaced database is not kept aside: %v", err)
	}
	rdb := open(t, target)
	after, err := journal.LogEpoch(ctx, rdb, w.ID)
	if err != nil || after == before {
		t.Errorf("epoch after restore: %d (%v), want a new one (was %d)", after, err, before)
	}
}

func open(t *testing.T, dsn string) *bun.DB {
	t.Helper()
	db, err := openMigrated(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
