// Package sitetest serves the whole site over a real database for the tests of package
// server and of its packages (door, register, notebooks, organise): a site on a loopback
// address, browsers with cookies of their own, forms and JSON sent as a page and its script
// send them, a real SMTP server that keeps what it receives, and a process open for
// registration. Nothing here is mocked: the site is server.New's.
package sitetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server"
	"github.com/assises/assises/storage/storagetest"
)

// Site is the product's site (without live rooms) served over a real database.
type Site struct {
	DB     *bun.DB
	Server *httptest.Server
	Logs   *stack.Logs
	Outbox *outbox.Worker // with Options.Mail: the Email queued, sent when the test says (SendMail)
}

// Options change the site a test stands on; the zero value is the usual one.
type Options struct {
	Mail      *mail.Sender     // nil: no Email
	PublicURL string           // "": the test server's own address
	Now       func() time.Time // nil: the clock
}

// New serves the site over db until the test ends.
func New(t testing.TB, db *bun.DB, opts Options) *Site {
	t.Helper()
	logs := &stack.Logs{}
	s := &Site{DB: db, Logs: logs}
	var handler http.Handler
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(s.Server.Close)
	public := opts.PublicURL
	if public == "" {
		public = s.Server.URL
	}
	u, _ := url.Parse(public)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Mail != nil {
		s.Outbox = outbox.NewWorker(outbox.Worker{DB: db, Transport: opts.Mail, Log: logger})
	}
	h, err := server.New(server.Config{DB: db, PublicURL: u, Mail: opts.Mail, Outbox: s.Outbox, Logger: logger, Now: opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	handler = h
	return s
}

// Each runs fn on each database the tests run on (storagetest.Kinds), with the site served
// over it.
func Each(t *testing.T, fn func(t *testing.T, s *Site)) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) { fn(t, New(t, db, Options{})) })
}

// OnSQLite serves the site over a fresh SQLite database, for the tests whose subject is the
// site itself rather than what the database does.
func OnSQLite(t testing.TB) *Site {
	t.Helper()
	return New(t, storagetest.Open(t, "sqlite"), Options{})
}

// SessionUnderWay stores a process with one session that started now and lasts an hour.
func (s *Site) SessionUnderWay(t testing.TB) *record.Workshop {
	t.Helper()
	ctx := context.Background()
	p := &record.Process{Slug: "p", Title: "P", Capacity: 40, PerOrgCap: 2}
	if err := process.Create(ctx, s.DB, p); err != nil {
		t.Fatal(err)
	}
	w := &record.Workshop{ProcessID: p.ID, Title: "Atelier", StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}
	if err := process.CreateWorkshop(ctx, s.DB, w); err != nil {
		t.Fatal(err)
	}
	return w
}

// SendMail hands the queued email to the SMTP server, as the background sender would.
func (s *Site) SendMail(t testing.TB) {
	t.Helper()
	if _, err := s.Outbox.SendDue(context.Background()); err != nil {
		t.Fatalf("outbox: %v", err)
	}
}

// Client returns a browser: an HTTP client with its own cookies that does not follow
// redirects, so that a test sees each answer.
func (s *Site) Client(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// SignInAs signs a fresh browser in as participant p through an invitation link.
func (s *Site) SignInAs(t testing.TB, p int64, workshop *int64) *http.Client {
	t.Helper()
	token, _, err := people.CreateInvitation(context.Background(), s.DB, p, workshop, time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(t)
	if resp, _ := Get(t, c, s.Server.URL+"/i/"+token); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: got %d, want 303", resp.StatusCode)
	}
	return c
}

// CSRFAttr is where a page hands its script the session's CSRF token.
var CSRFAttr = regexp.MustCompile(`data-csrf="([^"]+)"`)

// OrganiserDesk signs the platform organiser in and returns the browser and the CSRF token
// the organiser page carries.
func (s *Site) OrganiserDesk(t testing.TB) (*http.Client, string) {
	t.Helper()
	org, _, err := people.EnsurePlatformOrganiser(context.Background(), s.DB)
	if err != nil {
		t.Fatal(err)
	}
	c := s.SignInAs(t, org.ID, nil)
	return c, PageCSRF(t, c, s.Server.URL+"/organise")
}

// PageCSRF loads a page and returns the CSRF token it carries for its script.
func PageCSRF(t testing.TB, c *http.Client, u string) string {
	t.Helper()
	resp, body := Get(t, c, u)
	m := CSRFAttr.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil || len(m[1]) < 40 {
		t.Fatalf("%s: status %d, no CSRF token", u, resp.StatusCode)
	}
	return m[1]
}

// Do sends req with the given header pairs (name, value, …) and returns the answer and its
// body.
func Do(t testing.TB, c *http.Client, req *http.Request, header ...string) (*http.Response, string) {
	t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Get loads u with the given header pairs.
func Get(t testing.TB, c *http.Client, u string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return Do(t, c, req, header...)
}

// Call sends a JSON request with the CSRF token ("" for none) and decodes the JSON answer
// into out (when not nil). It returns the status.
func Call(t testing.TB, c *http.Client, method, u, csrf string, in, out any, header ...string) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, body)
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, raw := Do(t, c, req, header...)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal([]byte(raw), out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, u, raw, err)
		}
	}
	return resp.StatusCode
}

// APIError is the error a JSON route answers with.
type APIError struct {
	Error struct{ Code, Field, Message string } `json:"error"`
}

var (
	inline = regexp.MustCompile(`<script(?:\s+type="module")?>|<script(?:[^>]*)>[^<]+</script>|\sstyle="|\son[a-z]+="`)
	// resultPath is where a registration's answer sends the browser.
	resultPath = regexp.MustCompile(`^/p/[a-z0-9-]+/registered\?lang=(fr|nl|en)$`)
	// Link is a personal link as pages and emails print it.
	Link = regexp.MustCompile(`https?://[^\s"<]+/i/[A-Za-z0-9_-]{43}`)
)

// CSRFField is the hidden field of a form that carries its CSRF token.
var CSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// NoInline fails the test when a page breaks the CSP: an inline script, style or handler.
func NoInline(t testing.TB, what, body string) {
	t.Helper()
	if m := inline.FindString(body); m != "" {
		t.Errorf("%s: inline script or style %q", what, m)
	}
}

// FormToken loads a page and returns the CSRF token of its first form.
func FormToken(t testing.TB, c *http.Client, u string) string {
	t.Helper()
	resp, body := Get(t, c, u)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: got %d, want 200", u, resp.StatusCode)
	}
	m := CSRFField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s: no CSRF field in the form", u)
	}
	return m[1]
}

// PostForm posts form values and returns the answer.
func PostForm(t testing.TB, c *http.Client, u string, v url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return Do(t, c, req, header...)
}

// Register posts the registration form and, when it was taken, follows the answer's redirect
// to the result page as a browser does (Post/Redirect/Get). It returns the result page, or
// the refused form.
func Register(t testing.TB, c *http.Client, action string, v url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	resp, body := PostForm(t, c, action, v, header...)
	if resp.StatusCode != http.StatusSeeOther {
		return resp, body
	}
	loc := resp.Header.Get("Location")
	if !resultPath.MatchString(loc) {
		t.Fatalf("registration redirects to %q, want /p/{slug}/registered?lang=…", loc)
	}
	base, _ := url.Parse(action)
	next, _ := base.Parse(loc)
	return Get(t, c, next.String())
}

// Inbox is a real SMTP server on loopback that keeps what it receives.
type Inbox struct {
	mu       sync.Mutex
	messages []Email
}

// Email is one received message, decoded: envelope recipient, subject and both parts.
type Email struct {
	To, Subject, Text, HTML string
}

// NewSession serves one SMTP connection (smtp.Backend).
func (in *Inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{in: in}, nil }

// smtpSession keeps one connection's recipient and hands each message to the inbox.
type smtpSession struct {
	in *Inbox
	to string
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := decodeEmail(raw)
	if err != nil {
		return err
	}
	m.To = s.to
	s.in.mu.Lock()
	s.in.messages = append(s.in.messages, m)
	s.in.mu.Unlock()
	return nil
}

func decodeEmail(raw []byte) (Email, error) {
	parsed, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Email{}, err
	}
	var m Email
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject")); err != nil {
		return Email{}, err
	}
	_, params, err := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
	if err != nil {
		return Email{}, err
	}
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Email{}, err
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		ctype, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ctype {
		case "text/plain":
			m.Text = string(b)
		case "text/html":
			m.HTML = string(b)
		}
	}
	return m, nil
}

// All returns the messages received so far.
func (in *Inbox) All() []Email {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Email(nil), in.messages...)
}

// StartInbox starts the SMTP server and returns a sender that delivers to it.
func StartInbox(t testing.TB) (*Inbox, *mail.Sender) {
	t.Helper()
	in := &Inbox{}
	return in, mail.New(mail.Config{Addr: ServeSMTP(t, in), From: "Assises <assises@example.org>"})
}

// ServeSMTP serves backend as an SMTP server on loopback until the test ends and returns its
// address.
func ServeSMTP(t testing.TB, backend smtp.Backend) string {
	t.Helper()
	srv := smtp.NewServer(backend)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// Fixture is a process open for registration: two future sessions (the second with one
// place) and one that is over.
type Fixture struct {
	Proc              *record.Process
	Open, Small, Past *record.Workshop
}

// NewFixture stores the fixture's process and sessions.
func NewFixture(t testing.TB, db *bun.DB) Fixture {
	t.Helper()
	ctx := context.Background()
	f := Fixture{Proc: &record.Process{Slug: "assises", Title: "Assises du Logement", Capacity: 3, PerOrgCap: 1, InvitationRequired: true}}
	if err := process.Create(ctx, db, f.Proc); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	mk := func(title string, starts time.Time, capacity int) *record.Workshop {
		w := &record.Workshop{ProcessID: f.Proc.ID, Title: title, StartsAt: starts, EndsAt: starts.Add(3 * time.Hour), Place: "COOP", Capacity: capacity}
		if err := process.CreateWorkshop(ctx, db, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	f.Open = mk("Atelier logement", start, 0)
	f.Small = mk("Atelier emploi", start.Add(24*time.Hour), 1)
	f.Past = mk("Atelier passé", start.Add(-30*24*time.Hour), 0)
	return f
}

// Person creates a participant of the fixture's process, confirmed in the given workshops.
func (f Fixture) Person(t testing.TB, db *bun.DB, name, org string, Email *string, workshops ...*record.Workshop) *record.Participant {
	t.Helper()
	ctx := context.Background()
	p, err := people.CreateParticipant(ctx, db, people.NewParticipant{
		ProcessID: &f.Proc.ID, Role: record.RoleParticipant, Organisation: org,
		Person: people.Person{DisplayName: name, Email: Email, Language: "fr"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range workshops {
		if err := people.AddRegistration(ctx, db, w, p.ID, record.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// Registration returns a person's registration in a workshop.
func Registration(t testing.TB, db *bun.DB, workshop, participant int64) record.Registration {
	t.Helper()
	var r record.Registration
	if err := db.NewSelect().Model(&r).Where("workshop_id = ? AND participant_id = ?", workshop, participant).Scan(context.Background()); err != nil {
		t.Fatalf("registration of %d in %d: %v", participant, workshop, err)
	}
	return r
}

// ParticipantNamed finds the participant id of a display name. Names are stored sealed
// (internal/seal), so the search opens each person's row rather than asking SQL.
func ParticipantNamed(t testing.TB, db *bun.DB, name string) int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	if err := db.NewSelect().Model((*people.Person)(nil)).Column("participant_id").Scan(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if p, err := people.GetPerson(ctx, db, id); err == nil && p.DisplayName == name {
			return id
		}
	}
	t.Fatalf("no person named %q", name)
	return 0
}

// ModeratorAt signs in a moderator of the fixture's process appointed to session w, and
// returns their browser, who they are and the CSRF token of the session's door page.
func (s *Site) ModeratorAt(t testing.TB, f Fixture, w *record.Workshop) (*http.Client, *record.Participant, string) {
	t.Helper()
	mod := f.Person(t, s.DB, "Mona", "Animation asbl", nil)
	if err := people.SetWorkshopRole(context.Background(), s.DB, w.ID, mod.ID, record.RoleModerator); err != nil {
		t.Fatal(err)
	}
	c := s.SignInAs(t, mod.ID, nil)
	return c, mod, FormToken(t, c, fmt.Sprintf("%s/w/%d/door", s.Server.URL, w.ID))
}
