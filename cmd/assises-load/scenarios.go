package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/assises/assises/internal/liveclient"
)

// idle: the participants join, ping now and then, and stay. It measures what an idle
// connection costs the server.
func (r *run) idle(ctx context.Context) error {
	if _, err := r.prepareVoting(ctx, 0); err != nil { // the marker is a question of this phase
		return err
	}
	base, _ := r.sampleServer() // before the participants connect
	var goBase goMemory
	if r.pprofAddr != "" {
		goBase, _ = r.readGoMemory()
	}
	r.rep.Connected = r.connectAll(ctx, r.clients)
	r.beginMeasure()
	stop := time.After(r.cfg.duration)
	tick := time.NewTicker(r.cfg.ping / time.Duration(max(1, len(r.clients))))
	defer tick.Stop()
	// Each connection pings once per period, the pings spread evenly over it.
	for i := 0; ; i++ {
		select {
		case <-tick.C:
			r.clients[i%len(r.clients)].ping()
			continue
		case <-stop:
		case <-ctx.Done():
			return ctx.Err()
		}
		break
	}
	r.endMeasure()
	if u := r.rep.Server; u != nil && base.rssKB > 0 && r.rep.Connected > 0 {
		// Memory per connection is counted from before the connections were opened.
		u.RSSBeforeMB = float64(base.rssKB) / 1024
		u.PerConnKB = (u.RSSAfterMB - u.RSSBeforeMB) * 1024 / float64(r.rep.Connected)
		if r.pprofAddr != "" {
			if m, err := r.readGoMemory(); err == nil {
				n := float64(r.rep.Connected) * 1024
				u.HeapPerConnKB = float64(m.heapAlloc-goBase.heapAlloc) / n
				u.StackPerConnKB = float64(m.stack-goBase.stack) / n
			}
		}
	}
	live := append(r.connected(), r.mod)
	seq, err := r.marker(ctx, live)
	if err != nil {
		return err
	}
	r.rep.Events = audit(live, seq)
	return nil
}

// votes: the participants vote at a total rate on a fixed schedule (open loop), everyone
// receives the tallies.
func (r *run) votes(ctx context.Context) error {
	items, err := r.prepareVoting(ctx, r.cfg.items)
	if err != nil {
		return err
	}
	live, err := r.connectParticipants(ctx)
	if err != nil {
		return err
	}
	r.waitStart()
	r.beginMeasure()
	r.schedule(ctx, r.cfg.rate, r.cfg.duration, func(i int64, sched time.Time) {
		n := int64(len(live))
		c := live[i%n]
		round := i / n
		item := items[round%int64(len(items))]
		value := 1 - (round/int64(len(items)))%2 // 1 on each item, then 0 on each, then 1…
		args := `{"contribution":` + strconv.FormatInt(item, 10) + `,"value":` + strconv.FormatInt(value, 10) + `}`
		r.st.votesSent.Add(1)
		c.send(liveclient.NewCommandID(), "vote.set", []byte(args), sched, voteCmd)
	})
	r.drain(ctx, live)
	r.endMeasure()
	r.fillVotes()
	r.fillCost()
	seq, err := r.marker(ctx, append(live, r.mod))
	if err != nil {
		return err
	}
	r.rep.Events = audit(append(live, r.mod), seq)
	return nil
}

// reconnect: every participant drops at once while the room moves on, then all come back
// with their last seq. It measures the time until all have caught up.
func (r *run) reconnect(ctx context.Context) error {
	if _, err := r.prepareVoting(ctx, 1); err != nil {
		return err
	}
	if r.cfg.baseline.on {
		if err := r.openBaseline(ctx, r.clients); err != nil {
			return err
		}
	}
	live, err := r.connectParticipants(ctx)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 512)
	for _, c := range live {
		sem <- struct{}{}
		wg.Add(1)
		go func() { defer func() { <-sem; wg.Done() }(); c.drop() }()
	}
	wg.Wait()
	// The room moves on while they are away: these are the events they must not miss.
	var last int64
	for i := range r.cfg.missed {
		o, err := r.mod.do(ctx, "question.set", map[string]any{"phase": "diagnostic", "text": fmt.Sprintf("Pendant la coupure %d", i+1)})
		if err != nil {
			return err
		}
		last = o.seq
	}
	r.beginMeasure()
	r.st.measuring.Store(false) // a replay is not fan-out: its events are old by design
	start := time.Now()
	sem = make(chan struct{}, max(1, r.cfg.connectConcurrency))
	var mu sync.Mutex
	var slowest time.Duration
	resumed := 0
	for _, c := range live {
		since := c.seq()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.cfg.ramp > 0 { // clients back off with jitter (docs/protocol.md, Resume)
				time.Sleep(rand.N(r.cfg.ramp))
			}
			sem <- struct{}{}
			err := c.connect(ctx, since)
			<-sem
			if err != nil {
				r.st.connectErrors.Add(1)
				return
			}
			select {
			case <-c.reached(last):
			case <-time.After(r.cfg.settle):
				return
			}
			d := time.Since(start)
			r.st.resume.record(c.idx, d.Microseconds())
			mu.Lock()
			resumed++
			slowest = max(slowest, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.endMeasure()
	r.rep.ResumeAllS = slowest.Seconds()
	if b := r.rep.Baseline; b != nil && b.OpenWSAllS > 0 {
		b.ResumeOverWS, b.ResumeOverTC = r.rep.ResumeAllS/b.OpenWSAllS, r.rep.ResumeAllS/b.OpenTCPAllS
		if u := r.rep.Server; u != nil {
			b.ResumeServerCPU = u.CPUPercent / 100 * u.MeasuredSecs
		}
		b.ResumeGenCPU = r.rep.GeneratorCPU / 100 * r.rep.DurationS
	}
	if resumed < len(live) {
		r.rep.problem("%d of %d participants did not resume", len(live)-resumed, len(live))
	}
	seq, err := r.marker(ctx, append(live, r.mod))
	if err != nil {
		return err
	}
	r.rep.Events = audit(append(live, r.mod), seq)
	return nil
}

// connectParticipants connects every participant and returns those who could.
func (r *run) connectParticipants(ctx context.Context) ([]*client, error) {
	r.rep.Connected = r.connectAll(ctx, r.clients)
	live := r.connected()
	if len(live) == 0 {
		return nil, fmt.Errorf("no participant could connect")
	}
	return live, nil
}

// connected returns the participants whose connection is open.
func (r *run) connected() []*client {
	var out []*client
	for _, c := range r.clients {
		c.mu.Lock()
		ok := c.snapshots > 0 && c.closed == nil
		c.mu.Unlock()
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// waitStart waits for -start-at, so that several generator processes load together.
func (r *run) waitStart() {
	if !r.cfg.startAt.IsZero() {
		time.Sleep(time.Until(r.cfg.startAt))
	}
}

// schedule calls fire for every slot of an open-loop schedule at rate per second for d.
// Slot i is due at start + i/rate whatever happened to earlier slots: a slow server does
// not slow the schedule down (no coordinated omission), and each latency is measured from
// the slot's due time. fire runs on a pool of senders so that one blocked write does not
// hold the others back.
func (r *run) schedule(ctx context.Context, rate float64, d time.Duration, fire func(i int64, sched time.Time)) {
	if rate <= 0 || d <= 0 {
		return
	}
	total := int64(rate * d.Seconds())
	type slot struct {
		i     int64
		sched time.Time
	}
	jobs := make(chan slot, 65536)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				fire(s.i, s.sched)
			}
		}()
	}
	start := time.Now()
	interval := float64(time.Second) / rate
	for i := int64(0); i < total; {
		now := time.Now()
		for ; i < total; i++ {
			due := start.Add(time.Duration(float64(i) * interval))
			if due.After(now) {
				break
			}
			jobs <- slot{i, due}
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(jobs)
	wg.Wait()
}

// drain waits until every command sent has its answer, or -settle passes.
func (r *run) drain(ctx context.Context, conns []*client) {
	deadline := time.Now().Add(r.cfg.settle)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		waiting := 0
		for _, c := range conns {
			c.mu.Lock()
			waiting += len(c.pending)
			c.mu.Unlock()
		}
		if waiting == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fillVotes counts the votes and their durable rate: acknowledged votes over the time
// from the first scheduled vote to the last answer.
func (r *run) fillVotes() {
	st := r.st
	v := &r.rep.Votes
	v.Sent, v.Acked, v.Refused = st.votesSent.Load(), st.votesAcked.Load(), st.votesOther.Load()
	v.Unanswered = v.Sent - v.Acked - v.Refused
	v.Target = r.cfg.rate
	end := time.UnixMicro(st.lastAnswer.Load())
	if span := end.Sub(r.started).Seconds(); span > 0 {
		v.Durable = float64(v.Acked) / max(span, r.cfg.duration.Seconds())
	}
}
