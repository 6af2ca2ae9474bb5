package server_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assises/assises/record"

	"github.com/emersion/go-smtp"
	"github.com/uptrace/bun"

	"github.com/assises/assises/mail"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
)

// inbox is a real SMTP server on loopback that keeps what it receives.
type inbox struct {
	mu       sync.Mutex
	messages []email
}

// email is one received message, decoded: envelope recipient, subject and both parts.
type email struct {
	To, Subject, Text, HTML string
}

func (in *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{in: in}, nil }

type smtpSession struct {
	in *inbox
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

func decodeEmail(raw []byte) (email, error) {
	parsed, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return email{}, err
	}
	var m email
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject")); err != nil {
		return email{}, err
	}
	_, params, err := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
	if err != nil {
		return email{}, err
	}
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return email{}, err
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

// all returns the messages received so far.
func (in *inbox) all() []email {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]email(nil), in.messages...)
}

// startInbox starts the SMTP server and returns a sender that delivers to it.
func startInbox(t *testing.T) (*inbox, *mail.Sender) {
	t.Helper()
	in := &inbox{}
	srv := smtp.NewServer(in)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return in, mail.New(mail.Config{Addr: ln.Addr().String(), From: "Assises <assises@example.org>"})
}

// noInline fails the test when a page breaks the CSP: an inline script, style or handler.
func noInline(t *testing.T, what, body string) {
	t.Helper()
	if m := inlineRe.FindString(body); m != "" {
		t.Errorf("%s: inline script or style %q", what, m)
	}
}

var (
	inlineRe  = regexp.MustCompile(`<script(?:\s+type="module")?>|<script(?:[^>]*)>[^<]+</script>|\sstyle="|\son[a-z]+="`)
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	linkRe    = regexp.MustCompile(`https?://[^\s"<]+/i/[A-Za-z0-9_-]{43}`)
)

// formToken loads a page and returns the CSRF token of its first form.
func formToken(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, body := get(t, c, u)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: got %d, want 200", u, resp.StatusCode)
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s: no CSRF field in the form", u)
	}
	return m[1]
}

// postForm posts form values and returns the answer.
func postForm(t *testing.T, c *http.Client, u string, v url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return doBody(t, c, req, header...)
}

// register posts the registration form and, when it was taken, follows the answer's redirect
// to the result page as a browser does (Post/Redirect/Get). It returns the result page, or
// the refused form.
func register(t *testing.T, c *http.Client, action string, v url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	resp, body := postForm(t, c, action, v, header...)
	if resp.StatusCode != http.StatusSeeOther {
		return resp, body
	}
	loc := resp.Header.Get("Location")
	if !resultPath.MatchString(loc) {
		t.Fatalf("registration redirects to %q, want /p/{slug}/registered?lang=…", loc)
	}
	base, _ := url.Parse(action)
	next, _ := base.Parse(loc)
	return get(t, c, next.String())
}

var resultPath = regexp.MustCompile(`^/p/[a-z0-9-]+/registered\?lang=(fr|nl|en)$`)

// regFixture is a process open for registration: two future sessions (the second with one
// place) and one that is over.
type regFixture struct {
	proc              *record.Process
	open, small, past *record.Workshop
}

func newRegFixture(t *testing.T, db *bun.DB) regFixture {
	t.Helper()
	ctx := context.Background()
	f := regFixture{proc: &record.Process{Slug: "assises", Title: "Assises du Logement", Capacity: 3, PerOrgCap: 1, InvitationRequired: true}}
	if err := process.Create(ctx, db, f.proc); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	mk := func(title string, starts time.Time, capacity int) *record.Workshop {
		w := &record.Workshop{ProcessID: f.proc.ID, Title: title, StartsAt: starts, EndsAt: starts.Add(3 * time.Hour), Place: "COOP", Capacity: capacity}
		if err := process.CreateWorkshop(ctx, db, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	f.open = mk("Atelier logement", start, 0)
	f.small = mk("Atelier emploi", start.Add(24*time.Hour), 1)
	f.past = mk("Atelier passé", start.Add(-30*24*time.Hour), 0)
	return f
}

// person creates a participant of the fixture's process, confirmed in the given workshops.
func (f regFixture) person(t *testing.T, db *bun.DB, name, org string, email *string, workshops ...*record.Workshop) *record.Participant {
	t.Helper()
	ctx := context.Background()
	p, err := people.CreateParticipant(ctx, db, people.NewParticipant{
		ProcessID: &f.proc.ID, Role: record.RoleParticipant, Organisation: org,
		Person: people.Person{DisplayName: name, Email: email, Language: "fr"},
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

// registration returns a person's registration in a workshop.
func registration(t *testing.T, db *bun.DB, workshop, participant int64) record.Registration {
	t.Helper()
	var r record.Registration
	if err := db.NewSelect().Model(&r).Where("workshop_id = ? AND participant_id = ?", workshop, participant).Scan(context.Background()); err != nil {
		t.Fatalf("registration of %d in %d: %v", participant, workshop, err)
	}
	return r
}

// participantNamed finds the participant id of a display name. Names are stored sealed
// (internal/seal), so the search opens each person's row rather than asking SQL.
func participantNamed(t *testing.T, db *bun.DB, name string) int64 {
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
