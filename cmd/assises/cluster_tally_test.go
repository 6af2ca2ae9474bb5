package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// agreeTally is one item of a tally.updated, as the test checks it.
type agreeTally struct {
	Contribution          int64
	Count, Agree, Neutral int
	Disagree              int
}

// tallyOf returns the item of contribution in a tally.updated (false if it has none).
func tallyOf(m liveclient.Message, contribution int64) (agreeTally, bool) {
	if m.Name != "tally.updated" {
		return agreeTally{}, false
	}
	var d struct{ Items []agreeTally }
	if json.Unmarshal(m.Data, &d) != nil {
		return agreeTally{}, false
	}
	for _, it := range d.Items {
		if it.Contribution == contribution {
			return it, true
		}
	}
	return agreeTally{}, false
}

// expectTally is the tally of votes of -1, 0 or +1.
func expectTally(contribution int64, votes ...int) agreeTally {
	want := agreeTally{Contribution: contribution, Count: len(votes)}
	for _, v := range votes {
		switch v {
		case 1:
			want.Agree++
		case 0:
			want.Neutral++
		default:
			want.Disagree++
		}
	}
	return want
}

// TestTalliesFlushedByTheLeaseHolder runs two real nodes with -cluster on one real PostgreSQL:
// votes committed on both make tallies due, and only the node holding the workshop's lease
// flushes them, so the room gets each tally once, not once per node.
//   - While a node that died (it never renews) holds the lease, votes on both nodes are
//     acknowledged and no tally is flushed; once its lease has expired, the node that takes
//     it flushes everything due in one tally event, which both nodes' sockets get.
//   - Votes on both nodes at once: the final tally reaches both nodes' sockets, and the node
//     without the lease ran no flush at all (its commits are its command batches).
//   - The holder stops: a vote on the survivor right after is tallied by the survivor once
//     it has taken the lease.
func TestTalliesFlushedByTheLeaseHolder(t *testing.T) {
	dsn := storagetest.DSN(t, "postgres")
	s := seed(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := storagetest.Connect(t, dsn, storage.Options{MaxOpenConns: 2})
	// A node that died holds the lease, until the test says it expired.
	if _, err := db.NewRaw(`INSERT INTO workshop_leases (workshop_id, node, expires_at)
		VALUES (?, 'dead-node', now() + interval '1 hour')`, s.workshop).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// A long lease: a renewal late on a loaded machine must not move it during the test.
	a, b, cookies := startCluster(t, dsn, "6s", s.tokens)
	dial := func(n *node, c http.Cookie) *liveclient.Client { return dialNode(ctx, t, n, c, s.workshop) }
	do := func(c *liveclient.Client, name string, args any) liveclient.Outcome {
		t.Helper()
		return mustDo(ctx, t, c, name, args)
	}
	modA, anne := dial(a, cookies[0]), dial(a, cookies[1])
	modB, bruno := dial(b, cookies[0]), dial(b, cookies[2])
	do(modA, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"})
	do(modA, "phase.set", map[string]any{"phase": "diagnostic"})
	do(modA, "contribution.post", map[string]any{"kind": "finding", "body": "Les loyers montent"})
	ev, err := bruno.WaitEvent(ctx, func(m liveclient.Message) bool { return m.Name == "contribution.posted" })
	if err != nil {
		t.Fatal(err)
	}
	var posted struct{ ID int64 }
	json.Unmarshal(ev.Data, &posted)
	x := posted.ID
	vote := func(c *liveclient.Client, value int) liveclient.Outcome {
		t.Helper()
		return do(c, "vote.set", map[string]any{"contribution": x, "value": value})
	}
	tallyEvents := func() int {
		t.Helper()
		var n int
		if err := db.NewRaw("SELECT count(*) FROM events WHERE workshop_id = ? AND name = 'tally.updated' AND audience = 'all'",
			s.workshop).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitTally := func(who string, c *liveclient.Client, after int64, want agreeTally) liveclient.Message {
		t.Helper()
		m, err := c.WaitEvent(ctx, func(m liveclient.Message) bool {
			got, ok := tallyOf(m, x)
			return ok && m.Seq > after && got == want
		})
		if err != nil {
			var last []agreeTally
			for _, m := range c.Events() {
				if got, ok := tallyOf(m, x); ok {
					last = append(last, got)
				}
			}
			t.Fatalf("%s: no tally %+v after seq %d (tallies seen: %+v): %v", who, want, after, last, err)
		}
		return m
	}

	// Nobody alive holds the lease: votes on both nodes are acknowledged, their tallies stay due.
	vote(anne, 1)
	vote(bruno, 1)
	lastVote := vote(modB, -1)
	if n := tallyEvents(); n != 0 {
		t.Fatalf("tally events while the lease is a dead node's: got %d, want 0", n)
	}
	if _, err := db.NewRaw("UPDATE workshop_leases SET expires_at = now() - interval '1 second' WHERE workshop_id = ?",
		s.workshop).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	want := expectTally(x, 1, 1, -1)
	waitTally("Anne (node A) after the dead node's lease expired", anne, lastVote.Seq, want)
	waitTally("Bruno (node B) after the dead node's lease expired", bruno, lastVote.Seq, want)
	if n := tallyEvents(); n != 1 {
		t.Errorf("tally events after the takeover: got %d, want 1 (one flush of everything due, by one node)", n)
	}

	nodeName := func(n *node) string {
		m := regexp.MustCompile(`"msg":"cluster node","node":"([0-9a-f]+)"`).FindStringSubmatch(n.log.String())
		if m == nil {
			t.Fatal("no node name in the log")
		}
		return m[1]
	}
	var holder string
	if err := db.NewRaw("SELECT node FROM workshop_leases WHERE workshop_id = ?", s.workshop).Scan(ctx, &holder); err != nil {
		t.Fatal(err)
	}
	held, other, heldSocket, otherSocket := a, b, anne, bruno
	switch holder {
	case nodeName(a):
	case nodeName(b):
		held, other, heldSocket, otherSocket = b, a, bruno, anne
	default:
		t.Fatalf("lease holder %q: neither node A (%s) nor node B (%s)", holder, nodeName(a), nodeName(b))
	}

	// Votes on both nodes at once.
	const rounds = 15
	values := map[*liveclient.Client]func(i int) int{
		anne:  func(i int) int { return -(i % 2) },    // … ends on 0
		bruno: func(i int) int { return 1 - 2*(i%2) }, // … ends on +1
		modB:  func(i int) int { return i%2 - 1 },     // … ends on -1
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var maxSeq int64
	errs := make(chan error, len(values))
	for c, value := range values {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				out, err := c.Do(ctx, "vote.set", map[string]any{"contribution": x, "value": value(i)})
				if err == nil && out.Code != "" {
					err = &refusal{out.Code}
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				maxSeq = max(maxSeq, out.Seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a vote of the burst: %v", err)
	}
	want = expectTally(x, values[anne](rounds-1), values[bruno](rounds-1), values[modB](rounds-1))
	waitTally("the lease holder's socket after the burst", heldSocket, maxSeq, want)
	waitTally("the other node's socket after the burst", otherSocket, maxSeq, want)
	var lastTally string
	if err := db.NewRaw(`SELECT payload FROM events WHERE workshop_id = ? AND name = 'tally.updated' AND audience = 'all'
		ORDER BY seq DESC LIMIT 1`, s.workshop).Scan(ctx, &lastTally); err != nil {
		t.Fatal(err)
	}
	if got, ok := tallyOf(liveclient.Message{Name: "tally.updated", Data: json.RawMessage(lastTally)}, x); !ok || got != want {
		t.Errorf("the last tally in the log: got %+v, want %+v", got, want)
	}
	// A node's commits are its command batches plus its flushes and ticks: the node without
	// the lease ran none of the latter.
	flushes := func(n *node) float64 {
		page := scrapeMetrics(t, n.metrics)
		commits, ok1 := page["assises_commits_total"]
		batches, ok2 := page["assises_commit_batch_commands_count"]
		if !ok1 || !ok2 {
			t.Fatalf("metrics: assises_commits_total or assises_commit_batch_commands_count missing")
		}
		return commits - batches
	}
	if got := flushes(other); got != 0 {
		t.Errorf("flushes and ticks on the node without the lease: got %v, want 0", got)
	}
	if got := flushes(held); got < 1 {
		t.Errorf("flushes and ticks on the lease holder: got %v, want at least 1", got)
	}
	for name, c := range map[string]*liveclient.Client{"Anne (node A)": anne, "Bruno (node B)": bruno} {
		if n := c.Duplicates(); n != 0 {
			t.Errorf("%s got %d events twice", name, n)
		}
	}

	// The holder stops; a vote on the survivor right away is tallied once the survivor holds
	// the lease.
	held.stopAndWait(ctx, t)
	survivorVoter, final := otherSocket, 1
	if survivorVoter == anne {
		final = 1 // from 0
		want = expectTally(x, final, values[bruno](rounds-1), values[modB](rounds-1))
	} else {
		final = 0 // from +1
		want = expectTally(x, values[anne](rounds-1), final, values[modB](rounds-1))
	}
	after := vote(survivorVoter, final)
	waitTally("the survivor's socket after the holder stopped", survivorVoter, after.Seq, want)
	if err := db.NewRaw("SELECT node FROM workshop_leases WHERE workshop_id = ?", s.workshop).Scan(ctx, &holder); err != nil {
		t.Fatal(err)
	}
	if holder != nodeName(other) {
		t.Errorf("lease holder after the stop: got %q, want the survivor %q", holder, nodeName(other))
	}
}

type refusal struct{ code string }

func (r *refusal) Error() string { return "refused: " + r.code }
