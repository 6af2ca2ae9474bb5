// Package backup takes consistent copies of the Assises database while the server serves,
// and restores them. SQLite copies itself (VACUUM INTO: one read transaction, so the copy is
// the database as of one commit, and compact: no free pages with old data in them);
// PostgreSQL is copied by its own tools, pg_dump and pg_restore, run when they are on the PATH
// and otherwise printed for the administrator to run.
//
// A restore brings back an older history of every workshop's log, so it draws a new log
// epoch for each (journal.RenewAllLogEpochs): a client that saw later events resumes
// from a snapshot, never from a sequence number the restored log gave to something else.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/migrations"
	"github.com/assises/assises/storage"
)

// ErrInUse is returned by Restore when a server (or another program) has the SQLite
// database open: replacing the file under it would lose what it writes next.
var ErrInUse = errors.New("backup: the database is in use; stop the server first")

// ErrManual is returned when the PostgreSQL tools are not on the PATH: the command to run
// was printed instead, and nothing was copied.
var ErrManual = errors.New("backup: pg_dump/pg_restore not found on the PATH; run the printed command")

// Options are where a command reports and when it happens.
type Options struct {
	Out io.Writer        // what the administrator reads: what was done, or what to run
	Now func() time.Time // names the file kept aside by a restore
}

func (o Options) withDefaults() Options {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// isPostgres tells the two databases apart the way storage.Open does.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Backup writes a consistent copy of the database named by dsn (storage.Open's syntax) to
// file, which must not exist yet. The server may be running and committing meanwhile: every
// commit made before Backup began is in the copy.
func Backup(ctx context.Context, dsn, file string, opts Options) error {
	opts = opts.withDefaults()
	if isPostgres(dsn) {
		return backupPostgres(ctx, dsn, file, opts)
	}
	return backupSQLite(ctx, storage.SQLitePath(dsn), file, opts)
}

// Restore replaces the database named by dsn with the copy in file, migrates it to this
// version's schema and gives every workshop a new log epoch. On SQLite the server must be
// stopped (ErrInUse otherwise) and the file it replaces is kept aside; on PostgreSQL the
// servers must be stopped too (nothing here can tell).
func Restore(ctx context.Context, dsn, file string, opts Options) error {
	opts = opts.withDefaults()
	if isPostgres(dsn) {
		return restorePostgres(ctx, dsn, file, opts)
	}
	return restoreSQLite(ctx, storage.SQLitePath(dsn), file, opts)
}

// RenewEpochs migrates the database and gives every workshop a new log epoch: what Restore
// does after copying, for a database restored by hand (pg_restore run by the administrator).
func RenewEpochs(ctx context.Context, dsn string, opts Options) error {
	opts = opts.withDefaults()
	db, err := openMigrated(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := journal.RenewAllLogEpochs(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "New log epochs for %d workshops: clients resume from a fresh snapshot.\n", n)
	return nil
}

// openMigrated opens the database named by dsn and brings its schema to this version's.
func openMigrated(ctx context.Context, dsn string) (*bun.DB, error) {
	db, err := storage.Open(ctx, dsn, storage.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := migrations.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
