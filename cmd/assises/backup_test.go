package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/migrations"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
)

// vote is one participant's vote on one item: each is cast once, so each acknowledged vote
// is one row of the votes table.
type vote struct{ participant, item int64 }

// TestBackupWhileVotesFlow takes a backup with the real binary while people vote over real
// sockets on a live server, then restores it into a fresh directory and starts the real
// server on it. Every vote acknowledged before the backup began is in the copy; restore
// refuses while a server has the database open; the restored server welcomes clients with a
// new log epoch, and a client that resumes with the old one gets a snapshot.
func TestBackupWhileVotesFlow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := buildBinary(t)

	// The live server: the product in this process, on a SQLite file of its own.
	livePath := filepath.Join(t.TempDir(), "assises.db")
	db, err := storage.Open(ctx, livePath, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	s := stack.New(t, "sqlite", stack.Options{DB: db})
	w := s.Workshop(t, "Atelier")
	mod := s.Connect(t, s.Join(t, "Mona", "Animation", record.RoleModerator, w), w)
	stack.MustDo(t, mod, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"})
	stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
	var items []int64
	for i := range 25 {
		stack.MustDo(t, mod, "contribution.post", map[string]any{"kind": "finding", "body": fmt.Sprintf("Constat %d", i)})
		posted, err := mod.WaitEvent(ctx, func(m liveclient.Message) bool {
			return m.Name == "contribution.posted" && strings.Contains(string(m.Data), fmt.Sprintf(`"Constat %d"`, i))
		})
		if err != nil {
			t.Fatal(err)
		}
		var d struct{ ID int64 }
		json.Unmarshal(posted.Data, &d)
		items = append(items, d.ID)
	}
	oldEpoch := mod.Welcome().Epoch
	type voter struct {
		p stack.Person
		c *liveclient.Client
	}
	var voters []voter
	for i := range 6 {
		p := s.Join(t, fmt.Sprintf("P%d", i), fmt.Sprintf("Org %d", i), record.RoleParticipant, w)
		voters = append(voters, voter{p, s.Connect(t, p, w)})
	}

	// Votes flow: each voter casts one vote per item, waiting for each acknowledgement.
	var mu sync.Mutex
	acked := map[vote]bool{}
	enough := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, v := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, item := range items {
				select {
				case <-stop:
					return
				default:
				}
				out, err := v.c.Do(ctx, "vote.set", map[string]any{"contribution": item, "value": 1})
				if err != nil || !out.Accepted() {
					t.Errorf("vote: %+v %v", out, err)
					return
				}
				mu.Lock()
				acked[vote{v.p.Participant.ID, item}] = true
				if len(acked) == 30 {
					close(enough)
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-enough:
	case <-ctx.Done():
		t.Fatal("votes do not flow")
	}
	mu.Lock()
	before := make(map[vote]bool, len(acked))
	for k := range acked {
		before[k] = true
	}
	mu.Unlock()
	backupFile := filepath.Join(t.TempDir(), "assises-backup.db")
	out, err := exec.CommandContext(ctx, bin, "backup", "-db", livePath, backupFile).CombinedOutput()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	close(stop)
	wg.Wait()
	t.Logf("%d votes acknowledged before the backup began, %d while it ran, %d in all", len(before), during, len(acked))
	if fi, err := os.Stat(backupFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, mode %v, want 0600 (it holds personal data)", err, fi.Mode().Perm())
	}

	// Restore refuses while a server has the database open, and leaves it alone.
	out, err = exec.CommandContext(ctx, bin, "restore", "-db", livePath, backupFile).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Errorf("restore over a live server: %v\n%s; want a refusal", err, out)
	}
	var liveVotes int
	if err := db.NewSelect().Model((*record.Vote)(nil)).ColumnExpr("count(*)").Scan(ctx, &liveVotes); err != nil || liveVotes != len(acked) {
		t.Errorf("live database after the refused restore: %d votes (%v), want %d", liveVotes, err, len(acked))
	}

	// Restore into a fresh directory, as an administrator would on a new machine.
	fresh := t.TempDir()
	restore := exec.CommandContext(ctx, bin, "restore", backupFile)
	restore.Dir = fresh
	restore.Env = append(os.Environ(), "DATABASE_URL=")
	if out, err := restore.CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	restoredPath := filepath.Join(fresh, "data", "assises.db")
	rdb, err := storage.Open(ctx, restoredPath, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []record.Vote
	if err := rdb.NewSelect().Model(&rows).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	newEpoch, err := journal.LogEpoch(ctx, rdb, w.ID)
	rdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	inCopy := map[vote]bool{}
	for _, r := range rows {
		inCopy[vote{r.ParticipantID, r.ContributionID}] = true
	}
	missing := 0
	for k := range before {
		if !inCopy[k] {
			missing++
		}
	}
	if missing > 0 || len(inCopy) > len(acked) {
		t.Errorf("the copy has %d votes: %d of the %d acknowledged before the backup are missing (%d acknowledged in all)", len(inCopy), missing, len(before), len(acked))
	}
	if newEpoch == oldEpoch || newEpoch == 0 {
		t.Errorf("restored epoch %d, want a new one (the live server's is %d)", newEpoch, oldEpoch)
	}

	// The real server starts on the restored directory and serves the new epoch.
	port := freeport.Port(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srv := command(bin, fresh, "", "serve", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-public-url", base)
	srv.start(t)
	waitReady(t, &http.Client{Timeout: 5 * time.Second}, base+"/healthz")

	// A phone that was in the room resumes with its old epoch and last seq: a snapshot.
	d := liveclient.NewDialer("ws://127.0.0.1:"+fmt.Sprint(port)+"/ws", base, nil)
	phone := voters[0]
	sock, welcome, err := d.Join(ctx, liveclient.Join{Cookie: phone.p.Cookie.String(), Workshop: w.ID, Since: phone.c.LastSeq(), Epoch: oldEpoch})
	if err != nil {
		t.Fatalf("join the restored server: %v\n%s", err, srv.stderr.String())
	}
	defer sock.Close()
	if welcome.Epoch != newEpoch {
		t.Errorf("welcome epoch %d, want the restored database's %d", welcome.Epoch, newEpoch)
	}
	b, err := sock.Next(nil, 30*time.Second)
	var first liveclient.Message
	if err != nil || json.Unmarshal(b, &first) != nil || first.Type != "snapshot" {
		t.Errorf("after resuming with the old epoch: %v %s, want a snapshot", err, b)
	}
	sock.Close()

	if err := srv.term(); err != nil {
		t.Errorf("restored server exit: %v\n%s", err, srv.stderr.String())
	}
}
