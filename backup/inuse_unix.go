//go:build unix

package backup

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// shmDMS is the byte of a WAL database's shared-memory file (-shm) on which every open
// connection, in any process, holds a read lock for as long as it is open: SQLite's "dead man
// switch" (os_unix.c: UNIX_SHM_BASE 120 + SQLITE_SHM_NLOCK 8). modernc.org/sqlite is SQLite's
// own C code, translated, and takes the same POSIX locks.
const shmDMS = 128

// sqliteInUse reports whether another process has the WAL database at path open: it asks the
// kernel (F_GETLK) whether a write lock on the dead man switch byte would conflict, without
// taking any lock. No -shm file means no connection ever mapped it since the last clean close.
func sqliteInUse(path string) (bool, error) {
	f, err := os.OpenFile(path+"-shm", os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: shmDMS, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, err
	}
	return lk.Type != syscall.F_UNLCK, nil
}
