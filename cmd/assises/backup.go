package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/assises/assises/backup"
	"github.com/assises/assises/storage"
)

const backupUsage = `usage: assises backup [-db DATABASE] FILE

Writes a consistent copy of the database to FILE (which must not exist) while the server
keeps serving: every change acknowledged before the backup began is in it.

  SQLite      a single database file (VACUUM INTO), mode 0600: it holds personal data.
  PostgreSQL  runs pg_dump (custom format) if it is on the PATH; otherwise prints the
              pg_dump command to run and exits with status 1.

Restore it with: assises restore FILE
`

const restoreUsage = `usage: assises restore [-db DATABASE] FILE
       assises restore [-db DATABASE] -renew-epochs

Replaces the database with the copy in FILE (made by assises backup), migrates it to this
version's schema, and gives every workshop a new log epoch, so that phones, consoles and
projectors reload the room from a snapshot instead of resuming into the older history.

  SQLite      stop the server first: restore refuses while a process has the database open.
              The database it replaces (with its -wal) is kept beside it as
              FILE.before-restore-<UTC time>.
  PostgreSQL  stop every server first. Runs pg_restore --clean --single-transaction if it is
              on the PATH; otherwise prints the command to run, then run
              assises restore -renew-epochs.

  -renew-epochs   only give every workshop a new log epoch (after restoring by hand)
`

// backupCommand runs `assises backup` and `assises restore`.
func backupCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("assises "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", os.Getenv("DATABASE_URL"), "database: postgres://… or a SQLite file path; empty: "+storage.DefaultSQLitePath+" (DATABASE_URL)")
	renew := false
	usage := backupUsage
	if cmd == "restore" {
		fs.BoolVar(&renew, "renew-epochs", false, "only give every workshop a new log epoch")
		usage = restoreUsage
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	opts := backup.Options{Out: stdout}
	switch {
	case renew && fs.NArg() == 0:
		return backup.RenewEpochs(ctx, *dsn, opts)
	case renew || fs.NArg() != 1:
		fs.Usage()
		return fmt.Errorf("%s: expected one FILE", cmd)
	case cmd == "backup":
		return backup.Backup(ctx, *dsn, fs.Arg(0), opts)
	default:
		return backup.Restore(ctx, *dsn, fs.Arg(0), opts)
	}
}
