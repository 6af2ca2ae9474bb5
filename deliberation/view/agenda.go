package view

import (
	"time"

	"github.com/assises/assises/record"
)

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

// NewAgendaItemView is an agenda item as events and snapshots carry it.
func NewAgendaItemView(it *record.AgendaItem) AgendaItemView {
	v := AgendaItemView{ID: it.ID, Position: it.Position, Kind: it.Kind, Title: it.Title, Phase: it.Phase,
		PlannedMinutes: it.PlannedMinutes, TitleTexts: it.Translations.Field("title")}
	return v
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

// NewAgendaEntryView is an item that ran, with its overrun.
func NewAgendaEntryView(e AgendaEntry) AgendaEntryView {
	actual := e.EndedAt - e.StartedAt
	over := int64(0)
	if e.PlannedMs > 0 {
		over = max(0, actual-e.PlannedMs)
	}
	return AgendaEntryView{AgendaEntry: e, ActualMs: actual, OverrunMs: over}
}

// TimingAt computes the current item's standing against the timetable at now.
func TimingAt(w *record.Workshop, items []record.AgendaItem, st *AgendaState, now time.Time) AgendaTiming {
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
		v.Items[i] = NewAgendaItemView(&items[i])
	}
	a := st.Agenda
	if a == nil {
		return v
	}
	v.Current, v.StartedAt, v.PlannedEndsAt = a.Item, a.StartedAt, a.PlannedEndsAt
	if moderator {
		t := TimingAt(w, items, a, now)
		v.Timing = &t
		v.Log = make([]AgendaEntryView, len(a.Log))
		for i, e := range a.Log {
			v.Log[i] = NewAgendaEntryView(e)
		}
	}
	return v
}

// RoundsView is the rounds.changed event and the snapshot's "rounds": the plan and where it
// stands. EndsAt is the current round's deadline on the server's clock (the timer's endsAt
// while it runs; 0 while paused).
type RoundsView struct {
	Active    bool        `json:"active"`
	Finished  bool        `json:"finished"`
	Steps     []RoundStep `json:"steps"`
	Repeat    int         `json:"repeat"`
	Index     int         `json:"index"`
	Total     int         `json:"total"`
	Case      int         `json:"case"` // 1-based repetition ("case 2 of 3")
	Step      int         `json:"step"` // 0-based position in Steps
	Key       string      `json:"key"`
	StartedAt int64       `json:"startedAt"`
	EndsAt    int64       `json:"endsAt"`
	Skipped   int         `json:"skipped,omitempty"` // rounds that ended unseen (the server was late)
}

// NewRoundsView is the plan of rounds r where it stands, with the deadline of timer t.
func NewRoundsView(r *RoundsState, t Timer) RoundsView {
	if r == nil {
		return RoundsView{Steps: []RoundStep{}}
	}
	v := RoundsView{Active: !r.Finished, Finished: r.Finished, Steps: r.Steps, Repeat: r.Repeat, Index: r.Index,
		Total: r.Total(), Case: r.Index/len(r.Steps) + 1, Step: r.Index % len(r.Steps),
		Key: r.Steps[r.Index%len(r.Steps)].Key, StartedAt: r.StartedAt}
	if t.Running {
		v.EndsAt = t.EndsAt
	}
	return v
}
