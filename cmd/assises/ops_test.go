package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/gorilla/websocket"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/internal/freeport"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/logs"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/mail/mailtest"
	"github.com/assises/assises/migrations"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// TestOperationsOfALiveSession runs the real server in this process on real sockets, with
// -metrics-addr, -log-format json and -v, and plays a short workshop: people follow their
// invitation links, a moderator opens a phase and posts a finding, two participants vote,
// one vote is refused, one command is made up. Then:
//   - /metrics shows the counts the session produced (commands by name and outcome, answers,
//     commit sizes, connections, rooms);
//   - on the stop signal /readyz turns 503 "draining" before the sockets close, /healthz
//     stays 200, every client is told to reconnect with close 1001, and serve returns;
//   - every log line parses as JSON, every request line has a request id (the proxy's own
//     when sane), and no line holds an invitation token, a session cookie or an email.
func TestOperationsOfALiveSession(t *testing.T) {
	storagetest.EachKind(t, func(t *testing.T, kind string) { liveSession(t, storagetest.DSN(t, kind)) })
}

// startRefusingRelay starts an SMTP server that refuses every recipient, quoting the address
// in its answer as real servers do: the server's log line about the failed email must not
// show it.
func startRefusingRelay(t *testing.T) string {
	t.Helper()
	return mailtest.Start(t, mailtest.Options{RefuseRcpt: func(to string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: no such user here"}
	}}).Addr
}

// node is a server started by startNode.
type node struct {
	base, metrics string
	log           *stack.Logs
	stop          context.CancelFunc
	done          chan error
}

// startNode runs serve in this process as main would, with args after the defaults.
func startNode(t *testing.T, dsn string, onDrain func(), args ...string) *node {
	t.Helper()
	port, mport := freeport.Port(t), freeport.Port(t)
	n := &node{base: fmt.Sprintf("http://127.0.0.1:%d", port), metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", mport),
		log: &stack.Logs{}, done: make(chan error, 1)}
	all := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-public-url", n.base, "-db", dsn,
		"-metrics-addr", fmt.Sprintf("127.0.0.1:%d", mport), "-log-format", "json", "-v"}, args...)
	cfg, err := parseConfig("serve", all, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.onDrain = onDrain
	logger, err := logs.New(n.log, cfg.logFormat, cfg.logLevel)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	go func() { n.done <- serve(ctx, cfg, logger, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-n.done:
		case <-time.After(2 * time.Minute):
			t.Error("the server did not stop")
		}
	})
	return n
}

// stopAndWait stops the node as a signal would and waits until serve has returned.
func (n *node) stopAndWait(ctx context.Context, t *testing.T) {
	t.Helper()
	n.stop()
	select {
	case err := <-n.done:
		n.done <- err // for the cleanup that waits on it too
	case <-ctx.Done():
		t.Fatal("the node did not stop")
	}
}

// seeded is a workshop starting now with a moderator and two participants, each with an
// invitation token and an email address.
type seeded struct {
	workshop int64
	tokens   []string // moderator first
	emails   []string
}

func seed(t *testing.T, dsn string) seeded {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, dsn, storage.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := migrations.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	p, w := fixture.Live(t, db, "ops")
	s := seeded{workshop: w.ID}
	invite := func(name string, role record.Role) {
		email := strings.ToLower(name) + ".secret@example.org"
		tokens, err := people.InviteAll(ctx, db, []people.NewParticipant{{
			ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: "Org " + name,
			Person: people.Person{DisplayName: name, Email: &email, Language: "fr"},
		}}, w, role, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens = append(s.tokens, tokens[0])
		s.emails = append(s.emails, email)
	}
	invite("Modératrice", record.RoleModerator)
	invite("Anne", "")
	invite("Bruno", "")
	return s
}

func liveSession(t *testing.T, dsn string) {
	s := seed(t, dsn)
	relay := startRefusingRelay(t)
	drained := make(chan string, 1)
	var n *node
	n = startNode(t, dsn, func() {
		// Runs once the stop signal has been taken, before any socket is closed.
		client := &http.Client{Timeout: 10 * time.Second}
		ready := getStatus(t, client, n.base+"/readyz")
		health := getStatus(t, client, n.base+"/healthz")
		drained <- fmt.Sprintf("readyz %s; healthz %s", ready, health)
	}, "-smtp-addr", relay)
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	waitReady(t, client, n.base+"/readyz")

	// Follow the invitation links like a browser; a proxy's request id on the first.
	var cookies []http.Cookie
	for i, token := range s.tokens {
		req, _ := http.NewRequest("GET", n.base+"/i/"+token, nil)
		if i == 0 {
			req.Header.Set("X-Request-Id", "proxy-id-42")
		} else {
			req.Header.Set("X-Request-Id", "forged id level=ERROR msg=x")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("invitation link: got %d, want 303", resp.StatusCode)
		}
		if got := resp.Header.Get("X-Request-Id"); (i == 0 && got != "proxy-id-42") || (i > 0 && (got == "" || strings.Contains(got, "forged"))) {
			t.Errorf("X-Request-Id answered %q", got)
		}
		var session *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "assises_session" {
				session = c
			}
		}
		if session == nil {
			t.Fatal("no session cookie after the invitation link")
		}
		cookies = append(cookies, http.Cookie{Name: session.Name, Value: session.Value})
	}

	// Someone registers on the public form with an address the relay refuses.
	const registered = "carla.secret@example.org"
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Timeout: 10 * time.Second, Jar: jar}
	form := fetch(t, browser, n.base+"/p/ops")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if csrf == nil {
		t.Fatalf("no registration form on the process page:\n%.2000s", form)
	}
	resp, err := browser.PostForm(n.base+"/p/ops/register", url.Values{"csrf": {csrf[1]}, "displayName": {"Carla"},
		"organisation": {"CPAS"}, "language": {"fr"}, "email": {registered}, "session": {strconv.FormatInt(s.workshop, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("registration: got %d, want 200", resp.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dial := func(c http.Cookie) *liveclient.Client {
		cl, err := liveclient.Dial(ctx, liveclient.Config{URL: "ws" + strings.TrimPrefix(n.base, "http") + "/ws",
			Origin: n.base, Cookie: c, Workshop: s.workshop})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	mod, anne, bruno := dial(cookies[0]), dial(cookies[1]), dial(cookies[2])
	do := func(c *liveclient.Client, name string, args any, wantCode string) liveclient.Outcome {
		t.Helper()
		out, err := c.Do(ctx, name, args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out.Code != wantCode {
			t.Fatalf("%s: got code %q, want %q", name, out.Code, wantCode)
		}
		return out
	}
	do(mod, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "agree"}, "")
	do(mod, "phase.set", map[string]any{"phase": "diagnostic"}, "")
	do(mod, "contribution.post", map[string]any{"kind": "finding", "body": "Les loyers montent"}, "")
	ev, err := anne.WaitEvent(ctx, func(m liveclient.Message) bool { return m.Name == "contribution.posted" })
	if err != nil {
		t.Fatalf("no contribution.posted event reached a participant: %v", err)
	}
	var d struct{ ID int64 }
	json.Unmarshal(ev.Data, &d)
	contribution := d.ID
	if contribution == 0 {
		t.Fatal("no contribution.posted event reached a participant")
	}
	do(anne, "vote.set", map[string]any{"contribution": contribution, "value": 1}, "")
	do(bruno, "vote.set", map[string]any{"contribution": contribution, "value": -1}, "")
	do(bruno, "vote.set", map[string]any{"contribution": contribution + 1000, "value": 1}, deliberation.CodeNotFound)
	do(anne, "made.up", map[string]any{}, deliberation.CodeUnknownCommand)

	// The page, while the three are connected.
	page := scrapeMetrics(t, n.metrics)
	want := map[string]float64{
		`assises_commands_total{command="vote.method.set",outcome="accepted"}`:   1,
		`assises_commands_total{command="phase.set",outcome="accepted"}`:         1,
		`assises_commands_total{command="contribution.post",outcome="accepted"}`: 1,
		`assises_commands_total{command="vote.set",outcome="accepted"}`:          2,
		`assises_commands_total{command="vote.set",outcome="not_found"}`:         1,
		`assises_commands_total{command="other",outcome="unknown_command"}`:      1,
		`assises_command_answer_seconds_count`:                                   7,
		`assises_commit_batch_commands_sum`:                                      7,
		`assises_connections`:                                                    3,
		`assises_rooms`:                                                          1,
		`assises_evictions_total`:                                                0,
	}
	for k, v := range want {
		if g, ok := page[k]; !ok || g != v {
			t.Errorf("metrics: %s: got %v (present %v), want %v", k, g, ok, v)
		}
	}
	for _, k := range []string{"assises_events_delivered_total", "assises_fanout_delay_seconds_count", "assises_db_open_connections", "assises_edge_open_connections", "process_resident_memory_bytes"} {
		if page[k] <= 0 {
			t.Errorf("metrics: %s: got %v, want > 0", k, page[k])
		}
	}
	// The refused email waits in the outbox for its retry (its first try may still be running:
	// waiting counts it either way).
	if g := page["assises_mail_outbox_waiting"]; g != 1 {
		t.Errorf("metrics: assises_mail_outbox_waiting: got %v, want 1 (the refused registration email)", g)
	}
	if g, ok := page["assises_mail_outbox_failed"]; !ok || g != 0 {
		t.Errorf("metrics: assises_mail_outbox_failed: got %v (present %v), want 0", g, ok)
	}
	if _, ok := page["assises_send_queue_frames"]; !ok {
		t.Error("metrics: no assises_send_queue_frames")
	}

	// The refused registration email goes through the outbox in the background: wait for the
	// worker's line about it, whose error quotes the relay (and so the address).
	for deadline := time.Now().Add(time.Minute); !strings.Contains(n.log.String(), "outbox: message not sent"); {
		if time.Now().After(deadline) {
			t.Fatal("the outbox never logged the refused email")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Stop: not ready first, then the clients are told to reconnect, then serve returns.
	n.stop()
	select {
	case got := <-drained:
		if got != "readyz 503 draining; healthz 200 ok" {
			t.Errorf("during the drain: got %s, want readyz 503 draining; healthz 200 ok", got)
		}
	case <-time.After(time.Minute):
		t.Fatal("the drain never began")
	}
	select {
	case err := <-n.done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
		n.done <- nil // for the cleanup
	case <-time.After(time.Minute):
		t.Fatal("serve did not return after the drain")
	}
	for i, c := range []*liveclient.Client{mod, anne, bruno} {
		select {
		case <-c.Done():
		case <-time.After(30 * time.Second):
			t.Fatalf("client %d still connected after the stop", i)
		}
		var ce *websocket.CloseError
		if err := c.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("client %d: closed with %v, want close 1001 (going away)", i, err)
		}
	}

	// The log: JSON line by line, request ids, no secret.
	secrets := append(append([]string{registered}, s.tokens...), s.emails...)
	for _, c := range cookies {
		secrets = append(secrets, c.Value)
	}
	var requests, proxied int
	sc := bufio.NewScanner(strings.NewReader(n.log.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("a log line is not JSON: %q: %v", line, err)
			continue
		}
		for _, secret := range secrets {
			if strings.Contains(line, secret) {
				t.Errorf("a log line holds a secret (%.6s…): %s", secret, line)
			}
		}
		if strings.Contains(line, "@") {
			t.Errorf("a log line holds an '@': %s", line)
		}
		if m["msg"] == "outbox: message not sent" {
			if e, _ := m["err"].(string); !strings.Contains(e, "550") {
				t.Errorf("the failed email's line does not give the relay's answer: %s", line)
			}
		}
		if m["msg"] == "http" {
			requests++
			id, _ := m["request_id"].(string)
			if id == "" || strings.ContainsAny(id, "\n =") {
				t.Errorf("a request line without a sane request id: %s", line)
			}
			if id == "proxy-id-42" {
				proxied++
			}
		}
	}
	if requests < len(s.tokens)+3 {
		t.Errorf("got %d request lines, want at least %d (-v logs every request)", requests, len(s.tokens)+3)
	}
	if proxied != 1 {
		t.Errorf("got %d lines with the proxy's request id, want 1", proxied)
	}
}

// TestReadyWhileMigrating holds PostgreSQL's migration lock, as a node already migrating
// would, and starts a server: it listens, answers /healthz 503 "starting", /readyz 503
// "migrating" and every page 503, and becomes ready once the lock is let go.
func TestReadyWhileMigrating(t *testing.T) {
	// Only PostgreSQL: a SQLite migration cannot be held from outside the process (DSN skips
	// without a PostgreSQL).
	dsn := storagetest.DSN(t, "postgres")
	ctx := context.Background()
	db := storagetest.Connect(t, dsn, storage.Options{MaxOpenConns: 1})
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?, hashtext(current_schema()))", migrationLockClass); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, dsn, nil)
	client := &http.Client{Timeout: 10 * time.Second}
	waitAnswer(t, client, n.base+"/readyz")
	for _, c := range []struct{ path, want string }{
		{"/readyz", "503 migrating"},
		{"/healthz", "503 starting"},
		{"/", "503 migrating"},
	} {
		if got := getStatus(t, client, n.base+c.path); got != c.want {
			t.Errorf("%s while migrating: got %s, want %s", c.path, got, c.want)
		}
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?, hashtext(current_schema()))", migrationLockClass); err != nil {
		t.Fatal(err)
	}
	waitReady(t, client, n.base+"/readyz")
	if got := getStatus(t, client, n.base+"/readyz"); got != "200 ready" {
		t.Errorf("after the migrations: got %s, want 200 ready", got)
	}
}

// migrationLockClass is migrations' advisoryLockClass (exported to its own tests only).
const migrationLockClass = 72_451_130

// getStatus answers "<code> <status field>" of a JSON health answer.
func getStatus(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		return "error " + err.Error()
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&body)
	return strconv.Itoa(resp.StatusCode) + " " + body.Status
}

// waitAnswer waits until u answers at all (the listener is up).
func waitAnswer(t *testing.T, c *http.Client, u string) {
	t.Helper()
	waitStatus(t, c, u, "answered", func(int) bool { return true })
}

// waitReady waits until u answers 200.
func waitReady(t *testing.T, c *http.Client, u string) {
	t.Helper()
	waitStatus(t, c, u, "answered 200", func(code int) bool { return code == http.StatusOK })
}

// waitStatus waits until u answers with a status that ok accepts; past a generous two minutes
// it fails the test: the server never came up.
func waitStatus(t *testing.T, c *http.Client, u, what string, ok func(code int) bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(u); err == nil {
			resp.Body.Close()
			if ok(resp.StatusCode) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never %s", u, what)
}

// scrapeMetrics reads the page into series → value; every line must be the text format.
func scrapeMetrics(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("metrics Content-Type %q, want text/plain", ct)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[max(i, 0)+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("not a sample: %q", line)
		}
		out[line[:i]] = v
	}
	return out
}
