package journal

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/assises/assises/storage/storagetest"
)

// workshop inserts a process, a workshop and a contribution with plain SQL (the journal knows
// no model of them) and returns their ids.
func workshop(t *testing.T, db *bun.DB) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var p, w, c int64
	err := db.NewRaw("INSERT INTO processes (slug, title, created_at) VALUES (?, 'Assises', ?) RETURNING id",
		"p-"+t.Name(), now).Scan(ctx, &p)
	if err == nil {
		err = db.NewRaw("INSERT INTO workshops (process_id, title, starts_at, ends_at, code, created_at)"+
			" VALUES (?, 'Atelier', ?, ?, ?, ?) RETURNING id", p, now, now, "c-"+t.Name(), now).Scan(ctx, &w)
	}
	if err == nil {
		err = db.NewRaw("INSERT INTO contributions (workshop_id, kind, phase, body, status, created_at, updated_at)"+
			" VALUES (?, 'finding', 'diagnostic', 'Constat', 'visible', ?, ?) RETURNING id", w, now, now).Scan(ctx, &c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return w, c
}

// lastSeq is the first read the tests give Begin.
func lastSeq(db *bun.DB, workshop int64, into *[]int64) Opening {
	return Opening{
		Workshop: workshop,
		Read:     db.NewSelect().Table("workshops").Column("last_seq").Where("id = ?", workshop),
		Scan: func(ctx context.Context, rows *sql.Rows) error {
			for rows.Next() {
				var n int64
				if err := rows.Scan(&n); err != nil {
					return err
				}
				*into = append(*into, n)
			}
			return rows.Err()
		},
	}
}

func count(t *testing.T, db *bun.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.NewRaw(q, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// commitOne commits one event at seq with its command record and the marks due.
func commitOne(t *testing.T, j Journal, db *bun.DB, w int64, seq int64, cmd string, due []int64) error {
	t.Helper()
	ctx := context.Background()
	var read []int64
	tx, err := j.Begin(ctx, lastSeq(db, w, &read))
	if err != nil {
		t.Fatal(err)
	}
	if len(read) != 1 || read[0] != seq-1 {
		t.Fatalf("first read: got %v, want [%d]", read, seq-1)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	return tx.Commit(ctx, &Writes{
		Workshop: w,
		Commands: []Command{{WorkshopID: w, CommandID: cmd, ParticipantID: 1, Seq: seq, CreatedAt: now}},
		Events:   []Event{{WorkshopID: w, Seq: seq, Name: "e", Audience: "all", Payload: "{}", CreatedAt: now}},
		Due:      due,
		Row:      &WorkshopRow{LastSeq: seq, Phase: "diagnostic", State: "{}"},
	})
}

func TestJournalCommits(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		j := New(db)
		w, c := workshop(t, db)
		if err := commitOne(t, j, db, w, 1, "a", []int64{c}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT count(*) FROM events WHERE workshop_id = ?", w); n != 1 {
			t.Errorf("events: got %d, want 1", n)
		}
		if n := count(t, db, "SELECT last_seq FROM workshops WHERE id = ?", w); n != 1 {
			t.Errorf("last_seq: got %d, want 1", n)
		}
		if n := count(t, db, "SELECT seq FROM tally_pending WHERE workshop_id = ? AND contribution_id = ?", w, c); n != 1 {
			t.Errorf("mark: seq %d, want 1", n)
		}

		t.Run("a tally that saw less keeps the mark", func(t *testing.T) {
			tally := func(upTo int64) {
				var read []int64
				tx, err := j.Begin(ctx, lastSeq(db, w, &read))
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.Commit(ctx, &Writes{Workshop: w, Tallied: []int64{c}, TalliedUpTo: upTo}); err != nil {
					t.Fatal(err)
				}
			}
			tally(0)
			if n := count(t, db, "SELECT count(*) FROM tally_pending WHERE workshop_id = ?", w); n != 1 {
				t.Errorf("after a tally up to 0: %d marks, want 1", n)
			}
			tally(1)
			if n := count(t, db, "SELECT count(*) FROM tally_pending WHERE workshop_id = ?", w); n != 0 {
				t.Errorf("after a tally up to 1: %d marks, want 0", n)
			}
		})

		t.Run("a command id used before commits nothing", func(t *testing.T) {
			err := commitOne(t, j, db, w, 2, "a", nil)
			if err == nil {
				t.Fatal("got no error")
			}
			if db.Dialect().Name() == dialect.PG && !errors.Is(err, ErrCommandIDUsed) {
				t.Errorf("got %v, want ErrCommandIDUsed", err)
			}
			if n := count(t, db, "SELECT count(*) FROM events WHERE workshop_id = ?", w); n != 1 {
				t.Errorf("events: got %d, want 1", n)
			}
		})

		t.Run("rollback leaves the workshop free", func(t *testing.T) {
			var read []int64
			tx, err := j.Begin(ctx, lastSeq(db, w, &read))
			if err != nil {
				t.Fatal(err)
			}
			tx.Rollback()
			tx.Rollback() // twice is harmless
			if err := commitOne(t, j, db, w, 2, "b", nil); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// TestJournalOnPostgres: what only the PostgreSQL journal does: the check of a batch run
// without reading, the lock sent with the writes, no nested transaction.
func TestJournalOnPostgres(t *testing.T) {
	db := storagetest.Open(t, "postgres")
	ctx := context.Background()
	j := New(db)
	w, _ := workshop(t, db)
	later := func(workshop int64, check string) error {
		tx, err := j.Begin(ctx, Opening{Workshop: workshop, Later: true})
		if err != nil {
			t.Fatal(err)
		}
		if tx.DB() != nil {
			t.Error("a batch begun with Later has a DB to read from")
		}
		return tx.Commit(ctx, &Writes{Workshop: workshop, Row: &WorkshopRow{LastSeq: 1, Phase: "lobby", State: "{}", Check: check}})
	}
	t.Run("a check that fails", func(t *testing.T) {
		if err := later(w, "last_seq = 5"); !errors.Is(err, ErrStale) {
			t.Errorf("got %v, want ErrStale", err)
		}
		if n := count(t, db, "SELECT last_seq FROM workshops WHERE id = ?", w); n != 0 {
			t.Errorf("last_seq: got %d, want 0", n)
		}
	})
	t.Run("a check that holds", func(t *testing.T) {
		if err := later(w, "last_seq = 0"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT last_seq FROM workshops WHERE id = ?", w); n != 1 {
			t.Errorf("last_seq: got %d, want 1", n)
		}
	})
	t.Run("no such workshop", func(t *testing.T) {
		if err := later(w+1000, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("no nested transaction", func(t *testing.T) {
		var read []int64
		tx, err := j.Begin(ctx, lastSeq(db, w, &read))
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.DB().BeginTx(ctx, nil); !errors.Is(err, ErrNestedTx) {
			t.Errorf("BeginTx: got %v, want ErrNestedTx", err)
		}
	})
}
