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
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/deliberation/demo"
	"github.com/assises/assises/frontend"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/live"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/people"
	"github.com/assises/assises/server"
	"github.com/assises/assises/server/edge"
)

// shutdownGrace bounds a graceful stop: in-flight commits finish and sockets close with 1001
// within it, then the process exits anyway.
const shutdownGrace = 10 * time.Second

func serve(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer) error {
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
	engine := deliberation.NewEngine(db, deliberation.EngineOptions{})
	rooms := hub.New(hub.Config{
		Backend:     live.New(engine),
		Logger:      logger,
		CheckOrigin: server.SameOrigin(cfg.publicURL),
		Translate:   catalog.Refusal,
	})
	var sender *mail.Sender
	if cfg.smtp.Enabled() {
		sender = mail.New(cfg.smtp)
		logger.Info("invitation emails enabled", "smtp", cfg.smtp.Addr)
	}
	handler, err := server.New(server.Config{DB: db, Hub: rooms, PublicURL: cfg.publicURL, Logger: logger, Mail: sender,
		Catalog: catalog, TrustedProxies: cfg.trustedProxies, MaxPerAddress: cfg.perAddress, TestHooks: cfg.testHooks})
	if err != nil {
		return err
	}

	tcp, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	// The edge: connections per address, a reserve of descriptors, shedding when full.
	ln := edge.Listen(tcp, edge.Config{PerAddress: cfg.perAddress, Trusted: cfg.trustedProxies, Log: logger})
	logger.Info("connections", "max", ln.Max(), "per address", cfg.perAddress)
	srv := server.HTTPServer(handler, server.DefaultDeadlines)
	server.UseEdge(srv, ln)

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

	if cfg.pprof != "" {
		_, stopProfiling, err := servePprof(cfg.pprof, logger)
		if err != nil {
			return err
		}
		defer stopProfiling()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	logger.Info("shutting down", "grace", shutdownGrace)
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
