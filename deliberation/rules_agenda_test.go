package deliberation

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// tick runs the hub's timer follow-up at the room's clock.
func (r *room) tick() Result {
	r.t.Helper()
	res, err := r.e.Flush(context.Background(), r.w.ID, []string{"tick"})
	if err != nil {
		r.t.Fatalf("tick: %v", err)
	}
	return res
}

func decode[T any](t *testing.T, ev Event) T {
	t.Helper()
	var v T
	if err := jsonUnmarshal(ev.Data, &v); err != nil {
		t.Fatalf("%s: %v", ev.Name, err)
	}
	return v
}

func only(t *testing.T, events []Event, name string) Event {
	t.Helper()
	evs := named(events, name)
	if len(evs) != 1 {
		t.Fatalf("got %d %s events in %v, want 1", len(evs), name, audiences(events))
	}
	return evs[0]
}

// TestAgenda walks the timetable of a Partner Day: each item moves the phase and starts a timer of
// its planned length; the moderators are told when an item runs over, and by how much when the
// session moves on.
func TestAgenda(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		ctx := context.Background()
		r.refused(r.mod, "agenda.next", nil, CodeBadState) // no agenda yet
		items := []record.AgendaItem{
			{Kind: "welcome", Title: "Accueil", PlannedMinutes: 30},
			{Kind: "phase", Title: "Diagnostic", Phase: record.PhaseDiagnostic, PlannedMinutes: 90},
			{Kind: "break", Title: "Pause"},
			{Kind: "conclusions", Title: "Conclusions", Phase: record.PhaseRecommendations, PlannedMinutes: 20},
		}
		if err := process.SetAgenda(ctx, db, r.w.ID, items); err != nil {
			t.Fatal(err)
		}
		list, _ := record.ListAgenda(ctx, db, r.w.ID)
		start := r.clock.Now() // the workshop starts now (newRoom)

		res := r.ok(r.mod, "agenda.next", nil)
		if got, want := audiences(res.Events), []string{"agenda.changed→all", "agenda.timing→moderators", "timer.changed→all"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("first item: got %v, want %v", got, want)
		}
		ch := decode[agendaChanged](t, res.Events[0])
		if ch.Item.ID != list[0].ID || ch.PlannedEndsAt != start.Add(30*time.Minute).UnixMilli() {
			t.Errorf("agenda.changed: got %+v, want item %d ending 30 minutes from now", ch, list[0].ID)
		}
		if !res.WakeAt.Equal(start.Add(30 * time.Minute)) {
			t.Errorf("WakeAt: got %v, want the item's planned end", res.WakeAt)
		}

		// Ten minutes late into the diagnostic: the welcome ran 40 minutes for 30 planned.
		r.clock.Advance(30 * time.Minute)
		res = r.tick()
		if got, want := audiences(res.Events), []string{"timer.changed→all", "agenda.timing→moderators"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("at the planned end: got %v, want %v", got, want)
		}
		if timing := decode[view.AgendaTiming](t, res.Events[1]); !timing.Overdue || timing.OverrunMs != 0 {
			t.Errorf("at the planned end: got %+v, want overdue by 0 ms", timing)
		}
		if got := r.tick(); len(named(got.Events, "agenda.timing")) != 0 {
			t.Errorf("second tick: got %v, want the moderators told once", audiences(got.Events))
		}
		r.clock.Advance(10 * time.Minute)
		res = r.ok(r.mod, "agenda.next", nil)
		if got, want := audiences(res.Events), []string{"agenda.changed→all", "agenda.timing→moderators", "phase.changed→all", "timer.changed→all"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("second item: got %v, want %v", got, want)
		}
		timing := decode[view.AgendaTiming](t, res.Events[1])
		tests := []struct {
			name      string
			got, want int64
		}{
			{"previous overrun", timing.Previous.OverrunMs, (10 * time.Minute).Milliseconds()},
			{"previous actual", timing.Previous.ActualMs, (40 * time.Minute).Milliseconds()},
			{"late against the timetable", timing.LateMs, (10 * time.Minute).Milliseconds()},
			{"scheduled at", timing.ScheduledAt, start.Add(30 * time.Minute).UnixMilli()},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.got != tt.want {
					t.Errorf("%s: got %d, want %d", tt.name, tt.got, tt.want)
				}
			})
		}
		if w, _ := record.GetWorkshop(ctx, db, r.w.ID); w.Phase != record.PhaseDiagnostic {
			t.Errorf("phase: got %s, want diagnostic", w.Phase)
		}

		// An item without a planned duration clears the timer; the end of the agenda is refused.
		res = r.ok(r.mod, "agenda.next", nil)
		if tm := decode[view.Timer](t, only(t, res.Events, "timer.changed")); tm != (view.Timer{}) {
			t.Errorf("break: got timer %+v, want cleared", tm)
		}
		r.ok(r.mod, "agenda.goto", map[string]any{"item": list[3].ID})
		r.refused(r.mod, "agenda.next", nil, CodeBadState)
		r.refused(r.mod, "agenda.goto", map[string]any{"item": list[0].ID + 1000}, CodeNotFound)

		// The snapshot: participants see the timetable and the current item, moderators the timing.
		_, s := r.snapshot(r.alice)
		if s.Agenda == nil || len(s.Agenda.Items) != 4 || s.Agenda.Current != list[3].ID || s.Agenda.Timing != nil || s.Agenda.Log != nil {
			t.Errorf("participant's agenda: got %+v", s.Agenda)
		}
		_, s = r.snapshot(r.mod)
		if s.Agenda.Timing == nil || len(s.Agenda.Log) != 3 || s.Agenda.Log[0].OverrunMs != (10*time.Minute).Milliseconds() {
			t.Errorf("moderator's agenda: got %+v", s.Agenda)
		}
	})
}

// TestRounds runs a 10-10-10 on the injected server clock: each round starts at the previous
// one's deadline (never at the moment the tick happens to run), a late tick skips the rounds
// that ended unseen, the end of the plan expires the timer, and the moderator's timer buttons
// act on the current round.
func TestRounds(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		start := r.clock.Now().UnixMilli()
		const ten = 600_000
		res := r.ok(r.mod, "rounds.start", map[string]any{"repeat": 2, "steps": []map[string]any{
			{"key": "presentation", "seconds": 600}, {"key": "questions", "seconds": 600}, {"key": "advice", "seconds": 600}}})
		v := decode[view.RoundsView](t, only(t, res.Events, "rounds.changed"))
		if v.Index != 0 || v.Total != 6 || v.Key != "presentation" || v.EndsAt != start+ten || v.Case != 1 {
			t.Errorf("start: got %+v", v)
		}
		if _, _, wake, _ := r.e.Open(ctx, r.w.ID); wake.UnixMilli() != start+ten {
			t.Errorf("Open: got wake %v, want the first round's end", wake)
		}
		r.refused(r.mod, "rounds.start", map[string]any{"steps": []map[string]any{}}, CodeInvalidArgs)
		r.refused(r.mod, "rounds.start", map[string]any{"steps": []map[string]any{{"key": "", "seconds": 60}}}, CodeEmpty)
		r.refused(r.mod, "rounds.start", map[string]any{"steps": []map[string]any{{"key": "x", "seconds": 0}}}, CodeInvalidArgs)
		r.refused(r.mod, "rounds.start", map[string]any{"repeat": 21, "steps": []map[string]any{{"key": "x", "seconds": 1}}}, CodeInvalidArgs)

		// The tick runs 3 s late: the questions still end 20 minutes after the start.
		r.clock.Advance(ten*time.Millisecond + 3*time.Second)
		res = r.tick()
		v = decode[view.RoundsView](t, only(t, res.Events, "rounds.changed"))
		tm := decode[view.Timer](t, only(t, res.Events, "timer.changed"))
		if v.Index != 1 || v.Key != "questions" || v.StartedAt != start+ten || v.EndsAt != start+2*ten || tm.EndsAt != start+2*ten || tm.Expired {
			t.Errorf("second round: got %+v, timer %+v", v, tm)
		}
		if !res.WakeAt.Equal(time.UnixMilli(start + 2*ten)) {
			t.Errorf("WakeAt: got %v, want the second round's end", res.WakeAt)
		}

		// Paused for five minutes: the round resumes with what was left.
		r.ok(r.mod, "timer.pause", nil)
		r.clock.Advance(5 * time.Minute)
		if got := r.tick(); len(got.Events) != 0 {
			t.Errorf("tick while paused: got %v, want nothing", audiences(got.Events))
		}
		tm = decode[view.Timer](t, only(t, r.ok(r.mod, "timer.resume", nil).Events, "timer.changed"))
		resumed := tm.EndsAt
		if resumed != r.clock.Now().UnixMilli()+ten-3000 {
			t.Errorf("resume: got endsAt %d, want now + 9:57", resumed)
		}

		// The server was asleep for two and a half rounds: two were skipped, unseen.
		r.clock.Advance(time.Duration(resumed-r.clock.Now().UnixMilli())*time.Millisecond + 2*ten*time.Millisecond + ten/2*time.Millisecond)
		v = decode[view.RoundsView](t, only(t, r.tick().Events, "rounds.changed"))
		if v.Index != 4 || v.Skipped != 2 || v.Case != 2 || v.Step != 1 || v.EndsAt != resumed+3*ten {
			t.Errorf("after a long sleep: got %+v, want case 2, questions, 2 skipped, ending %d", v, resumed+3*ten)
		}
		r.ok(r.mod, "rounds.next", nil) // the group is done early with its questions
		r.clock.Advance(ten * time.Millisecond)
		res = r.tick()
		v = decode[view.RoundsView](t, only(t, res.Events, "rounds.changed"))
		tm = decode[view.Timer](t, only(t, res.Events, "timer.changed"))
		if !v.Finished || v.Active || tm != (view.Timer{}) || !res.WakeAt.IsZero() {
			t.Errorf("end of the plan: got %+v, timer %+v, wake %v", v, tm, res.WakeAt)
		}
		r.refused(r.mod, "rounds.next", nil, CodeBadState)

		// Starting the timer by hand ends a plan.
		r.ok(r.mod, "rounds.start", map[string]any{"steps": []map[string]any{{"key": "presentation", "seconds": 60}}})
		res = r.ok(r.mod, "timer.start", map[string]any{"seconds": 30})
		if got, want := audiences(res.Events), []string{"rounds.changed→all", "timer.changed→all"}; !reflect.DeepEqual(got, want) {
			t.Errorf("timer.start during rounds: got %v, want %v", got, want)
		}
		if _, s := r.snapshot(r.alice); s.Rounds.Active {
			t.Errorf("snapshot after timer.start: got rounds %+v, want none", s.Rounds)
		}
		r.refused(r.mod, "rounds.stop", nil, CodeBadState)
	})
}
