//go:build torture

package torture

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/record"
)

// codes counts the transient refusals the clients were given ("try again"): they prove that
// the fault was seen by the clients and answered honestly, not hidden behind a false ack.
type codes struct {
	mu        sync.Mutex
	n         map[string]int
	goingAway time.Time // when a client first saw its socket closed with 1001
}

// closed records how a client's socket ended: "close 1001" (going away), another code, or
// "close without frame".
func (c *codes) closed(err error) {
	var ce *websocket.CloseError
	code := "close without frame"
	if errors.As(err, &ce) {
		code = fmt.Sprintf("close %d", ce.Code)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[code]++
	if code == "close 1001" && c.goingAway.IsZero() {
		c.goingAway = time.Now()
	}
}

func (c *codes) firstGoingAway() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.goingAway
}

func (c *codes) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.goingAway = nil, time.Time{}
}

func (c *codes) add(code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[code]++
}

func (c *codes) get(code string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[code]
}

func (c *codes) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.n) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range c.n {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// voteCounted is voter.vote that also counts the transient refusals by code and the
// connection losses, and notes when the last acknowledgement arrived.
func (v *voter) voteCounted(ctx context.Context, contribution int64, value int, seen *codes, lastAck *atomic.Int64) error {
	id := uuid.NewString()
	args := map[string]any{"contribution": contribution, "value": value}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			v.resent++
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := v.client.Send(id, "vote.set", args); err == nil {
			wait, cancel := context.WithTimeout(ctx, 15*time.Second)
			out, err := v.client.Await(wait, id)
			cancel()
			if err == nil {
				switch {
				case out.Accepted():
					v.acked[id] = out.Seq
					v.last[contribution] = value
					if lastAck != nil {
						lastAck.Store(time.Now().UnixNano())
					}
					return nil
				case transient(out.Code):
					seen.add(out.Code)
					time.Sleep(time.Duration(20+rand.Intn(80)) * time.Millisecond)
					continue
				default:
					v.refused[id] = out.Code
					return nil
				}
			}
			seen.add("connection lost")
		}
		if err := v.client.Err(); err != nil {
			seen.closed(err)
		}
		if err := v.connect(ctx); err != nil {
			return err
		}
	}
}

// storm is a crowd of voters, each voting every interval until stopped; every vote runs to a
// final outcome (resent with the same id after a refusal "try again" or a lost connection).
type storm struct {
	f       *stage
	vs      []*voter
	seen    codes
	sent    atomic.Int64
	lastAck atomic.Int64
	kick    []atomic.Bool // set: the voter reconnects before its next vote (a phone changing networks)
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errs    chan error
}

func startStorm(t *testing.T, f *stage, port int, voters int, interval time.Duration) *storm {
	t.Helper()
	base := fmt.Sprintf("ws://127.0.0.1:%d/ws", port)
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	s := &storm{f: f, cancel: cancel, errs: make(chan error, voters)}
	for i := 0; i < voters; i++ {
		v := &voter{participant: f.voterIDs[i], last: map[int64]int{}, acked: map[string]int64{}, refused: map[string]string{},
			cfg: liveclient.Config{URL: base, Origin: origin, Cookie: f.voters[i], Workshop: f.workshop}}
		s.vs = append(s.vs, v)
		dial, stop := context.WithTimeout(ctx, 60*time.Second)
		err := v.connect(dial)
		stop()
		if err != nil {
			t.Fatal(err)
		}
	}
	s.kick = make([]atomic.Bool, len(s.vs))
	for i, v := range s.vs {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			rng := rand.New(rand.NewSource(int64(i) + time.Now().UnixNano()))
			time.Sleep(time.Duration(rng.Int63n(int64(interval))))
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if s.kick[i].Swap(false) {
					if err := v.client.Reconnect(ctx); err != nil {
						if err := v.connect(ctx); err != nil {
							return
						}
					}
					s.seen.add("reconnect")
				}
				c := f.contributions[rng.Intn(len(f.contributions))]
				// The vote runs to its final outcome even after the storm ends (bounded by
				// a generous deadline): nothing in flight is dropped.
				final, stop := context.WithTimeout(context.Background(), 3*time.Minute)
				err := v.voteCounted(final, c, rng.Intn(3)-1, &s.seen, &s.lastAck)
				stop()
				if err != nil {
					s.errs <- fmt.Errorf("voter %d: %w", v.participant, err)
					return
				}
				s.sent.Add(1)
			}
		}()
	}
	return s
}

// stop ends the storm and waits for every vote in flight to reach its final outcome.
func (s *storm) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	s.wg.Wait()
	close(s.errs)
	for err := range s.errs {
		t.Errorf("%v", err)
	}
}

func (s *storm) close() {
	for _, v := range s.vs {
		if v.client != nil {
			v.client.Close()
		}
	}
}

// acked counts the acknowledgements received so far (call after stop).
func (s *storm) acked() int {
	n := 0
	for _, v := range s.vs {
		n += len(v.acked)
	}
	return n
}

// verdict is what the database says about the acknowledgements.
type verdict struct {
	acked, resent, refused, lost, checked, gaps int
}

// verify checks, after the storm: every acknowledged command is recorded with its seq, the
// votes in the database are exactly the last acknowledged ones, one vote.recorded per
// acknowledged vote (none applied twice), no final refusal, and no gap after the last snapshot.
func verify(t *testing.T, f *stage, vs []*voter) verdict {
	t.Helper()
	ctx := context.Background()
	var r verdict
	for _, v := range vs {
		r.resent += v.resent
		r.refused += len(v.refused)
		for id, code := range v.refused {
			t.Errorf("voter %d: command %s refused with %s", v.participant, id, code)
		}
		for id, seq := range v.acked {
			r.acked++
			var rec record.CommandRecord
			err := f.db.NewSelect().Model(&rec).Where("workshop_id = ? AND command_id = ?", f.workshop, id).Scan(ctx)
			if err != nil || rec.Seq != seq || rec.Code != "" {
				r.lost++
				t.Errorf("acknowledged command %s (seq %d) is not recorded as such: %+v %v", id, seq, rec, err)
			}
		}
		var rows []record.Vote
		if err := f.db.NewSelect().Model(&rows).Where("participant_id = ? AND workshop_id = ?", v.participant, f.workshop).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		got := map[int64]int{}
		for _, row := range rows {
			got[row.ContributionID] = row.Value
		}
		if fmt.Sprint(got) != fmt.Sprint(v.last) {
			r.lost++
			t.Errorf("voter %d: database holds %v, the acknowledgements imply %v", v.participant, got, v.last)
		}
	}
	recorded, err := f.db.NewSelect().Model((*record.StoredEvent)(nil)).
		Where("workshop_id = ? AND name = ?", f.workshop, "vote.recorded").Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int(recorded) != r.acked {
		t.Errorf("vote.recorded events: %d, acknowledged votes: %d (a vote applied twice or lost)", recorded, r.acked)
		if int(recorded) > r.acked {
			r.lost += int(recorded) - r.acked
		}
	}
	r.checked, r.gaps = checkNoGaps(t, f, vs)
	if r.acked == 0 {
		t.Error("no vote was acknowledged: the storm proved nothing")
	}
	return r
}

// alive fails the test if the server process has exited (it must recover by itself).
func (s *server) alive(t *testing.T) {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		t.Fatalf("the server exited (%v): it must recover by itself\n%s", err, tail(s.log(), 40))
	default:
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// panics returns the log lines that show a panic or a data race.
func panics(logs string) []string {
	var found []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.HasPrefix(l, "panic:") || strings.Contains(l, "goroutine ") && strings.Contains(l, "[running]") ||
			strings.Contains(l, "WARNING: DATA RACE") || strings.HasPrefix(l, "fatal error:") {
			found = append(found, l)
		}
	}
	return found
}
