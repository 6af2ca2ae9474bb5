package torture

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/storage/storagetest"
)

// tallyItem is what the test reads of a tally, in a tally.updated event or a snapshot.
type tallyItem struct {
	Contribution int64 `json:"contribution"`
	Count        int   `json:"count"`
	Sum          int   `json:"sum"`
}

// TestTallyConvergesAfterKill: a vote acknowledged, the server killed with SIGKILL at once
// (before its coalesced tally, which waits some milliseconds, can commit), restarted: a
// projector that resumes from its last seq gets the tally the snapshot shows by itself,
// with no new vote.
func TestTallyConvergesAfterKill(t *testing.T) {
	storagetest.EachKind(t, tallyAfterKill)
}

func tallyAfterKill(t *testing.T, kind string) {
	dsn := storagetest.DSN(t, kind)
	f := setUp(t, dsn, 2, 1)
	item := f.contributions[0]
	port := freeport.Port(t)
	srv := start(t, dsn, port)
	logOnFailure(t, srv)
	defer func() {
		if srv != nil {
			srv.kill()
		}
	}()
	cfg := func(i int) liveclient.Config {
		return liveclient.Config{URL: fmt.Sprintf("ws://127.0.0.1:%d/ws", port), Origin: srv.base,
			Cookie: f.voters[i], Workshop: f.workshop}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Two participants: the first votes; the second votes too, then resumes like a projector.
	voter, err := liveclient.Dial(ctx, cfg(0))
	if err != nil {
		t.Fatal(err)
	}
	defer voter.Close()
	projector, err := liveclient.Dial(ctx, cfg(1))
	if err != nil {
		t.Fatal(err)
	}
	defer projector.Close()
	// Both joins complete (their snapshots read) before anything is voted.
	for _, c := range []*liveclient.Client{voter, projector} {
		if err := c.WaitSnapshots(ctx, 1); err != nil {
			t.Fatalf("no snapshot on joining: %v", err)
		}
	}
	// A first vote, and its tally, so that the projector holds a tally to be wrong about.
	if out, err := voter.Do(ctx, "vote.set", map[string]any{"contribution": item, "value": 1}); err != nil || !out.Accepted() {
		t.Fatalf("first vote: %v %+v", err, out)
	}
	waitTally(ctx, t, projector, item, 1)

	out, err := projector.Do(ctx, "vote.set", map[string]any{"contribution": item, "value": 1})
	acked := time.Now()
	srv.cmd.Process.Signal(syscall.SIGKILL)
	killedAfter := time.Since(acked)
	<-srv.done
	srv = nil
	if err != nil || !out.Accepted() {
		t.Fatalf("second vote: %v %+v", err, out)
	}
	if newestTally(projector, item) == 2 {
		t.Logf("the tally went out before the kill (%v after the ack): nothing to recover this time", killedAfter)
	}

	srv = start(t, dsn, port)
	logOnFailure(t, srv)
	resumed := time.Now()
	if err := projector.Reconnect(ctx); err != nil {
		t.Fatal(err)
	}
	// The tally must come back by itself, without another vote; the bound only ends a run
	// that would otherwise wait for ever (the time taken is logged, not judged).
	within, cancelWithin := context.WithTimeout(ctx, 15*time.Second)
	defer cancelWithin()
	waitTally(within, t, projector, item, 2)
	t.Logf("%s: killed %v after the ack; the resumed projector had the tally %v after joining again",
		kind, killedAfter.Round(time.Microsecond), time.Since(resumed).Round(time.Millisecond))

	fresh, err := liveclient.Dial(ctx, cfg(0))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.WaitSnapshots(ctx, 1); err != nil {
		t.Fatalf("no snapshot on a join with since 0: %v", err)
	}
	snaps := fresh.Snapshots()
	var st struct{ Tallies []tallyItem }
	if err := json.Unmarshal(snaps[len(snaps)-1].State, &st); err != nil {
		t.Fatal(err)
	}
	for _, it := range st.Tallies {
		if it.Contribution == item {
			if got := newestTally(projector, item); got != it.Count {
				t.Errorf("resumed projector: count %d, snapshot: %d", got, it.Count)
			}
			return
		}
	}
	t.Errorf("the snapshot has no tally of item %d: %s", item, snaps[len(snaps)-1].State)
}

// waitTally waits until the client's newest tally of item (from a tally.updated event or
// from a snapshot, whichever has the higher seq) counts want votes: a join or a resume may
// bring the tally inside a snapshot rather than as an event.
func waitTally(ctx context.Context, t *testing.T, c *liveclient.Client, item int64, want int) {
	t.Helper()
	for {
		got := newestTally(c, item)
		if got == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("tally of item %d: count %d, want %d (%v)", item, got, want, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// newestTally is the count of item in the client's newest tally, by seq: the last
// tally.updated event or the state of the last snapshot (-1 when neither has one).
func newestTally(c *liveclient.Client, item int64) int {
	count, at := -1, int64(-1)
	for _, ev := range c.Events() {
		if n := tallyIn([]liveclient.Message{ev}, item); n >= 0 && ev.Seq > at {
			count, at = n, ev.Seq
		}
	}
	for _, snap := range c.Snapshots() {
		var st struct{ Tallies []tallyItem }
		if json.Unmarshal(snap.State, &st) != nil || snap.Seq <= at {
			continue
		}
		for _, it := range st.Tallies {
			if it.Contribution == item {
				count, at = it.Count, snap.Seq
			}
		}
	}
	return count
}

// tallyIn is the count of item in the last tally.updated among events (-1 when none).
func tallyIn(events []liveclient.Message, item int64) int {
	count := -1
	for _, ev := range events {
		if ev.Name != "tally.updated" {
			continue
		}
		var d struct{ Items []tallyItem }
		if json.Unmarshal(ev.Data, &d) != nil {
			continue
		}
		for _, it := range d.Items {
			if it.Contribution == item {
				count = it.Count
			}
		}
	}
	return count
}

// logOnFailure prints the server's log when the test fails, for the reason behind a timeout.
func logOnFailure(t *testing.T, s *server) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", s.log())
		}
	})
}
