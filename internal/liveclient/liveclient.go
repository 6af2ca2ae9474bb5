// Package liveclient speaks the Assises WebSocket protocol (docs/protocol.md) as a browser
// would: it authenticates with the session cookie, joins a workshop, sends commands with
// client-made ids and reads what the server sends. It is the one client of the protocol: the
// end-to-end tests, the torture runs and the load generator (cmd/assises-load) use it.
//
// Two layers: Dialer and Socket (socket.go) open a connection, say hello and carry frames,
// cheaply enough for ten thousand sockets; Client (this file) keeps one participant's view on
// top of them: the events in sequence order without duplicates, the outcomes of commands,
// resume after a reconnection.
package liveclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Message is any server message; only the fields of its type are set.
type Message struct {
	Type       string          `json:"type"`
	V          int             `json:"v,omitempty"`
	Workshop   int64           `json:"workshop,omitempty"`
	Epoch      int64           `json:"epoch,omitempty"` // welcome: the log's epoch, handed back on resume
	You        int64           `json:"you,omitempty"`
	Role       string          `json:"role,omitempty"`
	Moderator  bool            `json:"moderator,omitempty"`
	Group      int64           `json:"group,omitempty"`
	Seq        int64           `json:"seq,omitempty"`
	Name       string          `json:"name,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	State      json.RawMessage `json:"state,omitempty"`
	At         int64           `json:"at,omitempty"`
	ID         string          `json:"id,omitempty"`
	Code       string          `json:"code,omitempty"`
	Message    string          `json:"message,omitempty"`
	Detail     string          `json:"detail,omitempty"` // reject: developer English, not for display
	Online     int             `json:"online,omitempty"`
	ByRole     map[string]int  `json:"byRole,omitempty"`
	ByGroup    map[string]int  `json:"byGroup,omitempty"`
	ServerTime int64           `json:"serverTime,omitempty"`

	Received time.Time `json:"-"` // local receipt time
}

// Outcome is the answer to a command: an ack (Code == "") or a reject.
type Outcome struct {
	ID      string
	Seq     int64
	Code    string
	Message string
}

// Accepted reports whether the command was acknowledged.
func (o Outcome) Accepted() bool { return o.Code == "" }

// Config says where and who.
type Config struct {
	URL      string         // ws://host:port/ws
	Origin   string         // the public URL's origin, as a browser sends it
	Cookie   http.Cookie    // the session cookie
	Extra    []*http.Cookie // other cookies a browser would send (the language choice)
	Workshop int64
	// KeepFrames keeps every frame received after the welcome, as it came (Frames): tests
	// that look for what must never be sent read them.
	KeepFrames bool
}

// Client is one participant's connection, with resume.
type Client struct {
	cfg    Config
	dialer *Dialer

	mu        sync.Mutex
	sock      *Socket
	welcome   Message
	lastSeq   int64
	snapshots []Message
	events    []Message // every event received, in seq order, without duplicates
	duplicate int       // events received again (resume overlap), dropped
	outcomes  map[string]Outcome
	waiters   []chan struct{}
	presence  Message
	frames    [][]byte
	closed    error // why the current connection ended, once it has
	done      chan struct{}
}

// Dial connects, says hello with since = 0 (a snapshot) and waits for the welcome.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	c := &Client{cfg: cfg, dialer: NewDialer(cfg.URL, cfg.Origin, nil), outcomes: map[string]Outcome{}}
	if err := c.connect(ctx, 0); err != nil {
		return nil, err
	}
	return c, nil
}

// connect opens a socket and joins with the given since, under the epoch of the last
// welcome (a resume): if the log's epoch changed since, the server sends a snapshot.
func (c *Client) connect(ctx context.Context, since int64) error {
	cookies := []string{(&c.cfg.Cookie).String()}
	for _, ck := range c.cfg.Extra {
		cookies = append(cookies, ck.String())
	}
	c.mu.Lock()
	epoch := c.welcome.Epoch
	c.mu.Unlock()
	sock, w, err := c.dialer.Join(ctx, Join{Cookie: strings.Join(cookies, "; "), Workshop: c.cfg.Workshop, Since: since, Epoch: epoch})
	if err != nil {
		return err
	}
	done := make(chan struct{})
	c.mu.Lock()
	if w.Epoch != epoch {
		// Another history of the log: a snapshot comes next, and until it does the last
		// seq means nothing under this epoch (a reconnection now must ask for a snapshot).
		c.lastSeq = 0
	}
	c.sock, c.welcome, c.closed, c.done = sock, w, nil, done
	c.mu.Unlock()
	go c.readLoop(sock, done)
	return nil
}

// readLoop keeps what the server sends until the connection ends. A frame that is not a
// protocol message ends it too: a test must not read past a server that speaks nonsense.
func (c *Client) readLoop(sock *Socket, done chan struct{}) {
	defer close(done)
	var garbled error
	err := sock.Read(func(frame []byte, at time.Time) {
		var m Message
		if err := json.Unmarshal(frame, &m); err != nil {
			if garbled == nil {
				garbled = fmt.Errorf("liveclient: unreadable message %.80q: %w", frame, err)
			}
			sock.Close()
			return
		}
		m.Received = at
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.cfg.KeepFrames {
			c.frames = append(c.frames, append([]byte(nil), frame...))
		}
		switch m.Type {
		case "snapshot":
			// The state as of m.Seq replaces everything: after a restore, the log may
			// start again below what this client had seen.
			c.snapshots = append(c.snapshots, m)
			c.lastSeq = m.Seq
		case "event":
			if m.Seq <= c.lastSeq {
				c.duplicate++
			} else {
				c.lastSeq = m.Seq
				c.events = append(c.events, m)
			}
		case "ack", "reject":
			c.outcomes[m.ID] = Outcome{ID: m.ID, Seq: m.Seq, Code: m.Code, Message: m.Message}
		case "presence":
			c.presence = m
		case "viewer":
			c.welcome.Role, c.welcome.Moderator, c.welcome.Group = m.Role, m.Moderator, m.Group
		}
		c.notifyLocked()
	})
	if garbled != nil {
		err = garbled
	}
	c.mu.Lock()
	c.closed = err
	c.notifyLocked()
	c.mu.Unlock()
}

func (c *Client) notifyLocked() {
	for _, w := range c.waiters {
		close(w)
	}
	c.waiters = nil
}

// wait blocks until cond holds (checked under the lock) or ctx ends.
func (c *Client) wait(ctx context.Context, cond func() bool) error {
	for {
		c.mu.Lock()
		if cond() {
			c.mu.Unlock()
			return nil
		}
		ch := make(chan struct{})
		c.waiters = append(c.waiters, ch)
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Send sends a command with the given id without waiting.
func (c *Client) Send(id, name string, args any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return err
	}
	c.mu.Lock()
	sock := c.sock
	c.mu.Unlock()
	if sock == nil {
		return ErrNotConnected
	}
	return sock.Command(id, name, b)
}

// ErrClosed is returned while waiting when the connection ends first.
var ErrClosed = errors.New("liveclient: connection closed")

// Await waits for the outcome of command id.
func (c *Client) Await(ctx context.Context, id string) (Outcome, error) {
	var out Outcome
	var closed error
	err := c.wait(ctx, func() bool {
		o, ok := c.outcomes[id]
		out, closed = o, c.closed
		return ok || closed != nil
	})
	if err != nil {
		return Outcome{}, err
	}
	if out.ID == "" {
		return Outcome{}, fmt.Errorf("%w: %v", ErrClosed, closed)
	}
	return out, nil
}

// Do sends a command with a new id and waits for its outcome.
func (c *Client) Do(ctx context.Context, name string, args any) (Outcome, error) {
	id := NewCommandID()
	if err := c.Send(id, name, args); err != nil {
		return Outcome{}, err
	}
	return c.Await(ctx, id)
}

// WaitSeq waits until the client has seen every event up to seq (or a snapshot past it).
func (c *Client) WaitSeq(ctx context.Context, seq int64) error {
	return c.wait(ctx, func() bool { return c.lastSeq >= seq })
}

// WaitEvent waits for an event matching pred, among those received so far and later.
func (c *Client) WaitEvent(ctx context.Context, pred func(Message) bool) (Message, error) {
	var found Message
	err := c.wait(ctx, func() bool {
		for _, e := range c.events {
			if pred(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// Reconnect closes the socket and joins again with since = the last seq seen.
func (c *Client) Reconnect(ctx context.Context) error {
	c.Close()
	c.mu.Lock()
	since := c.lastSeq
	c.mu.Unlock()
	return c.connect(ctx, since)
}

// ReconnectFrom joins again with an explicit since (tests of too-old or unknown positions).
func (c *Client) ReconnectFrom(ctx context.Context, since int64) error {
	c.Close()
	return c.connect(ctx, since)
}

// Close closes the socket and waits for the reader to stop.
func (c *Client) Close() {
	c.mu.Lock()
	sock, done := c.sock, c.done
	c.mu.Unlock()
	if sock == nil {
		return
	}
	sock.Close()
	<-done
}

// Done is closed when the current connection ends.
func (c *Client) Done() <-chan struct{} { return locked(c, func() <-chan struct{} { return c.done }) }

// Err says why the current connection ended (nil while it is open).
func (c *Client) Err() error { return locked(c, func() error { return c.closed }) }

// Frames returns the frames received after each welcome, when Config.KeepFrames is set.
func (c *Client) Frames() [][]byte {
	return locked(c, func() [][]byte { return append([][]byte(nil), c.frames...) })
}

// Welcome returns the last welcome (updated by viewer messages).
func (c *Client) Welcome() Message { return locked(c, func() Message { return c.welcome }) }

// LastSeq is the highest sequence number seen.
func (c *Client) LastSeq() int64 { return locked(c, func() int64 { return c.lastSeq }) }

// Events returns a copy of the events received, in order.
func (c *Client) Events() []Message {
	return locked(c, func() []Message { return append([]Message(nil), c.events...) })
}

// Snapshots returns the snapshots received, in order.
func (c *Client) Snapshots() []Message {
	return locked(c, func() []Message { return append([]Message(nil), c.snapshots...) })
}

// Duplicates counts events received a second time and dropped.
func (c *Client) Duplicates() int { return locked(c, func() int { return c.duplicate }) }

// Presence returns the last presence message.
func (c *Client) Presence() Message { return locked(c, func() Message { return c.presence }) }

// locked returns what read reads of c's state, under c's lock: the accessors above are each
// one read.
func locked[T any](c *Client, read func() T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return read()
}

// WaitSnapshots waits until n snapshots have arrived in all (the first comes after Dial).
func (c *Client) WaitSnapshots(ctx context.Context, n int) error {
	return c.wait(ctx, func() bool { return len(c.snapshots) >= n })
}
