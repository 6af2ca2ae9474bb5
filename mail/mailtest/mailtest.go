// Package mailtest is a real SMTP server on loopback for the tests of what sends email (the
// mail package, its outbox, the binary): it keeps the messages it accepts, asks for a password
// when given one, and answers with the refusals a test gives it.
package mailtest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted: its envelope and its data.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Options say how the server answers.
type Options struct {
	// User and Pass, when User is set, are the only credentials accepted (PLAIN over plain
	// text: loopback only), and a message before them is refused.
	User, Pass string
	// Refusals are the answers to the next messages (DATA), in order (4xx: try later, 5xx:
	// refused); after them, messages are accepted.
	Refusals []*smtp.SMTPError
	// RefuseRcpt, when set, answers each recipient; nil accepts it.
	RefuseRcpt func(to string) *smtp.SMTPError
}

// Server is the running server; it stops with the test.
type Server struct {
	Addr string // host:port

	opts     Options
	mu       sync.Mutex
	refusals []*smtp.SMTPError
	messages []Message
	rcpts    []string
	tries    int
}

// Start starts a server on a loopback port.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, refusals: opts.Refusals}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback only
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.Addr = ln.Addr().String()
	return s
}

// Messages returns the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Recipients returns every address a client asked for (RCPT TO), refused or not.
func (s *Server) Recipients() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rcpts...)
}

// Tries counts the messages sent (DATA), refused and accepted.
func (s *Server) Tries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries
}

// NewSession is go-smtp's: one session a connection.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s      *Server
	msg    Message
	signed bool
}

func (c *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (c *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != c.s.opts.User || password != c.s.opts.Pass {
			return errors.New("bad credentials")
		}
		c.signed = true
		return nil
	}), nil
}

func (c *session) Mail(from string, _ *smtp.MailOptions) error {
	if c.s.opts.User != "" && !c.signed {
		return errors.New("authenticate first")
	}
	c.msg.From = from
	return nil
}

func (c *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	c.s.mu.Lock()
	c.s.rcpts = append(c.s.rcpts, to)
	c.s.mu.Unlock()
	if refuse := c.s.opts.RefuseRcpt; refuse != nil {
		if err := refuse(to); err != nil {
			return err
		}
	}
	c.msg.To = append(c.msg.To, to)
	return nil
}

func (c *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.tries++
	if len(c.s.refusals) > 0 {
		e := c.s.refusals[0]
		c.s.refusals = c.s.refusals[1:]
		return e
	}
	c.msg.Data = b
	c.s.messages = append(c.s.messages, c.msg)
	return nil
}

func (c *session) Reset()        { c.msg = Message{} }
func (c *session) Logout() error { return nil }
