package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/storage"
)

// pgProbe reads what PostgreSQL spends for the spawned server: the CPU of the backends that
// serve the server's connections (found by their application_name, which spawn gives the
// server's DSN), the rows written in the server's schema, the WAL written, and — from the
// server's own metrics page — how many transactions it committed. The backends and the rows
// belong to this run alone; the WAL and PostgreSQL's background processes are the cluster's,
// shared with whatever else runs on the machine.
type pgProbe struct {
	db         *bun.DB
	app        string // application_name of the server's connections
	schema     string
	metricsURL string // the server's /metrics, "" = unknown
}

// pgSample is one reading of the probe.
type pgSample struct {
	backends   map[int]int64 // pid → CPU ticks of the server's backends
	background int64         // CPU ticks of the WAL writer, checkpointer and background writer
	rows       int64         // rows inserted, updated and deleted in the server's schema
	walBytes   int64
	commits    int64 // assises_commits_total: the server's transactions (batches and flushes)
	batches    int64 // command batches (assises_commit_batch_commands_count)
}

func openProbe(ctx context.Context, base, app, schema, metricsURL string) (*pgProbe, error) {
	db, err := storage.Open(ctx, base, storage.Options{MaxOpenConns: 1})
	if err != nil {
		return nil, err
	}
	return &pgProbe{db: db, app: app, schema: schema, metricsURL: metricsURL}, nil
}

func (p *pgProbe) close() { p.db.Close() }

func (p *pgProbe) sample(ctx context.Context) (pgSample, error) {
	s := pgSample{backends: map[int]int64{}}
	rows, err := p.db.QueryContext(ctx, `SELECT pid, application_name = ? FROM pg_stat_activity
		WHERE application_name = ? OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`, p.app, p.app)
	if err != nil {
		return s, fmt.Errorf("pg_stat_activity: %w", err)
	}
	for rows.Next() {
		var pid int
		var mine bool
		if err := rows.Scan(&pid, &mine); err != nil {
			rows.Close()
			return s, err
		}
		ps, err := readProc(pid)
		if err != nil {
			continue // the backend ended in between
		}
		if mine {
			s.backends[pid] = ps.cpuTicks
		} else {
			s.background += ps.cpuTicks
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	if err := p.db.QueryRowContext(ctx, `SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)
		FROM pg_stat_user_tables WHERE schemaname = ?`, p.schema).Scan(&s.rows); err != nil {
		return s, fmt.Errorf("pg_stat_user_tables: %w", err)
	}
	if err := p.db.QueryRowContext(ctx, `SELECT wal_bytes::bigint FROM pg_stat_wal`).Scan(&s.walBytes); err != nil {
		return s, fmt.Errorf("pg_stat_wal: %w", err)
	}
	if p.metricsURL != "" {
		m, err := scrape(p.metricsURL, "assises_commits_total", "assises_commit_batch_commands_count")
		if err != nil {
			return s, err
		}
		s.commits, s.batches = m["assises_commits_total"], m["assises_commit_batch_commands_count"]
	}
	return s, nil
}

// scrape reads integer samples of a Prometheus text page.
func scrape(url string, names ...string) (map[string]int64, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil {
			out[name] = int64(f)
		}
	}
	return out, sc.Err()
}

// voteCost is what one acknowledged vote cost, over the measured phase.
type voteCost struct {
	Votes        int64   `json:"votes"`                                 // acknowledged
	ServerUS     float64 `json:"server_cpu_us_per_vote"`                // the server process, user + system
	PGBackendsUS float64 `json:"pg_backends_cpu_us_per_vote,omitempty"` // the server's backends
	// PostgreSQL's WAL writer, checkpointer and background writer: the cluster's, so other
	// work on the machine counts here too.
	PGBackgroundUS float64 `json:"pg_background_cpu_us_per_vote,omitempty"`
	GeneratorUS    float64 `json:"generator_cpu_us_per_vote"`
	Commits        int64   `json:"commits,omitempty"` // transactions of the server (batches and flushes)
	Batches        int64   `json:"batches,omitempty"` // of which command batches
	VotesPerBatch  float64 `json:"votes_per_batch,omitempty"`
	RowsPerCommit  float64 `json:"rows_per_commit,omitempty"`      // rows inserted, updated, deleted
	WALPerCommit   float64 `json:"wal_bytes_per_commit,omitempty"` // cluster-wide WAL over the server's commits
	WALPerVote     float64 `json:"wal_bytes_per_vote,omitempty"`
}

// cost turns two samples of the server, the generator and PostgreSQL into costs per vote.
func cost(votes int64, server, generator [2]procSample, pg *[2]pgSample) *voteCost {
	if votes <= 0 {
		return nil
	}
	us := func(ticks int64) float64 { return float64(ticks) * 1e6 / clockTicks / float64(votes) }
	c := &voteCost{Votes: votes, GeneratorUS: us(generator[1].cpuTicks - generator[0].cpuTicks)}
	if !server[0].at.IsZero() && !server[1].at.IsZero() {
		c.ServerUS = us(server[1].cpuTicks - server[0].cpuTicks)
	}
	if pg == nil {
		return c
	}
	a, b := pg[0], pg[1]
	var backends int64
	for pid, t := range b.backends {
		backends += t - a.backends[pid] // a backend born during the run counts whole
	}
	c.PGBackendsUS, c.PGBackgroundUS = us(backends), us(b.background-a.background)
	c.Commits, c.Batches = b.commits-a.commits, b.batches-a.batches
	wal := b.walBytes - a.walBytes
	c.WALPerVote = float64(wal) / float64(votes)
	if c.Batches > 0 {
		c.VotesPerBatch = float64(votes) / float64(c.Batches)
	}
	if c.Commits > 0 {
		c.RowsPerCommit = float64(b.rows-a.rows) / float64(c.Commits)
		c.WALPerCommit = float64(wal) / float64(c.Commits)
	}
	return c
}

// pgApplicationName names the connections of a spawned server, so that its backends can be
// told from the cluster's others.
func pgApplicationName(schema string) string { return "assises-" + schema }

// procOrZero samples a process, or returns the zero sample.
func procOrZero(pid int) procSample {
	if pid == 0 {
		return procSample{}
	}
	s, err := readProc(pid)
	if err != nil {
		return procSample{}
	}
	return s
}

// costProbe is the run's part of the cost measurement: samples at the start and end of the
// measured phase.
type costProbe struct {
	pg        *pgProbe
	server    [2]procSample
	generator [2]procSample
	pgAt      [2]pgSample
	pgOK      [2]bool
}

// sampleCost takes the samples of one end of the measured phase (0 start, 1 end).
func (r *run) sampleCost(end int) {
	p := &r.cost
	p.server[end] = procOrZero(r.pid)
	p.generator[end] = procOrZero(os.Getpid())
	if p.pg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := p.pg.sample(ctx)
	if err != nil {
		r.rep.problem("postgres cost: %v", err)
		return
	}
	p.pgAt[end], p.pgOK[end] = s, true
}

// fillCost puts the costs per acknowledged vote in the report.
func (r *run) fillCost() {
	p := &r.cost
	var pg *[2]pgSample
	if p.pgOK[0] && p.pgOK[1] {
		pg = &p.pgAt
	}
	r.rep.Cost = cost(r.rep.Votes.Acked, p.server, p.generator, pg)
}

// printCost writes the costs per vote and the pgbench yardstick in the report's table.
func (r *report) printCost(tw io.Writer) {
	if c := r.Cost; c != nil {
		fmt.Fprintf(tw, "CPU per acked vote\tserver %.1f µs, generator %.1f µs", c.ServerUS, c.GeneratorUS)
		if c.PGBackendsUS > 0 {
			fmt.Fprintf(tw, ", PostgreSQL backends %.1f µs (+ %.1f µs WAL writer, checkpointer, bgwriter: cluster-wide)", c.PGBackendsUS, c.PGBackgroundUS)
		}
		fmt.Fprintf(tw, "\t\n")
		if c.Commits > 0 {
			fmt.Fprintf(tw, "PostgreSQL work\t%d commits (%d command batches, %.1f votes each), %.1f rows and %.0f WAL bytes per commit, %.0f WAL bytes per vote\t\n",
				c.Commits, c.Batches, c.VotesPerBatch, c.RowsPerCommit, c.WALPerCommit, c.WALPerVote)
		}
	}
	if p := r.PGBench; p != nil {
		fmt.Fprintf(tw, "pgbench one-row INSERT\t%.0f tps at %d clients, p50 %.1f ms, p99 %.1f ms over %.0f s\t\n", p.TPS, p.Clients, p.P50, p.P99, p.DurationS)
		if p.VotesRatio > 0 {
			fmt.Fprintf(tw, "ratio to pgbench\tdurable votes/s %.2f×, ack p99 %.2f×\t\n", p.VotesRatio, p.P99Ratio)
		}
	}
}
