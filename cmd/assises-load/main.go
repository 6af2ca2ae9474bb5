package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is every flag, parsed once.
type config struct {
	scenario           string
	n                  int
	duration           time.Duration
	rate               float64
	postRate           float64
	items              int
	missed             int
	ramp               time.Duration
	ping               time.Duration
	settle             time.Duration
	connectConcurrency int

	spawn         bool
	bin, db       string
	workshop      int64
	serverLog     string
	profile       string
	heapProfile   string
	url           string
	links         string
	moderatorLink string
	pid           int
	// pgbench runs PostgreSQL's one-row-insert yardstick for this long after the load (0 = off).
	pgbench        time.Duration
	pgbenchClients int

	shardIndex, shards int
	sources            []net.IP
	startAt            time.Time
	jsonPath           string
	merge              string
	updateDoc          string // rewrite the generated section of this page, then exit
	benchOutput        string
	reports            string
	baseline           baselineConfig // baseline.go
}

// maxDuration bounds a measured phase: the generator must stop by itself.
const maxDuration = 10 * time.Minute

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := execute(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "assises-load:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("assises-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.scenario, "scenario", "votes", "idle, votes, reconnect or session")
	fs.IntVar(&c.n, "n", 100, "participants (with -links: at most this many links are used)")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "length of the measured phase (at most 10m)")
	fs.Float64Var(&c.rate, "rate", 100, "votes per second, all participants together (votes, session)")
	fs.Float64Var(&c.postRate, "post-rate", 0, "session: contributions per second (0 = one per participant every 100 s)")
	fs.IntVar(&c.items, "items", 5, "votes: contributions voted on")
	fs.IntVar(&c.missed, "missed", 20, "reconnect: events committed while everyone is away")
	fs.DurationVar(&c.ramp, "ramp", 0, "reconnect: spread the returns uniformly over this (0 = all at once)")
	fs.DurationVar(&c.ping, "ping", 20*time.Second, "idle: each connection pings once per this period")
	fs.DurationVar(&c.settle, "settle", 30*time.Second, "how long to wait for late answers and the end marker")
	fs.IntVar(&c.connectConcurrency, "connect-concurrency", 200, "connections being opened at once")

	fs.BoolVar(&c.spawn, "spawn", false, "build and start `assises serve` on a database of its own, and invite -n people")
	fs.StringVar(&c.bin, "assises", "", "spawn: the assises binary (default: go build it)")
	fs.StringVar(&c.db, "db", "", "spawn: postgres://… (a fresh schema in it, dropped afterwards) or a SQLite path; default a temporary SQLite")
	fs.Int64Var(&c.workshop, "workshop", 1, "spawn: the workshop (the demo seeds 1 to 9)")
	fs.StringVar(&c.serverLog, "server-log", "", "spawn: keep the server's log in this file")
	fs.StringVar(&c.profile, "cpuprofile", "", "spawn: write the server's CPU profile of the measured phase to this file")
	fs.StringVar(&c.heapProfile, "heapprofile", "", "spawn: write the server's heap profile at the end of the measured phase to this file")
	fs.StringVar(&c.url, "url", "", "the server's public URL (loopback only), with -links")
	fs.StringVar(&c.links, "links", "", "file of invitation links, one per line (`assises admin invite`)")
	fs.StringVar(&c.moderatorLink, "moderator-link", "", "an invitation link of a moderator of the workshop (`assises admin invite -moderator`)")
	fs.IntVar(&c.pid, "pid", 0, "the server's process id, to report its memory and CPU")
	fs.DurationVar(&c.pgbench, "pgbench", 0, "spawn on PostgreSQL: after the load, run pgbench (one-row INSERT transactions into a table of its own) for this long against the same database, and report the ratios to it; 0 = off")
	fs.IntVar(&c.pgbenchClients, "pgbench-clients", 64, "pgbench's clients")

	shard := fs.String("shard", "0/1", "this process is shard i of n: it uses every n-th link and 1/n of the rate")
	sources := fs.String("sources", "", "source addresses: a count (2 = 127.0.0.1 and 127.0.0.2) or a comma list; one address has ~28,000 ports")
	startAt := fs.Int64("start-at", 0, "Unix time at which the measured phase starts (several shards together)")
	fs.StringVar(&c.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&c.merge, "merge", "", "merge the JSON reports of several shards (comma list) and print the result")
	fs.StringVar(&c.updateDoc, "update-doc", "", "rewrite the generated section of this page (docs/performance.md) from -bench and -reports, then exit")
	fs.StringVar(&c.benchOutput, "bench", "", "with -update-doc: the output of go test -bench")
	fs.StringVar(&c.reports, "reports", "", "with -update-doc: JSON reports of load runs (comma list)")
	c.baseline.flags(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.merge != "" || c.updateDoc != "" || c.baseline.bareServe != "" {
		return c, nil
	}
	i, n, ok := strings.Cut(*shard, "/")
	c.shardIndex, _ = strconv.Atoi(i)
	c.shards, _ = strconv.Atoi(n)
	if !ok || c.shards < 1 || c.shardIndex < 0 || c.shardIndex >= c.shards {
		return c, fmt.Errorf("-shard %q: want i/n with 0 ≤ i < n", *shard)
	}
	if *startAt > 0 {
		c.startAt = time.Unix(*startAt, 0)
	}
	var err error
	if c.sources, err = parseSources(*sources); err != nil {
		return c, err
	}
	switch {
	case c.scenario != "idle" && c.scenario != "votes" && c.scenario != "reconnect" && c.scenario != "session":
		return c, fmt.Errorf("-scenario %q: want idle, votes, reconnect or session", c.scenario)
	case c.duration <= 0 || c.duration > maxDuration:
		return c, fmt.Errorf("-duration must be in (0, %v]", maxDuration)
	case c.n < 1:
		return c, errors.New("-n must be at least 1")
	case c.spawn == (c.url != ""):
		return c, errors.New("give either -spawn, or -url with -links and -moderator-link")
	case !c.spawn && (c.links == "" || c.moderatorLink == ""):
		return c, errors.New("-url needs -links and -moderator-link")
	case c.items < 1:
		return c, errors.New("-items must be at least 1")
	case c.pgbench != 0 && (!c.spawn || describeDB(c.db) != "postgres"):
		return c, errors.New("-pgbench needs -spawn -db postgres://…")
	case c.pgbench < 0 || c.pgbench > maxDuration || c.pgbenchClients < 1:
		return c, fmt.Errorf("-pgbench must be in [0, %v], -pgbench-clients at least 1", maxDuration)
	}
	if c.url != "" {
		if err := loopbackOnly(c.url); err != nil {
			return c, err
		}
	}
	return c, nil
}

func parseSources(s string) ([]net.IP, error) {
	if s == "" {
		return nil, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 250 {
			return nil, fmt.Errorf("-sources %d: want 1 to 250", n)
		}
		out := make([]net.IP, n)
		for i := range out {
			out[i] = net.IPv4(127, 0, 0, byte(i+1))
		}
		return out, nil
	}
	var out []net.IP
	for _, f := range strings.Split(s, ",") {
		ip := net.ParseIP(strings.TrimSpace(f))
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("-sources: %q is not a loopback address", f)
		}
		out = append(out, ip)
	}
	return out, nil
}

func execute(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.merge != "" {
		return mergeFiles(cfg.merge, stdout, cfg.jsonPath)
	}
	if cfg.baseline.bareServe != "" {
		return bareServe(cfg.baseline.bareServe)
	}
	if cfg.updateDoc != "" {
		var reports []string
		if cfg.reports != "" {
			reports = strings.Split(cfg.reports, ",")
		}
		return updateDoc(cfg.updateDoc, cfg.benchOutput, reports)
	}
	// A hard bound on the whole run, setup included: the generator always stops by itself.
	ctx, cancel := context.WithTimeout(ctx, cfg.duration+20*time.Minute)
	defer cancel()

	r := newRun(cfg)
	var links []string
	var modLink, public string
	var srv *spawned
	if cfg.spawn {
		fmt.Fprintf(stderr, "starting assises serve (%s)…\n", describeDB(cfg.db))
		srv, err = spawn(ctx, spawnOptions{bin: cfg.bin, db: cfg.db, pprof: true, metrics: true, logPath: cfg.serverLog})
		if err != nil {
			return err
		}
		defer srv.stop()
		if srv.schema != "" {
			probe, err := openProbe(ctx, cfg.db, pgApplicationName(srv.schema), srv.schema, "http://"+srv.metrics+"/metrics")
			if err != nil {
				return err
			}
			defer probe.close()
			r.cost.pg = probe
		}
		r.pid, public, r.pprofAddr = srv.pid(), srv.public, srv.pprof
		fmt.Fprintf(stderr, "inviting %d participants and a moderator to workshop %d…\n", cfg.n, cfg.workshop)
		mods, err := srv.invite(ctx, cfg.workshop, 1, true)
		if err != nil {
			return err
		}
		modLink = mods[0]
		if links, err = srv.invite(ctx, cfg.workshop, cfg.n, false); err != nil {
			return err
		}
	} else {
		r.pid, public, modLink = cfg.pid, strings.TrimRight(cfg.url, "/"), cfg.moderatorLink
		all, err := readLinks(cfg.links)
		if err != nil {
			return err
		}
		for i, l := range all {
			if i%cfg.shards == cfg.shardIndex && len(links) < cfg.n {
				links = append(links, l)
			}
		}
	}
	fmt.Fprintf(stderr, "signing in %d participants…\n", len(links))
	people, err := signIn(ctx, append([]string{modLink}, links...), 32)
	if err != nil {
		return err
	}
	r.setPeople(people, public)
	if cfg.spawn {
		r.rep.Database = describeDB(cfg.db)
	}
	var profileDone chan error
	pctx, stopProfile := context.WithCancel(ctx)
	defer stopProfile()
	if cfg.profile != "" && srv != nil {
		profileDone = r.profileDuringMeasure(pctx, srv.pprof, cfg.profile)
	}
	fmt.Fprintf(stderr, "running %s with %d participants…\n", cfg.scenario, len(r.clients))
	r.execute(ctx)
	select {
	case <-r.measureStarted:
	default:
		stopProfile() // the scenario failed before its measured phase: no profile to wait for
	}
	if profileDone != nil {
		if err := <-profileDone; err != nil {
			fmt.Fprintln(stderr, "assises-load: cpu profile:", err)
		}
	}
	if cfg.pgbench > 0 {
		fmt.Fprintf(stderr, "running pgbench for %v with %d clients…\n", cfg.pgbench, cfg.pgbenchClients)
		r.yardstick(ctx, cfg.db)
	}
	r.rep.print(stdout)
	if cfg.jsonPath != "" {
		if err := r.rep.writeJSON(cfg.jsonPath); err != nil {
			return err
		}
	}
	if !r.rep.OK {
		return errors.New("the run found problems (see the verdict)")
	}
	return nil
}

func describeDB(dsn string) string {
	switch {
	case dsn == "":
		return "sqlite"
	case strings.HasPrefix(dsn, "postgres"):
		return "postgres"
	}
	return "sqlite"
}

func mergeFiles(list string, stdout io.Writer, jsonPath string) error {
	var paths []string
	for _, p := range strings.Split(list, ",") {
		paths = append(paths, strings.TrimSpace(p))
	}
	rs, err := readReports(paths)
	if err != nil {
		return err
	}
	out, err := mergeReports(rs)
	if err != nil {
		return err
	}
	out.print(stdout)
	if jsonPath != "" {
		return out.writeJSON(jsonPath)
	}
	return nil
}
