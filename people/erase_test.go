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
	"github.com/assises/assises/record"
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
	fixture.EachProcess(t, "effacement", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		make := func(name, org, email, phone string, consent bool) *record.Participant {
			who, err := people.CreateParticipant(ctx, db, people.NewParticipant{
				ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: org,
				Person: people.Person{DisplayName: name, Email: &email, Phone: &phone, ServiceUser: true, AttributionConsent: consent},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := people.AddRegistration(ctx, db, w, who.ID, record.RegistrationConfirmed); err != nil {
				t.Fatal(err)
			}
			return who
		}
		// Zoé's organisation names her; Bram agrees to keep his on what he said.
		zoe := make("Zoé Verhulst", "Zoé Verhulst, indépendante", "zoe.verhulst@example.org", "+32470123456", false)
		kept := make("Bram", "Maison de quartier Anneessens", "bram@example.org", "+32470999888", true)
		mod, err := people.CreateParticipant(ctx, db, people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant, Person: people.Person{DisplayName: "Mod"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := people.SetWorkshopRole(ctx, db, w.ID, mod.ID, record.RoleModerator); err != nil {
			t.Fatal(err)
		}
		if err := people.AddRegistration(ctx, db, w, mod.ID, record.RegistrationConfirmed); err != nil {
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
		modA := deliberation.Actor{Participant: mod.ID, Role: record.RoleParticipant, Moderator: true}
		zoeA := deliberation.Actor{Participant: zoe.ID, Role: record.RoleParticipant}
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
		if _, err := people.GetPerson(ctx, db, zoe.ID); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("person row: got %v, want gone", err)
		}
		erased, _ := people.GetParticipant(ctx, db, zoe.ID)
		if erased.ErasedAt == nil || erased.OrganisationID != nil {
			t.Errorf("participant after erasure: erased_at %v, organisation %v; want set and cleared (no consent)", erased.ErasedAt, erased.OrganisationID)
		}
		// What she said stays, and the other person's data is untouched.
		var body string
		if err := db.NewSelect().Model((*record.Contribution)(nil)).Column("body").Where("author_id = ?", zoe.ID).Scan(ctx, &body); err != nil || !strings.Contains(body, "loyers") {
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

// TestEraseDeletesTranslationsOfTheirWords: what an erased person said stays, but the
// moderator's translations of it go (copies of their words the notebook does not need);
// translations of what others said stay, and a snapshot no longer shows hers.
func TestEraseDeletesTranslationsOfTheirWords(t *testing.T) {
	fixture.EachProcess(t, "effacement-traductions", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		join := func(name string, role record.Role) deliberation.Actor {
			who, err := people.CreateParticipant(ctx, db, people.NewParticipant{ProcessID: &p.ID, Role: role, Person: people.Person{DisplayName: name}})
			if err != nil {
				t.Fatal(err)
			}
			if err := people.AddRegistration(ctx, db, w, who.ID, record.RegistrationConfirmed); err != nil {
				t.Fatal(err)
			}
			return deliberation.Actor{Participant: who.ID, Role: role, Moderator: role == record.RoleModerator}
		}
		mod, zoe, bram := join("Mod", record.RoleModerator), join("Zoé", record.RoleParticipant), join("Bram", record.RoleParticipant)
		eng := deliberation.NewEngine(db, deliberation.EngineOptions{})
		n := 0
		cmd := func(a deliberation.Actor, name string, args any) deliberation.Result {
			raw, _ := json.Marshal(args)
			n++
			res, err := eng.Execute(ctx, w.ID, []deliberation.Command{{ID: fmt.Sprintf("cmd-%d", n), Name: name, Args: raw, Actor: a}})
			if err != nil || res.Outcomes[0].Code != "" {
				t.Fatalf("%s: %v %+v", name, err, res.Outcomes)
			}
			return res
		}
		post := func(a deliberation.Actor, body string) int64 {
			res := cmd(a, "contribution.post", map[string]any{"kind": "finding", "body": body, "lang": "nl"})
			var v struct{ ID int64 }
			if err := json.Unmarshal(res.Events[0].Data, &v); err != nil || v.ID == 0 {
				t.Fatalf("post: %s %v", res.Events[0].Data, err)
			}
			return v.ID
		}
		cmd(mod, "phase.set", map[string]any{"phase": "diagnostic"})
		hers := post(zoe, "De huur is de helft van ons inkomen")
		his := post(bram, "Te weinig sociale woningen")
		cmd(mod, "contribution.translate", map[string]any{"id": hers, "lang": "fr", "body": "Le loyer mange la moitié de nos revenus"})
		cmd(mod, "contribution.translate", map[string]any{"id": his, "lang": "fr", "body": "Trop peu de logements sociaux"})
		if hits := findAnywhere(t, db, "moitié de nos revenus"); len(hits) != 1 || hits[0] != "contribution_translations.body" {
			t.Fatalf("before erasure her translation is in %v, want contribution_translations.body (the log stores it sealed)", hits)
		}

		if err := people.Erase(ctx, db, zoe.Participant, time.Now()); err != nil {
			t.Fatal(err)
		}
		if hits := findAnywhere(t, db, "moitié de nos revenus"); len(hits) > 0 {
			t.Errorf("after erasure her translation is still in %v", hits)
		}
		if hits := findAnywhere(t, db, "Trop peu de logements"); len(hits) != 1 {
			t.Errorf("Bram's translation after Zoé's erasure is in %v, want kept in its table", hits)
		}
		if hits := findAnywhere(t, db, "De huur is de helft"); len(hits) != 1 || hits[0] != "contributions.body" {
			t.Errorf("her words after erasure are in %v, want kept in contributions.body", hits)
		}
		_, raw, err := eng.Snapshot(ctx, w.ID, mod)
		if err != nil {
			t.Fatal(err)
		}
		var snap struct {
			Contributions []struct {
				ID           int64
				Lang         string
				Translations map[string]string
			}
		}
		if err := json.Unmarshal(raw, &snap); err != nil {
			t.Fatal(err)
		}
		got := map[int64]int{}
		for _, c := range snap.Contributions {
			if c.Lang != "nl" {
				t.Errorf("contribution %d has lang %q after erasure, want nl kept", c.ID, c.Lang)
			}
			got[c.ID] = len(c.Translations)
		}
		if got[hers] != 0 || got[his] != 1 {
			t.Errorf("translations in the snapshot after erasure: hers %d, his %d; want 0 and 1", got[hers], got[his])
		}
	})
}

// TestEraseEndsTheirSessions: erasing a person deletes every sign-in session they had (their
// cookies open nothing, and no row says they ever signed in), and nobody else's; erasing a
// process does the same for everyone in it.
func TestEraseEndsTheirSessions(t *testing.T) {
	fixture.EachProcess(t, "sessions-effacees", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
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
