// Package testclock is a clock a test moves by hand: what the code under test remembers ages
// only when the test says so, never because the machine was slow.
package testclock

import (
	"sync"
	"time"
)

// Clock reads the time it was set to; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New is a clock stopped at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time: pass c.Now where the code takes a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
