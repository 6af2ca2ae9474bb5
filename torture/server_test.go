// Package torture holds the fault-injection runs: the real binary is killed, its database
// stopped, its connections cut, while real clients keep voting; then what was acknowledged is
// checked against the database. The slow ones carry the build tag torture (`make torture`);
// the short ones without it (tally_test.go) run in `make test`.
package torture

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary builds cmd/assises once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "assises-torture")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "assises")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/assises").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// server is one run of the real binary.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	done chan error
	logs *strings.Builder
	mu   *sync.Mutex
}

// start runs `assises serve` on dsn at port (with extra flags, if any) and waits until
// /healthz answers.
func start(t *testing.T, dsn string, port int, extra ...string) *server {
	t.Helper()
	return startProgram(t, binary(t), dsn, port, extra...)
}

// startProgram is start with another program in the binary's place (a script that execs it
// with other limits).
func startProgram(t *testing.T, program, dsn string, port int, extra ...string) *server {
	t.Helper()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(program, append([]string{"serve", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-public-url", base}, extra...)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
	cmd.Dir = t.TempDir()
	s := &server{t: t, cmd: cmd, base: base, done: make(chan error, 1), logs: &strings.Builder{}, mu: &sync.Mutex{}}
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.kill()
	t.Fatalf("server never became healthy:\n%s", s.log())
	return nil
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// kill sends SIGKILL: no shutdown, no flush, like a power cut of the process.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// term sends SIGTERM and returns how the process ended and how long it took.
func (s *server) term(ctx context.Context) (error, time.Duration) {
	start := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err, time.Since(start)
	case <-ctx.Done():
		s.cmd.Process.Signal(syscall.SIGKILL)
		return ctx.Err(), time.Since(start)
	}
}
