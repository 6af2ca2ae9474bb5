package hub

import (
	"encoding/json"
	"flag"
	"runtime"
	"sync/atomic"
	"testing"
)

var fanoutConns = flag.Int("hub.fanout", 1000, "connections in BenchmarkFanout")

// BenchmarkFanout measures one committed event reaching every connection of a room:
// encoding once, handing the frame to each member's outbox, which writes it to its
// transport at once (a counter here, not a socket). One op = one event
// delivered to all connections. Run: go test -run - -bench Fanout ./hub -hub.fanout 10000
func BenchmarkFanout(b *testing.B) {
	n := *fanoutConns
	r := bareRoom(b, func(c *Config) { c.SendQueue = 256 })
	var writes atomic.Int64
	for i := range n {
		ft := newFakeTransport(&writes, false)
		ft.Discard = true
		addMemberOn(r, Viewer{Participant: int64(i + 1), Role: "participant", Group: int64(i%10 + 1)}, ft)
	}
	data := json.RawMessage(`{"proposal":42,"tally":{"yes":120,"no":37,"abstain":5}}`)
	b.ReportAllocs()
	b.ResetTimer()
	var seq int64
	for b.Loop() {
		seq++
		r.deliver(delivery{events: []Event{{Seq: seq, Name: "tally.updated", Data: data}}})
		for writes.Load() < seq*int64(n) {
			runtime.Gosched()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(seq*int64(n))/b.Elapsed().Seconds(), "deliveries/s")
	for _, m := range r.members {
		r.drop(m, dropGraceful, 0, "")
		<-m.c.out.Done()
	}
	if e := r.h.Stats().Evictions; e != 0 {
		b.Fatalf("evictions: got %d, want 0", e)
	}
}
