package hub

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire/wiretest"
	"github.com/assises/assises/internal/liveclient"
)

// wait is the generous bound on anything a test waits for: reaching it means the
// behaviour is missing, not that the machine is slow.
const wait = 30 * time.Second

const testWS = 12 // the workshop most tests use

type testEnv struct {
	t   *testing.T
	fb  *fakeBackend
	h   *Hub
	srv *httptest.Server
	url string
}

// newEnv starts a hub over fb behind an httptest server. The test handler stands in for
// the server's session check: the participant comes from the query (?p=7).
func newEnv(t *testing.T, fb *fakeBackend, opt func(*Config)) *testEnv {
	t.Helper()
	return newEnvWith(t, fb, opt, nil, nil)
}

// twoNodes starts two nodes of one backend joined by bus, with participants 1 and 2 of the
// workshop: a is 1 on the first node, b is 2 on the second (the backend is n1.fb).
func twoNodes(t *testing.T, bus Bus) (n1, n2 *testEnv, a, b *client) {
	t.Helper()
	fb := newFakeBackend()
	n1 = newEnv(t, fb, func(c *Config) { c.Bus = bus })
	n2 = newEnv(t, fb, func(c *Config) { c.Bus = bus })
	n1.member(1, "participant", false, 0)
	n1.member(2, "participant", false, 0)
	return n1, n2, n1.join(1, 0), n2.join(2, 0)
}

// newEnvWith is newEnv with hooks on the connection timers and on the server's listener
// (socket buffer sizes). Both run before the server starts.
func newEnvWith(t *testing.T, fb *fakeBackend, opt func(*Config), tune func(*timing), wrap func(net.Listener) net.Listener) *testEnv {
	t.Helper()
	cfg := Config{
		Backend:          fb,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		CheckOrigin:      func(r *http.Request) bool { return r.Header.Get("Origin") != "http://evil.example" },
		IdleRoomTimeout:  time.Minute,
		CoalesceInterval: 20 * time.Millisecond,
	}
	if opt != nil {
		opt(&cfg)
	}
	h := New(cfg)
	h.t = timing{
		writeWait:  2 * time.Second,
		pongWait:   5 * time.Second,
		pingPeriod: 4500 * time.Millisecond,
		helloWait:  3 * time.Second,
		closeGrace: 500 * time.Millisecond,
	}
	if tune != nil {
		tune(&h.t)
	}
	h.wire = h.wireOptions()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := strconv.ParseInt(r.URL.Query().Get("p"), 10, 64)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeWS(w, r, p, "fr", nil)
	}))
	if wrap != nil {
		srv.Listener = wrap(srv.Listener)
	}
	srv.Start()
	env := &testEnv{t: t, fb: fb, h: h, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: got %v, want nil", err)
		}
		srv.Close()
		if n := fb.overlaps.Load(); n != 0 {
			t.Errorf("overlapping commits: got %d, want 0", n)
		}
	})
	return env
}

// srvMsg is any server message, as the one client of the protocol reads it.
type srvMsg = liveclient.Message

// client is a test participant whose messages are read eagerly into msgs.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	msgs chan srvMsg
	err  error // read error, valid once msgs is closed
}

func (e *testEnv) dial(p int64) *client {
	e.t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(e.url+"?p="+strconv.FormatInt(p, 10), nil)
	if err != nil {
		e.t.Fatalf("dial: %v (%v)", err, resp)
	}
	c := &client{t: e.t, ws: ws, msgs: make(chan srvMsg, 10000)}
	go func() {
		defer close(c.msgs)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				c.err = err
				return
			}
			var m srvMsg
			if err := json.Unmarshal(b, &m); err != nil {
				c.err = fmt.Errorf("bad server JSON %q: %w", b, err)
				return
			}
			c.msgs <- m
		}
	}()
	e.t.Cleanup(func() { ws.Close() })
	return c
}

// hello dials participant p and sends hello with since (and the fake log's epoch, as a
// client that was welcomed before would), returning after the welcome.
func (e *testEnv) hello(p, since int64) *client {
	e.t.Helper()
	e.fb.mu.Lock()
	epoch := e.fb.epoch
	e.fb.mu.Unlock()
	return e.helloEpoch(p, since, epoch)
}

// helloEpoch is hello with an explicit epoch.
func (e *testEnv) helloEpoch(p, since, epoch int64) *client {
	e.t.Helper()
	c := e.dial(p)
	c.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS, "since": since, "epoch": epoch})
	c.expect("welcome")
	return c
}

// join says hello, then waits for the snapshot too when since is 0.
func (e *testEnv) join(p, since int64) *client {
	e.t.Helper()
	c := e.hello(p, since)
	if since == 0 {
		c.expect("snapshot")
	}
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// command sends a command and returns its id.
func (c *client) command(name string, args any) string {
	c.t.Helper()
	id := newID()
	c.send(map[string]any{"type": "command", "id": id, "name": name, "args": args})
	return id
}

// emit asks the fake backend to commit one event.
func (c *client) emit(name, audience string) string {
	c.t.Helper()
	return c.command("emit", map[string]any{"name": name, "audience": audience})
}

// next returns the next message that is not presence (presence comes at any time).
func (c *client) next() srvMsg {
	c.t.Helper()
	for {
		m := c.nextAny()
		if m.Type != "presence" {
			return m
		}
	}
}

func (c *client) nextAny() srvMsg {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("connection closed: %v", c.err)
		}
		return m
	case <-time.After(wait):
		c.t.Fatalf("no message within %v", wait)
	}
	panic("unreachable")
}

// expect reads the next non-presence message and checks its type.
func (c *client) expect(typ string) srvMsg {
	c.t.Helper()
	m := c.next()
	if m.Type != typ {
		c.t.Fatalf("message type: got %q (%+v), want %q", m.Type, m, typ)
	}
	return m
}

// until collects non-presence messages up to and including the first that matches.
// as makes the client report to t, a subtest, until the returned func gives it back.
func (c *client) as(t *testing.T) (restore func()) {
	parent := c.t
	c.t = t
	return func() { c.t = parent }
}

func (c *client) until(match func(srvMsg) bool) []srvMsg {
	c.t.Helper()
	var out []srvMsg
	for {
		m := c.next()
		out = append(out, m)
		if match(m) {
			return out
		}
	}
}

func isEvent(name string) func(srvMsg) bool {
	return func(m srvMsg) bool { return m.Type == "event" && m.Name == name }
}

func isAck(id string) func(srvMsg) bool {
	return func(m srvMsg) bool { return (m.Type == "ack" || m.Type == "reject") && m.ID == id }
}

// closed waits for the connection to end and returns the close code (-1 if none).
func (c *client) closed() int {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case _, ok := <-c.msgs:
			if !ok {
				var ce *websocket.CloseError
				if errors.As(c.err, &ce) {
					return ce.Code
				}
				return -1
			}
		case <-deadline:
			c.t.Fatalf("connection still open after %v", wait)
		}
	}
}

// eventSeqs keeps the seqs of the events among msgs.
func eventSeqs(msgs []srvMsg) []int64 {
	var out []int64
	for _, m := range msgs {
		if m.Type == "event" {
			out = append(out, m.Seq)
		}
	}
	return out
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wiretest.Eventually(t, wait, what, cond)
}

// member adds a participant to the fake backend.
func (e *testEnv) member(p int64, role string, moderator bool, group int64) {
	e.fb.setMember(Viewer{Participant: p, Role: role, Moderator: moderator, Group: group})
}

// theRoom returns the live room of the test workshop.
func (e *testEnv) theRoom() *room {
	e.t.Helper()
	e.h.mu.RLock()
	defer e.h.mu.RUnlock()
	r := e.h.rooms[testWS]
	if r == nil {
		e.t.Fatal("no room")
	}
	return r
}

// joinSlowReader joins participant p through a socket with a tiny receive buffer, reads the
// welcome and the snapshot, and from then on reads nothing: a phone whose network stalls.
func (e *testEnv) joinSlowReader(p int64) *websocket.Conn {
	e.t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, _, err := d.Dial(e.url+"?p="+strconv.FormatInt(p, 10), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	slow.WriteJSON(map[string]any{"type": "hello", "v": 1, "workshop": testWS})
	for _, want := range []string{"welcome", "snapshot"} {
		var m srvMsg
		for m.Type != want {
			if err := slow.ReadJSON(&m); err != nil {
				slow.Close()
				e.t.Fatalf("slow client's %s: %v", want, err)
			}
		}
	}
	return slow
}
