package server_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server"
	"github.com/assises/assises/server/sitetest"
	"github.com/assises/assises/storage/storagetest"
)

// deadlineSite serves the product (without live rooms) with the http.Server of
// server.HTTPServer and the deadlines d, as cmd/assises does.
func deadlineSite(t *testing.T, d server.Deadlines) *sitetest.Site {
	t.Helper()
	return edgeSite(t, server.Config{Deadlines: d})
}

// edgeSite is deadlineSite with more of the server's configuration (its DB, PublicURL and
// Logger are filled in). A test that watches the server's side of its connections passes
// wrap, which gets the server's listener before it starts.
func edgeSite(t *testing.T, cfg server.Config, wrap ...func(net.Listener) net.Listener) *sitetest.Site {
	t.Helper()
	d := cfg.Deadlines
	db := storagetest.Open(t, "sqlite")
	logs := &stack.Logs{}
	s := &sitetest.Site{DB: db, Logs: logs}
	var handler http.Handler
	s.Server = httptest.NewUnstartedServer(nil)
	for _, w := range wrap {
		s.Server.Listener = w(s.Server.Listener)
	}
	s.Server.Config = server.HTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }), d)
	s.Server.Start()
	t.Cleanup(s.Server.Close)
	u, _ := url.Parse(s.Server.URL)
	cfg.DB, cfg.PublicURL, cfg.Logger = db, u, slog.New(slog.NewTextHandler(logs, nil))
	h, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handler = h
	return s
}

// trickle opens a raw TCP connection, writes head, then one byte every 50 ms (as a hostile
// client that keeps a connection alive with the least work) until the server closes it. It
// returns how long the server took to close it, or fails the test after bound.
func trickle(t *testing.T, addr, head string, bound time.Duration) time.Duration {
	t.Helper()
	// Before the dial: the server's clock for the deadline starts when it accepts, never earlier.
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	// Read whatever the server answers (a refusal of the half-sent form) until it closes.
	c.SetReadDeadline(start.Add(bound))
	_, err = io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was still open after %v: not cut", bound)
	}
	return time.Since(start)
}

func slowHeader(host string) string {
	return "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nX-Slow: "
}

func slowBody(method, path, host string, header ...string) string {
	h := method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 900000\r\n"
	for i := 0; i+1 < len(header); i += 2 {
		h += header[i] + ": " + header[i+1] + "\r\n"
	}
	return h + "\r\n"
}

// TestSlowClientsAreCut: a client that trickles its headers, or the body of an anonymous form,
// or the body of a signed-in change, is cut by the deadline of that route (short ones here),
// never before it, while other clients are served.
func TestSlowClientsAreCut(t *testing.T) {
	d := server.Deadlines{Header: 300 * time.Millisecond, Form: 300 * time.Millisecond, Body: 1500 * time.Millisecond}
	s := deadlineSite(t, d)
	c, csrf := s.OrganiserDesk(t)
	u, _ := url.Parse(s.Server.URL)
	var session string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "assises_session" {
			session = ck.Value
		}
	}
	addr := u.Host
	tests := []struct {
		name string
		head string
		want time.Duration
	}{
		{"headers", slowHeader(addr), d.Header},
		{"anonymous form body", slowBody("POST", "/join/request", addr), d.Form},
		{"signed-in body", slowBody("POST", "/api/organise/processes", addr, "Cookie", "assises_session="+session, "X-CSRF-Token", csrf), d.Body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			took := trickle(t, addr, tt.head, 60*time.Second)
			if took < tt.want {
				t.Errorf("cut after %v, before its deadline %v", took, tt.want)
			}
			t.Logf("cut after %v (deadline %v)", took, tt.want)
			if resp, _ := sitetest.Get(t, s.Client(t), s.Server.URL+"/healthz"); resp.StatusCode != 200 {
				t.Errorf("healthz: got %d, want 200", resp.StatusCode)
			}
		})
	}
	n, err := s.DB.NewSelect().Model((*record.Process)(nil)).Count(t.Context())
	if err != nil || n != 0 {
		t.Errorf("processes after a cut body: %d (%v), want 0", n, err)
	}
}

// TestSlowClientsAreCutWithProductionDeadlines: the same with the deadlines the binary uses,
// from a raw TCP client: cut after the header deadline (10 s) and the form's body deadline
// (10 s), well within a bound.
func TestSlowClientsAreCutWithProductionDeadlines(t *testing.T) {
	if testing.Short() {
		t.Skip("takes the production deadlines (10 s)")
	}
	s := deadlineSite(t, server.DefaultDeadlines)
	addr := strings.TrimPrefix(s.Server.URL, "http://")
	tests := []struct {
		name string
		head string
		want time.Duration
	}{
		{"headers", slowHeader(addr), server.DefaultDeadlines.Header},
		{"anonymous form body", slowBody("POST", "/join/request", addr), server.DefaultDeadlines.Form},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			took := trickle(t, addr, tt.head, tt.want+50*time.Second)
			if took < tt.want {
				t.Errorf("cut after %v, before its deadline %v", took, tt.want)
			}
			t.Logf("cut after %v (deadline %v)", took, tt.want)
		})
	}
}

// TestWebSocketOutlivesDeadlines: once upgraded, a socket is not cut by the HTTP deadlines
// (its own pongs keep it): after several of them have passed, a command is acknowledged.
func TestWebSocketOutlivesDeadlines(t *testing.T) {
	short := 100 * time.Millisecond
	s := stack.New(t, "sqlite", stack.Options{Deadlines: server.Deadlines{Header: short, Body: short, Form: short, Idle: short}})
	w := s.Workshop(t, "A")
	mod := s.Connect(t, s.Join(t, "M", "Org M", record.RoleModerator, w), w)
	time.Sleep(10 * short) // a lower bound: the deadlines have passed, however slow the machine
	stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
	select {
	case <-mod.Done():
		t.Fatalf("the socket closed: %v", mod.Err())
	default:
	}
}

// TestProxiedClientRequestsBounded: behind a trusted reverse proxy every client shares the
// proxy's connections, so the server bounds the requests in progress of each forwarded client
// instead: one more from the same client gets 503, another client is served.
func TestProxiedClientRequestsBounded(t *testing.T) {
	s := edgeSite(t, server.Config{MaxPerAddress: 2, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Deadlines: server.Deadlines{Form: time.Minute}})
	addr := strings.TrimPrefix(s.Server.URL, "http://")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, slowBody("POST", "/join/request", addr, "X-Forwarded-For", "203.0.113.5"))
		held = append(held, c)
	}
	status := func(client string) int {
		req, _ := http.NewRequest("GET", s.Server.URL+"/healthz", nil)
		req.Header.Set("X-Forwarded-For", client)
		resp, _ := sitetest.Do(t, &http.Client{Timeout: 30 * time.Second}, req)
		return resp.StatusCode
	}
	// The two trickling requests are in progress once a third one of theirs is refused; the
	// poll is a barrier (their headers are being read), bounded generously.
	deadline := time.Now().Add(30 * time.Second)
	for status("203.0.113.5") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("a third request of a client with two in progress was served, want 503")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := status("203.0.113.6"); got != http.StatusOK {
		t.Fatalf("another client behind the proxy: got %d, want 200", got)
	}
	for _, c := range held {
		c.Close()
	}
	deadline = time.Now().Add(30 * time.Second)
	for status("203.0.113.5") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the client was not served again after its requests ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
