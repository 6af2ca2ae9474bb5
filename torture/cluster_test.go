//go:build torture

package torture

import (
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assises/assises/storage/storagetest"
)

// TestClusterKillDuringVoteStorm: three nodes with -cluster on one PostgreSQL behind Caddy
// (deploy/Caddyfile, as shipped), voters connected through Caddy; a random node is killed
// with SIGKILL every round and started again. Its voters reconnect through Caddy to another
// node and resume by seq; every acknowledged vote is in the database once, and every voter
// got every event it may see after its last snapshot, whichever node committed it.
func TestClusterKillDuringVoteStorm(t *testing.T) {
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		t.Skip("caddy is not installed (Debian: apt install caddy)")
	}
	const voters, items, nodes = 60, 20, 3
	dsn := storagetest.DSN(t, "postgres")
	f := setUp(t, dsn, voters, items)
	proxyPort := freePort(t)
	proxy := fmt.Sprintf("http://127.0.0.1:%d", proxyPort)
	ports := make([]int, nodes)
	upstreams := make([]string, nodes)
	for i := range ports {
		ports[i] = freePort(t)
		upstreams[i] = fmt.Sprintf("127.0.0.1:%d", ports[i])
	}
	startNode := func(i int) *server {
		return start(t, dsn, ports[i], "-cluster", "-cluster-lease", "2s", "-public-url", proxy, "-drain-delay", "0s")
	}
	srvs := make([]*server, nodes)
	for i := range srvs {
		srvs[i] = startNode(i)
	}
	defer func() {
		for _, s := range srvs {
			s.kill()
		}
	}()
	stopCaddy := startCaddy(t, caddy, proxy, upstreams)
	defer stopCaddy()

	s := startStorm(t, f, proxyPort, voters, 60*time.Millisecond)
	defer s.close()
	n := rounds()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for round := 1; round <= n; round++ {
		time.Sleep(time.Duration(500+rng.Intn(1500)) * time.Millisecond)
		i := rng.Intn(nodes)
		srvs[i].kill()
		srvs[i] = startNode(i)
	}
	time.Sleep(2 * time.Second)
	s.stop(t)
	r := verify(t, f, s.vs)
	fmt.Printf("torture cluster kill-9 storm (postgres, %d nodes behind caddy): %d rounds, %d kills, %d votes acknowledged, %d resent after a kill, %d refused, %d lost, %d events checked for gaps, %d gaps\n",
		nodes, n, n, r.acked, r.resent, r.refused, r.lost, r.checked, r.gaps)
	if r.checked < r.acked/10 {
		t.Errorf("only %d events were checked for gaps: the clients resumed from snapshots too often for the check to mean much", r.checked)
	}
}

// startCaddy runs the shipped Caddyfile in front of the nodes, on plain HTTP, with its admin
// endpoint off (several runs may share the machine).
func startCaddy(t *testing.T, caddy, site string, upstreams []string) (stop func()) {
	t.Helper()
	dir := t.TempDir()
	shipped, err := filepath.Abs("../deploy/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte("{\n\tadmin off\n}\nimport "+shipped+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddy, "run", "--config", conf, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "ASSISES_DOMAIN="+site, "ASSISES_UPSTREAM="+strings.Join(upstreams, " "),
		"HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	logs := &strings.Builder{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(site + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			t.Fatalf("caddy never proxied /readyz: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
}
