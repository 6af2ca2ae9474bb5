package hub

import "time"

// Observer is told what the hub does, for an administrator's metrics. Its methods run on
// the hot paths (a room's goroutine, its committer, the read workers): each must return at
// once, costing an atomic add or two, and never call back into the hub.
type Observer interface {
	// Command reports one command's fate: code is "" when it was accepted, else the
	// refusal code (a domain rule, or the hub's busy, shutting_down, unavailable…).
	Command(name, code string)
	// Answered reports the time from reading a command to queueing its ack or reject.
	Answered(d time.Duration)
	// Committed reports one successful Backend.Execute of n commands (the group commit).
	Committed(n int)
	// FannedOut reports the time from a commit's result to its events being in every
	// member's outbox.
	FannedOut(d time.Duration)
}

// nopObserver is the default: a hub without metrics.
type nopObserver struct{}

func (nopObserver) Command(string, string)  {}
func (nopObserver) Answered(time.Duration)  {}
func (nopObserver) Committed(int)           {}
func (nopObserver) FannedOut(time.Duration) {}

var _ Observer = nopObserver{}

// SendQueues reports the frames waiting in the connections' outboxes: their total and the
// longest. It walks every connection, so it is meant for a scrape, not a hot path.
func (h *Hub) SendQueues() (total, longest int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.conns {
		n, ctl := c.out.Queued()
		n += ctl
		total += n
		longest = max(longest, n)
	}
	return total, longest
}
