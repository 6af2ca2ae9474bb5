package hub

import (
	"context"
	"sync"
)

// Bus carries cues between nodes: "(workshop, seq) was committed somewhere". A cue is
// never the data itself and may be lost; a node that hears one reads the log.
type Bus interface {
	Publish(ctx context.Context, workshop, seq int64) error
	// Subscribe registers fn for every cue until cancel is called. fn must not block.
	Subscribe(fn func(workshop, seq int64)) (cancel func())
}

var _ Bus = (*LocalBus)(nil)

// LocalBus is the in-process Bus for a single node (or for tests of several hubs in one
// process). The zero value is ready to use.
type LocalBus struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(workshop, seq int64)
}

// Publish calls every subscriber synchronously.
func (b *LocalBus) Publish(ctx context.Context, workshop, seq int64) error {
	b.mu.RLock()
	fns := make([]func(int64, int64), 0, len(b.subs))
	for _, fn := range b.subs {
		fns = append(fns, fn)
	}
	b.mu.RUnlock()
	// Call outside the lock so a subscriber may itself subscribe or cancel.
	for _, fn := range fns {
		fn(workshop, seq)
	}
	return nil
}

// Subscribe registers fn; cancel is idempotent.
func (b *LocalBus) Subscribe(fn func(workshop, seq int64)) (cancel func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[int]func(int64, int64))
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
