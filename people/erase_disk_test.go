package people_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/internal/pgcluster"
	"github.com/assises/assises/internal/seal"
	"github.com/assises/assises/migrations"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
	"github.com/assises/assises/storage/storagetest"
)

// What the erased person and the one who stays wrote about themselves: markers found nowhere
// else, so that a byte search of the database files finds exactly them.
var (
	goneName  = "Zephyrine Quobalt"
	goneEmail = "zq.marker@example.org"
	gonePhone = "+32470555123"
	goneOrg   = "Quobalt Atelier"
	keptName  = "Barnabe Klintz"
	keptEmail = "bk.marker@example.org"
	keptOrg   = "Klintz Collectif"
	// The names typed on a phone at the door: the erased person's, settled before the erasure,
	// and someone's still waiting after it.
	goneAtDoor = "Zephy Quobaltine"
	keptAtDoor = "Wendeline Harpz"
)

// diskScene is a process where one person will be erased and another stays.
type diskScene struct {
	gone, kept int64
	workshop   int64
	title      string // the process's title: plaintext that is no one's personal data
	// The keys the erasure must take out of the files: the erased person's organisation's
	// (nobody else's), and the one of the name they typed at the door.
	goneOrgKey, goneDoorKey string
	waiting                 string // the secret of the phone still waiting at the door
}

// setUpDiskScene registers the two people with an invitation and a signed-in session each.
// When speaks, the person to be erased posts in a room that shows names, so their name and
// organisation reach the event log.
func setUpDiskScene(t *testing.T, db *bun.DB, speaks bool) diskScene {
	t.Helper()
	ctx := context.Background()
	p := fixture.Process(t, db, "disque")
	w := fixture.Workshop(t, db, p)
	add := func(name, org, email, phone string) int64 {
		who, err := people.CreateParticipant(ctx, db, people.NewParticipant{
			ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: org,
			Person: people.Person{DisplayName: name, Email: &email, Phone: &phone},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := people.AddRegistration(ctx, db, w, who.ID, record.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}
		if _, _, err := people.CreateInvitation(ctx, db, who.ID, &w.ID, time.Hour, false); err != nil {
			t.Fatal(err)
		}
		if _, err := people.CreateSession(ctx, db, who.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
		return who.ID
	}
	s := diskScene{gone: add(goneName, goneOrg, goneEmail, gonePhone), kept: add(keptName, keptOrg, keptEmail, "+32470999000"), title: p.Title, workshop: w.ID}
	s.goneOrgKey = storedOrgKey(t, db, s.gone)
	atTheDoor(t, db, w, &s)
	if speaks {
		eng := deliberation.NewEngine(db, deliberation.EngineOptions{})
		mod := deliberation.Actor{Participant: s.kept, Role: record.RoleParticipant, Moderator: true}
		gone := deliberation.Actor{Participant: s.gone, Role: record.RoleParticipant}
		for i, c := range []struct {
			a    deliberation.Actor
			name string
			args any
		}{
			{mod, "identity.set", map[string]any{"mode": "full"}},
			{mod, "phase.set", map[string]any{"phase": "diagnostic"}},
			{gone, "contribution.post", map[string]any{"kind": "finding", "body": "Les loyers montent."}},
		} {
			raw, _ := json.Marshal(c.args)
			res, err := eng.Execute(ctx, w.ID, []deliberation.Command{{ID: fmt.Sprintf("disk-%d", i), Name: c.name, Args: raw, Actor: c.a}})
			if err != nil || res.Outcomes[0].Code != "" {
				t.Fatalf("%s: %v %+v", c.name, err, res.Outcomes)
			}
		}
	}
	return s
}

// atTheDoor has the person to be erased join on a phone at the door, typing their name, and
// the door let them in (the phone learnt it, so the request is gone); then someone else's
// phone asks and is still waiting at the erasure.
func atTheDoor(t *testing.T, db *bun.DB, w *record.Workshop, s *diskScene) {
	t.Helper()
	ctx := context.Background()
	now := w.StartsAt.Add(-time.Minute)
	secret, req, err := people.RequestJoin(ctx, db, w.Code, goneAtDoor, people.JoinFrom{Address: "192.0.2.7"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.NewSelect().Table("join_request_keys").Column("request_key").Where("request_id = ?", req.ID).Scan(ctx, &s.goneDoorKey); err != nil {
		t.Fatalf("the key of the name typed at the door: %v", err)
	}
	if err := people.SettleJoin(ctx, db, w.ID, req.ID, &s.gone, now); err != nil {
		t.Fatal(err)
	}
	if got, err := people.ClaimJoin(ctx, db, secret, now); err != nil || got.Name != goneAtDoor || got.Status != people.JoinApproved {
		t.Fatalf("the phone's answer: %+v, %v; want approved, with the name typed", got, err)
	}
	if s.waiting, _, err = people.RequestJoin(ctx, db, w.Code, keptAtDoor, people.JoinFrom{Address: "192.0.2.8"}, now); err != nil {
		t.Fatal(err)
	}
}

// stillWaiting checks that the phone still waiting at the door reads back with its name.
func stillWaiting(t *testing.T, db *bun.DB, s diskScene) {
	t.Helper()
	reqs, err := people.PendingJoins(context.Background(), db, s.workshop, time.Now().Add(-time.Hour))
	if err != nil || len(reqs) != 1 || reqs[0].Name != keptAtDoor {
		t.Errorf("the door's queue reads %+v, %v; want the one waiting, named %q", reqs, err, keptAtDoor)
	}
}

// storedOrgKey returns the key of a participant's organisation as stored in organisation_keys.
func storedOrgKey(t *testing.T, db *bun.DB, participantID int64) string {
	t.Helper()
	var k string
	err := db.NewSelect().Table("organisation_keys").Column("org_key").
		Where("organisation_id = (SELECT organisation_id FROM participants WHERE id = ?)", participantID).Scan(context.Background(), &k)
	if err != nil {
		t.Fatalf("organisation key of %d: %v", participantID, err)
	}
	return k
}

// storedLogKey returns the key the workshop's event log is sealed with, checking that the log
// holds a sealed event (the person's post).
func storedLogKey(t *testing.T, db *bun.DB, workshop int64) string {
	t.Helper()
	ctx := context.Background()
	var k journal.LogKey
	if err := db.NewSelect().Model(&k).Where("workshop_id = ?", workshop).Scan(ctx); err != nil {
		t.Fatalf("log key of workshop %d: %v", workshop, err)
	}
	var ev record.StoredEvent
	if err := db.NewSelect().Model(&ev).Where("workshop_id = ? AND name = ?", workshop, "contribution.posted").Limit(1).Scan(ctx); err != nil {
		t.Fatalf("the post is not in the log: %v", err)
	}
	if !journal.PayloadIsSealed(ev.Payload) {
		t.Fatalf("the post is stored as %q; want it sealed", ev.Payload)
	}
	return k.LogKey
}

// storedKey returns a person's key as stored in person_keys.
func storedKey(t *testing.T, db *bun.DB, participantID int64) string {
	t.Helper()
	var k seal.PersonKey
	if err := db.NewSelect().Model(&k).Where("participant_id = ?", participantID).Scan(context.Background()); err != nil {
		t.Fatalf("key of %d: %v", participantID, err)
	}
	return k.DataKey
}

// sqliteFiles reads the database file and everything beside it (-wal, -shm).
func sqliteFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(path + "*")
	if err != nil || len(names) == 0 {
		t.Fatalf("no database files at %s: %v", path, err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = b
	}
	return out
}

func holding(files map[string][]byte, needle string) []string {
	var hits []string
	for name, b := range files {
		if bytes.Contains(b, []byte(needle)) {
			hits = append(hits, name)
		}
	}
	return hits
}

// On SQLite, erasure leaves nothing of the person in the database file or its log: their name,
// organisation, email and phone, and the name they typed at the door, were never there in
// plain text (sealed), and after erasure neither are the keys that open them.
func TestErasureLeavesNoPlaintextInSQLiteFiles(t *testing.T) {
	ctx := context.Background()
	path, db := migratedSQLiteFile(t)
	s := setUpDiskScene(t, db, true)
	goneKey := storedKey(t, db, s.gone)

	before := sqliteFiles(t, path)
	logKey := storedLogKey(t, db, s.workshop)
	// Controls: the search finds plain text and the keys where they are.
	for _, needle := range []string{s.title, goneKey, logKey, s.goneOrgKey} {
		if hits := holding(before, needle); len(hits) == 0 {
			t.Fatalf("before erasure %q is in no file: the search would prove nothing", needle)
		}
	}
	for _, needle := range []string{goneName, goneEmail, gonePhone, goneOrg, people.OrganisationKey(goneOrg), goneAtDoor,
		keptName, keptEmail, keptOrg, people.OrganisationKey(keptOrg), keptAtDoor} {
		if hits := holding(before, needle); len(hits) > 0 {
			t.Errorf("%q is stored in plain text in %v; want it sealed", needle, hits)
		}
	}
	if p, err := people.GetPerson(ctx, db, s.gone); err != nil || p.DisplayName != goneName || *p.Email != goneEmail || *p.Phone != gonePhone {
		t.Fatalf("the sealed person reads back as %+v, %v", p, err)
	}

	if err := people.Erase(ctx, db, s.gone, time.Now()); err != nil {
		t.Fatal(err)
	}
	after := sqliteFiles(t, path)
	if wal := after["assises.db-wal"]; len(wal) != 0 {
		t.Errorf("the log holds %d bytes after erasure; want it emptied", len(wal))
	}
	for _, needle := range []string{goneName, goneOrg, goneEmail, gonePhone, goneAtDoor, goneKey, logKey, s.goneOrgKey, s.goneDoorKey} {
		if hits := holding(after, needle); len(hits) > 0 {
			t.Errorf("after erasure %q is still in %v", needle, hits)
		}
	}
	// The one who stays is still there, and still readable: the search still sees the file.
	if hits := holding(after, s.title); len(hits) == 0 {
		t.Errorf("after erasure the process's title is in no file")
	}
	keptStays(t, db, s)
	stillWaiting(t, db, s)
}

// keptStays checks that the person who stays reads back whole: name, email and organisation.
func keptStays(t *testing.T, db *bun.DB, s diskScene) {
	t.Helper()
	ctx := context.Background()
	if p, err := people.GetPerson(ctx, db, s.kept); err != nil || p.DisplayName != keptName || *p.Email != keptEmail {
		t.Errorf("the person who stays reads back as %+v, %v", p, err)
	}
	rows, err := people.List(ctx, db, diskProcess(t, db, s))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ParticipantID == s.kept && r.Organisation != keptOrg {
			t.Errorf("the organisation of the person who stays reads %q, want %q", r.Organisation, keptOrg)
		}
		if r.ParticipantID == s.gone && r.Organisation != "" {
			t.Errorf("the erased person's organisation reads %q, want none", r.Organisation)
		}
	}
}

// diskProcess is the id of the scene's process.
func diskProcess(t *testing.T, db *bun.DB, s diskScene) int64 {
	t.Helper()
	var id int64
	if err := db.NewSelect().Table("workshops").Column("process_id").Where("id = ?", s.workshop).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// On PostgreSQL a deleted row stays in its table's file and in the write-ahead log; what
// erasure relies on there is that the person's name, email and phone were never written in
// plain text, and that their key goes. A private cluster lets the test read its own files.
func TestErasureLeavesNoPlaintextInPostgreSQLFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster of its own")
	}
	ctx := context.Background()
	c := pgcluster.Start(t)
	db := storagetest.Connect(t, c.DSN(), storage.Options{MaxOpenConns: 4})
	if _, err := migrations.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	// The person speaks in a room that shows names: their label "Name (Organisation)" is in
	// the event log, sealed with the log's key; the erasure deletes that key with the events.
	s := setUpDiskScene(t, db, true)
	goneKey, keptKey := storedKey(t, db, s.gone), storedKey(t, db, s.kept)
	logKey := storedLogKey(t, db, s.workshop)
	checkpoint := func() {
		t.Helper()
		if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
	}
	checkpoint()
	// Controls: the search finds plain text and a key where they are.
	if hits := c.Find(t, []byte(s.title), "base"); len(hits) == 0 {
		t.Fatalf("the process's title %q is in no relation file: the search would prove nothing", s.title)
	}
	if hits := c.Find(t, []byte(goneKey), "base"); len(hits) == 0 {
		t.Fatalf("before erasure the person's key is in no relation file: the search would prove nothing")
	}
	if hits := c.Find(t, []byte(logKey), "base"); len(hits) == 0 {
		t.Fatalf("before erasure the log's key is in no relation file: the search would prove nothing")
	}
	for _, key := range []string{s.goneOrgKey, s.goneDoorKey} {
		if hits := c.Find(t, []byte(key), "pg_wal"); len(hits) == 0 {
			t.Fatalf("before erasure the key %q is in no log segment: the search would prove nothing", key)
		}
	}
	// The organisations' folded names (what finds two spellings of one) are hashed, not stored.
	sealedEverywhere := []string{goneName, goneEmail, gonePhone, goneOrg, people.OrganisationKey(goneOrg), goneAtDoor,
		keptName, keptEmail, keptOrg, people.OrganisationKey(keptOrg), keptAtDoor}
	var tagKey string
	if err := db.NewSelect().Table("organisation_tag_keys").Column("tag_key").Scan(ctx, &tagKey); err != nil {
		t.Fatal(err)
	}
	for _, needle := range sealedEverywhere {
		if hits := c.Find(t, []byte(needle), "base", "pg_wal"); len(hits) > 0 {
			t.Errorf("before erasure %q is in plain text in %v; want it sealed", needle, hits)
		}
	}

	if err := people.Erase(ctx, db, s.gone, time.Now()); err != nil {
		t.Fatal(err)
	}
	checkpoint()
	for _, needle := range sealedEverywhere {
		if hits := c.Find(t, []byte(needle), "base", "pg_wal"); len(hits) > 0 {
			t.Errorf("after erasure %q is in plain text in %v", needle, hits)
		}
	}
	if hits := c.Find(t, []byte(goneKey), "base"); len(hits) > 0 {
		t.Errorf("after erasure the person's key is still in %v", hits)
	}
	if hits := c.Find(t, []byte(logKey), "base"); len(hits) > 0 {
		t.Errorf("after erasure the log's old key is still in %v", hits)
	}
	if hits := c.Find(t, []byte(s.goneOrgKey), "base"); len(hits) > 0 {
		t.Errorf("after erasure the key of the organisation nobody else used is still in %v", hits)
	}
	if hits := c.Find(t, []byte(s.goneDoorKey), "base"); len(hits) > 0 {
		t.Errorf("after erasure the key of the name typed at the door is still in %v", hits)
	}
	if hits := c.Find(t, []byte(tagKey), "base"); len(hits) > 0 {
		t.Errorf("after erasure the key of the organisations' old hashes is still in %v", hits)
	}
	if hits := c.Find(t, []byte(keptKey), "base"); len(hits) == 0 {
		t.Errorf("after erasure the key of the person who stays is in no relation file")
	}
	// What remains, as docs/privacy.md says: the key in the log until PostgreSQL recycles it.
	for what, key := range map[string]string{"person's": goneKey, "organisation's": s.goneOrgKey, "door name's": s.goneDoorKey, "old hashes'": tagKey} {
		t.Logf("the erased %s key is still in the write-ahead log segments %v", what, c.Find(t, []byte(key), "pg_wal"))
	}
	keptStays(t, db, s)
	stillWaiting(t, db, s)
}

// When the log cannot be emptied (a reader holds it), the person is erased all the same,
// Erase says ErrNotScrubbed, and erasing again once the reader is gone finishes the job.
func TestErasureNotScrubbedIsFinishedByErasingAgain(t *testing.T) {
	ctx := context.Background()
	path, db := migratedSQLiteFile(t)
	s := setUpDiskScene(t, db, true)
	// Another connection reads in a transaction: the log cannot be truncated under it.
	reader, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	rtx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rtx.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil || n == 0 {
		t.Fatalf("the reader sees %d events, %v", n, err)
	}
	// Do not wait the default 10 s for the reader: it will not let go before we say so.
	if _, err := db.ExecContext(ctx, "PRAGMA busy_timeout = 200"); err != nil {
		t.Fatal(err)
	}
	if err := people.Erase(ctx, db, s.gone, time.Now()); !errors.Is(err, people.ErrNotScrubbed) {
		t.Fatalf("erasing under a reader: %v, want ErrNotScrubbed", err)
	}
	if _, err := people.GetPerson(ctx, db, s.gone); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("after an unscrubbed erasure the person reads as %v; want erased all the same", err)
	}
	if hits := holding(sqliteFiles(t, path), goneName); len(hits) == 0 {
		t.Logf("the name already left the files (the checkpoint got further than the reader)")
	}
	rtx.Rollback()
	if err := people.Erase(ctx, db, s.gone, time.Now()); err != nil {
		t.Fatalf("erasing again: %v", err)
	}
	after := sqliteFiles(t, path)
	for _, needle := range []string{goneName, goneOrg, goneEmail} {
		if hits := holding(after, needle); len(hits) > 0 {
			t.Errorf("after erasing again %q is still in %v", needle, hits)
		}
	}
}

// A batch of the room that is writing events when the erasure comes: the erasure waits for it
// and clears its events too, so no author label read before the erasure survives it.
func TestErasureWaitsForTheRoomsBatchInFlight(t *testing.T) {
	storagetest.EachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		dsn := storagetest.DSN(t, kind)
		open := func() *bun.DB {
			db, err := storage.Open(ctx, dsn, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		db, room := open(), open()
		if _, err := migrations.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		s := setUpDiskScene(t, db, false)

		// The room's batch: the workshop's row locked, as the engine does, and an event
		// carrying the name, not committed yet.
		tx, err := room.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var roomPID int
		if storage.IsPostgres(room) {
			if _, err := tx.ExecContext(ctx, "SELECT id FROM workshops WHERE id = ? FOR UPDATE", s.workshop); err != nil {
				t.Fatal(err)
			}
			if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&roomPID); err != nil {
				t.Fatal(err)
			}
		}
		ev := &record.StoredEvent{WorkshopID: s.workshop, Seq: 1000, Name: "contribution.posted", Audience: "all",
			Payload: `{"author":"` + goneName + `"}`, CreatedAt: time.Now().UTC()}
		if _, err := tx.NewInsert().Model(ev).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		erased := make(chan error, 1)
		go func() { erased <- people.Erase(ctx, db, s.gone, time.Now()) }()
		if storage.IsPostgres(db) {
			// Commit only once the erasure waits for the row (or has finished without waiting,
			// which is the bug this test is about).
			deadline := time.Now().Add(60 * time.Second)
			for waiting := 0; waiting == 0; {
				select {
				case err := <-erased:
					erased <- err
					waiting = 1
					continue
				default:
				}
				err := db.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))`, roomPID).Scan(ctx, &waiting)
				if err != nil {
					t.Fatal(err)
				}
				if time.Now().After(deadline) {
					t.Fatal("the erasure neither waited for the room's batch nor finished")
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-erased; err != nil {
			t.Fatal(err)
		}
		n, err := db.NewSelect().Model((*record.StoredEvent)(nil)).Where("workshop_id = ?", s.workshop).Count(ctx)
		if err != nil || n != 0 {
			t.Errorf("after erasure the room's log holds %d events (%v); want the batch in flight cleared too", n, err)
		}
	})
}

// migratedSQLiteFile opens a migrated SQLite database in a file of its own, whose bytes (and
// its log's) the test may read; it is closed at the end of the test.
func migratedSQLiteFile(t *testing.T) (string, *bun.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "assises.db")
	db, err := storage.Open(context.Background(), path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return path, db
}
