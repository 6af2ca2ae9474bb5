package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/cluster/clustertest"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// TestTwoNodesShareOneRoom runs two real nodes with -cluster on one real PostgreSQL, people
// spread over both: what is committed on one reaches the sockets of the other, presence
// counts both, a broken listener connection comes back and what was committed meanwhile is
// read from the log, and when the node running the session's timers stops, the other takes
// them over.
func TestTwoNodesShareOneRoom(t *testing.T) {
	dsn := storagetest.DSN(t, "postgres")
	s := seed(t, dsn)
	a, b, cookies := startCluster(t, dsn, "1s", s.tokens)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dial := func(n *node, c http.Cookie) *liveclient.Client { return dialNode(ctx, t, n, c, s.workshop) }
	do := func(c *liveclient.Client, name string, args any) liveclient.Outcome {
		t.Helper()
		return mustDo(ctx, t, c, name, args)
	}
	modA, anne := dial(a, cookies[0]), dial(a, cookies[1])
	bruno := dial(b, cookies[2])

	do(modA, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"})
	do(modA, "phase.set", map[string]any{"phase": "diagnostic"})
	posted := do(modA, "contribution.post", map[string]any{"kind": "finding", "body": "Les loyers montent"})
	ev, err := bruno.WaitEvent(ctx, func(m liveclient.Message) bool { return m.Name == "contribution.posted" })
	if err != nil {
		t.Fatalf("a contribution posted on node A did not reach node B: %v", err)
	}
	if ev.Seq > posted.Seq {
		t.Errorf("contribution.posted on node B: seq %d, want at most %d", ev.Seq, posted.Seq)
	}
	var d struct{ ID int64 }
	json.Unmarshal(ev.Data, &d)

	// A vote on node B reaches a participant on node A, with its tally.
	vote := do(bruno, "vote.set", map[string]any{"contribution": d.ID, "value": 1})
	if err := anne.WaitSeq(ctx, vote.Seq); err != nil {
		t.Fatalf("the vote committed on node B (seq %d) did not reach node A: %v", vote.Seq, err)
	}
	if _, err := anne.WaitEvent(ctx, func(m liveclient.Message) bool { return m.Name == "tally.updated" && m.Seq > vote.Seq }); err != nil {
		t.Fatalf("no tally after the vote on node B reached node A: %v", err)
	}

	// Presence counts the people of both nodes: the moderator, Anne and Bruno.
	waitFor(t, ctx, "presence of both nodes on node A", func() bool { return anne.Presence().Online == 3 })
	waitFor(t, ctx, "presence of both nodes on node B", func() bool { return bruno.Presence().Online == 3 })
	// The moderator opens a second tab, on node B (it counts there too: presence is summed
	// per node).
	modB := dial(b, cookies[0])

	// The listener connections are killed; what is committed before they are back is read
	// from the log once they are.
	db := storagetest.Connect(t, dsn, storage.Options{MaxOpenConns: 2})
	if killed := clustertest.TerminateListeners(ctx, t, db); killed != 2 {
		t.Fatalf("listener connections terminated: got %d, want 2 (one per node)", killed)
	}
	var last liveclient.Outcome
	for v := range 5 {
		last = do(bruno, "vote.set", map[string]any{"contribution": d.ID, "value": 1 - 2*(v%2)})
	}
	if err := anne.WaitSeq(ctx, last.Seq); err != nil {
		t.Fatalf("after the listener was killed, node A did not get seq %d: %v", last.Seq, err)
	}
	waitFor(t, ctx, "both listeners back", func() bool {
		return strings.Contains(a.log.String(), "bus listener back") && strings.Contains(b.log.String(), "bus listener back")
	})
	for name, c := range map[string]*liveclient.Client{"Anne (node A)": anne, "Bruno (node B)": bruno, "the moderator (node A)": modA} {
		if n := c.Duplicates(); n != 0 {
			t.Errorf("%s got %d events twice", name, n)
		}
	}

	// The node that holds the session's timers stops; the other takes them over and the
	// timer started before the stop expires on time for the people left.
	nodeName := func(n *node) string {
		m := regexp.MustCompile(`"msg":"cluster node","node":"([0-9a-f]+)"`).FindStringSubmatch(n.log.String())
		if m == nil {
			t.Fatal("no node name in the log")
		}
		return m[1]
	}
	holder := func() string {
		var node []string
		if err := db.NewRaw("SELECT node FROM workshop_leases WHERE workshop_id = ?", s.workshop).Scan(ctx, &node); err != nil {
			t.Fatal(err)
		}
		if len(node) == 0 {
			return ""
		}
		return node[0]
	}
	waitFor(t, ctx, "a holder of the session's lease", func() bool { return holder() != "" })
	stopped, survivor, watcher, mod := a, b, bruno, modB
	if holder() == nodeName(b) {
		stopped, survivor, watcher, mod = b, a, anne, modA
	}
	started := do(mod, "timer.start", map[string]any{"seconds": 2})
	stopped.stopAndWait(ctx, t)
	expired, err := watcher.WaitEvent(ctx, func(m liveclient.Message) bool {
		return m.Name == "timer.changed" && m.Seq > started.Seq && strings.Contains(string(m.Data), `"expired":true`)
	})
	if err != nil {
		t.Fatalf("the timer started before its node stopped never expired on the survivor: %v", err)
	}
	if got, want := holder(), nodeName(survivor); got != want {
		t.Errorf("lease holder after the stop: got %q, want the survivor %q", got, want)
	}
	t.Logf("timer expired at seq %d on the survivor", expired.Seq)
}

// dialNode opens a participant's socket to one node of a cluster, closed with the test.
func dialNode(ctx context.Context, t *testing.T, n *node, c http.Cookie, workshop int64) *liveclient.Client {
	t.Helper()
	cl, err := liveclient.Dial(ctx, liveclient.Config{URL: "ws" + strings.TrimPrefix(n.base, "http") + "/ws",
		Origin: n.base, Cookie: c, Workshop: workshop})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// mustDo sends a command and fails the test unless it is acknowledged.
func mustDo(ctx context.Context, t *testing.T, c *liveclient.Client, name string, args any) liveclient.Outcome {
	t.Helper()
	out, err := c.Do(ctx, name, args)
	if err != nil || out.Code != "" {
		t.Fatalf("%s: got %+v, %v, want an ack", name, out, err)
	}
	return out
}

// startCluster starts two nodes on dsn with -cluster and a lease of the given length, waits
// until both are ready, and signs in with each token (on the first node: a session is good on
// both).
func startCluster(t *testing.T, dsn, lease string, tokens []string) (a, b *node, cookies []http.Cookie) {
	t.Helper()
	a = startNode(t, dsn, nil, "-cluster", "-cluster-lease", lease)
	b = startNode(t, dsn, nil, "-cluster", "-cluster-lease", lease)
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	waitReady(t, client, a.base+"/readyz")
	waitReady(t, client, b.base+"/readyz")
	return a, b, signIn(t, client, a.base, tokens)
}

func signIn(t *testing.T, client *http.Client, base string, tokens []string) []http.Cookie {
	t.Helper()
	var cookies []http.Cookie
	for _, token := range tokens {
		resp, err := client.Get(base + "/i/" + token)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == "assises_session" {
				cookies = append(cookies, http.Cookie{Name: c.Name, Value: c.Value})
			}
		}
	}
	if len(cookies) != len(tokens) {
		t.Fatalf("sessions: got %d, want %d", len(cookies), len(tokens))
	}
	return cookies
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within the test's time", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestSecondNodeOnSQLiteIsRefused: a second server on the same SQLite file stops at start
// with a message that says why and what to do; -cluster on SQLite is refused too.
func TestSecondNodeOnSQLiteIsRefused(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "assises.db")
	first := startNode(t, dsn, nil)
	client := &http.Client{Timeout: 10 * time.Second}
	waitReady(t, client, first.base+"/readyz")
	second := startNode(t, dsn, nil)
	select {
	case err := <-second.done:
		second.done <- err
		if err == nil || !strings.Contains(err.Error(), "only one node may serve") {
			t.Errorf("second node on the same SQLite file: got %v, want a refusal naming the rule", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the second node on the same SQLite file did not stop")
	}
	if got := getStatus(t, client, first.base+"/readyz"); got != "200 ready" {
		t.Errorf("the first node after the refusal: got %q, want 200 ready", got)
	}
	if _, err := parseConfig("serve", []string{"-db", dsn, "-cluster"}, io.Discard); err == nil || !strings.Contains(err.Error(), "needs PostgreSQL") {
		t.Errorf("-cluster on SQLite: got %v, want a refusal", err)
	}
}
