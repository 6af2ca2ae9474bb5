package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/assises/assises/hub"
)

// A notification is one short line, far below NOTIFY's 8000-byte limit on a payload:
//
//	c <node> <workshop> <seq>     a batch of the workshop committed up to seq
//	r <node> <workshop>           the workshop's log was rewritten (a new epoch)
//	d <node> <workshop>           tallies of the workshop are due: its lease holder flushes them
//	n <node> <workshop> <counts>  the node's presence in the workshop (presence.go)
//	s <node> <person>=<opened>…   when the persons' sockets here were opened (sockets.go)
//	S <node>                      say all your "s" lines again
//	h <node>                      the node is alive (when it said nothing else for a while)
//	p <node>                      the listener's own ping
//
// A node publishes at most one "c" per workshop per round trip of its sender, whatever the
// number of commits in between: NOTIFY takes a lock shared by the whole database at commit.

// Options tune a Bus. Zero values get the defaults.
type Options struct {
	Node   string       // this node's name in notifications; "" = random
	Logger *slog.Logger // nil = slog.Default()
	// Ping is how long the listener waits for a notification before it sends itself one;
	// when two pings in a row get no answer, it reconnects (2 s).
	Ping time.Duration
	// Sweep is how often, without any sign of loss, every room reads the log once more
	// (10 s): a node killed between its commit and its notification leaves no cue, and a
	// notification may fail; the log has what they would have said.
	Sweep time.Duration
	// PresenceEvery is how often a node repeats its presence counts (5 s); a node's counts
	// are forgotten when three repeats are missed (presence.go).
	PresenceEvery time.Duration
	// Heartbeat is the longest a node stays silent (1 s): a person's sockets on a node not
	// heard for three of them no longer count against their cap (sockets.go).
	Heartbeat time.Duration
}

func (o Options) withDefaults() Options {
	if o.Node == "" {
		o.Node = NewNodeName()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Ping <= 0 {
		o.Ping = 2 * time.Second
	}
	if o.Sweep <= 0 {
		o.Sweep = 10 * time.Second
	}
	if o.PresenceEvery <= 0 {
		o.PresenceEvery = 5 * time.Second
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = time.Second
	}
	return o
}

// NewNodeName is a random name for a node, different at every start.
func NewNodeName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Bus is a hub.Bus over PostgreSQL's LISTEN/NOTIFY.
type Bus struct {
	db      *bun.DB
	opts    Options
	channel string // one per schema: two deployments in one database do not hear each other
	log     *slog.Logger

	mu sync.Mutex
	// subs: who hears the other nodes' cues; the in-process bus's registry serves.
	subs hub.LocalBus
	// What the sender has to say, coalesced: the last seq per workshop, the resets, the
	// people whose access was taken away, and the presence lines.
	commits  map[int64]int64
	resets   []int64
	revoked  []int64
	dues     map[int64]struct{}
	presence map[int64]string
	kick     chan struct{}

	listener *pgdriver.Listener // guarded by mu; replaced on every reconnect
	stop     chan struct{}
	wg       sync.WaitGroup

	Presence *Presence // the other nodes' presence counts
	Sockets  *Sockets  // each person's sockets on every node
}

var _ hub.Bus = (*Bus)(nil)

// Start listens on the schema's channel and returns once the LISTEN is in force (a
// notification came back through it), so that no commit notified after Start returns goes
// unheard. Close stops it.
func Start(ctx context.Context, db *bun.DB, opts Options) (*Bus, error) {
	opts = opts.withDefaults()
	var schema string
	if err := db.NewRaw("SELECT current_schema()").Scan(ctx, &schema); err != nil {
		return nil, fmt.Errorf("cluster: bus: %w", err)
	}
	b := &Bus{
		db: db, opts: opts, log: opts.Logger,
		channel:  "assises:" + schema,
		commits:  map[int64]int64{},
		dues:     map[int64]struct{}{},
		presence: map[int64]string{},
		kick:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
	}
	b.Presence = newPresence(opts.Node, 3*opts.PresenceEvery)
	b.Presence.notify, b.Presence.send = b.deliver, b.PublishPresence
	b.Sockets = newSockets(opts.Node, opts.Heartbeat)
	b.Sockets.notify, b.Sockets.wake = b.deliver, b.wake
	ln, err := b.listen(ctx)
	if err != nil {
		return nil, err
	}
	b.wg.Add(2)
	go b.receive(ln)
	go b.send()
	return b, nil
}

// Node is this node's name in notifications.
func (b *Bus) Node() string { return b.opts.Node }

// Close stops listening and sending; cues published after it are dropped.
func (b *Bus) Close() {
	b.mu.Lock()
	select {
	case <-b.stop:
		b.mu.Unlock()
		return
	default:
	}
	close(b.stop)
	if b.listener != nil {
		b.listener.Close() // breaks a Receive in progress
		b.listener = nil
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// Publish queues a cue for the other nodes and returns at once; the sender coalesces what
// piles up while it waits for the database. A CueLost is this node's business and is not
// sent.
func (b *Bus) Publish(ctx context.Context, c hub.Cue) error {
	b.mu.Lock()
	switch c.Kind {
	case hub.CueCommitted:
		if c.Seq > b.commits[c.Workshop] {
			b.commits[c.Workshop] = c.Seq
		}
	case hub.CueReset:
		b.resets = append(b.resets, c.Workshop)
	case hub.CueRevoked:
		b.revoked = append(b.revoked, c.Person)
	case hub.CueDue:
		b.dues[c.Workshop] = struct{}{}
	default:
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()
	b.wake()
	return nil
}

// PublishPresence queues this node's presence line for a workshop.
func (b *Bus) PublishPresence(workshop int64, counts string) {
	b.mu.Lock()
	b.presence[workshop] = counts
	b.mu.Unlock()
	b.wake()
}

func (b *Bus) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Subscribe registers fn for the cues of the other nodes, and for CueLost.
func (b *Bus) Subscribe(fn func(hub.Cue)) (cancel func()) { return b.subs.Subscribe(fn) }

func (b *Bus) deliver(c hub.Cue) { b.subs.Publish(context.Background(), c) }

// listen opens a listener connection with its LISTEN in place. pgdriver's Listen only writes
// the LISTEN; it is in force once a notification comes back through it, so listen pings
// until one does (what it hears meanwhile is handled like the rest).
func (b *Bus) listen(ctx context.Context) (*pgdriver.Listener, error) {
	ln := pgdriver.NewListener(b.db)
	if err := ln.Listen(ctx, b.channel); err != nil {
		ln.Close()
		return nil, fmt.Errorf("cluster: listen: %w", err)
	}
	for heard := false; !heard; {
		if err := pgdriver.Notify(ctx, b.db, b.channel, "p "+b.opts.Node); err != nil {
			ln.Close()
			return nil, fmt.Errorf("cluster: listen: ping: %w", err)
		}
		_, payload, err := ln.ReceiveTimeout(ctx, b.opts.Ping)
		var ne net.Error
		switch {
		case err == nil:
			heard = true
			b.handle(payload)
		case errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil:
			// not in force yet (or the ping was lost): ping again
		default:
			ln.Close()
			return nil, fmt.Errorf("cluster: listen: %w", err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.stop:
		ln.Close()
		return nil, errClosed
	default:
	}
	b.listener = ln
	return ln, nil
}

var errClosed = errors.New("cluster: bus closed")

// receive reads notifications until Close. The listener's connection may break (a restart
// of PostgreSQL, pg_terminate_backend, a network cut that only a missed ping reveals): it
// is replaced, and once the new LISTEN is in place every room reads the log past what it
// has, since what was notified in between is lost.
func (b *Bus) receive(ln *pgdriver.Listener) {
	defer b.wg.Done()
	sweep := time.NewTicker(b.opts.Sweep)
	defer sweep.Stop()
	pause := 100 * time.Millisecond
	for {
		err := b.receiveOn(ln, sweep.C)
		if errors.Is(err, errClosed) {
			return
		}
		b.log.Warn("cluster: bus listener lost, reconnecting", "err", err)
		b.mu.Lock()
		if b.listener == ln {
			b.listener = nil
		}
		b.mu.Unlock()
		ln.Close()
		for {
			select {
			case <-b.stop:
				return
			case <-time.After(pause):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			ln, err = b.listen(ctx)
			cancel()
			if errors.Is(err, errClosed) {
				return
			}
			if err == nil {
				break
			}
			pause = min(2*pause, 5*time.Second)
			b.log.Warn("cluster: bus listener not back yet", "err", err, "retry in", pause)
		}
		pause = 100 * time.Millisecond
		b.log.Info("cluster: bus listener back, rooms read the log for what they missed")
		b.Sockets.forgetOthers() // and every node is asked for its sockets again
		b.deliver(hub.Cue{Kind: hub.CueLost})
	}
}

// receiveOn reads from one listener until its connection fails or the bus closes.
func (b *Bus) receiveOn(ln *pgdriver.Listener, sweep <-chan time.Time) error {
	unanswered := 0
	for {
		select {
		case <-b.stop:
			return errClosed
		case <-sweep:
			b.deliver(hub.Cue{Kind: hub.CueLost})
		default:
		}
		_, payload, err := ln.ReceiveTimeout(context.Background(), b.opts.Ping)
		if err != nil {
			select {
			case <-b.stop:
				return errClosed
			default:
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return err
			}
			if unanswered >= 2 {
				return fmt.Errorf("cluster: %d pings unanswered", unanswered)
			}
			unanswered++
			ctx, cancel := context.WithTimeout(context.Background(), b.opts.Ping)
			err := pgdriver.Notify(ctx, b.db, b.channel, "p "+b.opts.Node)
			cancel()
			if err != nil {
				b.log.Warn("cluster: bus ping", "err", err)
			}
			continue
		}
		unanswered = 0
		b.handle(payload)
	}
}

// handle turns a notification into a cue; lines of this node and lines it cannot read
// (another version's) are skipped.
func (b *Bus) handle(payload string) {
	f := strings.Fields(payload)
	if len(f) < 2 || f[1] == b.opts.Node {
		return
	}
	now := time.Now()
	b.Sockets.heardFrom(f[1], now)
	num := func(i int) (int64, bool) {
		if i >= len(f) {
			return 0, false
		}
		n, err := strconv.ParseInt(f[i], 10, 64)
		return n, err == nil
	}
	switch f[0] {
	case "c":
		ws, ok1 := num(2)
		seq, ok2 := num(3)
		if ok1 && ok2 {
			b.deliver(hub.Cue{Kind: hub.CueCommitted, Workshop: ws, Seq: seq})
		}
	case "r":
		if ws, ok := num(2); ok {
			b.deliver(hub.Cue{Kind: hub.CueReset, Workshop: ws})
		}
	case "x":
		if person, ok := num(2); ok {
			b.deliver(hub.Cue{Kind: hub.CueRevoked, Person: person})
		}
	case "d":
		if ws, ok := num(2); ok {
			b.deliver(hub.Cue{Kind: hub.CueDue, Workshop: ws})
		}
	case "n":
		if ws, ok := num(2); ok && len(f) == 4 {
			b.Presence.heard(f[1], ws, f[3], now)
		}
	case "s":
		b.Sockets.heardLine(f[1], f[2:], now)
	case "S":
		b.Sockets.sayAll()
	}
}

// send writes what Publish queued, all of it in one statement per round, and a heartbeat
// when nothing else was said for half of one.
func (b *Bus) send() {
	defer b.wg.Done()
	repeat := time.NewTicker(b.opts.PresenceEvery)
	defer repeat.Stop()
	beat := time.NewTicker(b.opts.Heartbeat / 2)
	defer beat.Stop()
	var said time.Time
	for {
		alive := false
		select {
		case <-b.stop:
			return
		case <-repeat.C:
			b.Presence.repeat(time.Now())
			continue
		case now := <-beat.C:
			b.Sockets.sweep(now)
			if now.Sub(said) < b.opts.Heartbeat/2 {
				continue
			}
			alive = true
		case <-b.kick:
		}
		b.mu.Lock()
		lines := make([]string, 0, len(b.commits)+len(b.resets)+len(b.revoked)+len(b.dues)+len(b.presence))
		for ws, seq := range b.commits {
			lines = append(lines, "c "+b.opts.Node+" "+strconv.FormatInt(ws, 10)+" "+strconv.FormatInt(seq, 10))
		}
		for _, ws := range b.resets {
			lines = append(lines, "r "+b.opts.Node+" "+strconv.FormatInt(ws, 10))
		}
		for _, person := range b.revoked {
			lines = append(lines, "x "+b.opts.Node+" "+strconv.FormatInt(person, 10))
		}
		for ws := range b.dues {
			lines = append(lines, "d "+b.opts.Node+" "+strconv.FormatInt(ws, 10))
		}
		for ws, counts := range b.presence {
			lines = append(lines, "n "+b.opts.Node+" "+strconv.FormatInt(ws, 10)+" "+counts)
		}
		commits, resets, revoked, dues := b.commits, b.resets, b.revoked, b.dues
		b.commits, b.resets, b.revoked, b.dues, b.presence = map[int64]int64{}, nil, nil, map[int64]struct{}{}, map[int64]string{}
		b.mu.Unlock()
		sockets, persons, resend := b.Sockets.take()
		lines = append(lines, sockets...)
		if len(lines) == 0 && alive {
			lines = append(lines, "h "+b.opts.Node)
		}
		if len(lines) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := b.db.NewRaw("SELECT pg_notify(?, line) FROM unnest(?::text[]) AS line",
			b.channel, pgdialect.Array(lines)).Exec(ctx)
		cancel()
		if err == nil {
			said = time.Now()
		} else {
			// The other nodes' sweeps read the log anyway; saying it again soon is faster.
			b.log.Warn("cluster: notify", "lines", len(lines), "err", err)
			b.Sockets.put(persons, resend)
			b.requeue(commits, resets, revoked, dues)
			select {
			case <-b.stop:
				return
			case <-time.After(time.Second):
			}
		}
	}
}

func (b *Bus) requeue(commits map[int64]int64, resets, revoked []int64, dues map[int64]struct{}) {
	b.mu.Lock()
	for ws := range dues {
		b.dues[ws] = struct{}{}
	}
	for ws, seq := range commits {
		if seq > b.commits[ws] {
			b.commits[ws] = seq
		}
	}
	b.resets = append(resets, b.resets...)
	b.revoked = append(revoked, b.revoked...)
	b.mu.Unlock()
	b.wake()
}
