package deliberation

import (
	"context"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Rules for the timetable (a Partner Day: "9h accueil, 9h30 début, 12h30 pause, 13h30 études de
// cas, 16h conclusions"). The moderator walks through the agenda items; the current item drives
// the phase and the timer; the moderators see how far the session runs over.

// maxAgendaLog bounds the history kept in the state (a session has at most 40 items, but the
// moderator may go back and forth).
const maxAgendaLog = 100

// agendaChanged is the agenda.changed event (everyone).
type agendaChanged struct {
	Item          *view.AgendaItemView `json:"item"`
	StartedAt     int64                `json:"startedAt"`
	PlannedEndsAt int64                `json:"plannedEndsAt"`
	Previous      int64                `json:"previous"`
}

func (b *batch) agendaItems(ctx context.Context) ([]record.AgendaItem, error) {
	return record.ListAgenda(ctx, b.tx, b.w.ID)
}

func cmdAgendaNext(ctx context.Context, b *batch, _ Actor, _ *noArgs) (refusal, error) {
	items, err := b.agendaItems(ctx)
	if err != nil {
		return refusal{}, err
	}
	if len(items) == 0 {
		return refuse(CodeBadState, "this session has no agenda"), nil
	}
	next := 0 // before the first item, or when the current one was deleted from the agenda
	if b.st.Agenda != nil {
		for i := range items {
			if items[i].ID == b.st.Agenda.Item {
				next = i + 1
			}
		}
	}
	if next >= len(items) {
		return refuse(CodeBadState, "the agenda is over"), nil
	}
	return refusal{}, b.startAgendaItem(items, next)
}

func cmdAgendaGoto(ctx context.Context, b *batch, _ Actor, args *agendaGotoArgs) (refusal, error) {
	items, err := b.agendaItems(ctx)
	if err != nil {
		return refusal{}, err
	}
	for i := range items {
		if items[i].ID == args.Item {
			return refusal{}, b.startAgendaItem(items, i)
		}
	}
	return refuse(CodeNotFound, "no such agenda item in this session"), nil
}

// startAgendaItem makes items[i] current: it closes the previous one in the log, moves the
// session to the item's phase, and starts a timer of its planned duration (or clears the
// timer, whose countdown belonged to the previous item). A plan of rounds stops.
func (b *batch) startAgendaItem(items []record.AgendaItem, i int) error {
	it := &items[i]
	now := b.now.UnixMilli()
	plannedMs := int64(it.PlannedMinutes) * 60_000
	st := &view.AgendaState{Item: it.ID, StartedAt: now}
	if plannedMs > 0 {
		st.PlannedEndsAt = now + plannedMs
	}
	var previous *view.AgendaEntryView
	if old := b.st.Agenda; old != nil {
		st.Log = old.Log
		if old.Item != 0 {
			e := view.AgendaEntry{Item: old.Item, StartedAt: old.StartedAt, EndedAt: now}
			if old.PlannedEndsAt > 0 {
				e.PlannedMs = old.PlannedEndsAt - old.StartedAt
			}
			st.Log = append(st.Log, e)
			if len(st.Log) > maxAgendaLog {
				st.Log = st.Log[len(st.Log)-maxAgendaLog:]
			}
			v := view.NewAgendaEntryView(e)
			previous = &v
		}
	}
	prevItem := int64(0)
	if previous != nil {
		prevItem = previous.Item
	}
	b.st.Agenda, b.dirty = st, true
	item := view.NewAgendaItemView(it)
	b.emit("agenda.changed", AudienceAll, agendaChanged{Item: &item, StartedAt: now, PlannedEndsAt: st.PlannedEndsAt, Previous: prevItem})
	timing := view.TimingAt(&b.w, items, st, b.now)
	timing.Previous = previous
	b.emit("agenda.timing", AudienceModerators, timing)

	if it.Phase.Valid() && it.Phase != b.w.Phase {
		b.changePhase(it.Phase)
	}
	b.cancelRounds()
	switch {
	case plannedMs > 0:
		ms := min(plannedMs, view.MaxTimerMs)
		b.st.Timer = view.Timer{Running: true, EndsAt: now + ms, DurationMs: ms}
		b.timerChanged()
	case b.st.Timer != view.Timer{}:
		b.st.Timer = view.Timer{}
		b.timerChanged()
	}
	return nil
}

// tickAgenda tells the moderators, once, that the current item has reached its planned end.
func (b *batch) tickAgenda(ctx context.Context) error {
	a := b.st.Agenda
	if a == nil || a.PlannedEndsAt == 0 || a.Overdue || b.now.UnixMilli() < a.PlannedEndsAt {
		return nil
	}
	items, err := b.agendaItems(ctx)
	if err != nil {
		return err
	}
	a.Overdue, b.dirty = true, true
	b.emit("agenda.timing", AudienceModerators, view.TimingAt(&b.w, items, a, b.now))
	return nil
}

type agendaGotoArgs struct{ Item int64 }
