package people_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/storage/storagetest"
)

// TestEraseEndsTheirSessions: erasing a person deletes every sign-in session they had (their
// cookies open nothing, and no row says they ever signed in), and nobody else's; erasing a
// process does the same for everyone in it.
func TestEraseEndsTheirSessions(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "sessions-effacees")
		newPerson := func(name string) *record.Participant {
			who, err := people.CreateParticipant(ctx, db, people.NewParticipant{
				ProcessID: &p.ID, Role: record.RoleParticipant, Person: people.Person{DisplayName: name},
			})
			if err != nil {
				t.Fatal(err)
			}
			return who
		}
		signIn := func(who *record.Participant) string {
			token, err := people.CreateSession(ctx, db, who.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		sessionsOf := func(who *record.Participant) int64 {
			n, err := db.NewSelect().Model((*people.AuthSession)(nil)).Where("participant_id = ?", who.ID).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		zoe, bram := newPerson("Zoé"), newPerson("Bram")
		phone, laptop, bramsPhone := signIn(zoe), signIn(zoe), signIn(bram)

		if err := people.Erase(ctx, db, zoe.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if n := sessionsOf(zoe); n != 0 {
			t.Errorf("Zoé's sessions after her erasure: got %d rows, want 0", n)
		}
		for _, token := range []string{phone, laptop} {
			if _, err := people.SessionParticipant(ctx, db, token, time.Now()); !errors.Is(err, record.ErrNotFound) {
				t.Errorf("Zoé's cookie after her erasure: got %v, want not found", err)
			}
		}
		if got, err := people.SessionParticipant(ctx, db, bramsPhone, time.Now()); err != nil || got.ID != bram.ID {
			t.Fatalf("Bram's cookie after Zoé's erasure: got %v %v, want Bram still signed in", got, err)
		}

		if _, err := people.EraseProcess(ctx, db, p.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if n := sessionsOf(bram); n != 0 {
			t.Errorf("Bram's sessions after erasing the process: got %d rows, want 0", n)
		}
	})
}
