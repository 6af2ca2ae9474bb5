package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/cluster"
	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/deliberation/demo"
	"github.com/assises/assises/frontend"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/live"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/metrics"
	"github.com/assises/assises/people"
	"github.com/assises/assises/server"
	"github.com/assises/assises/server/edge"
	"github.com/assises/assises/storage"
)

// shutdownGrace bounds a graceful stop: in-flight commits finish and sockets close with 1001
// within it, then the process exits anyway. The drain delay (-drain-delay) comes before it, so
// a node exits at most drainDelay + shutdownGrace after SIGTERM.
const shutdownGrace = 10 * time.Second

// maxDrainDelay bounds -drain-delay: systemd and container runtimes kill a process that
// takes longer than their own stop timeout (90 s and 10 s by default).
const maxDrainDelay = time.Minute

func serve(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer) error {
	// The listener opens before the migrations: a load balancer sees the node starting
	// (503 on /healthz, /readyz and every route) rather than refusing connections.
	tcp, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	defer tcp.Close()
	// Without a configured public URL, links and the origin check use the port the server
	// really listens on (-addr :0 included), and admin commands read it back.
	if !cfg.publicSet {
		cfg.publicURL = listenURL(tcp)
	}
	// The edge: connections per address, a reserve of descriptors, shedding when full.
	ln := edge.Listen(tcp, edge.Config{PerAddress: cfg.perAddress, Trusted: cfg.trustedProxies, Log: logger})
	logger.Info("connections", "max", ln.Max(), "per address", cfg.perAddress)
	front := &frontDoor{}
	front.state.Store(stateMigrating)
	srv := server.HTTPServer(front, server.DefaultDeadlines)
	server.UseEdge(srv, ln)
	// net/http's own complaints (a broken handshake…) in the same format as the rest.
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	defer srv.Close() // on every early return; after a graceful Shutdown it does nothing

	if !storage.IsPostgresDSN(cfg.dsn) {
		unlock, err := storage.LockSQLite(storage.SQLitePath(cfg.dsn))
		if err != nil {
			return err
		}
		defer unlock()
	}
	db, err := openAndMigrate(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	if cfg.seedDemo {
		created, err := demo.Seed(ctx, db)
		if err != nil {
			return err
		}
		if created {
			logger.Info("demo process seeded", "slug", demo.Slug)
		}
	}
	_, firstStart, err := people.EnsurePlatformOrganiser(ctx, db)
	if err != nil {
		return err
	}

	catalog, err := i18n.Load(frontend.Catalogs, "i18n")
	if err != nil {
		return err
	}
	if err := saveServedAddress(ctx, db, cfg.publicURL, time.Now()); err != nil {
		return err
	}
	// With several nodes, the tallies due are the lease holder's to flush (hub.DueReader).
	engine := deliberation.NewEngine(db, deliberation.EngineOptions{Logger: logger, DueByLease: cfg.cluster})
	var observer hub.Observer
	var meter *metrics.Metrics
	if cfg.metricsAddr != "" {
		meter = metrics.New(deliberation.CommandNames(), metrics.Sources{DB: db.Stats, Edge: ln.Stats,
			Gauges: outboxGauges(db, logger)})
		observer = meter
	}
	hcfg := hub.Config{
		Backend:     live.New(engine),
		Logger:      logger,
		CheckOrigin: server.SameOrigin(cfg.publicURL),
		Translate:   catalog.Refusal,
		Observer:    observer,
	}
	if cfg.cluster {
		bus, err := cluster.Start(ctx, db, cluster.Options{Logger: logger})
		if err != nil {
			return err
		}
		defer bus.Close() // after the rooms have stopped (deferred calls run last in, first out)
		hcfg.Bus, hcfg.Presence, hcfg.Sockets = bus, bus.Presence, bus.Sockets
		hcfg.Ticks = cluster.NewLeases(db, bus.Node(), cfg.leaseTTL, logger)
		hcfg.TickRetry = cfg.leaseTTL / 3 // renewed well before it expires
		logger.Info("cluster node", "node", bus.Node(), "lease", cfg.leaseTTL)
	}
	rooms := hub.New(hcfg)
	var sender *mail.Sender
	var mailer *outbox.Worker
	if cfg.smtp.Enabled() {
		sender = mail.New(cfg.smtp)
		// Email goes through the outbox: pages queue it, this sends it (with retries) until
		// the server stops.
		mailer = outbox.NewWorker(outbox.Worker{DB: db, Transport: sender, Log: logger})
		mailCtx, stopMail := context.WithCancel(context.WithoutCancel(ctx))
		mailDone := make(chan struct{})
		go func() { defer close(mailDone); mailer.Run(mailCtx) }()
		defer func() { stopMail(); <-mailDone }()
		logger.Info("invitation emails enabled", "smtp", cfg.smtp.Addr)
	}
	handler, err := server.New(server.Config{DB: db, Hub: rooms, PublicURL: cfg.publicURL, Logger: logger, Mail: sender,
		Outbox: mailer, Catalog: catalog, TrustedProxies: cfg.trustedProxies, MaxPerAddress: cfg.perAddress, TestHooks: cfg.testHooks,
		Ready: front.notReady})
	if err != nil {
		return err
	}
	if meter != nil {
		meter.Watch(rooms)
		_, stopMetrics, err := serveMetrics(cfg.metricsAddr, meter, logger)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}

	if cfg.pprof != "" {
		_, stopProfiling, err := servePprof(cfg.pprof, logger)
		if err != nil {
			return err
		}
		defer stopProfiling()
	}

	front.app.Store(&handler)
	front.state.Store(stateReady)
	fmt.Fprintf(stdout, "Assises is running: %s\n", cfg.publicURL)
	// The organiser link is printed on a fresh database, and at every start of `make run`
	// (-seed-demo), which is a developer's machine; in production `assises admin link` prints one.
	if firstStart || cfg.seedDemo {
		link, err := organiserLink(ctx, db, cfg.publicURL)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Sign in as organiser (one-time link, valid 24 h): %s\n", link)
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	// Not ready first: a load balancer stops sending new people here while the sockets
	// still work, then the rooms tell their clients to reconnect (close 1001), elsewhere.
	front.state.Store(stateDraining)
	logger.Info("draining", "delay", cfg.drainDelay, "grace", shutdownGrace)
	if cfg.onDrain != nil {
		cfg.onDrain()
	}
	if cfg.drainDelay > 0 {
		time.Sleep(cfg.drainDelay)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Stop the rooms first: new joins are refused, in-flight commits finish and are
	// acknowledged, sockets close with 1001 so that clients reconnect to the next process.
	if err := rooms.Shutdown(stopCtx); err != nil {
		logger.Warn("rooms did not stop cleanly", "err", err)
	}
	if err := srv.Shutdown(stopCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("http server did not stop cleanly", "err", err)
	}
	logger.Info("stopped")
	return nil
}

// The node's states as /readyz tells them.
const (
	stateMigrating int32 = iota
	stateReady
	stateDraining
)

// frontDoor is the listener's handler: until the site is built (migrations running) it
// answers every request 503 itself, /healthz with "starting" and the rest with "migrating"
// (scripts and load balancers that wait for /healthz or /readyz wait for the site); then it
// hands every request to the site, whose /readyz asks notReady.
type frontDoor struct {
	state atomic.Int32
	app   atomic.Pointer[http.Handler]
}

func (f *frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if app := f.app.Load(); app != nil {
		(*app).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Retry-After", "5")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.URL.Path == "/healthz" {
		io.WriteString(w, `{"status":"starting"}`+"\n")
		return
	}
	io.WriteString(w, `{"status":"migrating"}`+"\n")
}

// notReady is the site's readiness: nil when ready, else the state's name.
func (f *frontDoor) notReady() error {
	switch f.state.Load() {
	case stateReady:
		return nil
	case stateDraining:
		return errDraining
	}
	return errMigrating
}

var (
	errMigrating = errors.New("migrating")
	errDraining  = errors.New("draining")
)

// serveMetrics serves /metrics on an address of its own, never on the public listener: the
// page tells how busy the node is, which is the administrator's business. It returns the
// address it listens on.
func serveMetrics(addr string, m *metrics.Metrics, logger *slog.Logger) (string, func(), error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go srv.Serve(ln)
	logger.Info("metrics listening", "addr", ln.Addr().String())
	return ln.Addr().String(), func() { srv.Close() }, nil
}

// servePprof serves the runtime profiles on a loopback address of their own (never on the
// public listener): the load generator and a developer read CPU and heap profiles there.
// It returns the address it listens on.
func servePprof(addr string, logger *slog.Logger) (string, func(), error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("pprof: listen on %s: %w", addr, err)
	}
	// WriteTimeout stays unset: a CPU profile answers after the seconds it was asked for.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	logger.Info("pprof listening", "addr", ln.Addr().String())
	return ln.Addr().String(), func() { srv.Close() }, nil
}

// outboxGauges reads the email outbox at scrape time: messages waiting, retrying after a
// failure, and given up. The three gauges share one read per scrape (a read younger than a
// second serves the other two). A scrape that cannot read it reports -1, which an alert can
// tell from an empty outbox.
func outboxGauges(db bun.IDB, logger *slog.Logger) map[string]func() float64 {
	var mu sync.Mutex
	var last outbox.Health
	var lastErr error
	var readAt time.Time
	read := func(pick func(outbox.Health) int) func() float64 {
		return func() float64 {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(readAt) > time.Second {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				last, lastErr = outbox.Status(ctx, db)
				cancel()
				readAt = time.Now()
				if lastErr != nil {
					logger.Warn("metrics: outbox not read", "err", lastErr)
				}
			}
			if lastErr != nil {
				return -1
			}
			return float64(pick(last))
		}
	}
	return map[string]func() float64{
		"assises_mail_outbox_waiting":  read(func(h outbox.Health) int { return h.Waiting }),
		"assises_mail_outbox_retrying": read(func(h outbox.Health) int { return h.Retrying }),
		"assises_mail_outbox_failed":   read(func(h outbox.Health) int { return h.Failed }),
	}
}
