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
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/internal/liveclient"
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
	// CPU seconds (user + system, /proc) while the handshakes were opened and while all
	// resumed: a ratio of work the load of the machine does not move as it moves the time.
	OpenWSServerCPU float64 `json:"open_ws_server_cpu_s,omitempty"`
	OpenWSGenCPU    float64 `json:"open_ws_generator_cpu_s,omitempty"`
	ResumeServerCPU float64 `json:"resume_server_cpu_s,omitempty"`
	ResumeGenCPU    float64 `json:"resume_generator_cpu_s,omitempty"`
	Broadcast       latency `json:"broadcast,omitempty"` // votes: bare broadcast → receipt
	BareBytes       int     `json:"bare_bytes,omitempty"`
	BareReceived    int     `json:"bare_connections,omitempty"`
	FanoutOverBr    float64 `json:"fanout_p99_over_broadcast_p99,omitempty"`
	// The same broadcast as WebSocket frames that look like the room's tallies, read by the
	// generator's own client (client.read → handle, the room's code path), so that the
	// generator's work per frame weighs the same on both sides of the ratio.
	BroadcastWS  latency `json:"broadcast_ws,omitempty"`
	BareWSRecv   int     `json:"bare_ws_connections,omitempty"`
	FanoutOverWS float64 `json:"fanout_p99_over_broadcast_ws_p99,omitempty"`
	// The broadcaster's CPU (user + system, getrusage) over its broadcasts, per message
	// written: what a write costs a process that does nothing else.
	BareCPUPerMsgUs   float64 `json:"bare_cpu_per_message_us,omitempty"`
	BareWSCPUPerMsgUs float64 `json:"bare_ws_cpu_per_message_us,omitempty"`
}

func (b *baselineReport) print(w io.Writer) {
	if b.OpenWSAllS > 0 {
		fmt.Fprintf(w, "baseline: all TCP connections open in %.2f s, all WebSocket handshakes in %.2f s\n", b.OpenTCPAllS, b.OpenWSAllS)
		fmt.Fprintf(w, "baseline: all resumed ÷ handshakes %.2f×, ÷ TCP opens %.2f×\n", b.ResumeOverWS, b.ResumeOverTC)
		if b.OpenWSServerCPU > 0 {
			fmt.Fprintf(w, "baseline: CPU while the handshakes opened: server %.2f s, generator %.2f s; while all resumed: server %.2f s, generator %.2f s\n",
				b.OpenWSServerCPU, b.OpenWSGenCPU, b.ResumeServerCPU, b.ResumeGenCPU)
		}
	}
	if b.Broadcast.Count > 0 {
		fmt.Fprintf(w, "baseline: bare broadcast of %d B to %d connections: p50 %.1f, p99 %.1f, max %.1f ms; fan-out p99 ÷ bare p99 %.2f×; %.1f µs of CPU per message written\n",
			b.BareBytes, b.BareReceived, b.Broadcast.P50, b.Broadcast.P99, b.Broadcast.Max, b.FanoutOverBr, b.BareCPUPerMsgUs)
	}
	if b.BroadcastWS.Count > 0 {
		fmt.Fprintf(w, "baseline: bare WebSocket broadcast of %d B to %d connections, read by the generator's client: p50 %.1f, p99 %.1f, max %.1f ms; fan-out p99 ÷ it %.2f×; %.1f µs of CPU per message written\n",
			b.BareBytes, b.BareWSRecv, b.BroadcastWS.P50, b.BroadcastWS.P99, b.BroadcastWS.Max, b.FanoutOverWS, b.BareWSCPUPerMsgUs)
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
	}, nil)
	if err != nil {
		return fmt.Errorf("baseline: TCP: %w", err)
	}
	b.OpenTCPAllS = tcp.Seconds()
	time.Sleep(2 * time.Second) // the server lets go of them before the next phase
	srv0, _ := r.sampleServer()
	gen0, _ := readProc(os.Getpid())
	ws, err := r.openAll(ctx, len(clients), func(ctx context.Context, i int) (io.Closer, error) {
		return r.d.Open(ctx, clients[i].cookie+"; assises_lang=fr", clients[i].idx)
	}, func() {
		if srv1, ok := r.sampleServer(); ok {
			b.OpenWSServerCPU = cpuSeconds(srv0, srv1)
		}
		if gen1, err := readProc(os.Getpid()); err == nil {
			b.OpenWSGenCPU = cpuSeconds(gen0, gen1)
		}
	})
	if err != nil {
		return fmt.Errorf("baseline: WebSocket: %w", err)
	}
	b.OpenWSAllS = ws.Seconds()
	time.Sleep(2 * time.Second)
	return nil
}

// openAll opens n connections with open, at -connect-concurrency, and returns the time
// until the last was open; then it calls opened, if any, and closes them all.
func (r *run) openAll(ctx context.Context, n int, open func(context.Context, int) (io.Closer, error), opened func()) (time.Duration, error) {
	conns := make([]io.Closer, n)
	start := time.Now()
	failed, first := r.concurrently(n, func(i int) error {
		c, err := open(ctx, i)
		if err != nil {
			return err
		}
		conns[i] = c
		return nil
	})
	took := time.Since(start)
	if opened != nil {
		opened()
	}
	closeAll(conns, func(c io.Closer) { c.Close() })
	if failed > 0 {
		return took, fmt.Errorf("%d of %d could not open: %w", failed, len(conns), first)
	}
	return took, nil
}

// concurrently runs fn for 0..n-1, at most -connect-concurrency at once, and returns how
// many failed and the first error.
func (r *run) concurrently(n int, fn func(i int) error) (int64, error) {
	sem := make(chan struct{}, max(1, r.cfg.connectConcurrency))
	var wg sync.WaitGroup
	var failed atomic.Int64
	var first error
	var once sync.Once
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				failed.Add(1)
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	return failed.Load(), first
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

// broadcastBaselines measures both bare broadcasts, raw TCP first, then WebSocket.
func (r *run) broadcastBaselines(ctx context.Context, n int) error {
	if err := r.broadcastBaseline(ctx, n); err != nil {
		return err
	}
	return r.broadcastBaselineWS(ctx, n)
}

// startBareServer starts the bare broadcaster, a child process, for messages of the size of
// the largest tally frame of the run, and returns its address and that size.
func (r *run) startBareServer(ctx context.Context, n int, mode string) (bs *bareServer, addr string, size int, err error) {
	size = int(r.st.tallyBytes.Load())
	if size < 8 {
		return nil, "", 0, errors.New("baseline: no tally was received to take the size of")
	}
	pace := tallyInterval(n)
	count := int(r.cfg.baseline.duration / pace)
	self, err := os.Executable()
	if err != nil {
		return nil, "", 0, err
	}
	cmd := exec.CommandContext(ctx, self, "-bare-serve", fmt.Sprintf("%d,%d,%d,%d,%s", n, size, count, pace, mode))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", 0, err
	}
	br := bufio.NewReader(out)
	addr, err = br.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, "", 0, fmt.Errorf("baseline: broadcaster: %w", err)
	}
	return &bareServer{Cmd: cmd, out: br, writes: n * count}, strings.TrimSpace(addr), size, nil
}

// bareServer is the broadcaster's process.
type bareServer struct {
	*exec.Cmd
	out    *bufio.Reader
	writes int
}

// wait waits for the broadcaster to exit and returns its CPU per message written, in µs,
// from the last line it printed (0 if none).
func (b *bareServer) wait() float64 {
	line, _ := b.out.ReadString('\n')
	b.Wait()
	var us int64
	if _, err := fmt.Sscanf(line, "cpu_us %d", &us); err != nil || b.writes == 0 {
		return 0
	}
	return float64(us) / float64(b.writes)
}

// broadcastBaselineWS is broadcastBaseline over WebSocket: the child speaks just enough of
// the protocol (a welcome to the hello) for the generator's client to join it, then writes
// every connection the same event frame, a tally.updated of the size of the run's largest,
// stamped like the hub's (serverTime and at, in ms, when its broadcast began). The
// generator reads it with the client and the handler that read the room's tallies, so the
// ratio compares the server with a bare writer, not two ways of reading.
func (r *run) broadcastBaselineWS(ctx context.Context, n int) error {
	cmd, addr, _, err := r.startBareServer(ctx, n, "ws")
	if err != nil {
		return err
	}
	defer func() { r.baseline().BareWSCPUPerMsgUs = cmd.wait() }()
	st := newStats()
	st.measuring.Store(true)
	d := liveclient.NewDialer("ws://"+addr+"/ws", "http://"+addr, r.cfg.sources)
	clients := make([]*client, n)
	f, first := r.concurrently(n, func(i int) error {
		c := newClient(i, "bare=1", 1, st, d)
		if err := c.connect(ctx, 1); err != nil {
			return err
		}
		clients[i] = c
		return nil
	})
	if f > 0 {
		cmd.Process.Kill()
		closeAll(clients, (*client).close)
		return fmt.Errorf("baseline: %d of %d bare WebSocket connections failed: %w", f, n, first)
	}
	received := 0
	deadline := time.After(r.cfg.baseline.duration + 2*time.Minute)
	for _, c := range clients {
		select {
		case <-c.doneChan(): // the broadcaster closes every connection at its end
		case <-deadline:
			cmd.Process.Kill()
		}
		if c.seq() > 0 {
			received++
		}
	}
	closeAll(clients, (*client).close)
	b := r.baseline()
	b.BroadcastWS = summarise(st.fanout.merged())
	b.BroadcastWS.Hist = nil
	b.BareWSRecv = received
	if b.BroadcastWS.P99 > 0 {
		b.FanoutOverWS = r.rep.Fanout.P99 / b.BroadcastWS.P99
	}
	return nil
}

// broadcastBaseline has a child process broadcast, over bare loopback TCP, messages of the
// size of the largest tally frame of the run to -n connections of this one, at the tallies'
// pace, and measures each message from the moment its broadcast began to its receipt.
func (r *run) broadcastBaseline(ctx context.Context, n int) error {
	cmd, addr, size, err := r.startBareServer(ctx, n, "tcp")
	if err != nil {
		return err
	}
	defer func() { r.baseline().BareCPUPerMsgUs = cmd.wait() }()
	h := newHist()
	var received atomic.Int64
	var readers sync.WaitGroup
	conns := make([]io.Closer, n)
	f, _ := r.concurrently(n, func(i int) error {
		d := net.Dialer{Timeout: 30 * time.Second}
		if len(r.cfg.sources) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: r.cfg.sources[i%len(r.cfg.sources)]}
		}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
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
		return nil
	})
	if f > 0 {
		cmd.Process.Kill()
		closeAll(conns, func(c io.Closer) { c.Close() })
		return fmt.Errorf("baseline: %d of %d bare connections failed", f, n)
	}
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(r.cfg.baseline.duration + 2*time.Minute):
		cmd.Process.Kill()
	}
	closeAll(conns, func(c io.Closer) { c.Close() })
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
// Mode tcp writes raw bytes (the stamp in the first eight); mode ws accepts WebSocket
// handshakes, answers each hello with a welcome, and writes a text frame of size bytes,
// header included, that reads as a tally event.
func bareServe(spec string) error {
	var n, size, count int
	var interval time.Duration
	var mode string
	if _, err := fmt.Sscanf(strings.ReplaceAll(spec, ",", " "), "%d %d %d %d %s", &n, &size, &count, &interval, &mode); err != nil {
		return fmt.Errorf("-bare-serve %q: %w", spec, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	var conns []net.Conn
	switch mode {
	case "tcp":
		conns, err = acceptTCP(ln, n)
	case "ws":
		conns, err = acceptWS(ln, n)
	default:
		err = fmt.Errorf("-bare-serve: mode %q", mode)
	}
	if err != nil {
		return err
	}
	time.Sleep(time.Second) // the dialling side settles
	writers := runtime.GOMAXPROCS(0)
	cpu0 := processCPU()
	start := time.Now()
	for k := range count {
		time.Sleep(time.Until(start.Add(time.Duration(k) * interval)))
		var msg []byte
		if mode == "ws" {
			msg = bareTally(int64(k+1), time.Now().UnixMilli(), size)
		} else {
			msg = make([]byte, size)
			binary.LittleEndian.PutUint64(msg, uint64(time.Now().UnixNano()))
		}
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
	fmt.Printf("cpu_us %d\n", (processCPU() - cpu0).Microseconds())
	time.Sleep(time.Second)
	for _, c := range conns {
		c.Close()
	}
	return nil
}

// processCPU is this process's CPU time so far, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func acceptTCP(ln net.Listener, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Minute))
	for len(conns) < n {
		c, err := ln.Accept()
		if err != nil {
			return nil, fmt.Errorf("bare broadcaster: accepted %d of %d: %w", len(conns), n, err)
		}
		conns = append(conns, c)
	}
	ln.Close()
	return conns, nil
}

// acceptWS serves WebSocket handshakes until n connections have said hello and been
// welcomed, and returns their sockets for raw writes of whole frames.
func acceptWS(ln net.Listener, n int) ([]net.Conn, error) {
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024, CheckOrigin: func(*http.Request) bool { return true }}
	got := make(chan net.Conn, n)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		ws.SetReadDeadline(time.Now().Add(time.Minute))
		if _, _, err := ws.ReadMessage(); err != nil { // the hello
			ws.Close()
			return
		}
		welcome := fmt.Sprintf(`{"type":"welcome","v":1,"workshop":1,"epoch":1,"you":1,"role":"participant","moderator":false,"group":0,"serverTime":%d}`, time.Now().UnixMilli())
		if err := ws.WriteMessage(websocket.TextMessage, []byte(welcome)); err != nil {
			ws.Close()
			return
		}
		got <- ws.UnderlyingConn()
	})}
	go srv.Serve(ln)
	conns := make([]net.Conn, 0, n)
	timeout := time.After(5 * time.Minute)
	for len(conns) < n {
		select {
		case c := <-got:
			conns = append(conns, c)
		case <-timeout:
			return nil, fmt.Errorf("bare broadcaster: welcomed %d of %d", len(conns), n)
		}
	}
	ln.Close() // the hijacked connections are not the server's any more
	return conns, nil
}

// bareTally is a complete server text frame of size bytes, header included, that reads as
// the room's tally event: seq, at and serverTime (ms) as the hub writes them, data padded.
func bareTally(seq, ms int64, size int) []byte {
	head := fmt.Sprintf(`{"type":"event","seq":%d,"name":"tally.updated","data":{"pad":"`, seq)
	tail := fmt.Sprintf(`"},"at":%d,"serverTime":%d}`, ms, ms)
	pad := size - 2 - len(head) - len(tail)
	if pad+len(head)+len(tail) >= 126 {
		pad -= 2 // a 16-bit length
	}
	payload := head + strings.Repeat("x", max(0, pad)) + tail
	n := len(payload)
	if n < 126 {
		return append([]byte{0x81, byte(n)}, payload...)
	}
	return append([]byte{0x81, 126, byte(n >> 8), byte(n)}, payload...)
}
