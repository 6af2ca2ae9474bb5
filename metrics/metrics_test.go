package metrics

import (
	"bufio"
	"bytes"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape parses the page into series → value, failing on a line that is not the text format.
func scrape(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	var buf bytes.Buffer
	m.WritePrometheus(&buf)
	out := map[string]float64{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("not a sample: %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("not a sample: %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestCommandsByNameAndOutcome(t *testing.T) {
	m := New([]string{"vote.set", "phase.set"}, Sources{
		DB:     func() sql.DBStats { return sql.DBStats{OpenConnections: 3, InUse: 1, Idle: 2} },
		Edge:   func() (int, int64, int64) { return 12, 4, 1 },
		Gauges: map[string]func() float64{"assises_mail_outbox": func() float64 { return 7 }},
	})
	m.Command("vote.set", "")
	m.Command("vote.set", "")
	m.Command("vote.set", "phase_closed")
	m.Command("made.up", "")
	m.Command("phase.set", `bad"code`)
	m.Answered(3 * time.Millisecond)
	m.Answered(2 * time.Second)
	m.Committed(5)
	m.FannedOut(time.Millisecond)
	got := scrape(t, m)
	want := map[string]float64{
		`assises_commands_total{command="vote.set",outcome="accepted"}`:     2,
		`assises_commands_total{command="vote.set",outcome="phase_closed"}`: 1,
		`assises_commands_total{command="other",outcome="accepted"}`:        1,
		`assises_commands_total{command="phase.set",outcome="other"}`:       1,
		`assises_command_answer_seconds_count`:                              2,
		`assises_command_answer_seconds_bucket{le="0.005"}`:                 1,
		`assises_command_answer_seconds_bucket{le="+Inf"}`:                  2,
		`assises_commit_batch_commands_sum`:                                 5,
		`assises_fanout_delay_seconds_count`:                                1,
		`assises_db_open_connections`:                                       3,
		`assises_db_in_use_connections`:                                     1,
		`assises_mail_outbox`:                                               7,
		`assises_edge_open_connections`:                                     12,
		`assises_edge_refused_total`:                                        4,
		`assises_edge_shed_total`:                                           1,
		`assises_commands_total{command="phase.set",outcome="unavailable"}`: 0,
		`assises_commands_total{command="vote.set",outcome="busy"}`:         0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: got %v (present %v), want %v", k, g, ok, v)
		}
	}
	for k := range got {
		if strings.Contains(k, "made.up") || strings.Contains(k, `bad"`) {
			t.Errorf("a client's name or a bad code became a series: %s", k)
		}
	}
}

func TestRefusalSeriesAreBounded(t *testing.T) {
	m := New([]string{"vote.set"}, Sources{})
	for i := range 100 {
		m.Command("vote.set", "code_"+strconv.Itoa(i))
	}
	got := scrape(t, m)
	n := 0
	for k := range got {
		if strings.HasPrefix(k, `assises_commands_total{command="vote.set"`) {
			n++
		}
	}
	if n > maxCodes+2 {
		t.Errorf("got %d series for one command, want at most %d", n, maxCodes+2)
	}
	if got[`assises_commands_total{command="vote.set",outcome="other"}`] == 0 {
		t.Error("codes past the bound were not counted as other")
	}
}

// The Observer's cost on the hot path: docs/performance.md quotes these.
func BenchmarkObserverCommandAccepted(b *testing.B) {
	m := New([]string{"vote.set", "phase.set", "contribution.post"}, Sources{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Command("vote.set", "")
		}
	})
}

func BenchmarkObserverCommandRefused(b *testing.B) {
	m := New([]string{"vote.set"}, Sources{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Command("vote.set", "over_budget")
		}
	})
}

func BenchmarkObserverAnswered(b *testing.B) {
	m := New(nil, Sources{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Answered(3 * time.Millisecond)
		}
	})
}
