package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestLockSQLiteRefusesASecondServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "assises.db")
	unlock, err := LockSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockSQLite(path)
	if !errors.Is(err, ErrServedElsewhere) {
		t.Fatalf("second lock: got %v, want ErrServedElsewhere", err)
	}
	if pid := strconv.Itoa(os.Getpid()); !strings.Contains(err.Error(), "process "+pid) || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("message: got %q, want the holder's process id (%s) and the way to several nodes", err, pid)
	}
	unlock()
	unlock2, err := LockSQLite(path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}
