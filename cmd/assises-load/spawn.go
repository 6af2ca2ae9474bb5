package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/storage"
)

// spawned is a server the generator started for itself, on a database of its own.
type spawned struct {
	bin, dsn, public string
	pprof            string // loopback address of the server's pprof, "" when off
	metrics          string // loopback address of the server's /metrics, "" when off
	schema           string // PostgreSQL: the run's schema; its connections' application_name is pgApplicationName(schema)
	cmd              *exec.Cmd
	exited           chan struct{} // closed when the server process has ended
	log              *os.File
	cleanup          []func()
}

type spawnOptions struct {
	bin       string // the assises binary; "" builds it
	db        string // "" = a SQLite file in a temporary directory; postgres://… = a fresh schema in it
	pprof     bool
	metrics   bool
	extraArgs []string
	logPath   string
}

// spawn builds (if needed) and starts `assises serve -seed-demo` on a free loopback port,
// and waits until it answers.
func spawn(ctx context.Context, o spawnOptions) (*spawned, error) {
	s := &spawned{}
	dir, err := os.MkdirTemp("", "assises-load-")
	if err != nil {
		return nil, err
	}
	s.cleanup = append(s.cleanup, func() { os.RemoveAll(dir) })
	s.bin = o.bin
	if s.bin == "" {
		s.bin = filepath.Join(dir, "assises")
		build := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "github.com/assises/assises/cmd/assises")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			s.stop()
			return nil, fmt.Errorf("build assises: %w", err)
		}
	}
	switch {
	case o.db == "":
		s.dsn = filepath.Join(dir, "assises.db")
	case strings.HasPrefix(o.db, "postgres://") || strings.HasPrefix(o.db, "postgresql://"):
		dsn, drop, err := freshSchema(ctx, o.db)
		if err != nil {
			s.stop()
			return nil, err
		}
		s.dsn = dsn
		s.schema = schemaOf(dsn)
		s.cleanup = append(s.cleanup, drop)
	default:
		s.dsn = o.db
	}
	addr, err := freeAddr()
	if err != nil {
		s.stop()
		return nil, err
	}
	s.public = "http://" + addr
	args := []string{"serve", "-addr", addr, "-public-url", s.public, "-db", s.dsn, "-seed-demo"}
	if o.pprof {
		if s.pprof, err = freeAddr(); err != nil {
			s.stop()
			return nil, err
		}
		args = append(args, "-pprof", s.pprof)
	}
	if o.metrics {
		if s.metrics, err = freeAddr(); err != nil {
			s.stop()
			return nil, err
		}
		args = append(args, "-metrics-addr", s.metrics)
	}
	args = append(args, o.extraArgs...)
	logPath := o.logPath
	if logPath == "" {
		logPath = filepath.Join(dir, "server.log")
	}
	if s.log, err = os.Create(logPath); err != nil {
		s.stop()
		return nil, err
	}
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.Env = os.Environ()
	if err := s.cmd.Start(); err != nil {
		s.stop()
		return nil, fmt.Errorf("start assises: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	if err := waitHealthy(ctx, s.public, s.exited); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *spawned) pid() int {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// stop ends the server gracefully (SIGTERM, then SIGKILL after its shutdown grace) and
// removes what was created for it.
func (s *spawned) stop() {
	if s.exited != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.log != nil {
		s.log.Close()
	}
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
}

// invite runs `assises admin invite` against the spawned server's database.
func (s *spawned) invite(ctx context.Context, workshop int64, count int, moderator bool) ([]string, error) {
	args := []string{"admin", "invite", "-db", s.dsn, "-public-url", s.public,
		"-workshop", fmt.Sprint(workshop), "-count", fmt.Sprint(count)}
	if moderator {
		args = append(args, "-moderator")
	}
	cmd := exec.CommandContext(ctx, s.bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("admin invite: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	var links []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "http") {
			links = append(links, l)
		}
	}
	if len(links) != count {
		return nil, fmt.Errorf("admin invite: got %d links, want %d", len(links), count)
	}
	return links, nil
}

// freshSchema creates a schema of its own in the given PostgreSQL, so that runs do not see
// each other's votes; the returned function drops it.
func freshSchema(ctx context.Context, base string) (string, func(), error) {
	if err := loopbackOnly(base); err != nil {
		return "", nil, err
	}
	admin, err := storage.Open(ctx, base, storage.Options{MaxOpenConns: 1})
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	schema := "load_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := storage.Open(ctx, base, storage.Options{MaxOpenConns: 1})
		if err != nil {
			fmt.Fprintln(os.Stderr, "assises-load: drop schema:", err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "assises-load: drop schema:", err)
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", pgApplicationName(schema))
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func waitHealthy(ctx context.Context, public string, exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(public + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("assises serve exited at start (see its log)")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("assises serve did not answer within 60 s")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// schemaOf is the search_path of a DSN made by freshSchema.
func schemaOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return u.Query().Get("search_path")
}

// freeAddr is a loopback address on a port free a moment ago.
func freeAddr() (string, error) {
	port, err := freeport.Find()
	return fmt.Sprintf("127.0.0.1:%d", port), err
}
