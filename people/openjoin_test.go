package people_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestJoinOpen: an open session lets anyone with its code in under a pseudonym, up to its
// capacity, with a confirmed place marked as an open join and no arrival recorded; a session
// that is not open, or is over, answers as an unknown code would.
func TestJoinOpen(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "ouvert")
		w := fixture.Workshop(t, db, p)
		now := time.Now()
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "Zoé", "fr", now, time.Hour); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("a session on invitation: got %v, want ErrNotFound", err)
		}
		w.Access, w.Capacity = record.AccessOpen, 2
		if err := process.UpdateWorkshop(ctx, db, w); err != nil {
			t.Fatal(err)
		}
		got, token, err := people.JoinOpen(ctx, db, w.Code, "  Zoé   la  rouge ", "nl", now, time.Hour)
		if err != nil || got.ID != w.ID || token == "" {
			t.Fatalf("open join: got %v, %q, %v", got, token, err)
		}
		who, err := people.SessionParticipant(ctx, db, token, now)
		if err != nil || who.ProcessID == nil || *who.ProcessID != p.ID || who.Role != record.RoleParticipant {
			t.Fatalf("the phone's session: got %+v, %v, want a participant of the process", who, err)
		}
		person, err := people.GetPerson(ctx, db, who.ID)
		if err != nil || person.DisplayName != "Zoé la rouge" || person.Language != "nl" {
			t.Errorf("person: got %+v, %v", person, err)
		}
		reg, err := people.ConfirmedPlace(ctx, db, w.ID, who.ID)
		if err != nil || !reg.OpenJoin || reg.CheckedInAt != nil {
			t.Errorf("place: got %+v, %v, want confirmed, an open join, not checked in", reg, err)
		}
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "Bram", "fr", now, time.Hour); err != nil {
			t.Fatalf("second open join: %v", err)
		}
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "Chloé", "fr", now, time.Hour); !errors.Is(err, people.ErrRoomFull) {
			t.Errorf("third join in a room for two: got %v, want ErrRoomFull", err)
		}
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "", "fr", now, time.Hour); err == nil {
			t.Errorf("an empty pseudonym was accepted")
		}
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "Late", "fr", w.EndsAt, time.Hour); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("after the end: got %v, want ErrNotFound", err)
		}
		if _, _, err := people.JoinOpen(ctx, db, "ZZZZZZ", "X", "fr", now, time.Hour); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("unknown code: got %v, want ErrNotFound", err)
		}
	})
}
