package journal

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// ConnectionLost reports whether err says that the connection to the database broke (closed,
// reset, cut by the server or by its shutdown) rather than that the database refused a
// statement (a constraint, a syntax error). The same command may well succeed on another
// connection: for the client it is "unavailable, send it again", never "internal".
//
// After a PostgreSQL restart, or pg_terminate_backend, every pooled connection is dead but
// database/sql only learns it by using each one: the first statement on each fails with one of
// these errors, while a ping on a fresh connection already succeeds.
func ConnectionLost(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	// An error message of the PostgreSQL protocol (pgdriver.Error): its SQLSTATE and severity.
	var pg interface{ Field(byte) string }
	if errors.As(err, &pg) {
		return sqlStateLost(pg.Field('C'), pg.Field('V'))
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// sqlStateLost reports whether a PostgreSQL error ends the session rather than refuses a
// statement: class 08 (connection exception), 57P01–57P03 (the server is shutting down, was
// restarted after a crash, or cannot accept connections yet), or a FATAL or PANIC severity,
// after which the server closes the connection. A refused statement is only ever an ERROR.
func sqlStateLost(code, severity string) bool {
	switch {
	case strings.HasPrefix(code, "08"):
		return true
	case code == "57P01", code == "57P02", code == "57P03":
		return true
	}
	return severity == "FATAL" || severity == "PANIC"
}
