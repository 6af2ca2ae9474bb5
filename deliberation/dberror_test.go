package deliberation

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
	"time"

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/assises/assises/migrations"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// pgError stands for a pgdriver.Error, whose fields the driver alone can set: an error message
// of the PostgreSQL protocol, by field ('C' SQLSTATE, 'V' severity).
type pgError map[byte]string

func (e pgError) Field(k byte) string { return e[k] }
func (e pgError) Error() string       { return e['V'] + ": " + e['M'] + " (SQLSTATE=" + e['C'] + ")" }

// connectionLost reads pgdriver.Error through the method pgError copies.
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
		{"not found", fmt.Errorf("store: get workshop: %w", record.ErrNotFound), false},
		{"a plain error", errors.New("sqlite: constraint failed: FOREIGN KEY constraint failed"), false},
		{"context canceled", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connectionLost(tt.err); got != tt.want {
				t.Errorf("connectionLost(%v): got %v, want %v", tt.err, got, tt.want)
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
		if connectionLost(err) {
			t.Errorf("%s: connectionLost(%v) = true, want false (the database refused it)", q, err)
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
	if !connectionLost(err) {
		t.Errorf("terminated connection: connectionLost(%v) = false, want true", err)
	}
}

// TestTerminatedConnectionsAreUnavailable: after PostgreSQL restarts (here: every backend of
// the engine is terminated, as a restart does), the pool holds dead connections that
// database/sql discovers one use at a time, while a ping on a fresh one succeeds. A batch run
// then must end in an error wrapping storage.ErrUnavailable (the client sends the same ids
// again) or be answered, never refused "internal"; and once sent again, each command applies
// exactly once.
func TestTerminatedConnectionsAreUnavailable(t *testing.T) {
	base := storagetest.DSN(t, "postgres")
	ctx := context.Background()
	admin, err := storage.Open(ctx, base, storage.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := migrations.Migrate(ctx, admin); err != nil {
		t.Fatal(err)
	}
	// One pool size per case: the number of dead connections the next Execute may meet.
	met := 0 // rounds whose first Execute met a dead connection
	defer func() {
		if met == 0 && !t.Failed() {
			t.Error("no Execute met a dead connection: the test proved nothing")
		}
	}()
	for _, pool := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprintf("pool %d", pool), func(t *testing.T) {
			// Its own application_name, so that only this engine's backends are terminated (base
			// has a query already: the test's search_path).
			app := fmt.Sprintf("assises-engine-test-%d", time.Now().UnixNano())
			db, err := storage.Open(ctx, base+"&application_name="+app, storage.Options{MaxOpenConns: pool})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			r := newRoom(t, db)
			r.phase(record.PhaseDiagnostic)
			for round := 1; round <= 3; round++ {
				fillPool(t, db.DB, pool)
				terminate(t, admin, app)
				var cmds []Command
				for _, a := range []Actor{r.alice, r.bob, r.mod} {
					cmds = append(cmds, r.cmd(a, "contribution.post", map[string]any{"kind": record.KindFinding, "body": fmt.Sprintf("Constat %d-%d-%d", pool, round, a.Participant)}))
				}
				warned := r.warnings.Load()
				res, err := r.e.Execute(ctx, r.w.ID, cmds)
				if err != nil || r.warnings.Load() > warned {
					met++ // an error, or a batch split up after failing
				}
				switch {
				case err != nil && !errors.Is(err, storage.ErrUnavailable):
					t.Fatalf("round %d: got error %v, want one wrapping storage.ErrUnavailable", round, err)
				case err != nil && len(res.Outcomes) != 0:
					t.Fatalf("round %d: got outcomes %v with the error, want none", round, res.Outcomes)
				case err == nil:
					noneRefused(t, round, res, len(cmds))
				}
				// The client sends the same ids again until they are answered.
				var again Result
				for try := 0; ; try++ {
					if again, err = r.e.Execute(ctx, r.w.ID, cmds); err == nil {
						break
					}
					if !errors.Is(err, storage.ErrUnavailable) || try == 2*pool+2 {
						t.Fatalf("round %d, sent again (%d): %v", round, try, err)
					}
				}
				noneRefused(t, round, again, len(cmds))
				var n int
				if err := admin.NewSelect().Model((*record.Contribution)(nil)).ColumnExpr("count(*)").
					Where("workshop_id = ?", r.w.ID).Scan(ctx, &n); err != nil {
					t.Fatal(err)
				}
				if n != 3*round {
					t.Fatalf("round %d: got %d contributions, want %d (each command once)", round, n, 3*round)
				}
			}
		})
	}
}

// fillPool opens n connections at once and gives them back, so that the pool holds n idle
// connections for terminate to kill.
func fillPool(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	ctx := context.Background()
	var conns []*sql.Conn
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
}

// terminate cuts every backend of the application app, from another connection, and waits until
// PostgreSQL has closed them.
func terminate(t *testing.T, admin *bun.DB, app string) {
	t.Helper()
	ctx := context.Background()
	var killed []bool
	err := admin.NewRaw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = ? AND pid <> pg_backend_pid()`, app).Scan(ctx, &killed)
	if err != nil {
		t.Fatalf("pg_terminate_backend: %v", err)
	}
	if len(killed) == 0 {
		t.Fatal("no backend of the engine to terminate: the test proves nothing")
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var left int
		if err := admin.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE application_name = ?`, app).Scan(ctx, &left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends of the engine still there 5 s after pg_terminate_backend", left)
		}
	}
}

// noneRefused checks that every command of a batch was answered, none "internal".
func noneRefused(t *testing.T, round int, res Result, n int) {
	t.Helper()
	if len(res.Outcomes) != n {
		t.Fatalf("round %d: got %d outcomes, want %d", round, len(res.Outcomes), n)
	}
	for _, o := range res.Outcomes {
		if o.Code != "" {
			t.Fatalf("round %d: command %s refused %q (%s), want accepted", round, o.CommandID, o.Code, o.Message)
		}
	}
}
