package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/hub"
)

// backend adapts the domain engine to what the hub needs. It is the only place that knows
// both: the hub stays ignorant of proposals and votes, the domain of sockets.
type backend struct {
	engine *deliberation.Engine
}

// NewBackend exposes the deliberation engine as the hub's backend.
func NewBackend(e *deliberation.Engine) hub.Backend { return &backend{engine: e} }

var (
	_ hub.Backend       = (*backend)(nil)
	_ hub.FlushPreparer = (*backend)(nil)
)

func (b *backend) Open(ctx context.Context, workshop int64) (int64, time.Time, error) {
	return b.engine.Open(ctx, workshop)
}

func (b *backend) Viewer(ctx context.Context, workshop, participant int64) (hub.Viewer, error) {
	a, err := b.engine.Actor(ctx, workshop, participant)
	if errors.Is(err, deliberation.ErrForbidden) || errors.Is(err, deliberation.ErrNotFound) {
		return hub.Viewer{}, errors.Join(hub.ErrForbidden, err)
	}
	if err != nil {
		return hub.Viewer{}, err
	}
	return toViewer(a), nil
}

func (b *backend) Viewers(ctx context.Context, workshop int64) (map[int64]hub.Viewer, error) {
	actors, err := b.engine.Actors(ctx, workshop)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]hub.Viewer, len(actors))
	for id, a := range actors {
		out[id] = toViewer(a)
	}
	return out, nil
}

func (b *backend) Execute(ctx context.Context, workshop int64, cmds []hub.Command) (hub.Result, error) {
	in := make([]deliberation.Command, len(cmds))
	for i, c := range cmds {
		in[i] = deliberation.Command{ID: c.ID, Name: c.Name, Args: c.Args, Actor: toActor(c.By)}
	}
	res, err := b.engine.Execute(ctx, workshop, in)
	if err != nil {
		return hub.Result{}, err
	}
	return toResult(res)
}

func (b *backend) Flush(ctx context.Context, workshop int64, keys []string) (hub.Result, error) {
	res, err := b.engine.Flush(ctx, workshop, keys)
	if err != nil {
		return hub.Result{}, err
	}
	return toResult(res)
}

// PrepareFlush and FlushPrepared make the backend a hub.FlushPreparer: a tally's votes
// are counted while the room's votes go on committing (deliberation.PreparedFlush).
func (b *backend) PrepareFlush(ctx context.Context, workshop int64, keys []string) (any, error) {
	p, err := b.engine.PrepareFlush(ctx, workshop, keys)
	if p == nil {
		return nil, err // not a typed nil in an interface
	}
	return p, err
}

func (b *backend) FlushPrepared(ctx context.Context, workshop int64, keys []string, prepared any) (hub.Result, error) {
	p, _ := prepared.(*deliberation.PreparedFlush)
	res, err := b.engine.FlushPrepared(ctx, workshop, keys, p)
	if err != nil {
		return hub.Result{}, err
	}
	return toResult(res)
}

func (b *backend) EventsAfter(ctx context.Context, workshop, after int64, limit int) ([]hub.Event, error) {
	evs, err := b.engine.EventsAfter(ctx, workshop, after, limit)
	if err != nil {
		return nil, err
	}
	return toEvents(evs)
}

func (b *backend) Snapshot(ctx context.Context, workshop int64, v hub.Viewer) (int64, json.RawMessage, error) {
	return b.engine.Snapshot(ctx, workshop, toActor(v))
}

func toViewer(a deliberation.Actor) hub.Viewer {
	return hub.Viewer{Participant: a.Participant, Role: string(a.Role), Moderator: a.Moderator, Group: a.Group, Language: a.Language}
}

func toActor(v hub.Viewer) deliberation.Actor {
	return deliberation.Actor{Participant: v.Participant, Role: deliberation.Role(v.Role), Moderator: v.Moderator, Group: v.Group, Language: v.Language}
}

func toResult(r deliberation.Result) (hub.Result, error) {
	evs, err := toEvents(r.Events)
	if err != nil {
		return hub.Result{}, err
	}
	out := hub.Result{Events: evs, Deferred: r.Deferred, WakeAt: r.WakeAt, Outcomes: make([]hub.Outcome, len(r.Outcomes))}
	for i, o := range r.Outcomes {
		out.Outcomes[i] = hub.Outcome{CommandID: o.CommandID, Seq: o.Seq, Code: o.Code, Message: o.Message}
	}
	return out, nil
}

func toEvents(evs []deliberation.Event) ([]hub.Event, error) {
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
