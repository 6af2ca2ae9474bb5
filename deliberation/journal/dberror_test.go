package journal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/assises/assises/storage/storagetest"
)

// pgError stands for a pgdriver.Error, whose fields the driver alone can set: an error message
// of the PostgreSQL protocol, by field ('C' SQLSTATE, 'V' severity).
type pgError map[byte]string

func (e pgError) Field(k byte) string { return e[k] }
func (e pgError) Error() string       { return e['V'] + ": " + e['M'] + " (SQLSTATE=" + e['C'] + ")" }

// ConnectionLost reads pgdriver.Error through the method pgError copies.
var _ interface{ Field(byte) string } = pgdriver.Error{}

func TestConnectionLost(t *testing.T) {
	opErr := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"bad connection", driver.ErrBadConn, true},
		{"bad connection, wrapped", fmt.Errorf("store: begin: %w", driver.ErrBadConn), true},
		{"connection done", sql.ErrConnDone, true},
		{"eof", io.EOF, true},
		{"unexpected eof, wrapped", fmt.Errorf("store: append events: %w", io.ErrUnexpectedEOF), true},
		{"closed network connection", fmt.Errorf("write: %w", net.ErrClosed), true},
		{"connection reset", opErr, true},
		{"connection reset, bare", syscall.ECONNRESET, true},
		{"broken pipe", os.NewSyscallError("write", syscall.EPIPE), true},
		{"connection refused", os.NewSyscallError("connect", syscall.ECONNREFUSED), true},
		{"network timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{"terminated by an administrator (57P01)", pgError{'V': "FATAL", 'C': "57P01", 'M': "terminating connection due to administrator command"}, true},
		{"crash shutdown (57P02)", pgError{'V': "FATAL", 'C': "57P02"}, true},
		{"cannot connect now (57P03)", pgError{'V': "FATAL", 'C': "57P03", 'M': "the database system is starting up"}, true},
		{"57P01 with no severity", pgError{'C': "57P01"}, true},
		{"connection failure (08006)", pgError{'V': "ERROR", 'C': "08006"}, true},
		{"connection exception (08000), wrapped", fmt.Errorf("store: commit: %w", pgError{'V': "ERROR", 'C': "08000"}), true},
		{"other fatal error", pgError{'V': "FATAL", 'C': "XX000"}, true},
		{"unique violation (23505)", pgError{'V': "ERROR", 'C': "23505", 'M': "duplicate key value violates unique constraint"}, false},
		{"foreign key violation (23503), wrapped", fmt.Errorf("store: vote: %w", pgError{'V': "ERROR", 'C': "23503"}), false},
		{"syntax error (42601)", pgError{'V': "ERROR", 'C': "42601"}, false},
		{"undefined table (42P01)", pgError{'V': "ERROR", 'C': "42P01"}, false},
		{"statement timeout (57014)", pgError{'V': "ERROR", 'C': "57014"}, false},
		{"serialization failure (40001)", pgError{'V': "ERROR", 'C': "40001"}, false},
		{"not found", fmt.Errorf("store: get workshop: %w", ErrNotFound), false},
		{"a plain error", errors.New("sqlite: constraint failed: FOREIGN KEY constraint failed"), false},
		{"context canceled", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConnectionLost(tt.err); got != tt.want {
				t.Errorf("ConnectionLost(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestConnectionLostOnRealErrors classifies errors that a real PostgreSQL returns: refused
// statements stay refused, a connection cut by pg_terminate_backend is lost.
func TestConnectionLostOnRealErrors(t *testing.T) {
	db := storagetest.Open(t, "postgres")
	ctx := context.Background()
	for _, q := range []string{
		"SELEC 1",                     // syntax error
		"SELECT 1/0",                  // division by zero
		"SELECT * FROM no_such_table", // undefined table
		"INSERT INTO workshops (id) VALUES (NULL)", // not-null violation
	} {
		_, err := db.ExecContext(ctx, q)
		if err == nil {
			t.Fatalf("%s: got no error, want one", q)
		}
		if ConnectionLost(err) {
			t.Errorf("%s: ConnectionLost(%v) = true, want false (the database refused it)", q, err)
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "SELECT pg_terminate_backend(?)", pid); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, "SELECT 1")
	if err == nil {
		t.Fatal("a terminated connection answered")
	}
	if !ConnectionLost(err) {
		t.Errorf("terminated connection: ConnectionLost(%v) = false, want true", err)
	}
}
