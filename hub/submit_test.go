package hub

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// TestSubmit: a command from outside a socket (a form at the door) goes through the room's
// committer as the participant the Backend says, its events reach the room's members, and
// its outcome comes back after the commit; a refusal is an outcome, a stranger is forbidden,
// the same id again returns the first outcome, and a hub that stopped says so.
func TestSubmit(t *testing.T) {
	emit := func(name string) Command {
		args, _ := json.Marshal(map[string]any{"name": name, "audience": "all"})
		return Command{ID: newID(), Name: "emit", Args: args}
	}
	refuse, _ := json.Marshal(map[string]any{"code": "phase_closed"})

	fb := newFakeBackend()
	e := newEnv(t, fb, nil)
	e.member(1, "participant", true, 0)
	e.member(2, "participant", false, 0)
	ctx := context.Background()

	t.Run("no room yet: one opens", func(t *testing.T) {
		out, err := e.h.Submit(ctx, testWS, 1, emit("door.before"))
		if err != nil || out.Code != "" || out.Seq != 1 {
			t.Fatalf("got %+v, %v; want accepted at seq 1", out, err)
		}
		if fb.lastBy.Participant != 1 || !fb.lastBy.Moderator {
			t.Errorf("the command ran as %+v, want participant 1, moderator", fb.lastBy)
		}
	})
	phone := e.join(2, 0)
	t.Run("a member's phone gets the event", func(t *testing.T) {
		defer phone.as(t)()
		out, err := e.h.Submit(ctx, testWS, 1, emit("door.checked"))
		if err != nil || out.Code != "" {
			t.Fatalf("got %+v, %v; want accepted", out, err)
		}
		if m := phone.until(isEvent("door.checked")); m[len(m)-1].Seq != out.Seq {
			t.Errorf("the phone got the event at seq %d, want %d", m[len(m)-1].Seq, out.Seq)
		}
	})
	t.Run("a refusal is an outcome", func(t *testing.T) {
		out, err := e.h.Submit(ctx, testWS, 1, Command{ID: newID(), Name: "refuse", Args: refuse})
		if err != nil || out.Code != "phase_closed" {
			t.Fatalf("got %+v, %v; want the refusal phase_closed", out, err)
		}
	})
	t.Run("a stranger is forbidden", func(t *testing.T) {
		if _, err := e.h.Submit(ctx, testWS, 99, emit("stranger")); !errors.Is(err, ErrForbidden) {
			t.Fatalf("got %v, want ErrForbidden", err)
		}
	})
	t.Run("the same id again returns the first outcome", func(t *testing.T) {
		cmd := emit("once")
		first, err := e.h.Submit(ctx, testWS, 1, cmd)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.h.Submit(ctx, testWS, 1, cmd)
		if err != nil || again.Seq != first.Seq {
			t.Fatalf("again: got %+v, %v; want seq %d", again, err, first.Seq)
		}
	})
	t.Run("a stopped hub says so", func(t *testing.T) {
		if err := e.h.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if out, err := e.h.Submit(ctx, testWS, 1, emit("late")); err != nil || out.Code != CodeShuttingDown {
			t.Fatalf("got %+v, %v; want %s", out, err, CodeShuttingDown)
		}
	})
}
