package people_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
)

// stored reads the one row of T that where selects as it is stored: sealed, never the plain
// text.
func stored[T any](t *testing.T, db bun.IDB, where string, arg any) T {
	t.Helper()
	var row T
	if err := db.NewSelect().Model(&row).Where(where, arg).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return row
}

// storedPerson is a person's row as stored.
func storedPerson(t *testing.T, db bun.IDB, participantID int64) people.Person {
	t.Helper()
	return stored[people.Person](t, db, "participant_id = ?", participantID)
}

// storedOrganisation is the row of a participant's organisation as stored.
func storedOrganisation(t *testing.T, db bun.IDB, participantID int64) people.Organisation {
	t.Helper()
	return stored[people.Organisation](t, db, "id = (SELECT organisation_id FROM participants WHERE id = ?)", participantID)
}

func TestPersonalFieldsAreStoredSealed(t *testing.T) {
	fixture.EachProcess(t, "scelle", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
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
	fixture.EachProcess(t, "ancien", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
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

// An organisation's name is stored sealed and its folded name as a keyed hash; two people who
// type it differently still land in one organisation, before an erasure and after it (which
// draws a new key for the hashes); every reader opens the name, the room's labels included.
func TestOrganisationNamesAreSealedAndMatched(t *testing.T) {
	fixture.EachProcess(t, "organisations", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		ines := fixture.Person(t, db, p, "Inès", "CPAS d'Anderlecht")
		raw := storedOrganisation(t, db, ines.ID)
		if !strings.HasPrefix(raw.Name, "s1:") || strings.Contains(raw.Name, "Anderlecht") {
			t.Errorf("organisations.name is stored as %q; want it sealed", raw.Name)
		}
		if !strings.HasPrefix(raw.NameKey, "t1:") || strings.Contains(raw.NameKey, "anderlecht") {
			t.Errorf("organisations.name_key is stored as %q; want a keyed hash", raw.NameKey)
		}
		same := func(who string, typed string) {
			t.Helper()
			other := fixture.Person(t, db, p, who, typed)
			if got := storedOrganisation(t, db, other.ID); got.ID != raw.ID {
				t.Errorf("%q typed by %s made organisation %d; want the one of %q (%d)", typed, who, got.ID, "CPAS d'Anderlecht", raw.ID)
			}
		}
		same("Bram", "  cpas d’anderlecht ")
		gone := fixture.Person(t, db, p, "Zoé", "Zoé, indépendante")
		if err := people.Erase(ctx, db, gone.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if after := storedOrganisation(t, db, ines.ID); after.NameKey == raw.NameKey {
			t.Errorf("the organisation's hash is %q after an erasure, as before; want it made with a new key", after.NameKey)
		}
		same("Chloé", "CPAS D'ANDERLECHT")
		orgs := organisationsOf(t, db, p.ID)
		if len(orgs) != 1 || orgs[0] != "CPAS d'Anderlecht" {
			t.Errorf("organisations: %q; want one, as typed first", orgs)
		}

		// The room shows the organisation as its label.
		if err := people.AddRegistration(ctx, db, w, ines.ID, record.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}
		eng := deliberation.NewEngine(db, deliberation.EngineOptions{})
		mod := deliberation.Actor{Participant: ines.ID, Role: record.RoleParticipant, Moderator: true}
		var posted json.RawMessage
		for i, c := range []struct {
			name string
			args any
		}{
			{"identity.set", map[string]any{"mode": "organisation"}},
			{"phase.set", map[string]any{"phase": "diagnostic"}},
			{"contribution.post", map[string]any{"kind": "finding", "body": "Les loyers montent."}},
		} {
			args, _ := json.Marshal(c.args)
			res, err := eng.Execute(ctx, w.ID, []deliberation.Command{{ID: "org-" + string(rune('a'+i)), Name: c.name, Args: args, Actor: mod}})
			if err != nil || res.Outcomes[0].Code != "" {
				t.Fatalf("%s: %v %+v", c.name, err, res.Outcomes)
			}
			for _, ev := range res.Events {
				if ev.Name == "contribution.posted" {
					posted = ev.Data
				}
			}
		}
		if !strings.Contains(string(posted), `"CPAS d'Anderlecht"`) && !strings.Contains(string(posted), `"CPAS d\u0027Anderlecht"`) {
			t.Errorf("the post reads %s; want the organisation as its label", posted)
		}
	})
}

// A database from before organisations were sealed: their names are sealed at start, once,
// and a person typing one of them afterwards lands in it.
func TestSealUnsealedSealsOldOrganisations(t *testing.T) {
	fixture.EachProcess(t, "anciennes", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		old := &people.Organisation{ProcessID: p.ID, Name: "Maison médicale du Nord", NameKey: people.OrganisationKey("Maison médicale du Nord")}
		if _, err := db.NewInsert().Model(old).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		pa := &record.Participant{ProcessID: &p.ID, Role: record.RoleParticipant, OrganisationID: &old.ID, CreatedAt: time.Now().UTC()}
		if _, err := db.NewInsert().Model(pa).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := people.SealUnsealed(ctx, db)
		if err != nil || n != 1 {
			t.Fatalf("sealed %d, %v; want the one organisation", n, err)
		}
		if n, err := people.SealUnsealed(ctx, db); err != nil || n != 0 {
			t.Errorf("sealing again: %d, %v; want nothing to do", n, err)
		}
		raw := storedOrganisation(t, db, pa.ID)
		if !strings.HasPrefix(raw.Name, "s1:") || !strings.HasPrefix(raw.NameKey, "t1:") {
			t.Errorf("after sealing the row holds %q, %q; want it sealed and hashed", raw.Name, raw.NameKey)
		}
		if orgs := organisationsOf(t, db, p.ID); len(orgs) != 1 || orgs[0] != "Maison médicale du Nord" {
			t.Errorf("organisations: %q", orgs)
		}
		later := fixture.Person(t, db, p, "Nadia", "maison medicale du nord")
		if got := storedOrganisation(t, db, later.ID); got.ID != old.ID {
			t.Errorf("the same name typed later made organisation %d; want %d", got.ID, old.ID)
		}
	})
}
