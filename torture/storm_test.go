//go:build torture

package torture

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// rounds is how many times the server is killed (TORTURE_ROUNDS, default 20).
func rounds() int {
	if n, err := strconv.Atoi(os.Getenv("TORTURE_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 20
}

// voter is one client of the storm and what it knows for sure.
type voter struct {
	participant int64
	client      *liveclient.Client
	cfg         liveclient.Config
	last        map[int64]int     // contribution → value of the last accepted vote
	acked       map[string]int64  // command id → acknowledged seq
	refused     map[string]string // command id → final refusal code (there must be none)
	resent      int               // commands sent again after a connection loss
}

// transient refusals may be sent again with the same id.
func transient(code string) bool {
	switch code {
	case "unavailable", "busy", "rate_limited", "shutting_down", "internal":
		return true
	}
	return false
}

// connect joins, or joins again from the last seq seen, until the server answers (it may be
// restarting after a kill).
func (v *voter) connect(ctx context.Context) error {
	for {
		var err error
		if v.client == nil {
			v.client, err = liveclient.Dial(ctx, v.cfg)
		} else {
			err = v.client.Reconnect(ctx)
		}
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// vote sends one vote and insists, with the same id, until it has a final outcome (resent
// after a refusal "try again", or after coming back from a lost connection: the server was
// killed).
func (v *voter) vote(ctx context.Context, contribution int64, value int) error {
	var seen codes // this storm does not report the refusals it met
	return v.voteCounted(ctx, contribution, value, &seen, nil)
}

func TestKillDuringVoteStorm(t *testing.T) {
	storagetest.EachKind(t, killStorm)
}

func killStorm(t *testing.T, kind string) {
	// About 1,000 votes/s in all: 60 voters at one vote every 60 ms each, which stays under the
	// per-connection rate limit (20/s), so every refusal would be a real one.
	const voters, items = 60, 20
	const interval = 60 * time.Millisecond
	dsn := storagetest.DSN(t, kind)
	f := setUp(t, dsn, voters, items)
	port := freeport.Port(t)
	srv := start(t, dsn, port)
	base := fmt.Sprintf("ws://127.0.0.1:%d/ws", port)
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)

	storm, stopStorm := context.WithCancel(context.Background())
	defer stopStorm()
	vs := make([]*voter, voters)
	var wg sync.WaitGroup
	var sent atomic.Int64
	errs := make(chan error, voters)
	for i := range vs {
		v := &voter{participant: f.voterIDs[i], last: map[int64]int{}, acked: map[string]int64{}, refused: map[string]string{},
			cfg: liveclient.Config{URL: base, Origin: origin, Cookie: f.voters[i], Workshop: f.workshop}}
		vs[i] = v
		if err := v.connect(storm); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i)))
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-storm.Done():
					return
				case <-tick.C:
				}
				c := f.contributions[rng.Intn(len(f.contributions))]
				// The vote runs to its final outcome even after the storm ends: nothing in flight is dropped.
				if err := v.vote(context.Background(), c, rng.Intn(3)-1); err != nil {
					errs <- err
					return
				}
				sent.Add(1)
			}
		}()
	}

	n := rounds()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for round := 1; round <= n; round++ {
		time.Sleep(time.Duration(300+rng.Intn(1200)) * time.Millisecond)
		srv.kill()
		srv = start(t, dsn, port)
	}
	time.Sleep(time.Second)
	stopStorm()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("voter: %v", err)
	}
	defer srv.kill()

	r := verify(t, f, vs)
	fmt.Printf("torture kill-9 storm (%s): %d rounds, %d kills, %d votes acknowledged, %d resent after a kill, %d refused, %d lost, %d events checked for gaps, %d gaps\n",
		kind, n, n, r.acked, r.resent, r.refused, r.lost, r.checked, r.gaps)
	if r.checked < r.acked/10 {
		t.Errorf("only %d events were checked for gaps: the clients resumed from snapshots too often for the check to mean much", r.checked)
	}
}

// checkNoGaps: after its last snapshot, each client received every event it may see, in order.
func checkNoGaps(t *testing.T, f *stage, vs []*voter) (checked, gaps int) {
	t.Helper()
	var log []record.StoredEvent
	if err := f.db.NewSelect().Model(&log).Where("workshop_id = ?", f.workshop).Order("seq").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		var from int64
		for _, s := range v.client.Snapshots() {
			if s.Seq > from {
				from = s.Seq
			}
		}
		got := map[int64]bool{}
		for _, e := range v.client.Events() {
			got[e.Seq] = true
		}
		upTo := v.client.LastSeq()
		me := "person:" + strconv.FormatInt(v.participant, 10)
		for _, e := range log {
			if e.Seq <= from || e.Seq > upTo || (e.Audience != "all" && e.Audience != me) {
				continue
			}
			checked++
			if !got[e.Seq] {
				gaps++
				if gaps < 10 {
					t.Errorf("voter %d never received event %d (%s) although it resumed past it", v.participant, e.Seq, e.Name)
				}
			}
		}
	}
	return checked, gaps
}
