package deliberation

import (
	"context"
	"testing"
	"time"

	"github.com/assises/assises/record"
)

// checkedInAt reads when a participant arrived in the room's session (nil: not yet).
func (r *room) checkedInAt(a Actor) *time.Time {
	r.t.Helper()
	var reg record.Registration
	if err := r.db.NewSelect().Model(&reg).Where("workshop_id = ? AND participant_id = ?", r.w.ID, a.Participant).Scan(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	return reg.CheckedInAt
}

// TestSelfCheckInWindow: a person's own "I am here" counts only on the day, from an hour before
// the session starts to its end; a moderator's check-in counts whenever it is made.
func TestSelfCheckInWindow(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		start := r.w.StartsAt
		r.clock.Advance(-13 * 24 * time.Hour) // a card opened at home, days before
		r.refused(r.alice, "checkin.self", nil, CodeOutsideHours)
		if got := r.checkedInAt(r.alice); got != nil {
			t.Fatalf("days before: got checked in at %v, want attendance unchanged", got)
		}
		r.clock.Advance(start.Add(-SelfCheckInOpens - time.Minute).Sub(r.clock.Now()))
		r.refused(r.alice, "checkin.self", nil, CodeOutsideHours)
		r.clock.Advance(time.Minute) // exactly an hour before: the doors open
		r.ok(r.alice, "checkin.self", nil)
		if got := r.checkedInAt(r.alice); got == nil || !got.Equal(start.Add(-SelfCheckInOpens)) {
			t.Errorf("an hour before: got %v, want checked in at %v", got, start.Add(-SelfCheckInOpens))
		}
		r.clock.Advance(r.w.EndsAt.Sub(r.clock.Now())) // the session is over
		r.refused(r.bob, "checkin.self", nil, CodeOutsideHours)
		if got := r.checkedInAt(r.bob); got != nil {
			t.Errorf("after the end: got checked in at %v, want nothing", got)
		}
		// The welcome desk is not bound by the hours: it sees the person.
		r.ok(r.mod, "checkin.set", map[string]any{"participant": r.bob.Participant, "present": true})
		if got := r.checkedInAt(r.bob); got == nil {
			t.Errorf("the moderator's check-in: got nothing, want bob checked in")
		}
	})
}
