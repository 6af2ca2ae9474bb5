package main

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/storage"
)

func TestCostPerVote(t *testing.T) {
	at := time.Now()
	proc := func(ticks int64) procSample { return procSample{at: at, cpuTicks: ticks} }
	tests := []struct {
		name  string
		votes int64
		pg    *[2]pgSample
		want  voteCost
	}{
		{name: "no vote, no cost", votes: 0},
		{name: "server and generator only", votes: 1000,
			want: voteCost{Votes: 1000, ServerUS: 50, GeneratorUS: 20}},
		{name: "with PostgreSQL", votes: 1000,
			pg: &[2]pgSample{
				{backends: map[int]int64{7: 10, 8: 5}, background: 1, rows: 100, walBytes: 1000, commits: 10, batches: 8},
				// Backend 8 ended (its time is lost), 9 was born during the run (counted whole).
				{backends: map[int]int64{7: 12, 9: 3}, background: 2, rows: 400, walBytes: 51000, commits: 20, batches: 16},
			},
			want: voteCost{Votes: 1000, ServerUS: 50, GeneratorUS: 20, PGBackendsUS: 50, PGBackgroundUS: 10,
				Commits: 10, Batches: 8, VotesPerBatch: 125, RowsPerCommit: 30, WALPerCommit: 5000, WALPerVote: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// 5 ticks of server CPU, 2 of generator: 50,000 µs and 20,000 µs.
			got := cost(tt.votes, [2]procSample{proc(100), proc(105)}, [2]procSample{proc(10), proc(12)}, tt.pg)
			if tt.votes == 0 {
				if got != nil {
					t.Fatalf("got %+v, want nil", got)
				}
				return
			}
			near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
			w := tt.want
			if got.Votes != w.Votes || !near(got.ServerUS, w.ServerUS) || !near(got.GeneratorUS, w.GeneratorUS) ||
				!near(got.PGBackendsUS, w.PGBackendsUS) || !near(got.PGBackgroundUS, w.PGBackgroundUS) ||
				got.Commits != w.Commits || got.Batches != w.Batches || !near(got.VotesPerBatch, w.VotesPerBatch) ||
				!near(got.RowsPerCommit, w.RowsPerCommit) || !near(got.WALPerCommit, w.WALPerCommit) || !near(got.WALPerVote, w.WALPerVote) {
				t.Errorf("got %+v, want %+v", *got, w)
			}
		})
	}
}

// TestPgbenchYardstick runs the real pgbench briefly against the test PostgreSQL: it must
// report a pace and latencies, and leave no table behind.
func TestPgbenchYardstick(t *testing.T) {
	dsn := os.Getenv("ASSISES_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("ASSISES_TEST_POSTGRES is not set")
	}
	if _, err := findPgbench(); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := runPgbench(ctx, dsn, 4, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p.TPS <= 0 || p.P50 <= 0 || p.P99 < p.P50 {
		t.Errorf("got tps %v, p50 %v, p99 %v: want a pace and p99 ≥ p50 > 0", p.TPS, p.P50, p.P99)
	}
	db, err := storage.Open(ctx, dsn, storage.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	name := strings.TrimPrefix(p.Table, "public.")
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if name == "" || n != 0 {
		t.Errorf("table %q: got %d left, want it dropped", name, n)
	}
}

// TestProbeSeesTheServersBackends samples a connection named like a spawned server's: its
// backend and the rows it writes in its schema are counted, another schema's are not.
func TestProbeSeesTheServersBackends(t *testing.T) {
	base := os.Getenv("ASSISES_TEST_POSTGRES")
	if base == "" {
		t.Skip("ASSISES_TEST_POSTGRES is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, drop, err := freshSchema(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	schema := schemaOf(dsn)
	server, err := storage.Open(ctx, dsn, storage.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := server.ExecContext(ctx, "CREATE TABLE votes_probe (v int)"); err != nil {
		t.Fatal(err)
	}
	probe, err := openProbe(ctx, base, pgApplicationName(schema), schema, "")
	if err != nil {
		t.Fatal(err)
	}
	defer probe.close()
	a, err := probe.sample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.backends) != 1 {
		t.Fatalf("backends: got %d, want the server's one", len(a.backends))
	}
	if _, err := server.ExecContext(ctx, "INSERT INTO votes_probe SELECT g FROM generate_series(1, 300) g"); err != nil {
		t.Fatal(err)
	}
	// The statistics reach pg_stat_user_tables when the backend reports them (at the end of
	// its transaction, at most once a second): wait for them.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := probe.sample(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b.rows-a.rows == 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows: got %d, want 300", b.rows-a.rows)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
