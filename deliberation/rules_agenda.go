package deliberation

import (
	"context"
	"time"

	"github.com/assises/assises/record"
)

// Rules for the timetable (a Partner Day: "9h accueil, 9h30 début, 12h30 pause, 13h30 études de
// cas, 16h conclusions"). The moderator walks through the agenda items; the current item drives
// the phase and the timer; the moderators see how far the session runs over.

// AgendaState is the current agenda item, kept in workshops.state. Times are Unix ms of the
// server's clock.
type AgendaState struct {
	Item          int64 `json:"item"`
	StartedAt     int64 `json:"startedAt"`
	PlannedEndsAt int64 `json:"plannedEndsAt"` // 0: the item has no planned duration
	// Overdue is set once the planned end has passed (the "tick" that says so ran), so the
	// moderators are told once.
	Overdue bool          `json:"overdue,omitempty"`
	Log     []AgendaEntry `json:"log,omitempty"` // the items done, oldest first
}

// AgendaEntry is one item as it really ran.
type AgendaEntry struct {
	Item      int64 `json:"item"`
	StartedAt int64 `json:"startedAt"`
	EndedAt   int64 `json:"endedAt"`
	PlannedMs int64 `json:"plannedMs"`
}

// maxAgendaLog bounds the history kept in the state (a session has at most 40 items, but the
// moderator may go back and forth).
const maxAgendaLog = 100

// AgendaItemView is an agenda item as events and snapshots carry it.
type AgendaItemView struct {
	ID             int64        `json:"id"`
	Position       int          `json:"position"`
	Kind           string       `json:"kind"`
	Title          string       `json:"title"`
	Phase          record.Phase `json:"phase"`
	PlannedMinutes int          `json:"plannedMinutes"`
	// TitleTexts: the title in the process's other languages (language → text).
	TitleTexts map[string]string `json:"titleTexts,omitempty"`
}

func newAgendaItemView(it *record.AgendaItem) AgendaItemView {
	v := AgendaItemView{ID: it.ID, Position: it.Position, Kind: it.Kind, Title: it.Title, Phase: it.Phase,
		PlannedMinutes: it.PlannedMinutes}
	for lang, fields := range it.Translations {
		if fields["title"] != "" {
			if v.TitleTexts == nil {
				v.TitleTexts = map[string]string{}
			}
			v.TitleTexts[lang] = fields["title"]
		}
	}
	return v
}

// agendaChanged is the agenda.changed event (everyone).
type agendaChanged struct {
	Item          *AgendaItemView `json:"item"`
	StartedAt     int64           `json:"startedAt"`
	PlannedEndsAt int64           `json:"plannedEndsAt"`
	Previous      int64           `json:"previous"`
}

// AgendaTiming is the agenda.timing event (moderators): how the current item stands against
// the plan, and how the previous one went.
type AgendaTiming struct {
	Item          int64 `json:"item"`
	StartedAt     int64 `json:"startedAt"`
	PlannedEndsAt int64 `json:"plannedEndsAt"`
	// ScheduledAt is when the timetable placed this item (the session's start plus the planned
	// minutes of the items before it); LateMs = StartedAt − ScheduledAt (negative: ahead).
	ScheduledAt int64 `json:"scheduledAt"`
	LateMs      int64 `json:"lateMs"`
	// Overdue: the planned end has passed; OverrunMs is by how much, at the time of the data.
	Overdue   bool             `json:"overdue"`
	OverrunMs int64            `json:"overrunMs"`
	Previous  *AgendaEntryView `json:"previous"`
}

// AgendaEntryView is an item that ran: planned against actual.
type AgendaEntryView struct {
	AgendaEntry
	ActualMs  int64 `json:"actualMs"`
	OverrunMs int64 `json:"overrunMs"` // actual − planned when positive, else 0
}

func newAgendaEntryView(e AgendaEntry) AgendaEntryView {
	actual := e.EndedAt - e.StartedAt
	over := int64(0)
	if e.PlannedMs > 0 {
		over = max(0, actual-e.PlannedMs)
	}
	return AgendaEntryView{AgendaEntry: e, ActualMs: actual, OverrunMs: over}
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
	st := &AgendaState{Item: it.ID, StartedAt: now}
	if plannedMs > 0 {
		st.PlannedEndsAt = now + plannedMs
	}
	var previous *AgendaEntryView
	if old := b.st.Agenda; old != nil {
		st.Log = old.Log
		if old.Item != 0 {
			e := AgendaEntry{Item: old.Item, StartedAt: old.StartedAt, EndedAt: now}
			if old.PlannedEndsAt > 0 {
				e.PlannedMs = old.PlannedEndsAt - old.StartedAt
			}
			st.Log = append(st.Log, e)
			if len(st.Log) > maxAgendaLog {
				st.Log = st.Log[len(st.Log)-maxAgendaLog:]
			}
			v := newAgendaEntryView(e)
			previous = &v
		}
	}
	prevItem := int64(0)
	if previous != nil {
		prevItem = previous.Item
	}
	b.st.Agenda, b.dirty = st, true
	view := newAgendaItemView(it)
	b.emit("agenda.changed", AudienceAll, agendaChanged{Item: &view, StartedAt: now, PlannedEndsAt: st.PlannedEndsAt, Previous: prevItem})
	timing := agendaTiming(&b.w, items, st, b.now)
	timing.Previous = previous
	b.emit("agenda.timing", AudienceModerators, timing)

	if it.Phase.Valid() && it.Phase != b.w.Phase {
		b.changePhase(it.Phase)
	}
	b.cancelRounds()
	switch {
	case plannedMs > 0:
		ms := min(plannedMs, maxTimerMs)
		b.st.Timer = Timer{Running: true, EndsAt: now + ms, DurationMs: ms}
		b.timerChanged()
	case b.st.Timer != Timer{}:
		b.st.Timer = Timer{}
		b.timerChanged()
	}
	return nil
}

// agendaTiming computes the current item's standing against the timetable at now.
func agendaTiming(w *record.Workshop, items []record.AgendaItem, st *AgendaState, now time.Time) AgendaTiming {
	t := AgendaTiming{Item: st.Item, StartedAt: st.StartedAt, PlannedEndsAt: st.PlannedEndsAt, Overdue: st.Overdue}
	scheduled := w.StartsAt.UnixMilli()
	for i := range items {
		if items[i].ID == st.Item {
			t.ScheduledAt = scheduled
			t.LateMs = st.StartedAt - scheduled
			break
		}
		scheduled += int64(items[i].PlannedMinutes) * 60_000
	}
	if st.PlannedEndsAt > 0 {
		t.OverrunMs = max(0, now.UnixMilli()-st.PlannedEndsAt)
		t.Overdue = t.Overdue || t.OverrunMs > 0
	}
	return t
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
	b.emit("agenda.timing", AudienceModerators, agendaTiming(&b.w, items, a, b.now))
	return nil
}

// AgendaView is the agenda in a snapshot: the timetable and the current item; Timing and Log
// are for moderators only.
type AgendaView struct {
	Items         []AgendaItemView  `json:"items"`
	Current       int64             `json:"current"`
	StartedAt     int64             `json:"startedAt"`
	PlannedEndsAt int64             `json:"plannedEndsAt"`
	Timing        *AgendaTiming     `json:"timing,omitempty"`
	Log           []AgendaEntryView `json:"log,omitempty"`
}

func newAgendaView(w *record.Workshop, st *LiveState, items []record.AgendaItem, moderator bool, now time.Time) *AgendaView {
	v := &AgendaView{Items: make([]AgendaItemView, len(items))}
	for i := range items {
		v.Items[i] = newAgendaItemView(&items[i])
	}
	a := st.Agenda
	if a == nil {
		return v
	}
	v.Current, v.StartedAt, v.PlannedEndsAt = a.Item, a.StartedAt, a.PlannedEndsAt
	if moderator {
		t := agendaTiming(w, items, a, now)
		v.Timing = &t
		v.Log = make([]AgendaEntryView, len(a.Log))
		for i, e := range a.Log {
			v.Log[i] = newAgendaEntryView(e)
		}
	}
	return v
}

type agendaGotoArgs struct{ Item int64 }
