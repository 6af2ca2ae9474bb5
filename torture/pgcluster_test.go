//go:build torture

package torture

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// pgCluster is a PRIVATE PostgreSQL cluster for one test: it may be stopped, killed and
// restarted at will. The machine's shared PostgreSQL (port 5432) is never touched.
type pgCluster struct {
	t     *testing.T
	bin   string // directory of initdb and pg_ctl
	dir   string // owned by the user the cluster runs as
	data  string
	port  int
	owner string // "" when the test runs as a non-root user: the cluster runs as that user
}

// unavailableHere skips a test that needs something this machine lacks, except under CI=true
// where it fails: CI must prove the fault-injection runs.
func unavailableHere(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (under CI=true this run must not be skipped)", msg)
	}
	t.Skip(msg + ": skipped")
}

// newPGCluster initialises and starts a private cluster on a free port (trust authentication
// on loopback only), removed at the end of the test.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		unavailableHere(t, "no initdb (apt-get install postgresql): a private PostgreSQL cluster is needed to stop the database during a storm")
	}
	c := &pgCluster{t: t, bin: filepath.Dir(bins[len(bins)-1]), port: freePort(t)}
	dir, err := os.MkdirTemp("", "assises-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir, c.data = dir, filepath.Join(dir, "data")
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailableHere(t, "running as root and there is no postgres user to run a private cluster")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.owner = "postgres"
	}
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		unavailableHere(t, "initdb failed: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = on\nmax_connections = 100\nlogging_collector = off\n", c.port, c.dir)
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	c.start()
	t.Cleanup(func() { c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop") })
	return c
}

// run runs one of the cluster's programs as its owner.
func (c *pgCluster) run(prog string, args ...string) ([]byte, error) {
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

// DSN is the cluster's connection string.
func (c *pgCluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

func (c *pgCluster) start() {
	c.t.Helper()
	out, err := c.run("pg_ctl", "-D", c.data, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// crash stops the cluster with -m immediate: every backend dies at once, without a
// checkpoint, like a power cut of the database (crash recovery runs at the next start).
func (c *pgCluster) crash() time.Duration {
	c.t.Helper()
	began := time.Now()
	if out, err := c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop"); err != nil {
		c.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
	return time.Since(began)
}
