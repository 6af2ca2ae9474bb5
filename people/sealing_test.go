package people_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// The columns as stored: sealed, never the plain text.
func storedPerson(t *testing.T, db bun.IDB, id int64) people.Person {
	t.Helper()
	var p people.Person
	if err := db.NewSelect().Model(&p).Where("participant_id = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPersonalFieldsAreStoredSealed(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "scelle")
		w := fixture.Workshop(t, db, p)
		email, phone := "ines@example.org", "+32470111222"
		who, err := people.CreateParticipant(ctx, db, people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: "Maison",
			Person: people.Person{DisplayName: "Inès", Email: &email, Phone: &phone}})
		if err != nil {
			t.Fatal(err)
		}
		if err := people.AddRegistration(ctx, db, w, who.ID, record.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}
		raw := storedPerson(t, db, who.ID)
		for col, v := range map[string]string{"display_name": raw.DisplayName, "email": *raw.Email, "phone": *raw.Phone} {
			if !strings.HasPrefix(v, "s1:") || strings.Contains(v, "Inès") || strings.Contains(v, "ines@") || strings.Contains(v, "470111222") {
				t.Errorf("people.%s is stored as %q; want it sealed", col, v)
			}
		}
		// Every way organisers read people opens the fields.
		got, err := people.GetPerson(ctx, db, who.ID)
		if err != nil || got.DisplayName != "Inès" || *got.Email != email || *got.Phone != phone {
			t.Errorf("GetPerson: %+v, %v", got, err)
		}
		rows, err := people.List(ctx, db, p.ID)
		if err != nil || len(rows) != 1 || rows[0].DisplayName != "Inès" || *rows[0].Email != email || rows[0].Organisation != "Maison" {
			t.Errorf("List: %+v, %v", rows, err)
		}
		regs, err := people.ListProcessRegistrations(ctx, db, p.ID)
		if err != nil || len(regs) != 1 || regs[0].DisplayName != "Inès" {
			t.Errorf("ListProcessRegistrations: %+v, %v", regs, err)
		}
		regs, err = people.ListWorkshopRegistrations(ctx, db, w.ID)
		if err != nil || len(regs) != 1 || regs[0].DisplayName != "Inès" {
			t.Errorf("ListWorkshopRegistrations: %+v, %v", regs, err)
		}
		// A sealed value moved to another person's row does not open.
		other := fixture.Person(t, db, p, "Other", "")
		if _, err := db.NewUpdate().Model((*people.Person)(nil)).Set("display_name = ?", raw.DisplayName).Where("participant_id = ?", other.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := people.GetPerson(ctx, db, other.ID); err == nil {
			t.Errorf("a name copied from another row opened as %q", got.DisplayName)
		}
	})
}

// A database from before sealing: its people are sealed at start, once.
func TestSealUnsealedSealsOldRowsOnce(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "ancien")
		pa := &record.Participant{ProcessID: &p.ID, Role: record.RoleParticipant, CreatedAt: time.Now().UTC()}
		if _, err := db.NewInsert().Model(pa).Returning("id").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		email := "old@example.org"
		old := &people.Person{ParticipantID: pa.ID, DisplayName: "Ancien Nom", Email: &email, Language: "fr", CreatedAt: time.Now().UTC()}
		if _, err := db.NewInsert().Model(old).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		fresh := fixture.Person(t, db, p, "Nouveau", "")
		if got, err := people.GetPerson(ctx, db, pa.ID); err != nil || got.DisplayName != "Ancien Nom" {
			t.Fatalf("an old plain row reads as %+v, %v; want itself", got, err)
		}
		n, err := people.SealUnsealed(ctx, db)
		if err != nil || n != 1 {
			t.Fatalf("SealUnsealed: %d, %v; want the one old row", n, err)
		}
		if raw := storedPerson(t, db, pa.ID); !strings.HasPrefix(raw.DisplayName, "s1:") || !strings.HasPrefix(*raw.Email, "s1:") || raw.Phone != nil {
			t.Errorf("after sealing the old row is stored as %+v", raw)
		}
		for id, name := range map[int64]string{pa.ID: "Ancien Nom", fresh.ID: "Nouveau"} {
			if got, err := people.GetPerson(ctx, db, id); err != nil || got.DisplayName != name {
				t.Errorf("person %d reads as %+v, %v; want %q", id, got, err, name)
			}
		}
		if n, err := people.SealUnsealed(ctx, db); err != nil || n != 0 {
			t.Errorf("SealUnsealed again: %d, %v; want nothing to do", n, err)
		}
	})
}
