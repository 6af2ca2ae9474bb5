package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub"
	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/storage/storagetest"
)

// TestSocketCapAcrossNodes: one person's sockets count on every node. Node A runs in this
// process, node B is the real binary so that it can be killed with SIGKILL. Three tabs on A
// and two on B are fine; a sixth on either node closes the person's oldest, wherever it
// is, with 4001 "too many tabs" as one node does; once B is killed, its sockets no longer
// count and the person may hold five on A.
func TestSocketCapAcrossNodes(t *testing.T) {
	dsn := storagetest.DSN(t, "postgres")
	bin := buildBinary(t)
	s := seed(t, dsn)
	a := startNode(t, dsn, nil, "-cluster")
	b := startProcessNode(t, bin, dsn, "-cluster")
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	waitReady(t, client, a.base+"/readyz")
	waitReady(t, client, b.base+"/readyz")
	anne := signIn(t, client, a.base, s.tokens[1:2])[0]

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tab := func(n *node) *liveclient.Client {
		// Nodes rank sockets by the millisecond they opened in: keep them apart.
		time.Sleep(2 * time.Millisecond)
		return dialNode(ctx, t, n, anne, s.workshop)
	}
	tooMany := func(what string, c *liveclient.Client) {
		t.Helper()
		select {
		case <-c.Done():
		case <-ctx.Done():
			t.Fatalf("%s: still open", what)
		}
		var ce *websocket.CloseError
		if err := c.Err(); !errors.As(err, &ce) || ce.Code != hub.CloseTooManyTabs || ce.Text != "too many tabs" {
			t.Fatalf("%s: closed with %v, want %d too many tabs", what, err, hub.CloseTooManyTabs)
		}
	}
	open := func(what string, tabs ...*liveclient.Client) {
		t.Helper()
		for i, c := range tabs {
			select {
			case <-c.Done():
				t.Errorf("%s: tab %d closed: %v", what, i+1, c.Err())
			default:
			}
		}
	}

	// A closed tab is gone from node A's count (and so from what it tells node B).
	sockets := func(what string, want float64) {
		t.Helper()
		waitFor(t, ctx, what, func() bool { return scrapeMetrics(t, a.metrics)["assises_connections"] == want })
	}

	a1, a2, a3 := tab(a), tab(a), tab(a)
	b1, b2 := tab(b), tab(b)
	// A sixth on node B closes the oldest, on node A.
	b3 := tab(b)
	tooMany("the oldest tab (node A) after a sixth on node B", a1)
	open("after a sixth on node B", a2, a3, b1, b2, b3)
	// A sixth on node A: the oldest is on A too.
	a4 := tab(a)
	tooMany("the oldest tab (node A) after a sixth on node A", a2)
	open("after a sixth on node A", a3, b1, b2, b3, a4)
	// A sixth on node A when the oldest is on node B.
	a3.Close()
	sockets("node A without the closed tab", 1)
	a5 := tab(a)
	a6 := tab(a)
	tooMany("the oldest tab (node B) after a sixth on node A", b1)
	open("after a sixth on node A, the oldest on node B", b2, b3, a4, a5, a6)

	// Node B's sockets are now the newest of five; B dies with them. The tabs opened on A
	// after its death are not closed for them, and once it is past expiry A holds five.
	a5.Close()
	a6.Close()
	sockets("node A with one tab", 1)
	b4, b5 := tab(b), tab(b)
	open("two more on node B", b2, b3, a4, b4, b5)
	b.stop()
	for _, c := range []*liveclient.Client{b2, b3, b4, b5} {
		select {
		case <-c.Done():
		case <-ctx.Done():
			t.Fatal("a tab on the killed node stays open")
		}
	}
	// What node B said last reaches node A long before the next tab: a node's sockets count
	// against changes made before its last word was heard.
	time.Sleep(time.Second)
	a7, a8, a9, a10 := tab(a), tab(a), tab(a), tab(a)
	// Long past the settle and the expiry (1.5 s and 3 s): any wrong close would be done.
	time.Sleep(6 * time.Second)
	open("five on node A after node B was killed with four", a4, a7, a8, a9, a10)
	a11 := tab(a)
	tooMany("the oldest tab after a sixth on node A alone", a4)
	open("five on node A", a7, a8, a9, a10, a11)
}

// startProcessNode runs the real binary as a node of its own, which stop kills with SIGKILL:
// it says nothing more to the other nodes and cleans nothing up.
func startProcessNode(t *testing.T, bin, dsn string, args ...string) *node {
	t.Helper()
	port := freeport.Port(t)
	n := &node{base: fmt.Sprintf("http://127.0.0.1:%d", port), log: &stack.Logs{}, done: make(chan error, 1)}
	cmd := exec.Command(bin, append([]string{"serve", "-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"-public-url", n.base, "-db", dsn, "-log-format", "json"}, args...)...)
	cmd.Stdout, cmd.Stderr = n.log, n.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.done <- cmd.Wait() }()
	n.stop = func() { cmd.Process.Kill() }
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-n.done
		if t.Failed() {
			t.Logf("node B's log:\n%s", n.log.String())
		}
	})
	return n
}
