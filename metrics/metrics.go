// Package metrics exposes what an administrator watches on a running node, in the
// Prometheus text format: live connections and rooms, commands by name and outcome, the
// time to answer a command and to fan a commit out, send queues and evictions, commit batch
// sizes, the database pool, and the Go runtime.
//
// Values that the hub already keeps (rooms, connections, evictions…) are read when the page
// is scraped, at no cost to the hot path. What only the hot path sees comes through the
// hub's Observer: an atomic add per command, a histogram update per answer and per fan-out,
// and one map read (keyed by the command's name, never a built string) per command.
package metrics

import (
	"database/sql"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"

	"github.com/assises/assises/hub"
)

// Sources are what the page reads at scrape time; a nil source is left out.
type Sources struct {
	DB func() sql.DBStats
	// Edge is the listener's count: connections open, refused (per address or when full)
	// and shed (idle ones closed to make room) since the start.
	Edge func() (open int, refused, shed int64)
	// Gauges are extra values read at scrape time, by metric name (e.g. an outbox's length).
	Gauges map[string]func() float64
}

// Metrics is one node's metrics page. It implements hub.Observer.
type Metrics struct {
	set      *vm.Set
	commands map[string]*commandCounters // by command name; read-only after New
	other    *commandCounters            // a name the domain does not know

	answered  *vm.PrometheusHistogram
	fannedOut *vm.PrometheusHistogram
	batches   *vm.PrometheusHistogram

	hub atomic.Pointer[hub.Hub] // Watch: the hub is made after its Observer
}

var _ hub.Observer = (*Metrics)(nil)

// Buckets in seconds: an answer is expected within milliseconds; seconds mean trouble.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Commands per commit, up to the hub's MaxBatch (256).
var batchBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}

// New makes the page. names are the commands the domain knows; any other name a client
// sends is counted as "other", so that a client cannot make up new series.
func New(names []string, src Sources) *Metrics {
	// The # TYPE lines let Prometheus tell counters from gauges.
	vm.ExposeMetadata(true)
	s := vm.NewSet()
	m := &Metrics{
		set:       s,
		commands:  make(map[string]*commandCounters, len(names)),
		answered:  s.NewPrometheusHistogramExt("assises_command_answer_seconds", latencyBuckets),
		fannedOut: s.NewPrometheusHistogramExt("assises_fanout_delay_seconds", latencyBuckets),
		batches:   s.NewPrometheusHistogramExt("assises_commit_batch_commands", batchBuckets),
	}
	for _, n := range names {
		if validLabel(n) {
			m.commands[n] = newCommandCounters(s, n)
		}
	}
	m.other = newCommandCounters(s, "other")
	// The hub's own refusals are on the page from the start, at 0: an alert on their rate
	// then sees the first one (a series that appears with the value 1 has no rate).
	for _, cc := range m.commands {
		for _, code := range []string{hub.CodeBusy, hub.CodeUnavailable, hub.CodeShuttingDown} {
			cc.refused(code)
		}
	}
	s.RegisterMetricsWriter(func(w io.Writer) { m.writeSources(w, src) })
	return m
}

// Watch adds the hub's rooms, connections, send queues and evictions to the page.
func (m *Metrics) Watch(h *hub.Hub) { m.hub.Store(h) }

// Command implements hub.Observer.
func (m *Metrics) Command(name, code string) {
	cc := m.commands[name]
	if cc == nil {
		cc = m.other
	}
	if code == "" {
		cc.accepted.Inc()
		return
	}
	cc.refused(code).Inc()
}

// Answered implements hub.Observer.
func (m *Metrics) Answered(d time.Duration) { m.answered.Update(d.Seconds()) }

// Committed implements hub.Observer.
func (m *Metrics) Committed(n int) { m.batches.Update(float64(n)) }

// FannedOut implements hub.Observer.
func (m *Metrics) FannedOut(d time.Duration) { m.fannedOut.Update(d.Seconds()) }

// WritePrometheus writes the page.
func (m *Metrics) WritePrometheus(w io.Writer) {
	m.set.WritePrometheus(w)
	vm.WriteProcessMetrics(w)
}

// Handler serves the page.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.WritePrometheus(w)
	})
}

// commandCounters are one command's counters: accepted, and refused by code. Refusal codes
// are the server's own constants, a small set: a code's series is made the first time it is
// seen, in a new copy of the map (byCode is read without a lock on the hot path).
type commandCounters struct {
	set      *vm.Set
	name     string
	accepted *vm.Counter
	mu       sync.Mutex // held to add a code
	byCode   atomic.Pointer[map[string]*vm.Counter]
}

func newCommandCounters(s *vm.Set, name string) *commandCounters {
	cc := &commandCounters{
		set:      s,
		name:     name,
		accepted: s.NewCounter(`assises_commands_total{command="` + name + `",outcome="accepted"}`),
	}
	cc.byCode.Store(&map[string]*vm.Counter{})
	return cc
}

// maxCodes bounds the refusal series of one command, should a backend ever return
// codes it makes up.
const maxCodes = 32

func (cc *commandCounters) refused(code string) *vm.Counter {
	if c := (*cc.byCode.Load())[code]; c != nil {
		return c
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	old := *cc.byCode.Load()
	if c := old[code]; c != nil {
		return c
	}
	label := code
	if !validLabel(code) || len(old) >= maxCodes {
		label = "other"
	}
	c := cc.set.GetOrCreateCounter(`assises_commands_total{command="` + cc.name + `",outcome="` + label + `"}`)
	next := make(map[string]*vm.Counter, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	if len(old) < maxCodes {
		next[code] = c // past the bound, unknown codes stay out of the map: looked up each time
	}
	cc.byCode.Store(&next)
	return c
}

// validLabel accepts the names and codes the server makes: lower case, digits, '.', '_'.
func validLabel(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '.' || b == '_') {
			return false
		}
	}
	return true
}

// writeSources writes the values read at scrape time.
func (m *Metrics) writeSources(w io.Writer, src Sources) {
	if h := m.hub.Load(); h != nil {
		st := h.Stats()
		vm.WriteGaugeUint64(w, "assises_rooms", uint64(st.Rooms))
		vm.WriteGaugeUint64(w, "assises_connections", uint64(st.Connections))
		vm.WriteCounterUint64(w, "assises_events_delivered_total", uint64(st.EventsDelivered))
		vm.WriteCounterUint64(w, "assises_evictions_total", uint64(st.Evictions))
		vm.WriteCounterUint64(w, "assises_commits_total", uint64(st.Commits))
		vm.WriteGaugeUint64(w, "assises_commands_waiting", uint64(st.CommandsWaiting))
		vm.WriteCounterUint64(w, "assises_commands_waited_total", uint64(st.CommandsWaited))
		total, longest := h.SendQueues()
		vm.WriteGaugeUint64(w, "assises_send_queue_frames", uint64(total))
		vm.WriteGaugeUint64(w, "assises_send_queue_longest_frames", uint64(longest))
	}
	if src.DB != nil {
		st := src.DB()
		vm.WriteGaugeUint64(w, "assises_db_open_connections", uint64(st.OpenConnections))
		vm.WriteGaugeUint64(w, "assises_db_in_use_connections", uint64(st.InUse))
		vm.WriteGaugeUint64(w, "assises_db_idle_connections", uint64(st.Idle))
		vm.WriteGaugeUint64(w, "assises_db_max_open_connections", uint64(st.MaxOpenConnections))
		vm.WriteCounterUint64(w, "assises_db_wait_total", uint64(st.WaitCount))
		vm.WriteCounterFloat64(w, "assises_db_wait_seconds_total", st.WaitDuration.Seconds())
	}
	if src.Edge != nil {
		open, refused, shed := src.Edge()
		vm.WriteGaugeUint64(w, "assises_edge_open_connections", uint64(open))
		vm.WriteCounterUint64(w, "assises_edge_refused_total", uint64(refused))
		vm.WriteCounterUint64(w, "assises_edge_shed_total", uint64(shed))
	}
	for _, name := range slices.Sorted(maps.Keys(src.Gauges)) {
		vm.WriteGaugeFloat64(w, name, src.Gauges[name]())
	}
}
