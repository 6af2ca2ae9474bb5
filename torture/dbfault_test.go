//go:build torture

package torture

import (
	"context"
	"fmt"
	"math/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/internal/pgcluster"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// dbRounds is how many times the database is crashed (or its connections cut): a quarter of
// TORTURE_ROUNDS, at least 2.
func dbRounds() int { return max(2, rounds()/4) }

// Item 15: PostgreSQL stopped with -m immediate, then restarted, during a vote storm, while
// the same Assises process keeps running. Clients must be told "unavailable" (try again) and
// never get a false acknowledgement; the server recovers by itself; every acknowledged vote
// is in the database exactly once.
func TestPostgresCrashDuringVoteStorm(t *testing.T) {
	pg := pgcluster.StartWith(t, pgcluster.Options{MaxConnections: 100})
	dsn := pg.DSN()
	const voters, items = 40, 12
	f := setUp(t, dsn, voters, items)
	port := freeport.Port(t)
	srv := start(t, dsn, port)
	defer srv.kill()
	s := startStorm(t, f, port, voters, 80*time.Millisecond)
	defer s.close()

	n := dbRounds()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var down time.Duration
	for round := 1; round <= n; round++ {
		time.Sleep(time.Duration(800+rng.Intn(1200)) * time.Millisecond)
		before := s.seen.get("unavailable")
		pg.Crash()
		outage := time.Duration(1500+rng.Intn(1500)) * time.Millisecond
		time.Sleep(outage)
		down += outage
		if s.seen.get("unavailable") == before {
			// Not fatal per round (a round may fall between two votes), checked overall below.
			t.Logf("round %d: no unavailable refusal during the outage", round)
		}
		pg.Restart()
		srv.alive(t)
		// Recovery: acknowledgements resume within a bounded time, with no restart of Assises.
		recovered := time.Now()
		mark := s.lastAck.Load()
		deadline := time.Now().Add(30 * time.Second)
		for s.lastAck.Load() == mark || time.Unix(0, s.lastAck.Load()).Before(recovered) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no acknowledgement within 30 s of PostgreSQL's restart: the server did not recover by itself\n%s", round, tail(srv.log(), 40))
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("round %d: database down %v, acknowledgements resumed %v after its restart", round, outage, time.Since(recovered).Round(time.Millisecond))
	}
	time.Sleep(time.Second)
	s.stop(t)
	srv.alive(t)
	if s.seen.get("unavailable") == 0 {
		t.Errorf("the clients were never told \"unavailable\" although the database was down %v in all", down)
	}
	if p := panics(srv.log()); len(p) > 0 {
		t.Errorf("panic in the server's log: %v", p)
	}
	// The fixture's own pooled connections died with the database: read through a fresh pool.
	fresh := storagetest.Connect(t, dsn, storage.Options{MaxOpenConns: 4})
	f.db = fresh
	r := verify(t, f, s.vs)
	fmt.Printf("torture postgres-crash storm (postgres): %d rounds, %d database crashes (pg_ctl -m immediate, %v down in all), 1 Assises process (never restarted), %d votes acknowledged, refusals to try again: %s, %d resent, %d refused, %d lost, %d events checked for gaps, %d gaps\n",
		n, n, down.Round(time.Millisecond), r.acked, s.seen.String(), r.resent, r.refused, r.lost, r.checked, r.gaps)
}

// Item 16: the server's database connections are killed (pg_terminate_backend) in the middle
// of its transactions during a vote storm. What was cut is rolled back; the client is told
// (refused "unavailable", or answered after the engine's own retry); a retry with the same id
// applies once: vote.recorded equals the acknowledgements and the votes the last acked ones.
func TestTerminateBackendDuringVoteStorm(t *testing.T) {
	base := storagetest.DSN(t, "postgres")
	app := fmt.Sprintf("assises-torture-%d", time.Now().UnixNano())
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app) // only this server's backends are terminated
	u.RawQuery = q.Encode()
	dsn := u.String()

	const voters, items = 40, 12
	f := setUp(t, base, voters, items)
	port := freeport.Port(t)
	srv := start(t, dsn, port)
	defer srv.kill()
	admin := storagetest.Connect(t, base, storage.Options{MaxOpenConns: 1})
	s := startStorm(t, f, port, voters, 60*time.Millisecond)
	defer s.close()

	n := dbRounds() * 4
	var killed, inTx int
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	time.Sleep(time.Second)
	for round := 1; round <= n; round++ {
		time.Sleep(time.Duration(200+rng.Intn(600)) * time.Millisecond)
		// Wait (briefly) for a backend of the server to be inside a transaction, then cut
		// every backend of the server at once.
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			var busy int
			admin.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND state IN ('active', 'idle in transaction')`, app).Scan(context.Background(), &busy)
			if busy > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		var rows []struct {
			State      string
			Terminated bool
		}
		err := admin.NewRaw(`SELECT state, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()`, app).Scan(context.Background(), &rows)
		if err != nil {
			t.Fatalf("pg_terminate_backend: %v", err)
		}
		for _, r := range rows {
			if r.Terminated {
				killed++
				if r.State == "active" || strings.HasPrefix(r.State, "idle in transaction") {
					inTx++
				}
			}
		}
	}
	time.Sleep(time.Second)
	s.stop(t)
	srv.alive(t)
	if killed == 0 {
		t.Fatal("no backend of the server was terminated: the test proved nothing")
	}
	if inTx == 0 {
		t.Errorf("none of the %d terminated backends was in a transaction: the test proved little", killed)
	}
	if p := panics(srv.log()); len(p) > 0 {
		t.Errorf("panic in the server's log: %v", p)
	}
	r := verify(t, f, s.vs)
	fmt.Printf("torture terminate-backend storm (postgres): %d rounds, %d backends terminated (%d in the middle of a statement or transaction), %d votes acknowledged, refusals to try again: %s, %d resent, %d refused, %d lost, %d events checked for gaps, %d gaps\n",
		n, killed, inTx, r.acked, s.seen.String(), r.resent, r.refused, r.lost, r.checked, r.gaps)
}
