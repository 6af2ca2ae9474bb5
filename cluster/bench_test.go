package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/assises/assises/cluster"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// BenchmarkDeliveryToOtherNode: a moderator on node A changes the question (an event for
// everyone); how long from sending it until a phone on node A and one on node B have it.
// Reported as p50/p99 of each, in milliseconds (docs/performance.md).
func BenchmarkDeliveryToOtherNode(b *testing.B) {
	a := stack.New(b, "postgres", stack.Options{Cluster: true, Hub: unlimited})
	peer := a.Peer(b)
	w := a.Workshop(b, "Mesure")
	mod := a.Connect(b, a.Join(b, "M", "Org M", record.RoleModerator, w), w)
	here := a.Connect(b, a.Join(b, "A", "Org A", record.RoleParticipant, w), w)
	there := peer.Connect(b, peer.Join(b, "B", "Org B", record.RoleParticipant, w), w)
	stack.MustDo(b, mod, "phase.set", map[string]any{"phase": "diagnostic"})
	ctx := context.Background()
	received := func(c *liveclient.Client, seq int64) time.Time {
		if err := c.WaitSeq(ctx, seq); err != nil {
			b.Fatal(err)
		}
		evs := c.Events()
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Seq == seq {
				return evs[i].Received
			}
		}
		b.Fatalf("seq %d not among the events", seq)
		return time.Time{}
	}
	var acked, onA, onB []time.Duration
	b.ResetTimer()
	for i := range b.N {
		sent := time.Now()
		out := stack.MustDo(b, mod, "question.set", map[string]any{"phase": "diagnostic", "text": fmt.Sprint("Question ", i)})
		acked = append(acked, time.Since(sent))
		onA = append(onA, received(here, out.Seq).Sub(sent))
		onB = append(onB, received(there, out.Seq).Sub(sent))
	}
	b.StopTimer()
	for _, m := range []struct {
		name string
		ds   []time.Duration
	}{{"ack", acked}, {"nodeA", onA}, {"nodeB", onB}} {
		b.ReportMetric(pct(m.ds, 50), m.name+"-p50-ms")
		b.ReportMetric(pct(m.ds, 99), m.name+"-p99-ms")
	}
}

// unlimited lifts the rate limits: the benchmarks measure the commits, not the limits.
func unlimited(c *hub.Config) {
	c.ConnRate, c.ConnBurst, c.PersonRate, c.PersonBurst = 1e6, 1e6, 1e6, 1e6
}

func pct(ds []time.Duration, p int) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[(len(s)-1)*p/100].Microseconds()) / 1000
}

// BenchmarkVotesOneNodeVsTwo: voters vote as fast as their acks come back, all on one node
// or split over two nodes of one PostgreSQL, in one workshop. Reported as durable votes per
// second (docs/performance.md).
func BenchmarkVotesOneNodeVsTwo(b *testing.B) {
	const voters, items = 40, 10
	for _, nodes := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			a := stack.New(b, "postgres", stack.Options{Cluster: true, Hub: unlimited})
			on := []*stack.Stack{a}
			if nodes == 2 {
				on = append(on, a.Peer(b))
			}
			w := a.Workshop(b, "Votes")
			mod := a.Connect(b, a.Join(b, "M", "Org M", record.RoleModerator, w), w)
			stack.MustDo(b, mod, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"})
			stack.MustDo(b, mod, "phase.set", map[string]any{"phase": "diagnostic"})
			var ids []int64
			for i := range items {
				stack.MustDo(b, mod, "contribution.post", map[string]any{"kind": "finding", "body": fmt.Sprint("Constat ", i)})
			}
			if err := a.DB.NewSelect().Table("contributions").Column("id").Where("workshop_id = ?", w.ID).Scan(context.Background(), &ids); err != nil || len(ids) != items {
				b.Fatalf("contributions: %v %v", ids, err)
			}
			cs := make([]*liveclient.Client, voters)
			for i := range cs {
				s := on[i%len(on)]
				cs[i] = s.Connect(b, s.Join(b, fmt.Sprint("V", i), fmt.Sprint("Org ", i), record.RoleParticipant, w), w)
			}
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for i, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := i; n < b.N; n += voters {
						out, err := c.Do(context.Background(), "vote.set", map[string]any{"contribution": ids[n%items], "value": 1 - 2*((n/items)%2)})
						if err != nil || !out.Accepted() {
							b.Errorf("vote: %+v %v", out, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "votes/s")
		})
	}
}

// BenchmarkSocketsOfAStorm: 10,000 people open a socket on node A at once (a reconnection
// storm); how long until node B knows every one of them, and in how many notifications.
// Reported in milliseconds per storm (docs/performance.md).
func BenchmarkSocketsOfAStorm(b *testing.B) {
	const people = 10000
	db := storagetest.Open(b, "postgres")
	start := func(node string) *cluster.Bus {
		bus, err := cluster.Start(context.Background(), db, cluster.Options{Node: node})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(bus.Close)
		return bus
	}
	a, peer := start("node-a"), start("node-b")
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		at := time.Now().UnixMilli() + int64(i)
		began := time.Now()
		for p := range int64(people) {
			a.Sockets.Here(p+1, []int64{at})
		}
		for p := int64(people); p > 0; {
			if far := peer.Sockets.Elsewhere(p); len(far) == 1 && far[0].Opened == at {
				p--
				continue
			}
			time.Sleep(time.Millisecond)
			if time.Since(began) > time.Minute {
				b.Fatalf("node b does not know person %d after a minute", p)
			}
		}
		took = append(took, time.Since(began))
	}
	b.StopTimer()
	b.ReportMetric(pct(took, 50), "storm-p50-ms")
	b.ReportMetric(pct(took, 99), "storm-p99-ms")
}
