package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	assisesmail "github.com/assises/assises/mail"
)

// inbox is a real SMTP server on loopback that keeps what it receives.
type inbox struct {
	mu       sync.Mutex
	messages []received
	user     string
	pass     string
}

type received struct {
	from string
	to   []string
	data []byte
}

func (in *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{in: in}, nil }

type session struct {
	in   *inbox
	msg  received
	auth bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.in.user || password != s.in.pass {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.in.user != "" && !s.auth {
		return errors.New("authenticate first")
	}
	s.msg.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = b
	s.in.mu.Lock()
	s.in.messages = append(s.in.messages, s.msg)
	s.in.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.msg = received{} }
func (s *session) Logout() error { return nil }

func startInbox(t *testing.T, user, pass string) (*inbox, string) {
	t.Helper()
	in := &inbox{user: user, pass: pass}
	srv := smtp.NewServer(in)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback only, for the test
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return in, ln.Addr().String()
}

func TestSendRoundTrip(t *testing.T) {
	in, addr := startInbox(t, "assises", "secret")
	s := assisesmail.New(assisesmail.Config{Addr: addr, Username: "assises", Password: "secret", From: "Assises <assises@example.org>"})
	msg := assisesmail.Message{
		To:      "Léa <lea@example.org>",
		Subject: "Votre invitation aux Assises — atelier « Habitat »",
		Text:    "Bonjour Léa,\nVoici votre lien personnel : https://assises.example.org/i/abc\nÀ bientôt !",
		HTML:    "<p>Bonjour Léa,</p><p><a href=\"https://assises.example.org/i/abc\">Votre lien personnel</a></p>",
	}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.messages) != 1 {
		t.Fatalf("inbox has %d messages, want 1", len(in.messages))
	}
	got := in.messages[0]
	if got.from != "assises@example.org" || len(got.to) != 1 || got.to[0] != "lea@example.org" {
		t.Fatalf("envelope: from %q to %v", got.from, got.to)
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Fatalf("subject: got %q (%v), want %q", subject, err, msg.Subject)
	}
	_, params, err := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		ctype, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ctype] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if parts["text/plain"] != msg.Text {
		t.Errorf("text part: got %q, want %q", parts["text/plain"], msg.Text)
	}
	if parts["text/html"] != msg.HTML {
		t.Errorf("html part: got %q, want %q", parts["text/html"], msg.HTML)
	}
}

func TestSendRefusals(t *testing.T) {
	_, addr := startInbox(t, "assises", "secret")
	tests := []struct {
		name string
		cfg  assisesmail.Config
		msg  assisesmail.Message
		want string
	}{
		{"not configured", assisesmail.Config{}, assisesmail.Message{To: "a@example.org"}, "no SMTP server"},
		{"header injection", assisesmail.Config{Addr: addr, From: "a@example.org"}, assisesmail.Message{To: "a@example.org\r\nBcc: all@example.org"}, "line break"},
		{"wrong password", assisesmail.Config{Addr: addr, Username: "assises", Password: "nope", From: "a@example.org"}, assisesmail.Message{To: "b@example.org"}, "auth"},
		{"server down", assisesmail.Config{Addr: "127.0.0.1:1", From: "a@example.org"}, assisesmail.Message{To: "b@example.org"}, "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := assisesmail.New(tt.cfg).Send(context.Background(), tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: got %v, want an error about %q", tt.name, err, tt.want)
			}
		})
	}
}
