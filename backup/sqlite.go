package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/migrations"
	"github.com/assises/assises/storage"
)

// backupSQLite copies the database at path into file with VACUUM INTO, run from a connection
// of its own: a read transaction, so the server's writer goes on committing (WAL mode) and the
// copy is the database as of the transaction's start. It is written to a temporary file next to
// file (0600: it holds personal data), checked, synced and only then renamed, so that file is
// either a whole copy or absent.
func backupSQLite(ctx context.Context, path, file string, opts Options) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: no database at %s: %w", path, err)
	}
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("backup: %s exists already; choose a new name (a backup never overwrites)", file)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".assises-backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close() // VACUUM INTO accepts an empty file, and keeps its 0600 mode
	defer os.Remove(tmpName)

	db, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", tmpName)
	db.Close()
	if err != nil {
		return fmt.Errorf("backup: vacuum into: %w", err)
	}
	workshops, err := checkSQLite(ctx, tmpName)
	if err != nil {
		return err
	}
	if err := syncFile(tmpName); err != nil {
		return err
	}
	if err := os.Rename(tmpName, file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(filepath.Dir(file)); err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "Backup written to %s (%d workshops).\n", file, workshops)
	return nil
}

// restoreSQLite puts the copy in file in place of the database at path. The copy is prepared
// next to path first (copied, checked, migrated, new log epochs, back to a single file); only
// then is the current database moved aside (with its WAL, which may hold commits not yet
// checkpointed) and the copy renamed into place.
func restoreSQLite(ctx context.Context, path, file string, opts Options) error {
	if _, err := checkSQLite(ctx, file); err != nil {
		return err
	}
	if err := refuseInUse(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".assises-restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(tmpName + suffix)
		}
	}()
	src, err := os.Open(file)
	if err != nil {
		tmp.Close()
		return fmt.Errorf("restore: %w", err)
	}
	_, err = io.Copy(tmp, src)
	src.Close()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore: copy %s: %w", file, err)
	}

	n, err := prepareRestored(ctx, tmpName)
	if err != nil {
		return err
	}
	// The check again, right before the swap: a server started meanwhile must not lose its file.
	if err := refuseInUse(path); err != nil {
		return err
	}
	aside := ""
	if _, err := os.Stat(path); err == nil {
		aside = fmt.Sprintf("%s.before-restore-%s", path, opts.Now().UTC().Format("20060102T150405Z"))
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("restore: keep the current database aside: %w", err)
			}
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "Restored %s into %s; new log epochs for %d workshops: clients resume from a fresh snapshot.\n", file, path, n)
	if aside != "" {
		fmt.Fprintf(opts.Out, "The database it replaced is kept at %s.\n", aside)
	}
	return nil
}

// prepareRestored migrates the copy at path, draws new log epochs and leaves it as one file
// (journal mode DELETE: nothing in a WAL beside it; the server turns WAL on again).
func prepareRestored(ctx context.Context, path string) (int, error) {
	db, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := migrations.Migrate(ctx, db); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	n, err := journal.RenewAllLogEpochs(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=DELETE"); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	return n, db.Close()
}

// checkSQLite opens file read-only and checks that it is a whole SQLite database of
// Assises: quick_check passes and it has workshops (it returns how many).
func checkSQLite(ctx context.Context, file string) (int, error) {
	if _, err := os.Stat(file); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: file}).EscapedPath()+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("backup: open %s: %w", file, err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		return 0, fmt.Errorf("backup: %s is not a sound SQLite database (%q, %v)", file, check, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM workshops").Scan(&n); err != nil {
		return 0, fmt.Errorf("backup: %s is not an Assises database: %w", file, err)
	}
	return n, nil
}

func refuseInUse(path string) error {
	used, err := sqliteInUse(path)
	if err != nil {
		return fmt.Errorf("restore: is %s in use? %w", path, err)
	}
	if used {
		return fmt.Errorf("%w (%s is open)", ErrInUse, path)
	}
	return nil
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
