package hub

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNoOutcome is returned by Submit when the room stopped before answering: the command
// may or may not have committed. Sending it again with the same ID returns its outcome.
var ErrNoOutcome = errors.New("hub: the room stopped before answering")

// submitTries bounds how often Submit starts over when it met a room that was stopping (an
// idle room retiring just as the command arrived): the next try opens a fresh room.
const submitTries = 3

// Submit runs one command that comes from outside a socket (a form at the door of a session)
// through the workshop's room, as if participant had sent it from a phone: the Backend says
// who they are (an error wrapping ErrForbidden when they may not be in the workshop), the
// room's committer commits it in its turn with the others, the room fans its events out to
// the members, and only then does Submit return the outcome. Other nodes learn of it through
// the bus, as of any commit. A room is opened if none runs; it retires once idle.
func (h *Hub) Submit(ctx context.Context, workshop, participant int64, cmd Command) (Outcome, error) {
	v, err := h.cfg.Backend.Viewer(ctx, workshop, participant)
	if err != nil {
		return Outcome{}, fmt.Errorf("hub: submit: %w", err)
	}
	cmd.By = v
	for try := 1; ; try++ {
		out, err := h.submitOnce(ctx, workshop, cmd)
		// The same ID again is safe: a command that did commit returns its first outcome.
		again := errors.Is(err, ErrNoOutcome) || (err == nil && out.Code == CodeShuttingDown)
		if !again || h.closing.Load() || try == submitTries {
			return out, err
		}
	}
}

func (h *Hub) submitOnce(ctx context.Context, workshop int64, cmd Command) (Outcome, error) {
	if h.closing.Load() {
		return Outcome{CommandID: cmd.ID, Code: CodeShuttingDown}, nil
	}
	r, err := h.room(ctx, workshop)
	if errors.Is(err, errClosing) {
		return Outcome{CommandID: cmd.ID, Code: CodeShuttingDown}, nil
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("hub: submit: %w", err)
	}
	reply := make(chan Outcome, 1)
	if code := r.submit(cmdReq{cmd: cmd, at: time.Now(), reply: reply}); code != "" {
		h.cfg.Observer.Command(cmd.Name, code)
		return Outcome{CommandID: cmd.ID, Code: code}, nil
	}
	select {
	case out := <-reply:
		return out, nil
	case <-r.done:
		// The room's last deliveries are handed out before done closes.
		select {
		case out := <-reply:
			return out, nil
		default:
			return Outcome{}, ErrNoOutcome
		}
	case <-ctx.Done():
		return Outcome{}, fmt.Errorf("hub: submit: %w", ctx.Err())
	}
}
