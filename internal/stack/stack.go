// Package stack assembles the whole product for end-to-end tests: a real database (SQLite or
// PostgreSQL), the deliberation engine, the hub and the HTTP server behind httptest, plus
// helpers to create a workshop and sign people in, and liveclient connections to it.
package stack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/cluster"
	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/frontend"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/live"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server"
	"github.com/assises/assises/storage/storagetest"
)

// Stack is one running product.
type Stack struct {
	DB      *bun.DB
	Hub     *hub.Hub
	Server  *httptest.Server
	Process *record.Process
	Logs    *Logs
	opts    Options
}

// Options tune the hub for a test (zero values: the product's defaults).
type Options struct {
	Hub func(*hub.Config)
	// Engine configures the deliberation engine: a test of timers injects the server clock.
	Engine deliberation.EngineOptions
	// DB, when set, is used instead of a fresh database (already migrated; the caller closes
	// it): a test of a small connection pool opens its own.
	DB *bun.DB
	// Deadlines of the HTTP server (zero: the product's); a test of the edge shortens them.
	Deadlines server.Deadlines
	// Cluster makes the stack a node of several on PostgreSQL (package cluster), as
	// -cluster does: Peer starts the others.
	Cluster bool
	// Now is the site's clock (nil: time.Now); a test of what the site remembers moves it.
	Now func() time.Time
}

// New starts the product on a fresh database of the given kind ("sqlite" or "postgres").
func New(t testing.TB, kind string, opts Options) *Stack {
	t.Helper()
	db := opts.DB
	if db == nil {
		db = storagetest.Open(t, kind)
	}
	s := node(t, db, opts)
	s.Process = &record.Process{Slug: "test", Title: "Assises de test", Capacity: 40, PerOrgCap: 2, InvitationRequired: true}
	if err := process.Create(context.Background(), db, s.Process); err != nil {
		t.Fatal(err)
	}
	return s
}

// Each runs fn on a whole product over each database the tests run on (storagetest.Kinds).
func Each(t *testing.T, opts Options, fn func(t *testing.T, s *Stack)) {
	for _, kind := range storagetest.Kinds {
		t.Run(kind, func(t *testing.T) { fn(t, New(t, kind, opts)) })
	}
}

// Peer starts another node of a Cluster stack: its own engine, hub and HTTP server on the
// same database, sharing the stack's process.
func (s *Stack) Peer(t testing.TB) *Stack {
	t.Helper()
	if !s.opts.Cluster {
		t.Fatal("stack: Peer of a stack without Options.Cluster")
	}
	p := node(t, s.DB, s.opts)
	p.Process = s.Process
	return p
}

// node starts the engine, the hub and the HTTP server on db.
func node(t testing.TB, db *bun.DB, opts Options) *Stack {
	t.Helper()
	logs := &Logs{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var handler http.Handler
	// The product's http.Server (its header and idle deadlines), as cmd/assises makes it.
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = server.HTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }), opts.Deadlines)
	srv.Start()
	public, _ := url.Parse(srv.URL)
	catalog, err := i18n.Load(frontend.Catalogs, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	engine := opts.Engine
	engine.DueByLease = opts.Cluster // as cmd/assises: the lease holder flushes the tallies due
	cfg := hub.Config{
		Backend:     live.New(deliberation.NewEngine(db, engine)),
		Logger:      logger,
		CheckOrigin: server.SameOrigin(public),
		Translate:   catalog.Refusal,
	}
	var bus *cluster.Bus
	if opts.Cluster {
		bus, err = cluster.Start(context.Background(), db, cluster.Options{Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Bus, cfg.Presence, cfg.Sockets = bus, bus.Presence, bus.Sockets
		cfg.Ticks = cluster.NewLeases(db, bus.Node(), 2*time.Second, logger)
	}
	if opts.Hub != nil {
		opts.Hub(&cfg)
	}
	rooms := hub.New(cfg)
	handler, err = server.New(server.Config{DB: db, Hub: rooms, PublicURL: public, Logger: logger, Catalog: catalog, Deadlines: opts.Deadlines, Now: opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	s := &Stack{DB: db, Hub: rooms, Server: srv, Logs: logs, opts: opts}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rooms.Shutdown(ctx)
		srv.Close()
		if bus != nil {
			bus.Close()
		}
	})
	return s
}

// Workshop creates a workshop session of the stack's process.
func (s *Stack) Workshop(t testing.TB, title string) *record.Workshop {
	t.Helper()
	start := time.Now().UTC().Truncate(time.Minute)
	w := &record.Workshop{ProcessID: s.Process.ID, Title: title, StartsAt: start, EndsAt: start.Add(210 * time.Minute), Place: "COOP"}
	if err := process.CreateWorkshop(context.Background(), s.DB, w); err != nil {
		t.Fatal(err)
	}
	return w
}

// Person is someone signed in.
type Person struct {
	Participant *record.Participant
	Cookie      http.Cookie
}

// Join creates a participant of the process from an organisation, registers them (confirmed)
// in the given workshops, and signs them in. A moderator is appointed in those workshops.
func (s *Stack) Join(t testing.TB, name, organisation string, role record.Role, workshops ...*record.Workshop) Person {
	t.Helper()
	ctx := context.Background()
	processRole := role
	if role == record.RoleModerator {
		processRole = record.RoleParticipant
	}
	p, err := people.CreateParticipant(ctx, s.DB, people.NewParticipant{
		ProcessID: &s.Process.ID, Role: processRole, Organisation: organisation,
		Person: people.Person{DisplayName: name, Language: "fr"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range workshops {
		if err := people.AddRegistration(ctx, s.DB, w, p.ID, record.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}
		if role == record.RoleModerator {
			if err := people.SetWorkshopRole(ctx, s.DB, w.ID, p.ID, record.RoleModerator); err != nil {
				t.Fatal(err)
			}
		}
	}
	token, err := people.CreateSession(ctx, s.DB, p.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return Person{Participant: p, Cookie: http.Cookie{Name: "assises_session", Value: token}}
}

// Browser is an HTTP client of the stack's site signed in as p (nil: an anonymous reader), with
// cookies of its own; it does not follow redirects, so a test sees each answer.
func (s *Stack) Browser(t testing.TB, p *Person) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	if p != nil {
		u, _ := url.Parse(s.Server.URL)
		c := p.Cookie
		jar.SetCookies(u, []*http.Cookie{&c})
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// Config returns the liveclient configuration for a person joining a workshop.
func (s *Stack) Config(p Person, w *record.Workshop) liveclient.Config {
	return liveclient.Config{
		URL:      "ws" + strings.TrimPrefix(s.Server.URL, "http") + "/ws",
		Origin:   s.Server.URL,
		Cookie:   p.Cookie,
		Workshop: w.ID,
	}
}

// Connect joins a workshop over a real WebSocket; the connection is closed at the end of the test.
func (s *Stack) Connect(t testing.TB, p Person, w *record.Workshop) *liveclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := liveclient.Dial(ctx, s.Config(p, w))
	if err != nil {
		t.Fatalf("%s joins workshop %d: %v", p.Cookie.Name, w.ID, err)
	}
	t.Cleanup(c.Close)
	return c
}

// Post posts a contribution through c and returns its id. The hub sends a command's events
// before its ack, so the contribution.posted event is already here: it is the last one at or
// before the ack's seq (the ack's seq itself may be a moderators-only event this person
// cannot see).
func Post(t testing.TB, c *liveclient.Client, args map[string]any) int64 {
	t.Helper()
	out := MustDo(t, c, "contribution.post", args)
	var ev liveclient.Message
	for _, e := range c.Events() {
		if e.Name == "contribution.posted" && e.Seq <= out.Seq {
			ev = e
		}
	}
	var data struct{ ID int64 }
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.ID == 0 {
		t.Fatalf("no contribution.posted at or before ack seq %d: %q", out.Seq, ev.Data)
	}
	return data.ID
}

// outcome sends a command and waits for its answer, failing the test if none comes.
func outcome(t testing.TB, c *liveclient.Client, name string, args any) liveclient.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := c.Do(ctx, name, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// MustDo sends a command and fails the test unless it is acknowledged.
func MustDo(t testing.TB, c *liveclient.Client, name string, args any) liveclient.Outcome {
	t.Helper()
	out := outcome(t, c, name, args)
	if !out.Accepted() {
		t.Fatalf("%s %v: refused with %s (%s)", name, args, out.Code, out.Message)
	}
	return out
}

// MustRefuse sends a command and fails the test unless it is refused with code.
func MustRefuse(t testing.TB, c *liveclient.Client, code, name string, args any) {
	t.Helper()
	if out := outcome(t, c, name, args); out.Code != code {
		t.Fatalf("%s %v: got %q, want refusal %q", name, args, out.Code, code)
	}
}

// Logs collects log lines (tests check that no token or personal data reaches them).
type Logs struct {
	mu  sync.Mutex
	buf strings.Builder
}

// Write appends to the log.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Ctx is a context for one step of a test: generous, so a slow machine never fails a test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
