package deliberation

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
)

// The stored payloads of the events that may name a person are sealed (AES-256-GCM) with a
// key of their workshop's log epoch, kept in log_keys. An erasure deletes a process's events
// and their keys and draws new epochs (ResetProcessLogs): what PostgreSQL's dead tuples, its
// write-ahead log and the backups keep of those payloads can then no longer be opened.
//
// Sealing is the rule and plain text the exception: only the events listed in plainEvents,
// which carry ids, counts and settings and never a person's name, are stored as they are. So a
// new event that carries a label is sealed without anyone having to think of it, and the hot
// path — votes and tallies — pays nothing.

// plainEvents are the events whose payload names no one: stored in plain text.
var plainEvents = map[string]bool{
	"vote.recorded":         true,
	"vote.method.changed":   true,
	"tally.updated":         true,
	"plenary.tally":         true,
	"plenary.ballot":        true,
	"plenary.closed":        true,
	"phase.changed":         true,
	"timer.changed":         true,
	"posting.changed":       true,
	"premoderation.changed": true,
	"joinpanel.changed":     true,
	"results.changed":       true,
	"checkin.changed":       true,
	"groups.progress":       true,
	"group.rapporteur":      true,
	"contribution.merged":   true,
	"agenda.timing":         true,
}

// sealsPayload says whether an event's stored payload is sealed.
func sealsPayload(name string) bool { return !plainEvents[name] }

// logSealPrefix marks a sealed payload and its format; JSON never starts with "l", so a plain
// payload is never taken for a sealed one. The epoch follows, then the ciphertext:
// "l1:<epoch>:<base64 of nonce and ciphertext>".
const logSealPrefix = "l1:"

// ErrNoLogKey means a sealed payload's key is gone: its log was reset (an erasure).
var ErrNoLogKey = errors.New("deliberation: the key of this log epoch is gone")

// LogKey is the row of a workshop's log key for one epoch.
type LogKey struct {
	bun.BaseModel `bun:"table:log_keys"`

	WorkshopID int64 `bun:",pk"`
	Epoch      int64 `bun:",pk"`
	LogKey     string
	CreatedAt  time.Time
}

// logKey is a log epoch's key, ready to use.
type logKey struct {
	epoch int64
	aead  cipher.AEAD
}

func newLogKey(epoch int64, stored string) (*logKey, error) {
	raw, err := base64.RawStdEncoding.DecodeString(stored)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("deliberation: malformed log key")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &logKey{epoch: epoch, aead: gcm}, nil
}

// logAAD binds a sealed payload to its workshop, sequence number and event name: copied onto
// another row it does not open.
func logAAD(workshop, seq int64, name string) []byte {
	return []byte(strconv.FormatInt(workshop, 10) + "/" + strconv.FormatInt(seq, 10) + "/" + name)
}

func (k *logKey) seal(workshop, seq int64, name string, plain []byte) string {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("deliberation: no randomness: " + err.Error())
	}
	out := k.aead.Seal(nonce, nonce, plain, logAAD(workshop, seq, name))
	return logSealPrefix + strconv.FormatInt(k.epoch, 10) + ":" + base64.RawStdEncoding.EncodeToString(out)
}

// sealedEpoch returns the epoch of a sealed payload, or false if the payload is plain.
func sealedEpoch(payload string) (epoch int64, body string, sealed bool, err error) {
	if !strings.HasPrefix(payload, logSealPrefix) {
		return 0, "", false, nil
	}
	rest := payload[len(logSealPrefix):]
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return 0, "", true, fmt.Errorf("deliberation: malformed sealed payload")
	}
	epoch, err = strconv.ParseInt(rest[:i], 10, 64)
	if err != nil {
		return 0, "", true, fmt.Errorf("deliberation: malformed sealed payload: %w", err)
	}
	return epoch, rest[i+1:], true, nil
}

func (k *logKey) open(workshop, seq int64, name, body string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return nil, fmt.Errorf("deliberation: open event %d of workshop %d: malformed", seq, workshop)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], logAAD(workshop, seq, name))
	if err != nil {
		return nil, fmt.Errorf("deliberation: open event %d of workshop %d: %w", seq, workshop, err)
	}
	return plain, nil
}

// logKeys caches, per workshop, the key of the last epoch the engine used: a batch reads the
// workshop's epoch with its row (no extra query) and, while the epoch is the same, no key. Only one epoch per workshop is kept: after a reset, the old key leaves
// the memory of a node at its next batch that seals in that workshop (or when it stops).
type logKeys struct {
	mu sync.Mutex
	m  map[int64]*logKey
}

func (c *logKeys) get(workshop, epoch int64) *logKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.m[workshop]; k != nil && k.epoch == epoch {
		return k
	}
	return nil
}

func (c *logKeys) put(workshop int64, k *logKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]*logKey{}
	}
	c.m[workshop] = k
}

// readLogKey reads the stored key of a workshop's epoch; nil if there is none.
func readLogKey(ctx context.Context, db bun.IDB, workshop, epoch int64) (*logKey, error) {
	var row LogKey
	err := db.NewSelect().Model(&row).Where("workshop_id = ? AND epoch = ?", workshop, epoch).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read log key: %w", err)
	}
	return newLogKey(epoch, row.LogKey)
}

// currentLogKey returns the key of the workshop's epoch as the batch read it with the
// workshop's row, making it if there is none yet, inside the batch's transaction: it holds the
// workshop's row, so the epoch cannot change under it. An epoch not drawn yet (a room never
// opened) is drawn here.
func (e *Engine) currentLogKey(ctx context.Context, tx bun.IDB, workshop, epoch int64) (*logKey, error) {
	if epoch == 0 {
		epoch = NewLogEpoch()
		if _, err := tx.NewUpdate().Table("workshops").Set("log_epoch = ?", epoch).
			Where("id = ? AND log_epoch = 0", workshop).Exec(ctx); err != nil {
			return nil, fmt.Errorf("store: draw log epoch: %w", err)
		}
	}
	if k := e.keys.get(workshop, epoch); k != nil {
		return k, nil
	}
	k, err := readLogKey(ctx, tx, workshop, epoch)
	if err != nil {
		return nil, err
	}
	if k == nil {
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return nil, fmt.Errorf("deliberation: new log key: %w", err)
		}
		row := &LogKey{WorkshopID: workshop, Epoch: epoch, LogKey: base64.RawStdEncoding.EncodeToString(raw[:]), CreatedAt: time.Now().UTC()}
		// Another node may have made it first (it had the row locked before us): its key wins.
		if _, err := tx.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return nil, fmt.Errorf("store: make log key: %w", err)
		}
		if k, err = readLogKey(ctx, tx, workshop, epoch); err != nil {
			return nil, err
		}
		if k == nil {
			return nil, fmt.Errorf("store: make log key: not stored")
		}
	}
	e.keys.put(workshop, k)
	return k, nil
}

// sealStored seals the stored payload of an event of the batch if its name says so.
func (b *batch) sealStored(ev *journal.Event) error {
	if !sealsPayload(ev.Name) {
		return nil
	}
	if b.tx == nil {
		return errOffline // on the copy (votes only): the ordinary way will seal
	}
	if b.logKey == nil {
		k, err := b.e.currentLogKey(b.ctx, b.tx, b.w.ID, b.epoch)
		if err != nil {
			return err
		}
		b.logKey, b.epoch = k, k.epoch
	}
	ev.Payload = b.logKey.seal(ev.WorkshopID, ev.Seq, ev.Name, []byte(ev.Payload))
	return nil
}

// openPayloads opens the sealed payloads of some stored events of one workshop, in place.
func openPayloads(ctx context.Context, db bun.IDB, cache *logKeys, rows []journal.Event) error {
	var k *logKey
	for i := range rows {
		r := &rows[i]
		epoch, body, sealed, err := sealedEpoch(r.Payload)
		if err != nil {
			return err
		}
		if !sealed {
			continue
		}
		if k == nil || k.epoch != epoch {
			if k = cache.get(r.WorkshopID, epoch); k == nil {
				if k, err = readLogKey(ctx, db, r.WorkshopID, epoch); err != nil {
					return err
				}
				if k == nil {
					return fmt.Errorf("event %d of workshop %d: %w", r.Seq, r.WorkshopID, ErrNoLogKey)
				}
			}
		}
		plain, err := k.open(r.WorkshopID, r.Seq, r.Name, body)
		if err != nil {
			return err
		}
		r.Payload = string(plain)
	}
	return nil
}

// OpenStoredEvents opens, in place, the sealed payloads of stored events read straight from
// the events table (tools and tests; the engine's EventsAfter does it already).
func OpenStoredEvents(ctx context.Context, db bun.IDB, rows []record.StoredEvent) error {
	return openPayloads(ctx, db, &logKeys{}, rows)
}

// PayloadIsSealed says whether a stored payload is sealed (for tests and tools).
func PayloadIsSealed(payload string) bool { return strings.HasPrefix(payload, logSealPrefix) }

// forgetLogKeys deletes the log keys of some workshops, inside the caller's transaction.
func forgetLogKeys(ctx context.Context, tx bun.IDB, workshops []int64) error {
	if _, err := tx.NewDelete().Model((*LogKey)(nil)).Where("workshop_id IN (?)", bun.In(workshops)).Exec(ctx); err != nil {
		return fmt.Errorf("store: reset logs: keys: %w", err)
	}
	return nil
}
