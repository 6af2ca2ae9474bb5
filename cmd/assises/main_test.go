package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assises/assises/storage/storagetest"
)

// TestBinaryStartsFromNothing is the proof that `make run` works on a fresh machine: it builds
// the real binary, starts it on an empty data directory (and on an empty PostgreSQL schema),
// waits for /healthz, finds the demo process over HTTP, follows the printed organiser link,
// then stops it with SIGTERM and expects a clean exit.
func TestBinaryStartsFromNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "assises")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			dsn := ""
			if kind == "postgres" {
				dsn = storagetest.DSN(t, kind)
			}
			runFromNothing(t, bin, dsn)
		})
	}
}

func runFromNothing(t *testing.T, bin, dsn string) {
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve", "-seed-demo", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-public-url", base)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})

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
				t.Fatalf("server exited before printing the organiser link; stderr:\n%s", stderr.String())
			}
			link = linkRE.FindString(l)
		case <-deadline:
			t.Fatalf("no organiser link printed within a minute; stderr:\n%s", stderr.String())
		}
	}

	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	waitHealthy(t, client, base+"/healthz")
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

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitHealthy(t *testing.T, c *http.Client, u string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := c.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", u)
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
