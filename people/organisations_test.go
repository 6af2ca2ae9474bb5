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
	"github.com/assises/assises/storage/storagetest"
)

// storedOrganisation is an organisation's row as stored.
func storedOrganisation(t *testing.T, db bun.IDB, participantID int64) people.Organisation {
	t.Helper()
	var o people.Organisation
	err := db.NewSelect().Model(&o).Where("id = (SELECT organisation_id FROM participants WHERE id = ?)", participantID).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// An organisation's name is stored sealed and its folded name as a keyed hash; two people who
// type it differently still land in one organisation, before an erasure and after it (which
// draws a new key for the hashes); every reader opens the name, the room's labels included.
func TestOrganisationNamesAreSealedAndMatched(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "organisations")
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
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "anciennes")
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
