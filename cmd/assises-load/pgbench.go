package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/assises/assises/storage"
)

// pgbenchRun is PostgreSQL's own pace on the same database in the same run: pgbench's
// clients each commit a one-row INSERT transaction, as fast as they can, into a table of the
// run's own (dropped afterwards). It is the yardstick of durable votes: a vote is at least
// one durable transaction's worth of work for the database.
type pgbenchRun struct {
	Clients   int     `json:"clients"`
	DurationS float64 `json:"duration_s"`
	TPS       float64 `json:"tps"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	Command   string  `json:"command"`
	Table     string  `json:"-"` // the table it wrote, dropped before runPgbench returns
	// The ratios of the run's votes to it: durable votes/s over tps, ack p99 over its p99.
	VotesRatio float64 `json:"votes_ratio,omitempty"`
	P99Ratio   float64 `json:"p99_ratio,omitempty"`
}

// findPgbench finds the pgbench of the installed PostgreSQL (newest first), or on PATH.
func findPgbench() (string, error) {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(found) == 0 {
		return "", fmt.Errorf("pgbench not found (the postgresql package has it)")
	}
	slices.SortFunc(found, func(a, b string) int { return versionOf(b) - versionOf(a) })
	return found[0], nil
}

func versionOf(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// runPgbench runs pgbench with clients connections for d against the PostgreSQL at dsn.
func runPgbench(ctx context.Context, dsn string, clients int, d time.Duration) (*pgbenchRun, error) {
	if err := loopbackOnly(dsn); err != nil {
		return nil, err
	}
	bin, err := findPgbench()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "assises-pgbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	table := "public.load_pgbench_" + randomHex(6)
	admin, err := storage.Open(ctx, dsn, storage.Options{MaxOpenConns: 1})
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE TABLE "+table+" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int NOT NULL)"); err != nil {
		return nil, fmt.Errorf("pgbench table: %w", err)
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(c, "DROP TABLE "+table); err != nil {
			fmt.Fprintln(os.Stderr, "assises-load: drop pgbench table:", err)
		}
	}()
	script := filepath.Join(dir, "insert.sql")
	if err := os.WriteFile(script, []byte("INSERT INTO "+table+" (v) VALUES (1);\n"), 0o644); err != nil {
		return nil, err
	}
	secs := max(1, int(d.Round(time.Second).Seconds()))
	args := []string{"-n", "-c", strconv.Itoa(clients), "-j", "2", "-T", strconv.Itoa(secs),
		"-f", script, "-l", "--log-prefix", filepath.Join(dir, "log"), dsn}
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("pgbench: %w: %s", err, strings.TrimSpace(string(out)))
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("pgbench: no tps in its output: %s", out)
	}
	run := &pgbenchRun{Clients: clients, DurationS: float64(secs), Table: table,
		Command: fmt.Sprintf("pgbench -n -c %d -j 2 -T %d -f insert.sql (INSERT INTO t (v) VALUES (1))", clients, secs)}
	run.TPS, _ = strconv.ParseFloat(string(m[1]), 64)
	lat, err := pgbenchLatencies(dir)
	if err != nil {
		return nil, err
	}
	if len(lat) == 0 {
		return nil, fmt.Errorf("pgbench: no transaction in its logs")
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / 1000 }
	run.P50, run.P99 = at(0.50), at(0.99)
	return run, nil
}

// pgbenchLatencies reads the transaction logs pgbench -l wrote in dir: the third field of
// each line is the transaction's latency in µs.
func pgbenchLatencies(dir string) ([]int64, error) {
	logs, err := filepath.Glob(filepath.Join(dir, "log.*"))
	if err != nil {
		return nil, err
	}
	var lat []int64
	for _, path := range logs {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			if us, err := strconv.ParseInt(fields[2], 10, 64); err == nil {
				lat = append(lat, us)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return lat, nil
}

// yardstick runs pgbench against dsn and sets the run's ratios to it.
func (r *run) yardstick(ctx context.Context, dsn string) {
	p, err := runPgbench(ctx, dsn, r.cfg.pgbenchClients, r.cfg.pgbench)
	if err != nil {
		r.rep.problem("%v", err)
		r.rep.OK = false
		return
	}
	if p.TPS > 0 && r.rep.Votes.Durable > 0 {
		p.VotesRatio = r.rep.Votes.Durable / p.TPS
	}
	if p.P99 > 0 && r.rep.Ack.Count > 0 {
		p.P99Ratio = r.rep.Ack.P99 / p.P99
	}
	r.rep.PGBench = p
}
