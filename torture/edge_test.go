//go:build torture

package torture

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/storage/storagetest"
)

// The edge under siege (docs/security.md): half-open connections from several processes and
// source addresses, more than the server has descriptors for. Each attacker connection either
// trickles its headers or declares a 900 kB body and trickles it, one byte every five seconds,
// and comes back when it is cut. Meanwhile /healthz must answer within a second on a fresh
// connection, and a live room must keep acknowledging votes and fanning out tallies; after the
// attack, everything recovers.
const (
	edgeAttackers     = 5    // processes
	edgeAddresses     = 5    // source addresses per process (127.0.0.x)
	edgePerAddress    = 1000 // connections per address: the server's default bound per address
	edgeServerFiles   = 16384
	edgeAttack        = 30 * time.Second
	edgeTrickleEvery  = 5 * time.Second // as the attack that found the problem
	edgeHealthTimeout = time.Second
)

// TestEdgeAttackerProcess is one attacker when EDGE_ATTACK_TARGET is set (the test binary runs
// itself in several processes, each with its own descriptors); otherwise it does nothing.
func TestEdgeAttackerProcess(t *testing.T) {
	target := os.Getenv("EDGE_ATTACK_TARGET")
	if target == "" {
		t.Skip("an attacker process of TestEdgeUnderSiege")
	}
	// The attackers would be other machines: on this one they yield the processor to the
	// server, so that the test measures the server's edge, not a fight for the CPU.
	syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19)
	per, _ := strconv.Atoi(os.Getenv("EDGE_ATTACK_PER"))
	from := strings.Split(os.Getenv("EDGE_ATTACK_FROM"), ",")
	need := uint64(per*len(from) + 256)
	var rl syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	if rl.Cur < need {
		rl.Cur = min(need, rl.Max)
		if rl.Max < need {
			rl.Max, rl.Cur = need, need // as root, raise the hard limit too
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			fmt.Printf("attacker: cannot raise the open files limit to %d: %v\n", need, err)
			os.Exit(2)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }() // the parent closes stdin to stop us
	var held, cut atomic.Int64
	var wg sync.WaitGroup
	for _, ip := range from {
		for i := range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				attack(ctx, target, ip, i%2 == 0, &held, &cut)
			}()
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
			fmt.Printf("held %d cut %d\n", held.Load(), cut.Load())
		}
	}
}

// attack keeps one half-open connection to target from ip until ctx ends: headers trickled
// (slowHeader) or a body trickled after complete headers; when the server cuts it, it comes
// back after a short pause.
func attack(ctx context.Context, target, ip string, slowHeader bool, held, cut *atomic.Int64) {
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	head := "POST /join/request HTTP/1.1\r\nHost: " + target + "\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	if slowHeader {
		head += "X-Slow: "
	} else {
		head += "Content-Length: 900000\r\n\r\ncode="
	}
	// Spread the first connections over a few seconds, as a real flood ramps up.
	pause := time.Duration(rng.Int63n(int64(5 * time.Second)))
	buf := make([]byte, 512)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = 2*time.Second + time.Duration(rng.Int63n(int64(3*time.Second)))
		c, err := d.DialContext(ctx, "tcp", target)
		if err != nil {
			continue
		}
		held.Add(1)
		_, err = io.WriteString(c, head)
		for err == nil && ctx.Err() == nil {
			c.SetReadDeadline(time.Now().Add(edgeTrickleEvery))
			if _, err = c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					_, err = c.Write([]byte("a"))
				}
			} else {
				err = io.EOF // the server answered (a refusal): it is done with us
			}
		}
		c.Close()
		held.Add(-1)
		if ctx.Err() == nil {
			cut.Add(1)
		}
	}
}

// openFiles counts the descriptors of process pid.
func openFiles(pid int) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(fds)
}

func TestEdgeUnderSiege(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs Linux (/proc, 127.0.0.x loopback addresses)")
	}
	dsn := storagetest.DSN(t, "sqlite")
	f := setUp(t, dsn, 2, 1)
	port := freeport.Port(t)
	// The server runs with a limit of open files below what the attackers open, so that it
	// is full: the reserve, the shedding and the refusals at accept are what keep it serving.
	script := filepath.Join(t.TempDir(), "assises-limited")
	os.WriteFile(script, []byte(fmt.Sprintf("#!/bin/sh\nulimit -n %d || exit 1\nexec %s \"$@\"\n", edgeServerFiles, binary(t))), 0o755)
	srv := startProgram(t, script, dsn, port)
	defer srv.kill()
	pid := srv.cmd.Process.Pid
	target := fmt.Sprintf("127.0.0.1:%d", port)
	base := "ws://" + target + "/ws"
	origin := "http://" + target
	baseline := openFiles(pid)

	// The live room: a voter and an observer, connected before the siege.
	voter, err := liveclient.Dial(context.Background(), liveclient.Config{URL: base, Origin: origin, Cookie: f.voters[0], Workshop: f.workshop})
	if err != nil {
		t.Fatal(err)
	}
	defer voter.Close()
	observer, err := liveclient.Dial(context.Background(), liveclient.Config{URL: base, Origin: origin, Cookie: f.voters[1], Workshop: f.workshop})
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close()

	// The attackers.
	var held [edgeAttackers]atomic.Int64
	var stops []io.Closer
	var procs []*exec.Cmd
	for p := range edgeAttackers {
		var from []string
		for a := range edgeAddresses {
			from = append(from, fmt.Sprintf("127.0.0.%d", 10+p*edgeAddresses+a))
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestEdgeAttackerProcess$", "-test.timeout=0")
		cmd.Env = append(os.Environ(), "EDGE_ATTACK_TARGET="+target, "EDGE_ATTACK_FROM="+strings.Join(from, ","),
			"EDGE_ATTACK_PER="+strconv.Itoa(edgePerAddress))
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stops, procs = append(stops, stdin), append(procs, cmd)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var h, c int64
				if _, err := fmt.Sscanf(sc.Text(), "held %d cut %d", &h, &c); err == nil {
					held[p].Store(h)
				} else {
					t.Logf("attacker %d: %s", p, sc.Text())
				}
			}
		}()
	}
	stopAttackers := func() {
		for _, s := range stops {
			s.Close()
		}
		for _, c := range procs {
			done := make(chan struct{})
			go func() { c.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				c.Process.Kill()
				<-done
			}
		}
	}
	defer func() {
		if stops != nil {
			stopAttackers()
		}
	}()
	totalHeld := func() (n int64) {
		for i := range held {
			n += held[i].Load()
		}
		return n
	}

	// Wait until the server is full (a barrier, not a timing: bounded generously).
	full := time.Now().Add(3 * time.Minute)
	for openFiles(pid) < edgeServerFiles*8/10 {
		if time.Now().After(full) {
			t.Fatalf("the server never filled up: %d open files (limit %d), attackers hold %d", openFiles(pid), edgeServerFiles, totalHeld())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("full: server %d open files (limit %d), attackers hold %d connections", openFiles(pid), edgeServerFiles, totalHeld())

	// The siege: health probes on fresh connections, and votes in the room.
	ctx, stop := context.WithTimeout(context.Background(), edgeAttack)
	defer stop()
	var wg sync.WaitGroup
	var probes, probeFailures atomic.Int64
	var worstProbe atomic.Int64
	var maxHeld, maxFiles atomic.Int64
	var failures []string
	var mu sync.Mutex
	fail := func(format string, args ...any) {
		mu.Lock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	// A second probe fetches a file that needs no database, on a fresh connection too: when
	// /healthz is slow and this is not, the time went to the database, not to the edge.
	var fileProbes, fileFailures, worstFile atomic.Int64
	wg.Add(4)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for ctx.Err() == nil {
			start := time.Now()
			resp, err := client.Get("http://" + target + "/i18n/fr.json")
			took := time.Since(start).Milliseconds()
			fileProbes.Add(1)
			if err != nil || resp.StatusCode != 200 {
				fileFailures.Add(1)
			}
			if resp != nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if took > worstFile.Load() {
				worstFile.Store(took)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: edgeHealthTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
		for ctx.Err() == nil {
			start := time.Now()
			resp, err := client.Get("http://" + target + "/healthz")
			took := time.Since(start)
			probes.Add(1)
			if err != nil || resp.StatusCode != 200 {
				probeFailures.Add(1)
				fail("healthz after %v: %v", took.Round(time.Millisecond), err)
			}
			if resp != nil {
				resp.Body.Close()
			}
			if ms := took.Milliseconds(); ms > worstProbe.Load() {
				worstProbe.Store(ms)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	var votes atomic.Int64
	var worstVote atomic.Int64
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			start := time.Now()
			id := uuid.NewString()
			out, err := func() (liveclient.Outcome, error) {
				wait, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				defer cancel()
				if err := voter.Send(id, "vote.set", map[string]any{"contribution": f.contributions[0], "value": 1 - 2*(i%2)}); err != nil {
					return liveclient.Outcome{}, err
				}
				out, err := voter.Await(wait, id)
				if err != nil || !out.Accepted() {
					return out, fmt.Errorf("vote: %+v %v", out, err)
				}
				// The tally that follows reaches the other person in the room.
				return out, observer.WaitSeq(wait, out.Seq)
			}()
			if err != nil {
				fail("room: vote %d: %v (after %v)", i, err, time.Since(start).Round(time.Millisecond))
				return
			}
			_ = out
			votes.Add(1)
			if ms := time.Since(start).Milliseconds(); ms > worstVote.Load() {
				worstVote.Store(ms)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if h := totalHeld(); h > maxHeld.Load() {
				maxHeld.Store(h)
			}
			if n := int64(openFiles(pid)); n > maxFiles.Load() {
				maxFiles.Store(n)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()
	wg.Wait()
	stopAttackers()
	stops = nil

	// Recovery: the descriptors come back, a new person joins the room and hears the votes.
	back := time.Now().Add(2 * time.Minute)
	for openFiles(pid) > baseline+100 {
		if time.Now().After(back) {
			t.Fatalf("the server did not recover: %d open files, %d before the siege", openFiles(pid), baseline)
		}
		time.Sleep(200 * time.Millisecond)
	}
	late, err := liveclient.Dial(context.Background(), liveclient.Config{URL: base, Origin: origin, Cookie: f.voters[1], Workshop: f.workshop})
	if err != nil {
		t.Fatalf("joining after the siege: %v", err)
	}
	defer late.Close()
	wait, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id := uuid.NewString()
	if err := voter.Send(id, "vote.set", map[string]any{"contribution": f.contributions[0], "value": 0}); err != nil {
		t.Fatal(err)
	}
	out, err := voter.Await(wait, id)
	if err != nil || !out.Accepted() {
		t.Fatalf("a vote after the siege: %+v %v", out, err)
	}
	if err := late.WaitSeq(wait, out.Seq); err != nil {
		t.Fatalf("the tally after the siege did not reach the new socket: %v", err)
	}

	fmt.Printf("torture edge: %d half-open connections from %d addresses in %d processes for %v; server at most %d open files (limit %d); "+
		"healthz %d probes, %d failed, slowest %d ms; a file without the database %d probes, %d failed, slowest %d ms; "+
		"room %d votes acknowledged and fanned out, slowest %d ms; recovered to %d open files\n",
		edgeAttackers*edgeAddresses*edgePerAddress, edgeAttackers*edgeAddresses, edgeAttackers, edgeAttack, maxFiles.Load(), edgeServerFiles,
		probes.Load(), probeFailures.Load(), worstProbe.Load(), fileProbes.Load(), fileFailures.Load(), worstFile.Load(),
		votes.Load(), worstVote.Load(), openFiles(pid))
	for _, l := range strings.Split(srv.log(), "\n") {
		if strings.Contains(l, "edge:") {
			t.Log(l)
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
	if votes.Load() < 10 {
		t.Errorf("the room acknowledged %d votes during the siege, want a steady flow (10 or more)", votes.Load())
	}
	if worstProbe.Load() > edgeHealthTimeout.Milliseconds() {
		t.Errorf("slowest healthz: %d ms, want within %v", worstProbe.Load(), edgeHealthTimeout)
	}
}
