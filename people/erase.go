package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/internal/seal"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
)

// Erase removes a participant's personal data for good (DESIGN invariant 9): their row
// in people (name, email, phone, language, service-user status) goes; their organisation stays
// on what they said only if they agreed to it; their sign-in links and sessions end. What they
// said and voted stays, attributed to "a participant", so a published notebook and the tallies
// do not change; the translations moderators made of it go.
//
// The live event logs of the process's workshops are cleared too, because events carry the
// author labels people saw in the room, and each gets a new log epoch: a client that resumes
// after the erasure gets a fresh snapshot, never a replay (docs/protocol.md, "Resume").
//
// The person's key goes with them (internal/seal): their name, email and phone were stored
// sealed with it, so what the database's files, its log and its backups still hold of them
// can no longer be read. Once the transaction commits, the deleted rows are scrubbed from
// the database files (scrub). Erasing someone already erased does nothing new but scrub
// again, so a failed scrub (ErrNotScrubbed, the person being erased all the same) is retried
// by erasing again.
func Erase(ctx context.Context, db bun.IDB, participantID int64, now time.Time) error {
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		p, err := GetParticipant(ctx, tx, participantID)
		if err != nil {
			return err
		}
		if p.ProcessID != nil {
			if err := lockProcess(ctx, tx, *p.ProcessID); err != nil {
				return err
			}
		}
		if err := erase(ctx, tx, []int64{participantID}, now); err != nil {
			return err
		}
		if p.ProcessID != nil {
			return forgetProcess(ctx, tx, *p.ProcessID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return scrub(ctx, db)
}

// EraseProcess erases the personal data of every participant of a process (after
// publication, say) and returns how many people were erased.
func EraseProcess(ctx context.Context, db bun.IDB, processID int64, now time.Time) (int, error) {
	var ids []int64
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if err := lockProcess(ctx, tx, processID); err != nil {
			return err
		}
		err := tx.NewSelect().Model((*record.Participant)(nil)).Column("id").
			Where("process_id = ? AND erased_at IS NULL", processID).Scan(ctx, &ids)
		if err != nil {
			return fmt.Errorf("store: erase process: %w", err)
		}
		if len(ids) > 0 {
			if err := erase(ctx, tx, ids, now); err != nil {
				return err
			}
		}
		return forgetProcess(ctx, tx, processID)
	})
	if err != nil {
		return len(ids), err
	}
	return len(ids), scrub(ctx, db)
}

// erase removes the personal data of some participants inside a transaction.
func erase(ctx context.Context, tx bun.Tx, ids []int64, now time.Time) error {
	// Organisations stay only where the person agreed to keep them on what they said.
	_, err := tx.NewUpdate().Model((*record.Participant)(nil)).
		Set("organisation_id = NULL").
		Where("id IN (?)", bun.In(ids)).
		Where("NOT EXISTS (SELECT 1 FROM people AS pe WHERE pe.participant_id = participant.id AND pe.attribution_consent)").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: erase: organisations: %w", err)
	}
	steps := []struct {
		what string
		q    interface {
			Exec(context.Context, ...any) (sql.Result, error)
		}
	}{
		{"people", tx.NewDelete().Model((*Person)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		{"keys", tx.NewDelete().Model((*seal.PersonKey)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		{"invitations", tx.NewDelete().Model((*Invitation)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		{"sessions", tx.NewDelete().Model((*AuthSession)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		// With the request goes the key of the name typed on it (join_request_keys).
		{"join requests", tx.NewDelete().Model((*JoinRequest)(nil)).Where("participant_id IN (?)", bun.In(ids))},
		// A moderator's translations of what they said: the original stays (the notebook is
		// made of it), the copies of their words in other languages go.
		{"translations", tx.NewDelete().Model((*record.Translation)(nil)).
			Where("contribution_id IN (?)", tx.NewSelect().Model((*record.Contribution)(nil)).Column("id").Where("author_id IN (?)", bun.In(ids)))},
		// Their email not sent yet (or given up on): it holds their address and a link.
		{"outbox", tx.NewDelete().TableExpr("outbox").Where("participant_id IN (?)", bun.In(ids))},
		{"participants", tx.NewUpdate().Model((*record.Participant)(nil)).Set("erased_at = ?", now).Where("id IN (?)", bun.In(ids))},
		// An organisation is typed by people and may name them ("Zoé, indépendante"): one that
		// nobody refers to any more goes too, and its key with it (organisation_keys).
		{"organisations", tx.NewDelete().Model((*Organisation)(nil)).
			Where("id NOT IN (?)", tx.NewSelect().Model((*record.Participant)(nil)).Column("organisation_id").Where("organisation_id IS NOT NULL"))},
	}
	for _, s := range steps {
		if _, err := s.q.Exec(ctx); err != nil {
			return fmt.Errorf("store: erase: %s: %w", s.what, err)
		}
	}
	return nil
}

// lockProcess takes the locks an erasure in a process needs, in the order the registrations
// take theirs (the hashes' key, then a room), so that neither waits for the other for good.
func lockProcess(ctx context.Context, tx bun.Tx, processID int64) error {
	if _, err := tagKey(ctx, tx, processID, true); err != nil {
		return fmt.Errorf("store: erase: %w", err)
	}
	return lockRooms(ctx, tx, processID)
}

// forgetProcess ends what a process's memory keeps of the people just erased: the rooms' event
// logs, and the hashes of organisation names made with the old key (retag).
func forgetProcess(ctx context.Context, tx bun.Tx, processID int64) error {
	if err := retag(ctx, tx, processID); err != nil {
		return fmt.Errorf("store: erase: organisation hashes: %w", err)
	}
	return clearEventLogs(ctx, tx, processID)
}

// lockRooms locks the rows of a process's workshops, as every batch of the live engine does
// first: the erasure waits for the batches in flight and keeps new ones out until it commits.
// On PostgreSQL, a batch that committed its events while the erasure's DELETE ran would
// otherwise keep them (the DELETE sees the rows committed when it began), with the author
// labels the batch read before the erasure. SQLite has one writer at a time already.
func lockRooms(ctx context.Context, tx bun.Tx, processID int64) error {
	if !storage.IsPostgres(tx) {
		return nil
	}
	var ids []int64
	err := tx.NewSelect().Model((*record.Workshop)(nil)).Column("id").
		Where("process_id = ?", processID).OrderExpr("id").For("UPDATE").Scan(ctx, &ids)
	if err != nil {
		return fmt.Errorf("store: erase: lock the rooms: %w", err)
	}
	return nil
}

// clearEventLogs deletes the live event logs of a process's workshops and gives them new log
// epochs (journal.ResetProcessLogs); the caller then tells the live rooms
// (hub.Hub.ResetLog), whose memory still holds the old events.
func clearEventLogs(ctx context.Context, tx bun.Tx, processID int64) error {
	return journal.ResetProcessLogs(ctx, tx, processID)
}

// keyTables are the tables of the keys an erasure deletes, which scrub rewrites on PostgreSQL.
// The join requests' keys are among them although an erasure seldom deletes one: a settled
// request's key went when the phone learnt its answer, and the rewrite takes it out of the
// file with the erased person's.
var keyTables = []string{"person_keys", "log_keys", "organisation_keys", "organisation_tag_keys", "join_request_keys"}

// ErrNotScrubbed says that an erasure was committed but what it deleted may still be in the
// database's files (see scrub): the person is erased all the same; erasing again finishes.
var ErrNotScrubbed = errors.New("erased, but not yet scrubbed from the database files: erase again")

// scrub makes what an erasure deleted leave the database's files, where the database lets us
// (docs/privacy.md says what remains and for how long):
//
//   - SQLite runs with secure_delete (storage.Open), so deleted rows are overwritten with zeros
//     in their pages; those pages are then in the write-ahead log, and a checkpoint (TRUNCATE)
//     copies them over the database file and empties the log, whose old frames still held
//     the rows as they were.
//   - PostgreSQL keeps a deleted row in its table's file until the space is reused, even after
//     a plain VACUUM. What was sealed stays sealed there (the people's fields, the event
//     payloads that carry labels, organisations' names, names typed at the door); the keys'
//     tables (keyTables) are rewritten (VACUUM FULL: a new file, the old one unlinked) so that
//     the deleted keys leave the tables' files at once. They are small (one short row per
//     person, workshop and epoch, organisation, process, waiting phone), so the rewrite takes
//     milliseconds, under a lock that makes the rooms loading a name or sealing an event wait
//     that long.
//
// Inside a caller's transaction there is nothing to scrub yet: the caller's commit comes later.
func scrub(ctx context.Context, db bun.IDB) error {
	if _, inTx := db.(bun.Tx); inTx {
		return nil
	}
	if storage.IsPostgres(db) {
		for _, table := range keyTables {
			if _, err := db.ExecContext(ctx, "VACUUM (FULL) "+table); err != nil {
				return fmt.Errorf("store: erase: %w: the keys' table %s was not rewritten: %v", ErrNotScrubbed, table, err)
			}
		}
		return nil
	}
	var busy, logFrames, checkpointed int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("store: erase: %w: the log was not checkpointed: %v", ErrNotScrubbed, err)
	}
	if busy != 0 {
		return fmt.Errorf("store: erase: %w: the log was busy", ErrNotScrubbed)
	}
	return nil
}
