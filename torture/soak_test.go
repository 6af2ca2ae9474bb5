//go:build torture

package torture

import (
	"bufio"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/storage/storagetest"
)

// soakDuration is TORTURE_SOAK (a Go duration, e.g. 5m), 30 minutes by default.
func soakDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("TORTURE_SOAK")); err == nil && d > 0 {
		return d
	}
	return 30 * time.Minute
}

// sample is one measure of the server process.
type sample struct {
	at                 time.Duration
	rssKiB, fds, gorou int
}

// measure reads the process's resident memory and open files from /proc, and its goroutines
// from the pprof listener the server was started with (-pprof).
func measure(pid int, pprofAddr string) (sample, error) {
	var s sample
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			s.rssKiB, _ = strconv.Atoi(strings.Fields(rest)[0])
		}
	}
	f.Close()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n') // "goroutine profile: total 1234"
	s.gorou, err = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "goroutine profile: total")))
	return s, err
}

// flat: the last third's maximum is at most 1.2 × the first third's maximum plus slack.
func flat(first, last []int, slack int) (int, int, bool) {
	a, b := 0, 0
	for _, v := range first {
		a = max(a, v)
	}
	for _, v := range last {
		b = max(b, v)
	}
	return a, b, float64(b) <= 1.2*float64(a)+float64(slack)
}

// Item 19: a soak with 500 sockets voting, 5 % of them reconnecting each minute. The server's
// resident memory, goroutines and open files stay flat, and nothing panics.
func TestSoak(t *testing.T) {
	d := soakDuration()
	const sockets, items = 500, 20
	dsn := storagetest.DSN(t, "sqlite")
	f := setUp(t, dsn, sockets, items)
	port, pport := freeport.Port(t), freeport.Port(t)
	pprofAddr := fmt.Sprintf("127.0.0.1:%d", pport)
	srv := start(t, dsn, port, "-pprof", pprofAddr)
	defer srv.kill()
	pid := srv.cmd.Process.Pid
	// Each socket votes every 4 s: about 125 votes/s, flowing the whole time.
	s := startStorm(t, f, port, sockets, 4*time.Second)
	defer s.close()

	began := time.Now()
	every := max(2*time.Second, d/45)
	kickEvery := time.Minute / (sockets * 5 / 100) // 25 reconnections a minute
	tick, kick := time.NewTicker(every), time.NewTicker(kickEvery)
	defer tick.Stop()
	defer kick.Stop()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var samples []sample
	reconnects := 0
	for time.Since(began) < d {
		select {
		case <-kick.C:
			s.kick[rng.Intn(sockets)].Store(true)
			reconnects++
		case <-tick.C:
			m, err := measure(pid, pprofAddr)
			if err != nil {
				srv.alive(t)
				t.Fatalf("measure: %v", err)
			}
			m.at = time.Since(began)
			samples = append(samples, m)
		}
	}
	s.stop(t)
	srv.alive(t)
	if len(samples) < 6 {
		t.Fatalf("only %d samples", len(samples))
	}
	third := len(samples) / 3
	pick := func(part []sample, get func(sample) int) []int {
		var out []int
		for _, s := range part {
			out = append(out, get(s))
		}
		return out
	}
	first, last := samples[:third], samples[len(samples)-third:]
	report := []string{}
	for _, m := range []struct {
		name  string
		get   func(sample) int
		slack int
	}{
		{"RSS (KiB)", func(s sample) int { return s.rssKiB }, 16 << 10},
		{"goroutines", func(s sample) int { return s.gorou }, 50},
		{"open files", func(s sample) int { return s.fds }, 20},
	} {
		t.Run(m.name, func(t *testing.T) {
			a, b, ok := flat(pick(first, m.get), pick(last, m.get), m.slack)
			report = append(report, fmt.Sprintf("%s first third max %d, last third max %d", m.name, a, b))
			if !ok {
				t.Errorf("%s grew: first third max %d, last third max %d (allowed 1.2× + %d)", m.name, a, b, m.slack)
			}
		})
	}
	if p := panics(srv.log()); len(p) > 0 {
		t.Errorf("panic in the server's log: %v", p)
	}
	r := verify(t, f, s.vs)
	fmt.Printf("torture soak (sqlite): %v, %d sockets, %d reconnections requested (%s), %d samples; %s; %d votes acknowledged, %d refused, %d lost, %d gaps\n",
		d, sockets, reconnects, s.seen.String(), len(samples), strings.Join(report, "; "), r.acked, r.refused, r.lost, r.gaps)
}
