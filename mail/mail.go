// Package mail sends the few emails Assises writes (invitations, confirmations) through an
// SMTP server. A message always has a plain-text part and an HTML part, both UTF-8, because
// many readers open mail on simple phones and some mail clients show only one of the two.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Config says how to reach the SMTP server. The zero value means "no email": the organiser
// hands out links and printed cards instead.
type Config struct {
	Addr     string // host:port; empty disables email
	Username string // empty: no authentication
	Password string
	From     string // the sender address, e.g. "Assises <assises@example.org>"
	// StartTLS requires STARTTLS before authenticating (the default for a remote server);
	// it may be off only for a server on this machine.
	StartTLS bool
	Timeout  time.Duration // per message; default 20 s
}

// Enabled reports whether email is configured.
func (c Config) Enabled() bool { return c.Addr != "" }

// Message is one email.
type Message struct {
	To      string
	Subject string
	Text    string // the plain-text body
	HTML    string // the HTML body (already escaped by the caller's template)
}

// ErrDisabled is returned by Send when no SMTP server is configured.
var ErrDisabled = errors.New("mail: no SMTP server configured")

// Sender sends messages.
type Sender struct {
	cfg Config
}

// New returns a sender for cfg.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	return &Sender{cfg: cfg}
}

// Enabled reports whether this sender can send.
func (s *Sender) Enabled() bool { return s != nil && s.cfg.Enabled() }

// Send delivers one message. The address is checked first: a header injection through a
// newline in an address or subject is refused, not sent.
func (s *Sender) Send(ctx context.Context, m Message) error {
	if !s.Enabled() {
		return ErrDisabled
	}
	if err := checkHeader(m.To, m.Subject, s.cfg.From); err != nil {
		return err
	}
	body, err := Compose(s.cfg.From, m, time.Now())
	if err != nil {
		return err
	}
	return s.SendRaw(ctx, m.To, body)
}

// From is the sender address messages are composed with.
func (s *Sender) From() string {
	if s == nil {
		return ""
	}
	return s.cfg.From
}

// SendRaw delivers a message already composed (Compose) to one address: the outbox composes
// when a page asks, and sends later.
func (s *Sender) SendRaw(ctx context.Context, to string, body []byte) error {
	if !s.Enabled() {
		return ErrDisabled
	}
	if err := checkHeader(to); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mail: connect: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: greet: %w", err)
	}
	defer c.Close()
	if s.cfg.StartTLS {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("mail: starttls: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(address(s.cfg.From)); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := c.Rcpt(address(to)); err != nil {
		return fmt.Errorf("mail: rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: data: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	return c.Quit()
}

// address takes the bare address out of "Name <addr>".
func address(s string) string {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		return strings.TrimSuffix(s[i+1:], ">")
	}
	return strings.TrimSpace(s)
}

func checkHeader(values ...string) error {
	for _, v := range values {
		if strings.ContainsAny(v, "\r\n") {
			return errors.New("mail: a header contains a line break")
		}
	}
	return nil
}

// Compose writes a MIME message with a plain-text and an HTML alternative, UTF-8,
// quoted-printable (readable in any client, safe for long lines and accents).
func Compose(from string, m Message, now time.Time) ([]byte, error) {
	if err := checkHeader(from, m.To, m.Subject); err != nil {
		return nil, err
	}
	boundary := randomBoundary()
	var b bytes.Buffer
	h := textproto.MIMEHeader{}
	h.Set("From", from)
	h.Set("To", m.To)
	h.Set("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h.Set("Date", now.Format(time.RFC1123Z))
	h.Set("MIME-Version", "1.0")
	h.Set("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	h.Set("Auto-Submitted", "auto-generated")
	// Fixed now, when the message is composed (the outbox stores it composed): a copy sent
	// again after a cut-short attempt carries the same id, which mail systems use to drop
	// duplicates.
	h.Set("Message-ID", messageID(from))
	for _, k := range []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Auto-Submitted"} {
		fmt.Fprintf(&b, "%s: %s\r\n", k, h.Get(k))
	}
	b.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, part.ctype)
		qp := quotedprintable.NewWriter(&b)
		if _, err := qp.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

// messageID is a new unique Message-ID in the sender's domain.
func messageID(from string) string {
	domain := "assises.invalid"
	if a, err := netmail.ParseAddress(from); err == nil {
		if i := strings.LastIndex(a.Address, "@"); i >= 0 && i < len(a.Address)-1 {
			domain = a.Address[i+1:]
		}
	}
	var buf [16]byte
	rand.Read(buf[:])
	return "<" + hex.EncodeToString(buf[:]) + "@" + domain + ">"
}

func randomBoundary() string {
	var buf [12]byte
	rand.Read(buf[:])
	return "assises-" + hex.EncodeToString(buf[:])
}
