package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrServedElsewhere is returned by LockSQLite when another process serves the file.
var ErrServedElsewhere = errors.New("storage: another node serves this SQLite database")

// LockSQLite makes sure a SQLite database is served by one process: it takes an exclusive
// lock on path+".lock" (an advisory lock the kernel drops when the process dies, kill -9
// included) and writes the process id in it for the message a second node gets. SQLite's
// own locking would let two servers take turns at writing, each with its own rooms that
// never hear of the other's commits. unlock releases it.
func LockSQLite(path string) (unlock func(), err error) {
	name := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("storage: create data directory: %w", err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("storage: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		holder := strings.TrimSpace(string(b[:n]))
		if holder == "" {
			holder = "?"
		}
		return nil, fmt.Errorf("%w (%s, held by process %s): on SQLite only one node may serve a database; "+
			"to run several nodes, use PostgreSQL with -cluster (docs/deploy.md)", ErrServedElsewhere, path, holder)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
