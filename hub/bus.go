package hub

import (
	"context"
	"sync"
)

// Bus carries cues between the nodes that share one database: "a workshop was committed up
// to seq somewhere", "its log was rewritten". A cue is never the data itself and may be
// lost; a node that hears one reads the log, and a bus that may have lost cues says so
// (CueLost) so that every room reads the log once more.
type Bus interface {
	Publish(ctx context.Context, c Cue) error
	// Subscribe registers fn for every cue until cancel is called. fn must not block.
	Subscribe(fn func(Cue)) (cancel func())
}

// CueKind says what a cue is about.
type CueKind uint8

const (
	// CueCommitted: Workshop's log reached Seq.
	CueCommitted CueKind = iota
	// CueReset: Workshop's log was rewritten (a new epoch): rooms drop what they keep of it.
	CueReset
	// CueLost: the bus may have missed cues (its connection broke, a queue overflowed):
	// every room reads the log past what it has. Only a bus emits it, to its own node.
	CueLost
	// CuePresence: other nodes' presence in Workshop changed (PresenceShare): its room
	// recounts.
	CuePresence
	// CueDue: a node that does not hold Workshop's lease (TickLease) committed follow-ups
	// (tallies) that are now due in the database: the lease holder reads them (DueReader)
	// and flushes them.
	CueDue
	// CueSockets: Person holds sockets here and on other nodes, and some of them changed
	// (SocketShare): the hub applies MaxSocketsPerPerson to all of them (sockets.go).
	CueSockets
	// CueRevoked: Person's access was taken away on another node (sign-out, a new link,
	// erasure, a cancelled registration): this node closes their sockets as Disconnect does.
	CueRevoked
)

// Cue is one message on the bus.
type Cue struct {
	Kind     CueKind
	Workshop int64
	Seq      int64
	Person   int64 // CueSockets and CueRevoked only
}

var _ Bus = (*LocalBus)(nil)

// LocalBus is the in-process Bus for a single node (or for tests of several hubs in one
// process). The zero value is ready to use.
type LocalBus struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(Cue)
}

// Publish calls every subscriber synchronously.
func (b *LocalBus) Publish(ctx context.Context, c Cue) error {
	b.mu.RLock()
	fns := make([]func(Cue), 0, len(b.subs))
	for _, fn := range b.subs {
		fns = append(fns, fn)
	}
	b.mu.RUnlock()
	// Call outside the lock so a subscriber may itself subscribe or cancel.
	for _, fn := range fns {
		fn(c)
	}
	return nil
}

// Subscribe registers fn; cancel is idempotent.
func (b *LocalBus) Subscribe(fn func(Cue)) (cancel func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[int]func(Cue))
	}
	id := b.next
	b.next++
	b.subs[id] = fn
	return func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}
}

// PresenceCount is a room's presence as a node counts it.
type PresenceCount struct {
	Online  int
	ByRole  map[string]int
	ByGroup map[string]int
}

// PresenceShare adds the other nodes to a room's presence. Share is called by the room each
// time it counts (at most once per CoalesceInterval): it tells the other nodes this node's
// counts and returns the sum of theirs. It must not block.
type PresenceShare interface {
	Share(workshop int64, here PresenceCount) (elsewhere PresenceCount)
}

// TickLease gives each workshop's ticks (a timer's end, the agenda's planned end, the next
// round) and, with a DueReader Backend, the flushes of tallies, to one node of several: one
// tally.updated per flush, not one per node. Ticks are idempotent in the database (a second one finds
// the timer already expired), so the lease saves work and keeps one node in charge; it is
// not what makes them correct.
type TickLease interface {
	// Holds reports whether this node holds the workshop's lease, taking it when it is free
	// or expired and renewing it when it is this node's. An error counts as not held.
	Holds(ctx context.Context, workshop int64) bool
	// Release gives the lease up (the room stops), so that another node takes it at once.
	Release(ctx context.Context, workshop int64)
}
