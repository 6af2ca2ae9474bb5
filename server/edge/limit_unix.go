//go:build unix

package edge

import "syscall"

// openFileLimit is the process's limit of open files (the soft one: the Go runtime raises it
// to the hard one at start-up).
func openFileLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return fallbackLimit
	}
	if rl.Cur > 1<<24 {
		return 1 << 24
	}
	return int(rl.Cur)
}
