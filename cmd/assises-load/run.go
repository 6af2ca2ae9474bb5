package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assises/assises/internal/liveclient"
)

// run is one generator run: the people, their connections and what is measured.
type run struct {
	cfg     config
	st      *stats
	d       *liveclient.Dialer
	mod     *client   // the moderator: sets up the room, sends the end marker
	clients []*client // the participants of this shard
	pid     int       // the server's process, 0 when unknown
	// pprofAddr is the spawned server's profiling address ("" = none).
	pprofAddr string
	// measureStarted is closed when the measured phase begins (the profile starts then).
	measureStarted chan struct{}
	presence0      int64 // presence messages received before the measured phase
	rep            *report
	started        time.Time

	before  procSample    // server, at the start of the measured phase
	self    procSample    // this generator, at the start of the measured phase
	machine machineSample // the machine, at the start of the measured phase
	cost    costProbe     // CPU and database work per vote (pgcost.go)
}

func newRun(cfg config) *run {
	r := &run{cfg: cfg, st: newStats(), rep: &report{Scenario: cfg.scenario}, measureStarted: make(chan struct{})}
	if cfg.shards > 1 {
		r.rep.Shard = fmt.Sprintf("%d/%d", cfg.shardIndex, cfg.shards)
		r.cfg.rate /= float64(cfg.shards) // each shard sends its part of the total rate
	}
	return r
}

// setPeople makes the clients: the first person is the moderator.
func (r *run) setPeople(people []person, public string) {
	r.rep.Participants = len(people) - 1
	wsURL := "ws" + strings.TrimPrefix(public, "http") + "/ws"
	r.d = liveclient.NewDialer(wsURL, public, r.cfg.sources)
	ws := people[0].workshop
	if ws == 0 {
		ws = r.cfg.workshop
	}
	r.mod = newClient(len(people), people[0].cookie, ws, r.st, r.d)
	r.mod.keep = true
	for i, p := range people[1:] {
		r.clients = append(r.clients, newClient(i, p.cookie, ws, r.st, r.d))
	}
}

// execute runs the scenario, closes every connection and completes the report.
func (r *run) execute(ctx context.Context) {
	err := r.mod.connect(ctx, 0)
	switch {
	case err != nil:
		err = fmt.Errorf("moderator: %w", err)
	case !r.mod.moderator:
		err = errors.New("the moderator link does not sign in a moderator of this workshop")
	default:
		switch r.cfg.scenario {
		case "idle":
			err = r.idle(ctx)
		case "votes":
			err = r.votes(ctx)
		case "reconnect":
			err = r.reconnect(ctx)
		case "session":
			err = r.session(ctx)
		}
	}
	closeAll(append(r.clients, r.mod), (*client).close)
	if err != nil {
		r.rep.problem("%v", err)
	}
	r.finish()
	if err == nil && r.cfg.baseline.on && r.cfg.scenario == "votes" {
		// After the room's sockets are closed: the bare connections need the file descriptors.
		if err := r.broadcastBaselines(ctx, len(r.clients)); err != nil {
			r.rep.problem("%v", err)
			r.rep.OK = false
		}
	}
}

// connectAll opens every participant's connection with bounded concurrency; connect time
// is dial → snapshot received (the participant sees the room).
func (r *run) connectAll(ctx context.Context, clients []*client) int {
	var ok atomic.Int64
	sem := make(chan struct{}, max(1, r.cfg.connectConcurrency))
	var wg sync.WaitGroup
	var firstErr sync.Once
	for _, c := range clients {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			if err := c.connect(ctx, 0); err != nil {
				r.st.connectErrors.Add(1)
				firstErr.Do(func() { r.rep.problem("connect: %v", err) })
				return
			}
			r.st.connect.record(c.idx, time.Since(start).Microseconds())
			ok.Add(1)
		}()
	}
	wg.Wait()
	return int(ok.Load())
}

// snapshotState is the part of a snapshot the generator reads (moderator only).
type snapshotState struct {
	Workshop struct {
		Phase       string `json:"phase"`
		VoteMethods map[string]struct {
			Method string `json:"method"`
		} `json:"voteMethods"`
	} `json:"workshop"`
	Contributions []struct {
		ID     int64  `json:"id"`
		Kind   string `json:"kind"`
		Phase  string `json:"phase"`
		Status string `json:"status"`
	} `json:"contributions"`
}

// moderatorState reconnects the moderator for a fresh snapshot and decodes it.
func (r *run) moderatorState(ctx context.Context) (snapshotState, error) {
	var s snapshotState
	r.mod.close()
	if err := r.mod.connect(ctx, 0); err != nil {
		return s, fmt.Errorf("moderator: %w", err)
	}
	r.mod.mu.Lock()
	raw := r.mod.snapshot
	r.mod.mu.Unlock()
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("moderator snapshot: %w", err)
	}
	return s, nil
}

// prepareVoting puts the room in the diagnostic phase with the support method and at least
// n visible findings, and returns their ids. Only shard 0 changes the room; the other
// shards wait until it is ready.
func (r *run) prepareVoting(ctx context.Context, n int) ([]int64, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, err := r.moderatorState(ctx)
		if err != nil {
			return nil, err
		}
		var ids []int64
		for _, c := range s.Contributions {
			if c.Phase == "diagnostic" && c.Status == "visible" {
				ids = append(ids, c.ID)
			}
		}
		method := s.Workshop.VoteMethods["diagnostic"].Method
		ready := s.Workshop.Phase == "diagnostic" && (method == "" || method == "support") && len(ids) >= n
		if ready {
			return ids[:n], nil
		}
		if r.cfg.shardIndex != 0 {
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("shard %d: the room was not prepared by shard 0 within 2 minutes", r.cfg.shardIndex)
			}
			time.Sleep(time.Second)
			continue
		}
		if s.Workshop.Phase != "diagnostic" {
			if _, err := r.mod.do(ctx, "phase.set", map[string]any{"phase": "diagnostic"}); err != nil {
				return nil, err
			}
		}
		if method != "" && method != "support" {
			if _, err := r.mod.do(ctx, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "support"}); err != nil {
				return nil, err
			}
		}
		for i := len(ids); i < n; i++ {
			body := fmt.Sprintf("Constat de charge n°%d : les délais d'attente au CPAS sont trop longs", i+1)
			if _, err := r.mod.do(ctx, "contribution.post", map[string]any{"kind": "finding", "body": body}); err != nil {
				return nil, err
			}
		}
	}
}

// marker has the moderator commit one whole-room event after the load, and waits until
// every connection has it: every earlier event must then have arrived too.
func (r *run) marker(ctx context.Context, conns []*client) (int64, error) {
	o, err := r.mod.do(ctx, "question.set", map[string]any{"phase": "diagnostic",
		"text": "Fin de la mesure " + liveclient.NewCommandID()[:8] + " " + time.Now().Format(time.TimeOnly)})
	if err != nil {
		return 0, fmt.Errorf("end marker: %w", err)
	}
	wait, cancel := context.WithTimeout(ctx, r.cfg.settle)
	defer cancel()
	for _, c := range conns {
		select {
		case <-c.reached(o.seq):
		case <-wait.Done():
		}
	}
	return o.seq, nil
}

// audit compares what each connection received with what it was owed. The events owed are
// the whole-room events seen by any connection (the union), from the connection's first
// snapshot up to the marker, except what a later snapshot stood in for.
func audit(conns []*client, marker int64) eventCheck {
	var e eventCheck
	seen := map[int64]bool{}
	for _, c := range conns {
		c.mu.Lock()
		for _, s := range c.allSeqs {
			seen[s] = true
		}
		c.mu.Unlock()
	}
	union := make([]int64, 0, len(seen))
	for s := range seen {
		union = append(union, s)
	}
	slices.Sort(union)
	for _, c := range conns {
		c.mu.Lock()
		if c.snapshots == 0 {
			c.mu.Unlock()
			continue // never connected: reported as such
		}
		lo := sort.Search(len(union), func(i int) bool { return union[i] > c.firstSeq })
		hi := sort.Search(len(union), func(i int) bool { return union[i] > marker })
		owed := int64(0)
		for _, s := range union[lo:hi] {
			if !coveredBy(c.covered, s) {
				owed++
			}
		}
		got := int64(0)
		for _, s := range c.allSeqs {
			if s > c.firstSeq && s <= marker && !coveredBy(c.covered, s) {
				got++
			}
		}
		e.Expected += owed
		e.Received += got
		e.Missing += owed - got
		e.Duplicates += int64(c.dups)
		e.PersonalOwed += int64(c.acked)
		e.PersonalMissed += int64(max(0, c.acked-c.personal))
		e.AckBeforeEvent += int64(c.early)
		if c.lastSeq < marker {
			e.Unsettled++
		}
		c.mu.Unlock()
	}
	return e
}

func coveredBy(ranges [][2]int64, s int64) bool {
	for _, r := range ranges {
		if s > r[0] && s <= r[1] {
			return true
		}
	}
	return false
}

// sampleServer reads /proc for the server, when its pid is known.
func (r *run) sampleServer() (procSample, bool) {
	if r.pid == 0 {
		return procSample{}, false
	}
	s, err := readProc(r.pid)
	if err != nil {
		r.rep.problem("read /proc/%d: %v", r.pid, err)
		return procSample{}, false
	}
	return s, true
}

// beginMeasure marks the start of the measured phase.
func (r *run) beginMeasure() {
	r.before, _ = r.sampleServer()
	r.self, _ = readProc(os.Getpid())
	r.machine = readMachine()
	r.sampleCost(0)
	r.started = time.Now()
	r.rep.LoadBefore = loadAvg()
	r.presence0 = r.st.presence.Load()
	r.st.measuring.Store(true)
	close(r.measureStarted)
}

// endMeasure closes the measured phase: CPU over it, memory at its end.
func (r *run) endMeasure() {
	r.st.measuring.Store(false)
	r.rep.PresenceMeasured = r.st.presence.Load() - r.presence0
	r.sampleCost(1)
	r.rep.DurationS = time.Since(r.started).Seconds()
	r.rep.LoadAfter = loadAvg()
	if self, err := readProc(os.Getpid()); err == nil {
		r.rep.GeneratorCPU = cpuPercent(r.self, self)
	}
	r.rep.MachineBusy = busyPercent(r.machine, readMachine())
	if r.cfg.heapProfile != "" && r.pprofAddr != "" {
		if err := r.fetchHeap(r.cfg.heapProfile); err != nil {
			r.rep.problem("heap profile: %v", err)
		}
	}
	after, ok := r.sampleServer()
	if !ok || r.before.at.IsZero() {
		return
	}
	u := &serverUse{PID: r.pid, RSSBeforeMB: float64(r.before.rssKB) / 1024, RSSAfterMB: float64(after.rssKB) / 1024,
		RSSPeakMB: float64(after.hwmKB) / 1024, CPUPercent: cpuPercent(r.before, after), Threads: after.threads,
		MeasuredSecs: after.at.Sub(r.before.at).Seconds()}
	r.rep.Server = u
}

// finish fills the report's histograms and counters.
func (r *run) finish() {
	st := r.st
	r.rep.Connect = summarise(st.connect.merged())
	r.rep.Ack = summarise(st.ack.merged())
	r.rep.Fanout = summarise(st.fanout.merged())
	r.rep.CommitToRecv = summarise(st.commitToReceipt.merged())
	r.rep.AckLate, r.rep.AckServer = summarise(st.ackLate.merged()), summarise(st.ackServer.merged())
	r.rep.AckWire = summarise(st.ackWire.merged())
	r.rep.Pong = summarise(st.pong.merged())
	r.rep.Resume = summarise(st.resume.merged())
	r.rep.Events.Delivered = st.events.Load()
	r.rep.Presence = st.presence.Load()
	st.mu.Lock()
	r.rep.Rejects = maps.Clone(st.rejects)
	r.rep.Other = maps.Clone(st.accepted)
	st.mu.Unlock()
	if n := st.badFrames.Load(); n > 0 {
		r.rep.problem("%d frames were not JSON objects", n)
	}
	if n := st.sendErrors.Load(); n > 0 {
		r.rep.problem("%d commands could not be written", n)
	}
	var codes []string
	for _, c := range append([]*client{r.mod}, r.clients...) {
		if c == nil {
			continue
		}
		c.mu.Lock()
		codes = append(codes, c.errorCodes...)
		c.mu.Unlock()
	}
	if len(codes) > 0 {
		r.rep.problem("server error frames: %s", strings.Join(codes[:min(len(codes), 10)], ", "))
	}
	r.rep.judge()
}

// closeAll closes things in parallel, 256 at a time (10,000 goodbyes one by one take a while),
// skipping nil ones.
func closeAll[T comparable](xs []T, close func(T)) {
	var zero T
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, x := range xs {
		if x == zero {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			close(x)
		}()
	}
	wg.Wait()
}
