package deliberation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/migrations"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

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
