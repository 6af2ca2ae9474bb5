package deliberation

import (
	"context"
	"errors"
	"testing"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
)

func TestActor(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		db := r.db
		other := newRoom(t, db)
		mk := func(role record.Role, status string) int64 {
			t.Helper()
			p, err := people.CreateParticipant(ctx, db, people.NewParticipant{ProcessID: &r.proc.ID, Role: role,
				Person: people.Person{DisplayName: "X", Language: "nl"}})
			if err != nil {
				t.Fatal(err)
			}
			if status != "" {
				if err := people.AddRegistration(ctx, db, r.w, p.ID, status); err != nil {
					t.Fatal(err)
				}
			}
			return p.ID
		}
		platform, _, err := people.EnsurePlatformOrganiser(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		appointed := mk(record.RoleParticipant, "")
		if _, err := db.NewInsert().Model(&record.WorkshopRole{WorkshopID: r.w.ID, ParticipantID: appointed, Role: record.RoleModerator}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		erased := mk(record.RoleParticipant, record.RegistrationConfirmed)
		if _, err := db.NewUpdate().Model((*record.Participant)(nil)).Set("erased_at = ?", r.clock.Now()).Where("id = ?", erased).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		registered := mk(record.RoleParticipant, record.RegistrationConfirmed)

		tests := []struct {
			name        string
			participant int64
			moderator   bool
			err         error
		}{
			{"platform organiser", platform.ID, true, nil},
			{"process organiser", mk(record.RoleOrganiser, ""), true, nil},
			{"process moderator", r.mod.Participant, true, nil},
			{"appointed moderator of this workshop", appointed, true, nil},
			{"registered participant", registered, false, nil},
			{"observer", mk(record.RoleObserver, ""), false, nil},
			{"committee", mk(record.RoleCommittee, ""), false, nil},
			{"unregistered participant", mk(record.RoleParticipant, ""), false, ErrForbidden},
			{"waiting list", mk(record.RoleParticipant, record.RegistrationWaiting), false, ErrForbidden},
			{"erased", erased, false, ErrForbidden},
			{"participant of another process", other.alice.Participant, false, ErrForbidden},
			{"moderator of another process", other.mod.Participant, false, ErrForbidden},
			{"unknown id", 99999999, false, ErrForbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, err := r.e.Actor(ctx, r.w.ID, tt.participant)
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: got error %v, want %v", tt.name, err, tt.err)
					return
				}
				if err == nil && (a.Moderator != tt.moderator || a.Participant != tt.participant) {
					t.Errorf("%s: got %+v, want moderator %v", tt.name, a, tt.moderator)
				}
			})
		}
		if a, _ := r.e.Actor(ctx, r.w.ID, registered); a.Language != "nl" || a.Role != record.RoleParticipant {
			t.Errorf("got %+v, want language nl and role participant", a)
		}
		if _, err := r.e.Actor(ctx, r.w.ID+1000, registered); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("unknown workshop: got %v, want ErrNotFound", err)
		}

		// In an open process, any participant of the process may join.
		if _, err := db.NewUpdate().Model((*record.Process)(nil)).Set("invitation_required = ?", false).Where("id = ?", r.proc.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := r.e.Actor(ctx, r.w.ID, mk(record.RoleParticipant, "")); err != nil {
			t.Errorf("open process: got %v, want a participant", err)
		}
		// Actors holds everyone Actor lets in, and the same actor: the hub disconnects anyone
		// missing from it after a change of groups.
		actors, err := r.e.Actors(ctx, r.w.ID)
		if err != nil || !actors[appointed].Moderator {
			t.Fatalf("Actors: got %+v %v, want the appointed moderator among them", actors, err)
		}
		for _, tt := range tests {
			t.Run("Actors "+tt.name, func(t *testing.T) {
				a, err := r.e.Actor(ctx, r.w.ID, tt.participant)
				got, listed := actors[tt.participant]
				if listed != (err == nil) || listed && got != a {
					t.Errorf("Actors, %s: got %+v (listed %v), want what Actor says: %+v (%v)", tt.name, got, listed, a, err)
				}
			})
		}
	})
}
