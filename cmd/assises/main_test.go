package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/storage/storagetest"
)

// TestBinaryStartsFromNothing is the proof that `make run` works on a fresh machine: it builds
// the real binary, starts it on an empty data directory (and on an empty PostgreSQL schema),
// waits for /healthz, finds the demo process over HTTP, follows the printed organiser link,
// then stops it with SIGTERM and expects a clean exit.
func TestBinaryStartsFromNothing(t *testing.T) {
	bin := buildBinary(t)
	storagetest.EachKind(t, func(t *testing.T, kind string) {
		dsn := ""
		if kind == "postgres" {
			dsn = storagetest.DSN(t, kind)
		}
		runFromNothing(t, bin, dsn)
	})
}

func runFromNothing(t *testing.T, bin, dsn string) {
	dir := t.TempDir()
	port := freeport.Port(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := command(bin, dir, dsn, "serve", "-seed-demo", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-public-url", base)
	stdout, _ := srv.cmd.StdoutPipe()
	srv.start(t)

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	link := ""
	linkRE := regexp.MustCompile(`https?://\S+/i/\S+`)
	deadline := time.After(60 * time.Second)
	for link == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("server exited before printing the organiser link; stderr:\n%s", srv.stderr.String())
			}
			link = linkRE.FindString(l)
		case <-deadline:
			t.Fatalf("no organiser link printed within a minute; stderr:\n%s", srv.stderr.String())
		}
	}

	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	waitReady(t, client, base+"/healthz")
	body := fetch(t, client, base+"/api/processes")
	if !strings.Contains(body, "Assises du Logement et du Travail social") {
		t.Fatalf("demo process not listed: %s", body)
	}
	if body := fetch(t, client, base+"/p/assises-logement-travail-social"); !strings.Contains(body, "La formation professionnelle") {
		t.Fatalf("demo process page lacks its themes")
	}
	resp, err := client.Get(link)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("organiser link: %v %v, want 303", resp, err)
	}
	resp.Body.Close()
	if dsn == "" {
		if _, err := os.Stat(filepath.Join(dir, "data", "assises.db")); err != nil {
			t.Fatalf("the SQLite file is not under ./data: %v", err)
		}
	}

	if err := srv.term(); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, srv.stderr.String())
	}
	if !strings.Contains(srv.stderr.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", srv.stderr.String())
	}
}

// buildBinary builds this command into the test's temporary directory (Go's build cache makes
// every build after the first a link); under -short the test is skipped instead.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "assises")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// binary is the built server run as a process of its own, as an operator starts it.
type binary struct {
	cmd    *exec.Cmd
	stderr *stack.Logs
	done   chan error
}

// command prepares bin with args in dir, on the database dsn (empty: SQLite under dir); the
// caller may still set the command up (its stdout) before start.
func command(bin, dir, dsn string, args ...string) *binary {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
	b := &binary{cmd: cmd, stderr: &stack.Logs{}, done: make(chan error, 1)}
	cmd.Stderr = b.stderr
	return b
}

// start starts the process; it is killed at the end of the test if it still runs.
func (b *binary) start(t *testing.T) {
	t.Helper()
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			b.cmd.Process.Kill()
		}
	})
}

// term stops the process as systemd does (SIGTERM) and says how it exited, or that it was
// still running 30 s later.
func (b *binary) term() error {
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("still running 30 s after SIGTERM")
	}
}

func fetch(t *testing.T, c *http.Client, u string) string {
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
