package cluster

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/hub"
	"github.com/assises/assises/storage/storagetest"
)

// cues collects what a bus delivers.
type cues struct {
	mu  sync.Mutex
	got []hub.Cue
}

func (c *cues) add(q hub.Cue) { c.mu.Lock(); c.got = append(c.got, q); c.mu.Unlock() }

func (c *cues) has(match func(hub.Cue) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, q := range c.got {
		if match(q) {
			return true
		}
	}
	return false
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startBus(t *testing.T, db *bun.DB, node string) (*Bus, *cues) {
	t.Helper()
	b, err := Start(context.Background(), db, Options{Node: node, Ping: 200 * time.Millisecond, Sweep: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	c := &cues{}
	b.Subscribe(c.add)
	return b, c
}

// TestBusBetweenTwoNodes: a commit, a reset and tallies due published by one node reach the other, never
// the publisher itself; a broken listener comes back and says cues may have been lost.
func TestBusBetweenTwoNodes(t *testing.T) {
	db := storagetest.Open(t, "postgres")
	a, ca := startBus(t, db, "node-a")
	_, cb := startBus(t, db, "node-b")
	ctx := context.Background()
	a.Publish(ctx, hub.Cue{Kind: hub.CueCommitted, Workshop: 7, Seq: 41})
	a.Publish(ctx, hub.Cue{Kind: hub.CueCommitted, Workshop: 7, Seq: 42})
	a.Publish(ctx, hub.Cue{Kind: hub.CueReset, Workshop: 8})
	a.Publish(ctx, hub.Cue{Kind: hub.CueDue, Workshop: 9})
	eventually(t, "node b hears seq 42", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueCommitted && q.Workshop == 7 && q.Seq == 42 })
	})
	eventually(t, "node b hears the reset", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueReset && q.Workshop == 8 })
	})
	eventually(t, "node b hears the tallies due", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueDue && q.Workshop == 9 })
	})
	if ca.has(func(q hub.Cue) bool { return q.Kind != hub.CueLost }) {
		t.Error("node a heard its own notifications")
	}

	var killed []bool
	if err := db.NewRaw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN "assises:' || current_schema() || '"%'`).Scan(ctx, &killed); err != nil {
		t.Fatal(err)
	}
	if len(killed) != 2 {
		t.Fatalf("listeners terminated: got %d, want 2", len(killed))
	}
	eventually(t, "node b says cues may be lost", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueLost })
	})
	// And it hears again.
	a.Publish(ctx, hub.Cue{Kind: hub.CueCommitted, Workshop: 7, Seq: 43})
	eventually(t, "node b hears seq 43 after the reconnect", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueCommitted && q.Seq == 43 })
	})
}

// TestPresenceAcrossNodes: each node's counts reach the other, which adds them; a node's
// zero takes it out.
func TestPresenceAcrossNodes(t *testing.T) {
	db := storagetest.Open(t, "postgres")
	a, _ := startBus(t, db, "node-a")
	b, cb := startBus(t, db, "node-b")
	a.Presence.Share(7, hub.PresenceCount{Online: 3, ByRole: map[string]int{"participant": 2, "moderator": 1},
		ByGroup: map[string]int{"12": 2}})
	eventually(t, "node b recounts", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CuePresence && q.Workshop == 7 })
	})
	got := b.Presence.Share(7, hub.PresenceCount{Online: 1, ByRole: map[string]int{"participant": 1}})
	if got.Online != 3 || !maps.Equal(got.ByRole, map[string]int{"participant": 2, "moderator": 1}) || got.ByGroup["12"] != 2 {
		t.Errorf("node b's view of node a: got %+v, want 3 online, 2 participants, 1 moderator, 2 in group 12", got)
	}
	a.Presence.Share(7, hub.PresenceCount{})
	eventually(t, "node a's zero heard", func() bool {
		return b.Presence.Share(7, hub.PresenceCount{Online: 1}).Online == 0
	})
}

func TestCountsLine(t *testing.T) {
	tests := []struct {
		name string
		in   hub.PresenceCount
		want string
	}{
		{"empty", hub.PresenceCount{}, "o=0"},
		{"roles and groups", hub.PresenceCount{Online: 4, ByRole: map[string]int{"participant": 3, "moderator": 1},
			ByGroup: map[string]int{"2": 1, "1": 3}}, "o=4,r.moderator=1,r.participant=3,g.1=3,g.2=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := encodeCounts(tt.in)
			if line != tt.want {
				t.Fatalf("encode: got %q, want %q", line, tt.want)
			}
			back, ok := decodeCounts(line)
			if !ok || back.Online != tt.in.Online || len(back.ByRole) != len(tt.in.ByRole) || len(back.ByGroup) != len(tt.in.ByGroup) {
				t.Errorf("decode %q: got %+v, %v", line, back, ok)
			}
		})
	}
	for _, bad := range []string{"", "o=x", "z=1", "o=-1", "o=1,r.a"} {
		if _, ok := decodeCounts(bad); ok {
			t.Errorf("decode %q: got ok, want refused", bad)
		}
	}
	many := hub.PresenceCount{Online: 1, ByRole: map[string]int{"participant": 1}, ByGroup: map[string]int{}}
	for i := range 2000 {
		many.ByGroup[string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676))] = 1
	}
	if line := encodeCounts(many); len(line) > maxCountsLine || line != "o=1,r.participant=1" {
		t.Errorf("a line with too many groups: got %d bytes, want the total and roles only", len(line))
	}
}

// TestLeaseTakenOverWhenNotRenewed: one node holds a workshop's lease while it renews it;
// another gets it only once it expired (its holder died) or was released.
func TestLeaseTakenOverWhenNotRenewed(t *testing.T) {
	db := storagetest.Open(t, "postgres")
	ctx := context.Background()
	var ws int64
	if err := db.NewRaw(`INSERT INTO processes (slug, title, created_at) VALUES ('p', 'P', now()) RETURNING id`).Scan(ctx, &ws); err != nil {
		t.Fatal(err)
	}
	if err := db.NewRaw(`INSERT INTO workshops (process_id, title, starts_at, ends_at, code, created_at) VALUES (?, 'W', now(), now(), 'W1', now()) RETURNING id`, ws).Scan(ctx, &ws); err != nil {
		t.Fatal(err)
	}
	const ttl = 500 * time.Millisecond
	a, b := NewLeases(db, "node-a", ttl, nil), NewLeases(db, "node-b", ttl, nil)
	if !a.Holds(ctx, ws) {
		t.Fatal("node a: a free lease not taken")
	}
	if b.Holds(ctx, ws) {
		t.Fatal("node b took a lease node a holds")
	}
	if !a.Holds(ctx, ws) {
		t.Fatal("node a: its own lease not renewed")
	}
	// Node a dies: it renews no more. Node b gets the lease once it expired, not before.
	died := time.Now()
	eventually(t, "node b takes the expired lease", func() bool { return b.Holds(ctx, ws) })
	if waited := time.Since(died); waited < ttl/2 {
		t.Errorf("node b took the lease %v after node a's last renewal, before it could expire (%v)", waited, ttl)
	}
	if a.Holds(ctx, ws) {
		t.Error("node a took the lease back from node b")
	}
	if h, _ := a.Holder(ctx, ws); h != "node-b" {
		t.Errorf("holder: got %q, want node-b", h)
	}
	b.Release(ctx, ws)
	if !a.Holds(ctx, ws) {
		t.Error("node a: a released lease not taken at once")
	}
}
