// Package live connects the hub's rooms to the deliberation engine: it is the hub's
// Backend, the one place that knows both. The hub stays ignorant of proposals and votes,
// the domain of sockets; cmd/assises wires the two through it.
//
// Each leg of the seam has one conversion: a hub.Command becomes a deliberation.Command
// on the way in (commands), a deliberation.Result becomes a hub.Result on the way out
// (result); the viewer and the actor are the same person seen from each side.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/record"
)

// Backend is the deliberation engine as the hub's backend.
type Backend struct {
	engine *deliberation.Engine
}

// New exposes the engine to the hub.
func New(e *deliberation.Engine) *Backend { return &Backend{engine: e} }

var (
	_ hub.Backend       = (*Backend)(nil)
	_ hub.FlushPreparer = (*Backend)(nil)
	_ hub.EpochReader   = (*Backend)(nil)
)

// LogEpoch is the workshop's current log epoch (journal.LogEpoch).
func (b *Backend) LogEpoch(ctx context.Context, workshop int64) (int64, error) {
	return b.engine.LogEpoch(ctx, workshop)
}

func (b *Backend) Open(ctx context.Context, workshop int64) (int64, int64, time.Time, error) {
	return b.engine.Open(ctx, workshop)
}

func (b *Backend) Viewer(ctx context.Context, workshop, participant int64) (hub.Viewer, error) {
	a, err := b.engine.Actor(ctx, workshop, participant)
	if errors.Is(err, deliberation.ErrForbidden) || errors.Is(err, record.ErrNotFound) {
		return hub.Viewer{}, errors.Join(hub.ErrForbidden, err)
	}
	if err != nil {
		return hub.Viewer{}, err
	}
	return viewer(a), nil
}

func (b *Backend) Viewers(ctx context.Context, workshop int64) (map[int64]hub.Viewer, error) {
	actors, err := b.engine.Actors(ctx, workshop)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]hub.Viewer, len(actors))
	for id, a := range actors {
		out[id] = viewer(a)
	}
	return out, nil
}

func (b *Backend) Execute(ctx context.Context, workshop int64, cmds []hub.Command) (hub.Result, error) {
	return result(b.engine.Execute(ctx, workshop, commands(cmds)))
}

func (b *Backend) Flush(ctx context.Context, workshop int64, keys []string) (hub.Result, error) {
	return result(b.engine.Flush(ctx, workshop, keys))
}

// PrepareFlush counts a tally's votes while the room's votes go on committing
// (deliberation.PreparedFlush), and returns the commit that uses the count.
func (b *Backend) PrepareFlush(ctx context.Context, workshop int64, keys []string) (hub.PreparedFlush, error) {
	p, err := b.engine.PrepareFlush(ctx, workshop, keys)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (hub.Result, error) {
		return result(b.engine.FlushPrepared(ctx, workshop, keys, p))
	}, nil
}

func (b *Backend) EventsAfter(ctx context.Context, workshop, after int64, limit int) ([]hub.Event, error) {
	evs, err := b.engine.EventsAfter(ctx, workshop, after, limit)
	if err != nil {
		return nil, err
	}
	return events(evs)
}

func (b *Backend) Snapshot(ctx context.Context, workshop int64, v hub.Viewer) (int64, json.RawMessage, error) {
	return b.engine.Snapshot(ctx, workshop, actor(v))
}

// commands is the way in: what the room's members asked for, as the engine takes it.
func commands(cmds []hub.Command) []deliberation.Command {
	out := make([]deliberation.Command, len(cmds))
	for i, c := range cmds {
		out[i] = deliberation.Command{ID: c.ID, Name: c.Name, Args: c.Args, Actor: actor(c.By)}
	}
	return out
}

// result is the way out: what a commit produced, as the room fans it out. An error of the
// engine passes through: nothing was committed.
func result(r deliberation.Result, err error) (hub.Result, error) {
	if err != nil {
		return hub.Result{}, err
	}
	evs, err := events(r.Events)
	if err != nil {
		return hub.Result{}, err
	}
	out := hub.Result{Events: evs, Deferred: r.Deferred, WakeAt: r.WakeAt, Outcomes: make([]hub.Outcome, len(r.Outcomes))}
	for i, o := range r.Outcomes {
		out.Outcomes[i] = hub.Outcome(o)
	}
	return out, nil
}

func events(evs []deliberation.Event) ([]hub.Event, error) {
	out := make([]hub.Event, len(evs))
	for i, e := range evs {
		aud, err := hub.ParseAudience(e.Audience)
		if err != nil {
			return nil, err
		}
		out[i] = hub.Event{Seq: e.Seq, Name: e.Name, Audience: aud, Data: e.Data, At: e.At, ReloadViewers: e.ReloadViewers}
	}
	return out, nil
}

func viewer(a deliberation.Actor) hub.Viewer {
	return hub.Viewer{Participant: a.Participant, Role: string(a.Role), Moderator: a.Moderator, Group: a.Group, Language: a.Language}
}

func actor(v hub.Viewer) deliberation.Actor {
	return deliberation.Actor{Participant: v.Participant, Role: record.Role(v.Role), Moderator: v.Moderator, Group: v.Group, Language: v.Language}
}

// DueKeys are the tallies due that no node has flushed yet (deliberation.Engine.DueKeys).
func (b *Backend) DueKeys(ctx context.Context, workshop int64) ([]string, error) {
	return b.engine.DueKeys(ctx, workshop)
}
