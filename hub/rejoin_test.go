package hub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assises/assises/internal/testclock"
)

// viewerCounter counts the Backend.Viewer calls of a fake backend.
type viewerCounter struct {
	*fakeBackend
	calls atomic.Int64
}

func (v *viewerCounter) Viewer(ctx context.Context, ws, p int64) (Viewer, error) {
	v.calls.Add(1)
	return v.fakeBackend.Viewer(ctx, ws, p)
}

func rejoinEnv(t *testing.T) (*testEnv, *viewerCounter, *testclock.Clock) {
	fb := newFakeBackend()
	vc := &viewerCounter{fakeBackend: fb}
	clk := testclock.New(time.Now())
	e := newEnv(t, fb, func(c *Config) { c.Backend = vc; c.Now = clk.Now })
	e.member(1, "participant", false, 0)
	e.member(2, "moderator", true, 0)
	return e, vc, clk
}

// leave closes a client's socket and waits until its room has let go of it.
func (e *testEnv) leave(c *client, p int64) {
	e.t.Helper()
	c.ws.Close()
	eventually(e.t, "left", func() bool {
		e.h.mu.RLock()
		defer e.h.mu.RUnlock()
		return len(e.h.byUser[p]) == 0
	})
}

func TestRejoinReusesTheViewerOfAConnectionThatJustEnded(t *testing.T) {
	e, vc, _ := rejoinEnv(t)
	mod := e.join(2, 0)
	alice := e.join(1, 0)
	e.leave(alice, 1)
	before := vc.calls.Load()
	back := e.join(1, 0)
	if got := vc.calls.Load() - before; got != 0 {
		t.Errorf("Backend.Viewer calls for a rejoin within %v: got %d, want 0", rejoinWindow, got)
	}
	id := mod.emit("after", "all") // the rejoined connection is a full member
	back.until(isEvent("after"))
	mod.until(isAck(id))
}

func TestRejoinAsksAgainAfterAChangeOfAccess(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *testEnv, mod *client, clk *testclock.Clock)
	}{
		{"after the window", func(e *testEnv, _ *client, clk *testclock.Clock) { clk.Advance(rejoinWindow) }},
		{"after Disconnect", func(e *testEnv, _ *client, _ *testclock.Clock) { e.h.Disconnect(1) }},
		{"after memberships were reloaded", func(e *testEnv, mod *client, _ *testclock.Clock) {
			id := mod.command("emit", map[string]any{"name": "groups.changed", "reload": true})
			mod.until(isAck(id))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, vc, clk := rejoinEnv(t)
			mod := e.join(2, 0)
			alice := e.join(1, 0)
			e.leave(alice, 1)
			tt.change(e, mod, clk)
			before := vc.calls.Load()
			e.join(1, 0)
			if got := vc.calls.Load() - before; got != 1 {
				t.Errorf("Backend.Viewer calls: got %d, want 1", got)
			}
		})
	}
}

// TestDisconnectedParticipantIsRefusedAtOnce: access withdrawn (Disconnect after the
// database changed) holds at the very next join, remembered viewer or not.
func TestDisconnectedParticipantIsRefusedAtOnce(t *testing.T) {
	e, _, _ := rejoinEnv(t)
	alice := e.join(1, 0)
	e.fb.mu.Lock()
	delete(e.fb.members, 1) // the organiser cancelled her registration…
	e.fb.mu.Unlock()
	e.h.Disconnect(1) // …and the server told the hub
	alice.closed()
	eventually(t, "left", func() bool {
		e.h.mu.RLock()
		defer e.h.mu.RUnlock()
		return len(e.h.byUser[1]) == 0
	})
	again := e.dial(1)
	again.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS})
	if m := again.expect("error"); m.Code != CodeForbidden {
		t.Errorf("rejoin after Disconnect: got %+v, want forbidden", m)
	}
}
