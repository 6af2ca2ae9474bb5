package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpdateDocRewritesOnlyTheGeneratedSection(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "performance.md")
	hand := "# Performance\n\nWritten by hand.\n\n"
	tail := "\n## Analysis\n\nAlso by hand.\n"
	os.WriteFile(page, []byte(hand+docBegin+"\nold figures\n"+docEnd+tail), 0o644)
	bench := filepath.Join(dir, "bench.txt")
	os.WriteFile(bench, []byte("goos: linux\npkg: github.com/assises/assises/hub\nBenchmarkRoomFanout/conns=1000-2   \t 100\t 946928 ns/op\nPASS\n"), 0o644)
	rep := &report{Scenario: "votes", Database: "postgres", Connected: 2000, DurationS: 20,
		Votes: voteCount{Target: 2000, Durable: 1999}, Ack: latency{P50: 2, P99: 9, P999: 12, Max: 15}}
	rjson := filepath.Join(dir, "r.json")
	if err := rep.writeJSON(rjson); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: the second run replaces the first one's section
		if err := updateDoc(page, bench, []string{rjson}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(page)
	got := string(b)
	for _, want := range []string{hand, tail, "BenchmarkRoomFanout/conns=1000-2 100 946928 ns/op", "| votes on postgres, 20 s | 2000 | 2000 → 1999 | 2.0 / 9.0 / 12.0 / 15.0 |"} {
		if !strings.Contains(got, want) {
			t.Errorf("page lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "old figures") || strings.Count(got, docBegin) != 1 {
		t.Errorf("the old section is still there:\n%s", got)
	}
}

func TestMergeReportsAddsShardsUp(t *testing.T) {
	shard := func(acks ...int64) *report {
		h := newHist()
		for _, us := range acks {
			h.record(0, us)
		}
		r := &report{Scenario: "votes", Participants: 10, Connected: 10, Ack: summarise(h.merged()),
			Votes:  voteCount{Sent: int64(len(acks)), Acked: int64(len(acks)), Durable: 5, Target: 5},
			Events: eventCheck{Expected: 100, Received: 100}}
		r.judge()
		return r
	}
	out, err := mergeReports([]*report{shard(1000, 2000), shard(3000, 100000)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Participants != 20 || out.Votes.Acked != 4 || out.Votes.Durable != 10 || out.Events.Expected != 200 {
		t.Errorf("sums: got %+v", out)
	}
	if out.Ack.Count != 4 || out.Ack.Max < 99 || out.Ack.P50 < 1.9 || out.Ack.P50 > 2.1 {
		t.Errorf("merged ack latency: got %+v, want 4 samples, p50 2 ms, max 100 ms", out.Ack)
	}
	if !out.OK {
		t.Errorf("merged report: got problems %v", out.Problems)
	}
}
