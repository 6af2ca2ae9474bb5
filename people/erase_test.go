package people_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/people"
	"github.com/assises/assises/storage/storagetest"
)

// textColumns lists every text column of every table of the schema.
func textColumns(t *testing.T, db *bun.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	cols := map[string][]string{}
	if db.Dialect().Name().String() == "pg" {
		var rows []struct{ TableName, ColumnName string }
		err := db.NewRaw(`SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying')`).Scan(ctx, &rows)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			cols[r.TableName] = append(cols[r.TableName], r.ColumnName)
		}
		return cols
	}
	var tables []string
	if err := db.NewRaw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var info []struct {
			Name string
			Type string
		}
		if err := db.NewRaw(fmt.Sprintf(`SELECT name, type FROM pragma_table_info('%s')`, table)).Scan(ctx, &info); err != nil {
			t.Fatal(err)
		}
		for _, c := range info {
			if strings.EqualFold(c.Type, "TEXT") {
				cols[table] = append(cols[table], c.Name)
			}
		}
	}
	return cols
}

// findAnywhere returns "table.column" for every text column holding needle.
func findAnywhere(t *testing.T, db *bun.DB, needle string) []string {
	t.Helper()
	var hits []string
	for table, cols := range textColumns(t, db) {
		for _, col := range cols {
			n, err := db.NewSelect().TableExpr("?", bun.Ident(table)).
				Where("? LIKE ?", bun.Ident(col), "%"+needle+"%").Count(context.Background())
			if err != nil {
				t.Fatalf("scan %s.%s: %v", table, col, err)
			}
			if n > 0 {
				hits = append(hits, table+"."+col)
			}
		}
	}
	return hits
}

// organisationsOf returns the names of a process's organisations, opened.
func organisationsOf(t *testing.T, db *bun.DB, processID int64) []string {
	t.Helper()
	orgs, err := people.ListOrganisations(context.Background(), db, processID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range orgs {
		names = append(names, o.Name)
	}
	return names
}

func TestErasePersonLeavesNoPersonalData(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		p := fixture.Process(t, db, "effacement")
		w := fixture.Workshop(t, db, p)
		make := func(name, org, email, phone string, consent bool) *deliberation.Participant {
			who, err := people.CreateParticipant(ctx, db, people.NewParticipant{
				ProcessID: &p.ID, Role: deliberation.RoleParticipant, Organisation: org,
				Person: people.Person{DisplayName: name, Email: &email, Phone: &phone, ServiceUser: true, AttributionConsent: consent},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := people.AddRegistration(ctx, db, w, who.ID, deliberation.RegistrationConfirmed); err != nil {
				t.Fatal(err)
			}
			return who
		}
		// Zoé's organisation names her; Bram agrees to keep his on what he said.
		zoe := make("Zoé Verhulst", "Zoé Verhulst, indépendante", "zoe.verhulst@example.org", "+32470123456", false)
		kept := make("Bram", "Maison de quartier Anneessens", "bram@example.org", "+32470999888", true)
		mod, err := people.CreateParticipant(ctx, db, people.NewParticipant{ProcessID: &p.ID, Role: deliberation.RoleParticipant, Person: people.Person{DisplayName: "Mod"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := people.SetWorkshopRole(ctx, db, w.ID, mod.ID, deliberation.RoleModerator); err != nil {
			t.Fatal(err)
		}
		if err := people.AddRegistration(ctx, db, w, mod.ID, deliberation.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}
		people.CreateInvitation(ctx, db, zoe.ID, &w.ID, time.Hour, false)
		people.CreateSession(ctx, db, zoe.ID, time.Hour)
		// An email to each waits in the outbox (the SMTP server is down, say).
		for _, who := range []struct {
			id int64
			to string
		}{{zoe.ID, "Zoé Verhulst <zoe.verhulst@example.org>"}, {kept.ID, "bram@example.org"}} {
			if err := outbox.Enqueue(ctx, db, "Assises <assises@example.org>", &who.id, mail.Message{To: who.to, Subject: "Votre lien", Text: "Bonjour", HTML: "<p>Bonjour</p>"}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}

		// Zoé speaks in a room that shows names: her name reaches the event log.
		eng := deliberation.NewEngine(db, deliberation.EngineOptions{})
		modA := deliberation.Actor{Participant: mod.ID, Role: deliberation.RoleParticipant, Moderator: true}
		zoeA := deliberation.Actor{Participant: zoe.ID, Role: deliberation.RoleParticipant}
		cmd := func(a deliberation.Actor, name string, args any) deliberation.Outcome {
			raw, _ := json.Marshal(args)
			res, err := eng.Execute(ctx, w.ID, []deliberation.Command{{ID: fmt.Sprintf("%s-%d", name, time.Now().UnixNano()), Name: name, Args: raw, Actor: a}})
			if err != nil || res.Outcomes[0].Code != "" {
				t.Fatalf("%s: %v %+v", name, err, res.Outcomes)
			}
			return res.Outcomes[0]
		}
		cmd(modA, "identity.set", map[string]any{"mode": "full"})
		cmd(modA, "phase.set", map[string]any{"phase": "diagnostic"})
		cmd(zoeA, "contribution.post", map[string]any{"kind": "finding", "body": "Les loyers dépassent la moitié de nos revenus."})
		// Her name is in plain text nowhere: the organisation that names her is sealed with its
		// own key, the event log stores her label sealed, the outbox her address. The control
		// (the search sees plain text) is the process's title.
		if hits := findAnywhere(t, db, "Zoé Verhulst"); len(hits) != 0 {
			t.Fatalf("before erasure the name is in plain text in %v, want it nowhere", hits)
		}
		if hits := findAnywhere(t, db, p.Title); len(hits) == 0 {
			t.Fatalf("the process's title %q is in no column: the search would prove nothing", p.Title)
		}
		if orgs := organisationsOf(t, db, p.ID); !slices.Contains(orgs, "Zoé Verhulst, indépendante") {
			t.Fatalf("before erasure the organisations read %q, want hers among them", orgs)
		}

		if err := people.Erase(ctx, db, zoe.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{"Zoé Verhulst", "zoe.verhulst", "470123456"} {
			if hits := findAnywhere(t, db, needle); len(hits) > 0 {
				t.Errorf("after erasure %q is still in %v", needle, hits)
			}
		}
		if n, err := db.NewSelect().Model((*outbox.Message)(nil)).Where("participant_id = ?", kept.ID).Count(ctx); err != nil || n != 1 {
			t.Errorf("Bram's pending email after Zoé's erasure: got %d (%v), want it kept", n, err)
		}
		if _, err := people.GetPerson(ctx, db, zoe.ID); !errors.Is(err, deliberation.ErrNotFound) {
			t.Errorf("person row: got %v, want gone", err)
		}
		erased, _ := people.GetParticipant(ctx, db, zoe.ID)
		if erased.ErasedAt == nil || erased.OrganisationID != nil {
			t.Errorf("participant after erasure: erased_at %v, organisation %v; want set and cleared (no consent)", erased.ErasedAt, erased.OrganisationID)
		}
		// What she said stays, and the other person's data is untouched.
		var body string
		if err := db.NewSelect().Model((*deliberation.Contribution)(nil)).Column("body").Where("author_id = ?", zoe.ID).Scan(ctx, &body); err != nil || !strings.Contains(body, "loyers") {
			t.Errorf("her contribution: %q, %v; want it kept", body, err)
		}
		if _, err := people.GetPerson(ctx, db, kept.ID); err != nil {
			t.Errorf("someone else was erased too: %v", err)
		}
		// Erasing everyone: Bram agreed to keep his organisation on what he said.
		n, err := people.EraseProcess(ctx, db, p.ID, time.Now())
		if err != nil || n != 2 {
			t.Fatalf("erase process: %d erased, %v; want 2 (Bram and the moderator)", n, err)
		}
		bram, _ := people.GetParticipant(ctx, db, kept.ID)
		if bram.ErasedAt == nil || bram.OrganisationID == nil {
			t.Errorf("Bram after erasure: erased_at %v organisation %v; want erased with organisation kept", bram.ErasedAt, bram.OrganisationID)
		}
		for _, needle := range []string{"Bram", "bram@", "470999888"} {
			if hits := findAnywhere(t, db, needle); len(hits) > 0 {
				t.Errorf("after erasing the process, %q is still in %v", needle, hits)
			}
		}
		if orgs := organisationsOf(t, db, p.ID); !slices.Equal(orgs, []string{"Maison de quartier Anneessens"}) {
			t.Errorf("organisations after erasing everyone: %q; want only Bram's, which he agreed to keep, still readable", orgs)
		}
		// A later session resumes from a snapshot: the sequence goes on past the cleared log.
		last, _, _, err := eng.Open(ctx, w.ID)
		if err != nil || last < 3 {
			t.Fatalf("last seq after erasure: %d, %v; want it kept", last, err)
		}
	})
}
