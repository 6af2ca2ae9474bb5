// Package freeport hands out TCP ports on 127.0.0.1 for servers that take a port number
// rather than a listener: the real binary a test or the load generator starts, a private
// PostgreSQL cluster.
package freeport

import "net"

// Find is a port that was free a moment ago: another process may take it before the
// server binds it, so callers start their server at once.
func Find() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// T is what Port needs of a test: testing.TB has it (the load generator, which uses Find,
// does not link the testing package).
type T interface {
	Helper()
	Fatal(args ...any)
}

// Port is Find for a test, which it fails when no port can be had.
func Port(t T) int {
	t.Helper()
	port, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	return port
}
