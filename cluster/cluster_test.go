package cluster

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/cluster/clustertest"
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
	b, err := Start(context.Background(), db, Options{Node: node, Ping: 200 * time.Millisecond, Sweep: time.Hour, Heartbeat: 200 * time.Millisecond})
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
	a.Publish(ctx, hub.Cue{Kind: hub.CueRevoked, Person: 12})
	eventually(t, "node b hears seq 42", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueCommitted && q.Workshop == 7 && q.Seq == 42 })
	})
	eventually(t, "node b hears the reset", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueReset && q.Workshop == 8 })
	})
	eventually(t, "node b hears the tallies due", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueDue && q.Workshop == 9 })
	})
	eventually(t, "node b hears the revocation", func() bool {
		return cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueRevoked && q.Person == 12 })
	})
	if ca.has(func(q hub.Cue) bool { return q.Kind != hub.CueLost }) {
		t.Error("node a heard its own notifications")
	}

	if killed := clustertest.TerminateListeners(ctx, t, db); killed != 2 {
		t.Fatalf("listeners terminated: got %d, want 2", killed)
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

// TestSocketsAcrossNodes: each node's sockets of a person reach the other, which is cued to
// check the person's cap when it holds some of theirs too; a node that forgot the others
// (its listener came back) gets their lines again without anyone changing anything; a node
// that dies stops counting once it has been silent for the settle.
func TestSocketsAcrossNodes(t *testing.T) {
	db := storagetest.Open(t, "postgres")
	a, ca := startBus(t, db, "node-a")
	b, cb := startBus(t, db, "node-b")
	elsewhere := func(s *Sockets, person int64) []hub.RemoteSocket {
		far := s.Elsewhere(person)
		slices.SortFunc(far, func(x, y hub.RemoteSocket) int { return cmp.Compare(x.Opened, y.Opened) })
		return far
	}
	fromA := []hub.RemoteSocket{{Opened: 100, Node: "node-a"}, {Opened: 200, Node: "node-a"}, {Opened: 300, Node: "node-a"}}
	a.Sockets.Here(7, []int64{100, 200, 300})
	a.Sockets.Here(8, []int64{150})
	eventually(t, "node b hears node a's sockets", func() bool { return slices.Equal(elsewhere(b.Sockets, 7), fromA) })
	b.Sockets.Here(7, []int64{400, 500})
	checked := func(q hub.Cue) bool { return q.Kind == hub.CueSockets && q.Person == 7 }
	eventually(t, "node b is cued to check person 7", func() bool { return cb.has(checked) })
	eventually(t, "node a is cued to check person 7", func() bool { return ca.has(checked) })
	if cb.has(func(q hub.Cue) bool { return q.Kind == hub.CueSockets && q.Person == 8 }) {
		t.Error("node b cued for person 8, who has no socket there")
	}
	eventually(t, "node a hears node b's sockets", func() bool {
		return slices.Equal(elsewhere(a.Sockets, 7), []hub.RemoteSocket{{Opened: 400, Node: "node-b"}, {Opened: 500, Node: "node-b"}})
	})

	// Node b's listener missed lines: it forgets node a's, and gets them again.
	b.Sockets.forgetOthers()
	eventually(t, "node a says its sockets again", func() bool { return slices.Equal(elsewhere(b.Sockets, 7), fromA) })
	if got := elsewhere(b.Sockets, 8); len(got) != 1 || got[0].Opened != 150 {
		t.Errorf("person 8 after the resend: got %+v, want node a's socket opened at 150", got)
	}

	a.Sockets.Here(7, nil)
	eventually(t, "node a's none heard", func() bool { return len(b.Sockets.Elsewhere(7)) == 0 })
	a.Sockets.Here(7, []int64{600})
	eventually(t, "node a's new socket heard", func() bool { return len(b.Sockets.Elsewhere(7)) == 1 })
	// Node a dies without a word: its socket stops counting.
	a.Close()
	eventually(t, "node a's socket no longer counts", func() bool { return len(b.Sockets.Elsewhere(7)) == 0 })
}

func TestSocketsLines(t *testing.T) {
	tests := []struct {
		name   string
		person int64
		opened []int64
		line   string
	}{
		{"none", 12, nil, "12="},
		{"one", 12, []int64{1765000000123}, "12=1765000000123"},
		{"three", 9, []int64{1, 22, 333}, "9=1.22.333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encodeSockets(tt.person, tt.opened); got != tt.line {
				t.Fatalf("encode: got %q, want %q", got, tt.line)
			}
			person, opened, ok := decodeSockets(tt.line)
			if !ok || person != tt.person || !slices.Equal(opened, tt.opened) {
				t.Errorf("decode %q: got %d %v %v", tt.line, person, opened, ok)
			}
		})
	}
	for _, bad := range []string{"", "12", "x=1", "12=1..2", "12=a"} {
		if _, _, ok := decodeSockets(bad); ok {
			t.Errorf("decode %q: got ok, want refused", bad)
		}
	}

	// Ten thousand people come back at once: a few lines, each inside NOTIFY's limit, with
	// everyone once.
	s := newSockets("3fa9c2d1e0b7", time.Second)
	for person := range int64(10000) {
		s.Here(100000+person, []int64{1765000000000 + person})
	}
	lines, persons, _ := s.take()
	seen := map[int64]bool{}
	for _, line := range lines {
		if len(line) >= 8000 {
			t.Fatalf("a line of %d bytes: NOTIFY takes less than 8000", len(line))
		}
		f := strings.Fields(line)
		if f[0] != "s" || f[1] != "3fa9c2d1e0b7" {
			t.Fatalf("line starts %q %q", f[0], f[1])
		}
		for _, e := range f[2:] {
			person, _, ok := decodeSockets(e)
			if !ok || seen[person] {
				t.Fatalf("entry %q: unreadable or twice", e)
			}
			seen[person] = true
		}
	}
	if len(seen) != 10000 || len(persons) != 10000 {
		t.Errorf("people in the lines: got %d (%d taken), want 10000", len(seen), len(persons))
	}
	t.Logf("10,000 people in %d notifications", len(lines))
	if again, _, _ := s.take(); len(again) != 0 {
		t.Errorf("taken twice: %d lines", len(again))
	}
}

// TestSocketsCountOnlyNodesHeardSinceTheChange: in a check of a person's cap, another node's
// sockets count if that node spoke since the person's sockets last changed; a node silent
// since then (dead, or late) is left out, and so is one silent past the ttl.
func TestSocketsCountOnlyNodesHeardSinceTheChange(t *testing.T) {
	tests := []struct {
		name  string
		heard func(changed time.Time) time.Time
		count int
	}{
		{"spoke after the change", func(time.Time) time.Time { return time.Now() }, 2},
		{"spoke just before the change (killed then)", func(c time.Time) time.Time { return c.Add(-time.Millisecond) }, 0},
		{"silent past the ttl", func(c time.Time) time.Time { return c.Add(-time.Minute / 2) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSockets("node-a", time.Second)
			s.heardFrom("node-b", time.Now())
			s.heardLine("node-b", []string{"7=100.200"}, time.Now())
			s.Here(7, []int64{300})
			s.heardFrom("node-b", tt.heard(s.changed[7]))
			if got := s.Elsewhere(7); len(got) != tt.count {
				t.Errorf("node b's sockets counted: got %+v, want %d", got, tt.count)
			}
		})
	}
}
