package notebook

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	setup "github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestCoverCountsOpenParticipantsApart: people who joined an open session under a pseudonym
// are counted on the cover, apart from those who registered.
func TestCoverCountsOpenParticipantsApart(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p, w := setup.Session(t, db, "pleniere")
		for _, name := range []string{"Anke", "Bruno"} {
			setup.Registered(t, db, p, w, name, name+" asbl")
		}
		w.Access = record.AccessOpen
		if err := process.UpdateWorkshop(ctx, db, w); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Pseudo 1", "Pseudo 2", "Pseudo 3"} {
			if _, _, err := people.JoinOpen(ctx, db, w.Code, name, "fr", time.Now(), time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		nb, err := Compile(ctx, db, p.ID, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if nb.Cover.Participants != 2 || nb.Cover.OpenParticipants != 3 || nb.Cover.Organisations != 2 {
			t.Errorf("cover: got %d registered, %d open, %d organisations; want 2, 3, 2", nb.Cover.Participants, nb.Cover.OpenParticipants, nb.Cover.Organisations)
		}
	})
}
