// Package pgcluster starts a private PostgreSQL cluster for one test, in a temporary
// directory, so that the test may read the cluster's own files: its relation files under
// base/ and its write-ahead log under pg_wal/ (what an erasure must leave without plaintext),
// or crash and restart it (the fault-injection runs). The machine's shared PostgreSQL is never
// touched. Tests use it through Start; without initdb it skips, except under CI=true where it
// fails.
package pgcluster

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/assises/assises/internal/freeport"
)

// Cluster is a running private cluster.
type Cluster struct {
	Data  string // the data directory: base/, pg_wal/ …
	t     testing.TB
	dir   string
	bin   string
	port  int
	owner string // "" when the test does not run as root: the cluster runs as the test's user
}

// Options tune a cluster; the zero value suits a test that reads the files.
type Options struct {
	MaxConnections int // default 40
}

// Start initialises and starts a cluster on a free loopback port (trust authentication),
// stopped and removed at the end of the test.
func Start(t testing.TB) *Cluster { return StartWith(t, Options{}) }

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		unavailable(t, "no initdb (apt-get install postgresql): a private PostgreSQL cluster is needed to read its files")
	}
	dir, err := os.MkdirTemp("", "assises-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := &Cluster{t: t, dir: dir, Data: filepath.Join(dir, "data"), bin: filepath.Dir(bins[len(bins)-1]), port: freeport.Port(t)}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 40
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: it runs as the postgres user, and root reads its files.
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, "running as root and there is no postgres user to run a private cluster")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.owner = "postgres"
	}
	if out, err := c.run("initdb", "-D", c.Data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		unavailable(t, fmt.Sprintf("initdb failed: %v\n%s", err, out))
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = on\nmax_connections = %d\nshared_buffers = 16MB\nlogging_collector = off\n", c.port, dir, o.MaxConnections)
	f, err := os.OpenFile(filepath.Join(c.Data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	c.Restart()
	t.Cleanup(func() { c.run("pg_ctl", "-D", c.Data, "-m", "immediate", "-w", "stop") })
	return c
}

// Restart starts the cluster again after Crash (crash recovery runs first).
func (c *Cluster) Restart() {
	c.t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.Data, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "120", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Crash stops the cluster with -m immediate: every backend dies at once, without a
// checkpoint, like a power cut of the database. It returns how long the stop took.
func (c *Cluster) Crash() time.Duration {
	c.t.Helper()
	began := time.Now()
	if out, err := c.run("pg_ctl", "-D", c.Data, "-m", "immediate", "-w", "stop"); err != nil {
		c.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
	return time.Since(began)
}

// DSN is the cluster's connection string.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Find returns the files under the data directory's subdirectories (base, pg_wal …) that
// contain needle, relative to the data directory.
func (c *Cluster) Find(t testing.TB, needle []byte, subdirs ...string) []string {
	t.Helper()
	var hits []string
	for _, sub := range subdirs {
		root := filepath.Join(c.Data, sub)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil // a file the server removed while we walked
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			if os.IsNotExist(err) {
				return nil
			}
			if err != nil {
				return err
			}
			if bytes.Contains(b, needle) {
				rel, _ := filepath.Rel(c.Data, path)
				hits = append(hits, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read %s: %v", root, err)
		}
	}
	return hits
}

func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.owner != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.owner, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (under CI=true this test must not be skipped)", msg)
	}
	t.Skip(msg + ": skipped")
}
