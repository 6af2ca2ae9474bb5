// Command assises runs the Assises deliberation platform.
//
//	assises [serve]      start the server (the default)
//	assises migrate      apply database migrations and exit
//	assises demo         seed the demo process (idempotent) and print an organiser link
//	assises admin link   print a new one-time organiser sign-in link
//	assises admin invite create participants of a workshop and print their sign-in links
//	                     (test invitations for the load generator, or a quick start)
//	assises backup FILE  write a consistent copy of the database while the server serves
//	assises restore FILE put a backup in place (server stopped); new log epochs for all
//
// Configuration comes from flags, or the environment: ASSISES_ADDR, DATABASE_URL,
// ASSISES_PUBLIC_URL; email through ASSISES_SMTP_ADDR, ASSISES_SMTP_USER, ASSISES_SMTP_PASSWORD
// and ASSISES_SMTP_FROM. docs/operations.md lists every flag and variable (a test keeps it
// complete).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	_ "time/tzdata" // sessions are shown in Brussels time even on a machine without zone files

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/logs"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/migrations"
	"github.com/assises/assises/people"
	"github.com/assises/assises/server"
	"github.com/assises/assises/storage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// The first signal starts the graceful stop (drain, then close); a second one kills at
	// once, for someone who does not want to wait for the drain.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "assises:", err)
		os.Exit(1)
	}
}

// config is everything a command needs, built once from flags and environment.
type config struct {
	addr      string
	dsn       string
	publicURL *url.URL
	// publicSet and addrSet: -public-url and -addr (or their variables) were given, not defaulted.
	publicSet, addrSet bool
	seedDemo           bool
	testHooks          bool // -test-hooks: the browser tests' window.assises (server.Config.TestHooks)
	logLevel           slog.Level
	// admin invite
	workshop      int64
	count         int
	organisations int
	moderator     bool // admin invite: appoint them moderators of the workshop
	// pprof is a loopback address for net/http/pprof (profiling under load); "" = off.
	pprof string
	// smtp: email of invitations; an empty Addr means no email (organisers hand out cards).
	smtp mail.Config
	// trustedProxies: the reverse proxies whose X-Forwarded-For the rate limits believe.
	trustedProxies []netip.Prefix
	// perAddress bounds the open connections of one client address (server/edge).
	perAddress int
	// logFormat is "text" or "json" (internal/logs).
	logFormat string
	// metricsAddr serves /metrics (Prometheus text format) on a listener of its own; "" = off.
	metricsAddr string
	// drainDelay: after SIGTERM, /readyz answers 503 this long before the sockets are closed,
	// so that a load balancer stops sending new people here first.
	drainDelay time.Duration
	// onDrain, in tests, runs once /readyz has turned to "draining", before the rooms stop.
	onDrain func()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "admin" {
		if len(args) == 0 || (args[0] != "link" && args[0] != "invite") {
			return errors.New("usage: assises admin link | assises admin invite -workshop ID -count N")
		}
		cmd, args = "admin "+args[0], args[1:]
	}
	if cmd == "backup" || cmd == "restore" {
		return backupCommand(ctx, cmd, args, stdout, stderr)
	}
	cfg, err := parseConfig(cmd, args, stderr)
	if err != nil {
		return err
	}
	logger, err := logs.New(stderr, cfg.logFormat, cfg.logLevel)
	if err != nil {
		return err
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, logger, stdout)
	case "migrate":
		db, err := openAndMigrate(ctx, cfg, logger)
		if err != nil {
			return err
		}
		return db.Close()
	case "demo":
		return demoCommand(ctx, cfg, logger, stdout)
	case "admin link":
		return adminLink(ctx, cfg, logger, stdout)
	case "admin invite":
		return adminInvite(ctx, cfg, logger, stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: assises [serve|migrate|demo|admin link|admin invite|backup FILE|restore FILE] [flags]")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate, demo, admin link, backup, restore)", cmd)
}

func parseConfig(cmd string, args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("assises "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("ASSISES_ADDR", ":8080"), "address to listen on (ASSISES_ADDR)")
	dsn := fs.String("db", os.Getenv("DATABASE_URL"), "database: postgres://… or a SQLite file path; empty: "+storage.DefaultSQLitePath+" (DATABASE_URL)")
	public := fs.String("public-url", os.Getenv("ASSISES_PUBLIC_URL"), "the URL people use to reach the server (ASSISES_PUBLIC_URL); default http://localhost:<port>")
	seed := fs.Bool("seed-demo", false, "on an empty database, seed the demo process (make run sets it)")
	verbose := fs.Bool("v", false, "log every request")
	logFormat := fs.String("log-format", envOr("ASSISES_LOG_FORMAT", "text"), "log lines as text or json (ASSISES_LOG_FORMAT)")
	var workshop int64
	var count, orgs int
	var moderator bool
	if cmd == "admin invite" {
		fs.Int64Var(&workshop, "workshop", 0, "the workshop to invite people to")
		fs.IntVar(&count, "count", 1, "how many people to create")
		fs.IntVar(&orgs, "organisations", 50, "how many organisations they come from")
		fs.BoolVar(&moderator, "moderator", false, "appoint them moderators of the workshop")
	}
	var pprofAddr, proxies, metricsAddr, drain string
	var testHooks bool
	var smtpCfg mail.Config
	var perAddress int
	if cmd == "serve" {
		fs.StringVar(&metricsAddr, "metrics-addr", os.Getenv("ASSISES_METRICS_ADDR"), "serve /metrics (Prometheus text format) on this address of its own, e.g. 127.0.0.1:9090 (ASSISES_METRICS_ADDR); empty: off")
		fs.StringVar(&drain, "drain-delay", envOr("ASSISES_DRAIN_DELAY", "0s"), "after SIGTERM, how long /readyz answers 503 before the sockets are closed, for a load balancer to notice (ASSISES_DRAIN_DELAY), at most 1m")
		def, err := strconv.Atoi(envOr("ASSISES_MAX_CONNS_PER_ADDRESS", strconv.Itoa(defaultPerAddress)))
		if err != nil {
			return config{}, fmt.Errorf("ASSISES_MAX_CONNS_PER_ADDRESS: %w", err)
		}
		fs.IntVar(&perAddress, "max-conns-per-address", def, "open connections one client address may hold (an IPv6 /64 counts as one; behind -trusted-proxies, requests in progress per forwarded client); 0: no bound (ASSISES_MAX_CONNS_PER_ADDRESS)")
		fs.StringVar(&proxies, "trusted-proxies", os.Getenv("ASSISES_TRUSTED_PROXIES"), "comma-separated addresses or CIDR prefixes of the reverse proxies in front of the server, whose X-Forwarded-For the rate limits then believe (ASSISES_TRUSTED_PROXIES); empty: none")
		fs.StringVar(&pprofAddr, "pprof", "", "serve net/http/pprof on this loopback address (e.g. 127.0.0.1:6060); off by default")
		fs.BoolVar(&testHooks, "test-hooks", false, "browser tests only: the live pages expose their state as window.assises; never in production")
		fs.StringVar(&smtpCfg.Addr, "smtp-addr", os.Getenv("ASSISES_SMTP_ADDR"), "SMTP server host:port for invitation emails (ASSISES_SMTP_ADDR); empty: no email")
		fs.StringVar(&smtpCfg.Username, "smtp-user", os.Getenv("ASSISES_SMTP_USER"), "SMTP user name (ASSISES_SMTP_USER); empty: no authentication")
		fs.StringVar(&smtpCfg.From, "smtp-from", os.Getenv("ASSISES_SMTP_FROM"), "sender of the emails, e.g. \"Assises <assises@example.org>\" (ASSISES_SMTP_FROM)")
		// The password comes from the environment only: a flag would show it in the process list.
		smtpCfg.Password = os.Getenv("ASSISES_SMTP_PASSWORD")
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg := config{addr: *addr, dsn: *dsn, seedDemo: *seed, logLevel: slog.LevelInfo, publicSet: *public != "",
		workshop: workshop, count: count, organisations: orgs, moderator: moderator, pprof: pprofAddr, perAddress: perAddress,
		logFormat: *logFormat, metricsAddr: metricsAddr, testHooks: testHooks}
	if !slices.Contains(logs.Formats, cfg.logFormat) {
		return config{}, fmt.Errorf("-log-format %q: want text or json", cfg.logFormat)
	}
	if drain != "" {
		d, err := time.ParseDuration(drain)
		if err != nil || d < 0 || d > maxDrainDelay {
			return config{}, fmt.Errorf("-drain-delay %q: want a duration from 0s to %v", drain, maxDrainDelay)
		}
		cfg.drainDelay = d
	}
	if *verbose {
		cfg.logLevel = slog.LevelDebug
	}
	fs.Visit(func(f *flag.Flag) { cfg.addrSet = cfg.addrSet || f.Name == "addr" })
	cfg.addrSet = cfg.addrSet || os.Getenv("ASSISES_ADDR") != ""
	trusted, err := server.ParseTrustedProxies(proxies)
	if err != nil {
		return config{}, fmt.Errorf("-trusted-proxies: %w", err)
	}
	cfg.trustedProxies = trusted
	raw := *public
	if raw == "" {
		raw = "http://localhost" + portOf(*addr)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config{}, fmt.Errorf("public URL %q must look like https://assises.example.org", raw)
	}
	cfg.publicURL = u
	if smtpCfg.Addr != "" {
		if smtpCfg.From == "" {
			smtpCfg.From = "Assises <assises@" + u.Hostname() + ">"
		}
		// A remote server gets STARTTLS (the password and the links must not cross the network
		// in clear); a relay on this machine may speak plain SMTP.
		smtpCfg.StartTLS = !loopback(smtpCfg.Addr)
		cfg.smtp = smtpCfg
	}
	if cfg.pprof != "" && !loopback(cfg.pprof) {
		return config{}, fmt.Errorf("-pprof %q: profiles reveal internals, so only a loopback address is allowed", cfg.pprof)
	}
	return cfg, nil
}

// defaultPerAddress is generous: a venue's Wi-Fi puts a whole room behind one address, each
// phone with its socket and a few page loads; it stops one machine from holding thousands.
const defaultPerAddress = 1000

// loopback reports whether addr (host:port) names this machine only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			if addr[i:] == ":80" {
				return ""
			}
			return addr[i:]
		}
	}
	return ""
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func openAndMigrate(ctx context.Context, cfg config, logger *slog.Logger) (*bun.DB, error) {
	db, err := storage.Open(ctx, cfg.dsn, storage.Options{})
	if err != nil {
		return nil, err
	}
	applied, err := migrations.Migrate(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	sealed, err := people.SealUnsealed(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	logger.Info("database ready", "database", storage.Describe(cfg.dsn), "migrations applied", len(applied), "people and organisations sealed", sealed)
	return db, nil
}

// organiserLink creates a one-time sign-in link for the platform organiser.
func organiserLink(ctx context.Context, db *bun.DB, public *url.URL) (string, error) {
	org, _, err := people.EnsurePlatformOrganiser(ctx, db)
	if err != nil {
		return "", err
	}
	token, _, err := people.CreateInvitation(ctx, db, org.ID, nil, 24*time.Hour, true)
	if err != nil {
		return "", err
	}
	return public.JoinPath("i", token).String(), nil
}
