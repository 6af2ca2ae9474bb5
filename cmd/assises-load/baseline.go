package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Baselines are what the machine itself costs for the work a scenario measures, taken by the
// generator in the same run, so that a target can be a ratio that a busy machine cannot hide
// or fake:
//   - reconnect: the time to open -n TCP connections to the server, then -n WebSocket
//     handshakes (the same cookies and source addresses, no hello), at -connect-concurrency,
//     against the time until all -n have resumed;
//   - votes: a bare loopback broadcast to -n connections — another process writes a message of
//     the size of the tallies to all of them, at their pace, one writer per processor as the
//     hub — against the room's fan-out.
type baselineConfig struct {
	on        bool
	duration  time.Duration // votes: how long the bare broadcast lasts
	bareServe string        // internal: this process is the bare broadcaster (n,size,count,interval)
}

func (b *baselineConfig) flags(fs *flag.FlagSet) {
	fs.BoolVar(&b.on, "baseline", false, "also measure the machine's own cost in the same run: reconnect — opening -n TCP connections and -n WebSocket handshakes; votes — a bare loopback broadcast to -n connections (docs/performance.md)")
	fs.DurationVar(&b.duration, "baseline-duration", 10*time.Second, "votes -baseline: how long the bare broadcast lasts")
	fs.StringVar(&b.bareServe, "bare-serve", "", "internal: be the bare broadcaster of a votes -baseline run")
}

// baselineReport is what the baselines measured, and the ratios of the scenario to them.
type baselineReport struct {
	OpenTCPAllS  float64 `json:"open_tcp_all_s,omitempty"` // reconnect: all -n TCP connections open
	OpenWSAllS   float64 `json:"open_ws_all_s,omitempty"`  // reconnect: all -n WebSocket handshakes done
	ResumeOverWS float64 `json:"resume_over_ws,omitempty"` // all resumed ÷ all handshakes done
	ResumeOverTC float64 `json:"resume_over_tcp,omitempty"`
	Broadcast    latency `json:"broadcast,omitempty"` // votes: bare broadcast → receipt
	BareBytes    int     `json:"bare_bytes,omitempty"`
	BareReceived int     `json:"bare_connections,omitempty"`
	FanoutOverBr float64 `json:"fanout_p99_over_broadcast_p99,omitempty"`
}

func (b *baselineReport) print(w io.Writer) {
	if b.OpenWSAllS > 0 {
		fmt.Fprintf(w, "baseline: all TCP connections open in %.2f s, all WebSocket handshakes in %.2f s\n", b.OpenTCPAllS, b.OpenWSAllS)
		fmt.Fprintf(w, "baseline: all resumed ÷ handshakes %.2f×, ÷ TCP opens %.2f×\n", b.ResumeOverWS, b.ResumeOverTC)
	}
	if b.Broadcast.Count > 0 {
		fmt.Fprintf(w, "baseline: bare broadcast of %d B to %d connections: p50 %.1f, p99 %.1f, max %.1f ms; fan-out p99 ÷ bare p99 %.2f×\n",
			b.BareBytes, b.BareReceived, b.Broadcast.P50, b.Broadcast.P99, b.Broadcast.Max, b.FanoutOverBr)
	}
}

// openBaseline opens -n TCP connections, then -n WebSocket handshakes, each all at once
// (bounded by -connect-concurrency) and all held until the last is open, then closed.
func (r *run) openBaseline(ctx context.Context, clients []*client) error {
	u, err := url.Parse(r.d.URL())
	if err != nil {
		return err
	}
	b := r.baseline()
	tcp, err := r.openAll(ctx, len(clients), func(ctx context.Context, i int) (io.Closer, error) {
		d := net.Dialer{Timeout: 30 * time.Second}
		if len(r.cfg.sources) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: r.cfg.sources[i%len(r.cfg.sources)]}
		}
		return d.DialContext(ctx, "tcp", u.Host)
	})
	if err != nil {
		return fmt.Errorf("baseline: TCP: %w", err)
	}
	b.OpenTCPAllS = tcp.Seconds()
	time.Sleep(2 * time.Second) // the server lets go of them before the next phase
	ws, err := r.openAll(ctx, len(clients), func(ctx context.Context, i int) (io.Closer, error) {
		return r.d.Open(ctx, clients[i].cookie+"; assises_lang=fr", clients[i].idx)
	})
	if err != nil {
		return fmt.Errorf("baseline: WebSocket: %w", err)
	}
	b.OpenWSAllS = ws.Seconds()
	time.Sleep(2 * time.Second)
	return nil
}

// openAll opens n connections with open, at -connect-concurrency, and returns the time
// until the last was open; then it closes them all.
func (r *run) openAll(ctx context.Context, n int, open func(context.Context, int) (io.Closer, error)) (time.Duration, error) {
	conns := make([]io.Closer, n)
	sem := make(chan struct{}, max(1, r.cfg.connectConcurrency))
	var wg sync.WaitGroup
	var failed atomic.Int64
	var first error
	var once sync.Once
	start := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := open(ctx, i)
			if err != nil {
				failed.Add(1)
				once.Do(func() { first = err })
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	took := time.Since(start)
	closeClosers(conns)
	if n := failed.Load(); n > 0 {
		return took, fmt.Errorf("%d of %d could not open: %w", n, len(conns), first)
	}
	return took, nil
}

func closeClosers(cs []io.Closer) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range cs {
		if c == nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() { defer func() { <-sem; wg.Done() }(); c.Close() }()
	}
	wg.Wait()
}

func (r *run) baseline() *baselineReport {
	if r.rep.Baseline == nil {
		r.rep.Baseline = &baselineReport{}
	}
	return r.rep.Baseline
}

// tallyInterval is the hub's pace of tallies in a room of n connections (hub/presence.go,
// broadcastInterval, with the default CoalesceInterval and PresenceInterval): 200 ms in a
// small room, slower as it grows, 1 s from a thousand.
func tallyInterval(n int) time.Duration {
	const fastest, slowest, fullRoom = 200 * time.Millisecond, time.Second, 1000
	return min(max(slowest*time.Duration(n)/fullRoom, fastest), slowest)
}

// broadcastBaseline has a child process broadcast, over bare loopback TCP, messages of the
// size of the largest tally frame of the run to -n connections of this one, at the tallies'
// pace, and measures each message from the moment its broadcast began to its receipt.
func (r *run) broadcastBaseline(ctx context.Context, n int) error {
	size := int(r.st.tallyBytes.Load())
	if size < 8 {
		return errors.New("baseline: no tally was received to take the size of")
	}
	pace := tallyInterval(n)
	count := int(r.cfg.baseline.duration / pace)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "-bare-serve", fmt.Sprintf("%d,%d,%d,%d", n, size, count, pace))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Wait()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("baseline: broadcaster: %w", err)
	}
	addr = strings.TrimSpace(addr)
	h := newHist()
	var received atomic.Int64
	var readers sync.WaitGroup
	conns := make([]io.Closer, n)
	sem := make(chan struct{}, max(1, r.cfg.connectConcurrency))
	var dialWG sync.WaitGroup
	var failed atomic.Int64
	for i := range n {
		sem <- struct{}{}
		dialWG.Add(1)
		go func() {
			defer func() { <-sem; dialWG.Done() }()
			d := net.Dialer{Timeout: 30 * time.Second}
			if len(r.cfg.sources) > 0 {
				d.LocalAddr = &net.TCPAddr{IP: r.cfg.sources[i%len(r.cfg.sources)]}
			}
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				failed.Add(1)
				return
			}
			conns[i] = c
			readers.Add(1)
			go func() {
				defer readers.Done()
				buf := make([]byte, size)
				got := false
				for {
					if _, err := io.ReadFull(c, buf); err != nil {
						break
					}
					sent := int64(binary.LittleEndian.Uint64(buf))
					h.record(i, (time.Now().UnixNano()-sent)/1000)
					got = true
				}
				if got {
					received.Add(1)
				}
			}()
		}()
	}
	dialWG.Wait()
	if f := failed.Load(); f > 0 {
		cmd.Process.Kill()
		closeClosers(conns)
		return fmt.Errorf("baseline: %d of %d bare connections failed", f, n)
	}
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(r.cfg.baseline.duration + 2*time.Minute):
		cmd.Process.Kill()
	}
	closeClosers(conns)
	b := r.baseline()
	b.Broadcast = summarise(h.merged())
	b.Broadcast.Hist = nil
	b.BareBytes, b.BareReceived = size, int(received.Load())
	if b.Broadcast.P99 > 0 {
		b.FanoutOverBr = r.rep.Fanout.P99 / b.Broadcast.P99
	}
	return nil
}

// bareServe is the bare broadcaster: it accepts n connections, then writes count messages of
// size bytes to each, one every interval, stamped with the time their broadcast began; one
// writer per processor takes a share of the connections, as the hub's background writers do.
func bareServe(spec string) error {
	var n, size, count int
	var interval time.Duration
	if _, err := fmt.Sscanf(spec, "%d,%d,%d,%d", &n, &size, &count, &interval); err != nil {
		return fmt.Errorf("-bare-serve %q: %w", spec, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	conns := make([]net.Conn, 0, n)
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Minute))
	for len(conns) < n {
		c, err := ln.Accept()
		if err != nil {
			return fmt.Errorf("bare broadcaster: accepted %d of %d: %w", len(conns), n, err)
		}
		conns = append(conns, c)
	}
	ln.Close()
	time.Sleep(time.Second) // the dialling side settles
	writers := runtime.GOMAXPROCS(0)
	start := time.Now()
	for k := range count {
		time.Sleep(time.Until(start.Add(time.Duration(k) * interval)))
		msg := make([]byte, size)
		binary.LittleEndian.PutUint64(msg, uint64(time.Now().UnixNano()))
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(conns); i += writers {
					conns[i].SetWriteDeadline(time.Now().Add(10 * time.Second))
					conns[i].Write(msg)
				}
			}()
		}
		wg.Wait()
	}
	time.Sleep(time.Second)
	for _, c := range conns {
		c.Close()
	}
	return nil
}
