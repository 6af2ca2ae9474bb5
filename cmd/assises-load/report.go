package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// latency summarises a histogram in milliseconds. Hist keeps the whole histogram so that
// the reports of several generator processes (-shard) can be merged exactly.
type latency struct {
	Count int64                  `json:"count"`
	P50   float64                `json:"p50_ms"`
	P99   float64                `json:"p99_ms"`
	P999  float64                `json:"p999_ms"`
	Max   float64                `json:"max_ms"`
	Mean  float64                `json:"mean_ms"`
	Hist  *hdrhistogram.Snapshot `json:"hist,omitempty"`
}

func summarise(h *hdrhistogram.Histogram) latency {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return latency{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()), Mean: h.Mean() / 1000,
		Hist: h.Export(),
	}
}

// eventCheck is the delivery audit: every whole-room event each connection should have
// received, against what it did receive.
type eventCheck struct {
	Delivered      int64 `json:"delivered"`       // event messages received, all kinds
	Expected       int64 `json:"expected"`        // whole-room events owed to the connections
	Received       int64 `json:"received"`        // of those, received
	Missing        int64 `json:"missing"`         // owed and not received: loss
	Duplicates     int64 `json:"duplicates"`      // an event received twice, or out of order
	PersonalOwed   int64 `json:"personal_owed"`   // vote.recorded owed (one per acked vote)
	PersonalMissed int64 `json:"personal_missed"` // acked votes whose event never came
	AckBeforeEvent int64 `json:"ack_before_event"`
	Unsettled      int64 `json:"unsettled"` // connections that never reached the end marker
}

type voteCount struct {
	Sent       int64   `json:"sent"`
	Acked      int64   `json:"acked"`
	Refused    int64   `json:"refused"`
	Unanswered int64   `json:"unanswered"`
	Durable    float64 `json:"durable_per_s"` // acknowledged (committed) votes per second
	Target     float64 `json:"target_per_s"`
}

type serverUse struct {
	PID         int     `json:"pid"`
	RSSBeforeMB float64 `json:"rss_before_mb"`
	RSSAfterMB  float64 `json:"rss_after_mb"`
	RSSPeakMB   float64 `json:"rss_peak_mb"`
	CPUPercent  float64 `json:"cpu_percent"`           // during the measured phase; 100 = one core
	PerConnKB   float64 `json:"per_conn_kb,omitempty"` // resident memory (RSS) per connection
	// What the Go runtime holds per connection (live heap after a GC, goroutine stacks).
	HeapPerConnKB  float64 `json:"heap_per_conn_kb,omitempty"`
	StackPerConnKB float64 `json:"stack_per_conn_kb,omitempty"`
	Threads        int64   `json:"threads"`
	MeasuredSecs   float64 `json:"measured_s"`
}

// report is the outcome of one run, printed as a table and written as JSON.
type report struct {
	Scenario     string           `json:"scenario"`
	Database     string           `json:"database,omitempty"`
	Shard        string           `json:"shard,omitempty"`
	Participants int              `json:"participants"`
	Connected    int              `json:"connected"`
	DurationS    float64          `json:"duration_s"`
	Connect      latency          `json:"connect"`
	Ack          latency          `json:"ack"`
	AckLate      latency          `json:"ack_late,omitempty"`   // schedule → sent (generator late)
	AckServer    latency          `json:"ack_server,omitempty"` // sent → the ack's serverTime
	AckWire      latency          `json:"ack_wire,omitempty"`   // the ack's serverTime → receipt
	Fanout       latency          `json:"fanout"`               // hub fan-out start → receipt
	CommitToRecv latency          `json:"commit_to_receipt"`    // commit start → receipt
	Pong         latency          `json:"pong,omitempty"`
	Resume       latency          `json:"resume,omitempty"`
	ResumeAllS   float64          `json:"resume_all_s,omitempty"`
	Events       eventCheck       `json:"events"`
	Votes        voteCount        `json:"votes"`
	Other        map[string]int64 `json:"other_commands,omitempty"` // session: accepted commands by name
	Rejects      map[string]int64 `json:"rejects,omitempty"`
	Presence     int64            `json:"presence_messages"` // received by every connection together
	Server       *serverUse       `json:"server,omitempty"`
	Baseline     *baselineReport  `json:"baseline,omitempty"`    // -baseline (baseline.go)
	Cost         *voteCost        `json:"cost,omitempty"`        // per acknowledged vote (pgcost.go)
	PGBench      *pgbenchRun      `json:"pgbench,omitempty"`     // PostgreSQL's own pace, same run
	GeneratorCPU float64          `json:"generator_cpu_percent"` // this process, 100 = one core
	MachineBusy  float64          `json:"machine_busy_percent"`  // all cores together, 100 = all busy
	LoadBefore   string           `json:"loadavg_before"`
	LoadAfter    string           `json:"loadavg_after"`
	Problems     []string         `json:"problems"`
	OK           bool             `json:"ok"`

	// PresenceMeasured is the part of Presence received during the measured phase.
	PresenceMeasured int64 `json:"presence_messages_measured"`
}

func (r *report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// judge sets OK: no loss, no duplicate, every connection settled, no failed connection.
func (r *report) judge() {
	e := r.Events
	if e.Missing > 0 {
		r.problem("%d whole-room events lost", e.Missing)
	}
	if e.Duplicates > 0 {
		r.problem("%d duplicate events", e.Duplicates)
	}
	if e.PersonalMissed > 0 {
		r.problem("%d acknowledged votes without their vote.recorded", e.PersonalMissed)
	}
	if e.AckBeforeEvent > 0 {
		r.problem("%d acks before their event", e.AckBeforeEvent)
	}
	if e.Unsettled > 0 {
		r.problem("%d connections never reached the end marker", e.Unsettled)
	}
	if r.Connected < r.Participants {
		r.problem("%d of %d participants could not connect", r.Participants-r.Connected, r.Participants)
	}
	if r.Votes.Unanswered > 0 {
		r.problem("%d votes never answered", r.Votes.Unanswered)
	}
	r.OK = len(r.Problems) == 0
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// print writes the human table.
func (r *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\t%s\n", r.Scenario, r.Database)
	if r.Shard != "" {
		fmt.Fprintf(tw, "shard\t%s\t\n", r.Shard)
	}
	fmt.Fprintf(tw, "participants\t%d connected of %d\t\n", r.Connected, r.Participants)
	fmt.Fprintf(tw, "measured\t%.1f s\t\n", r.DurationS)
	fmt.Fprintln(tw, "\nlatency (ms)\tcount\tp50\tp99\tp99.9\tmax\t")
	row := func(name string, l latency) {
		if l.Count == 0 {
			return
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, l.Count, l.P50, l.P99, l.P999, l.Max)
	}
	row("connect", r.Connect)
	row("ack (send → ack)", r.Ack)
	row("  schedule → sent", r.AckLate)
	row("  sent → ack encoded", r.AckServer)
	row("  ack encoded → read", r.AckWire)
	row("fan-out (hub → receipt)", r.Fanout)
	row("commit → receipt", r.CommitToRecv)
	row("ping → pong", r.Pong)
	row("resume (drop → caught up)", r.Resume)
	fmt.Fprintln(tw)
	if r.ResumeAllS > 0 {
		fmt.Fprintf(tw, "all resumed in\t%.2f s\t\n", r.ResumeAllS)
	}
	e := r.Events
	fmt.Fprintf(tw, "events delivered\t%d\t\n", e.Delivered)
	fmt.Fprintf(tw, "presence messages\t%d (%d during the measured phase)\t\n", r.Presence, r.PresenceMeasured)
	fmt.Fprintf(tw, "whole-room events\t%d received of %d owed, %d missing, %d duplicates\t\n", e.Received, e.Expected, e.Missing, e.Duplicates)
	if e.PersonalOwed > 0 {
		fmt.Fprintf(tw, "private events\t%d owed, %d missing, %d acks before their event\t\n", e.PersonalOwed, e.PersonalMissed, e.AckBeforeEvent)
	}
	if v := r.Votes; v.Sent > 0 {
		fmt.Fprintf(tw, "votes\t%d sent, %d acked, %d refused, %d unanswered\t\n", v.Sent, v.Acked, v.Refused, v.Unanswered)
		fmt.Fprintf(tw, "durable votes/s\t%.0f (target rate %.0f)\t\n", v.Durable, v.Target)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Other)) {
		fmt.Fprintf(tw, "accepted %s\t%d\t\n", k, r.Other[k])
	}
	if len(r.Rejects) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Rejects)) {
			parts = append(parts, fmt.Sprintf("%s=%d", k, r.Rejects[k]))
		}
		fmt.Fprintf(tw, "refusals\t%s\t\n", strings.Join(parts, " "))
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(tw, "server RSS\t%.1f MB before, %.1f MB after, %.1f MB peak\t\n", s.RSSBeforeMB, s.RSSAfterMB, s.RSSPeakMB)
		if s.PerConnKB > 0 {
			fmt.Fprintf(tw, "server memory per connection\t%.1f KB resident", s.PerConnKB)
			if s.HeapPerConnKB > 0 {
				fmt.Fprintf(tw, " (Go: %.1f KB live heap, %.1f KB stacks)", s.HeapPerConnKB, s.StackPerConnKB)
			}
			fmt.Fprintf(tw, "\t\n")
		}
		fmt.Fprintf(tw, "server CPU\t%.0f %% of one core over %.1f s, %d threads\t\n", s.CPUPercent, s.MeasuredSecs, s.Threads)
	}
	r.printCost(tw)
	fmt.Fprintf(tw, "generator CPU\t%.0f %% of one core\t\n", r.GeneratorCPU)
	fmt.Fprintf(tw, "machine busy\t%.0f %% of all cores (%d)\t\n", r.MachineBusy, runtime.NumCPU())
	fmt.Fprintf(tw, "load average\t%s before, %s after\t\n", r.LoadBefore, r.LoadAfter)
	verdict := "OK: nothing lost, nothing repeated"
	if !r.OK {
		verdict = "FAILED: " + strings.Join(r.Problems, "; ")
	}
	fmt.Fprintf(tw, "verdict\t%s\t\n", verdict)
	tw.Flush()
	if r.Baseline != nil {
		r.Baseline.print(w)
	}
}

// latencies names each latency of a report, so that merging reports treats them all alike.
func (r *report) latencies() map[string]*latency {
	return map[string]*latency{
		"connect": &r.Connect, "ack": &r.Ack, "ack_late": &r.AckLate, "ack_server": &r.AckServer,
		"ack_wire": &r.AckWire, "fanout": &r.Fanout, "commit": &r.CommitToRecv, "pong": &r.Pong, "resume": &r.Resume,
	}
}

// readReports reads the JSON reports of runs, in the order of paths.
func readReports(paths []string) ([]*report, error) {
	var rs []*report
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		rs = append(rs, &r)
	}
	return rs, nil
}

// mergeReports combines the reports of several generator processes of one run.
func mergeReports(rs []*report) (*report, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	out := &report{Scenario: rs[0].Scenario, Database: rs[0].Database, Rejects: map[string]int64{}, Other: map[string]int64{},
		LoadBefore: rs[0].LoadBefore, LoadAfter: rs[len(rs)-1].LoadAfter, Server: rs[0].Server}
	hs := map[string]*hdrhistogram.Histogram{}
	add := func(name string, l latency) {
		if l.Hist == nil {
			return
		}
		h := hdrhistogram.Import(l.Hist)
		if hs[name] == nil {
			hs[name] = h
		} else {
			hs[name].Merge(h)
		}
	}
	for _, r := range rs {
		out.Participants += r.Participants
		out.Connected += r.Connected
		out.DurationS = max(out.DurationS, r.DurationS)
		out.GeneratorCPU += r.GeneratorCPU // the processes together
		out.MachineBusy = max(out.MachineBusy, r.MachineBusy)
		out.ResumeAllS = max(out.ResumeAllS, r.ResumeAllS)
		for name, l := range r.latencies() {
			add(name, *l)
		}
		e, o := r.Events, &out.Events
		o.Delivered += e.Delivered
		out.Presence += r.Presence
		out.PresenceMeasured += r.PresenceMeasured
		o.Expected += e.Expected
		o.Received += e.Received
		o.Missing += e.Missing
		o.Duplicates += e.Duplicates
		o.PersonalOwed += e.PersonalOwed
		o.PersonalMissed += e.PersonalMissed
		o.AckBeforeEvent += e.AckBeforeEvent
		o.Unsettled += e.Unsettled
		v, ov := r.Votes, &out.Votes
		ov.Sent += v.Sent
		ov.Acked += v.Acked
		ov.Refused += v.Refused
		ov.Unanswered += v.Unanswered
		ov.Durable += v.Durable
		ov.Target += v.Target
		for k, n := range r.Rejects {
			out.Rejects[k] += n
		}
		for k, n := range r.Other {
			out.Other[k] += n
		}
	}
	for name, l := range out.latencies() {
		if h := hs[name]; h != nil {
			*l = summarise(h)
		}
	}
	out.judge()
	return out, nil
}
