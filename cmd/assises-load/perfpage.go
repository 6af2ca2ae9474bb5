package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// The performance page: docs/performance.md holds the figures of `make bench`.
//
// The part of docs/performance.md that `make bench` rewrites lies between these markers;
// the rest of the page (targets, analysis, profiles) is written by hand.
const (
	docBegin = "<!-- make bench: begin (generated, do not edit) -->"
	docEnd   = "<!-- make bench: end -->"
)

// updateDoc rewrites the generated section of a page from Go benchmark output and load
// reports.
func updateDoc(path, benchFile string, reportFiles []string) error {
	page, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	before, rest, ok := strings.Cut(string(page), docBegin)
	if !ok {
		return fmt.Errorf("%s: no %q marker", path, docBegin)
	}
	_, after, ok := strings.Cut(rest, docEnd)
	if !ok {
		return fmt.Errorf("%s: no %q marker", path, docEnd)
	}
	reps, err := readReports(reportFiles)
	if err != nil {
		return err
	}
	bench, err := benchLines(benchFile)
	if err != nil {
		return err
	}
	section := renderSection(machine(), bench, reps, time.Now())
	return os.WriteFile(path, []byte(before+docBegin+"\n"+section+docEnd+after), 0o644)
}

// benchLines keeps the result lines of `go test -bench` output (and the cpu line).
func benchLines(path string) ([]string, error) {
	out, err := keptLines(path, func(l string) (string, bool) {
		return strings.Join(strings.Fields(l), " "), strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "pkg:")
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New(path + ": no benchmark results")
	}
	return out, nil
}

// machine describes this computer the way the page reports it.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.1f GiB of memory", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%d cores (%s)%s, %s", runtime.NumCPU(), model, mem, runtime.Version())
}

func renderSection(machine string, bench []string, reps []*report, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Last run: %s on %s; load average %s before the load runs.\n\n",
		now.UTC().Format("2006-01-02 15:04 MST"), machine, firstLoad(reps))
	b.WriteString("```\n")
	for _, l := range bench {
		b.WriteString(l + "\n")
	}
	b.WriteString("```\n\n")
	if len(reps) == 0 {
		return b.String()
	}
	b.WriteString("| run | participants | votes/s asked → durable | ack p50 / p99 / p99.9 / max (ms) | fan-out p50 / p99 / max (ms) | commit → receipt p99 (ms) | lost, repeated | server CPU, RSS | machine busy |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range reps {
		cpu, rss := "—", "—"
		if r.Server != nil {
			cpu, rss = fmt.Sprintf("%.0f %%", r.Server.CPUPercent), fmt.Sprintf("%.0f MB", r.Server.RSSAfterMB)
		}
		fmt.Fprintf(&b, "| %s on %s, %.0f s | %d | %.0f → %.0f | %.1f / %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %.1f | %d, %d | %s, %s | %.0f %% |\n",
			r.Scenario, r.Database, r.DurationS, r.Connected, r.Votes.Target, r.Votes.Durable,
			r.Ack.P50, r.Ack.P99, r.Ack.P999, r.Ack.Max, r.Fanout.P50, r.Fanout.P99, r.Fanout.Max, r.CommitToRecv.P99,
			r.Events.Missing+r.Events.PersonalMissed, r.Events.Duplicates, cpu, rss, r.MachineBusy)
	}
	b.WriteString("\n")
	return b.String()
}

func firstLoad(reps []*report) string {
	for _, r := range reps {
		if r.LoadBefore != "" {
			return r.LoadBefore
		}
	}
	l := loadAvg()
	if l == "" {
		return "unknown"
	}
	return l
}
