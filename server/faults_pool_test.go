package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/assises/assises/hub"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/migrations"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// TestSmallPoolUnderLoad (docs/security.md, item 17): 500 commands at once from 40 sockets in 4 rooms,
// against a pool of 2 PostgreSQL connections (SQLite: its single connection) that readers also
// hold. Every command gets an answer within a bounded time — an ack, or "busy"/"unavailable"
// (try again) — and nothing deadlocks; the commands retried with the same id apply once. On
// PostgreSQL the session settings that keep a stuck statement or transaction from holding a
// room hostage are set on the pool's connections.
func TestSmallPoolUnderLoad(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) { smallPool(t, kind) })
	}
}

func smallPool(t *testing.T, kind string) {
	ctx := context.Background()
	var db *bun.DB
	if kind == "postgres" {
		var err error
		db, err = storage.Open(ctx, storagetest.DSN(t, kind), storage.Options{MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := migrations.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		// The pool's sessions carry the timeouts (storage.Options defaults): read them back
		// through the very pool the server uses, on both of its connections.
		want := map[string]string{"statement_timeout": "10s", "lock_timeout": "5s", "idle_in_transaction_session_timeout": "30s"}
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := db.Conn(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				for name, v := range want {
					var got string
					if err := conn.QueryRowContext(ctx, "SHOW "+name).Scan(&got); err != nil {
						t.Errorf("SHOW %s: %v", name, err)
					} else if got != v {
						t.Errorf("%s = %q on the server's pool, want %q", name, got, v)
					}
				}
			}()
		}
		wg.Wait()
	} else {
		db = storagetest.Open(t, kind)
	}
	const rooms, perRoom, perPerson, items = 4, 10, 13, 5 // 4 × 10 × 13 = 520 commands (≥ 500)
	s := stack.New(t, kind, stack.Options{DB: db, Hub: func(c *hub.Config) {
		c.MaxBatch = 4      // more transactions, so more contention on the pool
		c.CommandQueue = 16 // a short queue per room: the excess is refused "busy"…
		// …after a wait for room of a millisecond, not the default seconds, in which this
		// pool commits them all: the test is about the refusals and their resends.
		c.CommandWait = time.Millisecond
	}})
	type target struct {
		w     *record.Workshop
		items []int64
	}
	var targets []target
	var clients []*liveclient.Client
	var rng = rand.New(rand.NewSource(1))
	for r := range rooms {
		w := s.Workshop(t, fmt.Sprintf("Atelier %d", r))
		mod := connectReady(t, s, s.Join(t, "M", fmt.Sprintf("Org M%d", r), record.RoleModerator, w), w)
		stack.MustDo(t, mod, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"})
		stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
		tg := target{w: w}
		for i := range items {
			out := stack.MustDo(t, mod, "contribution.post", map[string]any{"kind": "finding", "body": fmt.Sprintf("Constat %d", i)})
			tg.items = append(tg.items, lastEventID(t, mod, out.Seq))
		}
		targets = append(targets, tg)
		for p := range perRoom {
			person := s.Join(t, fmt.Sprintf("P%d-%d", r, p), fmt.Sprintf("Org %d-%d", r, p), record.RoleParticipant, w)
			clients = append(clients, s.Connect(t, person, w))
		}
	}

	// Readers hold the pool's connections too (pages, exports, the organiser's API).
	stopReaders := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stopReaders:
					return
				default:
				}
				var n int
				db.NewSelect().Model((*record.StoredEvent)(nil)).ColumnExpr("count(*)").Scan(ctx, &n)
			}
		}()
	}

	type sent struct {
		c    *liveclient.Client
		id   string
		args map[string]any
		at   time.Time
	}
	var all []sent
	for i, c := range clients {
		tg := targets[i/perRoom]
		for range perPerson {
			args := map[string]any{"contribution": tg.items[rng.Intn(len(tg.items))], "value": rng.Intn(3) - 1}
			all = append(all, sent{c: c, id: uuid.NewString(), args: args})
		}
	}
	// Fire everything at once: one goroutine per socket sends its commands back to back.
	deadline, cancel := context.WithTimeout(ctx, 90*time.Second) // generous: a deadlock fails here
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	var slowest time.Duration
	retry := []sent{}
	for i := 0; i < len(all); i += perPerson {
		mine := all[i : i+perPerson]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range mine {
				mine[j].at = time.Now()
				if err := mine[j].c.Send(mine[j].id, "vote.set", mine[j].args); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
			for _, m := range mine {
				out, err := m.c.Await(deadline, m.id)
				if err != nil {
					t.Errorf("command %s: no answer (%v): a deadlock or an unbounded wait", m.id, err)
					continue
				}
				took := time.Since(m.at)
				mu.Lock()
				counts[out.Code]++
				slowest = max(slowest, took)
				switch out.Code {
				case "":
				case hub.CodeBusy, hub.CodeUnavailable:
					retry = append(retry, m)
				default:
					t.Errorf("command %s: unexpected refusal %s (%s)", m.id, out.Code, out.Message)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stopReaders)
	readers.Wait()
	if deadline.Err() != nil {
		t.Fatalf("the 500 commands did not all get an answer within 90 s: deadlock")
	}
	// A backend call is bounded by 30 s (hub callWait): no answer may take longer than that.
	if slowest > 35*time.Second {
		t.Errorf("the slowest answer took %v: waits are not bounded", slowest)
	}
	if counts[hub.CodeBusy] == 0 {
		t.Errorf("%d commands at once on queues of 16 and no \"busy\": the queue is not bounded (answers: %v)", len(all), counts)
	}
	// The refused ones, resent with the same id (one goroutine per socket), apply once.
	bySocket := map[*liveclient.Client][]sent{}
	for _, m := range retry {
		bySocket[m.c] = append(bySocket[m.c], m)
	}
	for _, ms := range bySocket {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, m := range ms {
				for attempt := 0; ; attempt++ {
					if attempt > 400 || deadline.Err() != nil {
						t.Errorf("command %s never went through", m.id)
						return
					}
					if err := m.c.Send(m.id, "vote.set", m.args); err != nil {
						t.Error(err)
						return
					}
					time.Sleep(40 * time.Millisecond) // under the per-connection rate limit
					// Await returns the last outcome received for the id: a new answer replaces it.
					out, err := m.c.Await(deadline, m.id)
					if err != nil {
						t.Error(err)
						return
					}
					if out.Accepted() {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	var recorded, accepted int
	for _, tg := range targets {
		n, err := db.NewSelect().Model((*record.StoredEvent)(nil)).Where("workshop_id = ? AND name = 'vote.recorded'", tg.w.ID).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		recorded += int(n)
		m, err := db.NewSelect().Model((*record.CommandRecord)(nil)).Where("workshop_id = ? AND code = '' AND seq > 0", tg.w.ID).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		accepted += int(m)
	}
	// Each room also recorded its moderator's 2 + items setup commands.
	if want := len(all) + rooms*(2+items); accepted != want {
		t.Errorf("%d accepted commands recorded, want %d (one per command, retries included once)", accepted, want)
	}
	if recorded != len(all) {
		t.Errorf("%d vote.recorded events for %d distinct vote commands: a retry applied twice or a command was lost", recorded, len(all))
	}
	t.Logf("%s: %d commands at once, answers %v, slowest %v, %d resent with the same id", kind, len(all), counts, slowest.Round(time.Millisecond), len(retry))
}

// lastEventID reads the id of the contribution posted by the command acknowledged at seq.
func lastEventID(t *testing.T, c *liveclient.Client, seq int64) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := c.WaitEvent(ctx, func(m liveclient.Message) bool {
		return m.Seq <= seq && m.Name == "contribution.posted" && m.Seq > seq-3
	})
	if err != nil {
		var seen []string
		for _, m := range c.Events() {
			seen = append(seen, fmt.Sprintf("%d:%s", m.Seq, m.Name))
		}
		t.Fatalf("no contribution.posted just before ack seq %d: %v (events %v, snapshots %d, last seq %d, duplicates %d)", seq, err, seen, len(c.Snapshots()), c.LastSeq(), c.Duplicates())
	}
	var d struct{ ID int64 }
	if err := json.Unmarshal(e.Data, &d); err != nil || d.ID == 0 {
		t.Fatalf("contribution.posted: %s %v", e.Data, err)
	}
	return d.ID
}

// connectReady joins and waits for the first snapshot: a command sent before it may be
// folded into the snapshot instead of arriving as events.
func connectReady(t *testing.T, s *stack.Stack, p stack.Person, w *record.Workshop) *liveclient.Client {
	t.Helper()
	c := s.Connect(t, p, w)
	if err := c.WaitSnapshots(stack.Ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	return c
}
