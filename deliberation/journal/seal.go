package journal

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

	"github.com/uptrace/bun"
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

// SealsPayload says whether an event's stored payload is sealed.
func SealsPayload(name string) bool { return !plainEvents[name] }

// PlainEvents lists the events stored in plain text, for the tests that check each is known.
func PlainEvents() []string {
	out := make([]string, 0, len(plainEvents))
	for n := range plainEvents {
		out = append(out, n)
	}
	return out
}

// sealPrefix marks a sealed payload and its format; JSON never starts with "l", so a plain
// payload is never taken for a sealed one. The epoch follows, then the ciphertext:
// "l1:<epoch>:<base64 of nonce and ciphertext>".
const sealPrefix = "l1:"

// ErrNoLogKey means a sealed payload's key is gone: its log was reset (an erasure).
var ErrNoLogKey = errors.New("journal: the key of this log epoch is gone")

// LogKey is the row of a workshop's log key for one epoch.
type LogKey struct {
	bun.BaseModel `bun:"table:log_keys"`

	WorkshopID int64 `bun:",pk"`
	Epoch      int64 `bun:",pk"`
	LogKey     string
	CreatedAt  time.Time
}

// Key is a log epoch's key, ready to seal and open payloads.
type Key struct {
	epoch int64
	aead  cipher.AEAD
}

// Epoch is the log epoch the key belongs to.
func (k *Key) Epoch() int64 { return k.epoch }

func newKey(epoch int64, stored string) (*Key, error) {
	raw, err := base64.RawStdEncoding.DecodeString(stored)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("journal: malformed log key")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{epoch: epoch, aead: gcm}, nil
}

// aad binds a sealed payload to its workshop, sequence number and event name: copied onto
// another row it does not open.
func aad(workshop, seq int64, name string) []byte {
	return []byte(strconv.FormatInt(workshop, 10) + "/" + strconv.FormatInt(seq, 10) + "/" + name)
}

// Seal seals an event's stored payload, in place, if its name says so.
func (k *Key) Seal(ev *Event) {
	if !SealsPayload(ev.Name) {
		return
	}
	plain := []byte(ev.Payload)
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("journal: no randomness: " + err.Error())
	}
	out := k.aead.Seal(nonce, nonce, plain, aad(ev.WorkshopID, ev.Seq, ev.Name))
	ev.Payload = sealPrefix + strconv.FormatInt(k.epoch, 10) + ":" + base64.RawStdEncoding.EncodeToString(out)
}

// sealedEpoch returns the epoch of a sealed payload, or false if the payload is plain.
func sealedEpoch(payload string) (epoch int64, body string, sealed bool, err error) {
	if !strings.HasPrefix(payload, sealPrefix) {
		return 0, "", false, nil
	}
	rest := payload[len(sealPrefix):]
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return 0, "", true, fmt.Errorf("journal: malformed sealed payload")
	}
	epoch, err = strconv.ParseInt(rest[:i], 10, 64)
	if err != nil {
		return 0, "", true, fmt.Errorf("journal: malformed sealed payload: %w", err)
	}
	return epoch, rest[i+1:], true, nil
}

func (k *Key) open(workshop, seq int64, name, body string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return nil, fmt.Errorf("journal: open event %d of workshop %d: malformed", seq, workshop)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], aad(workshop, seq, name))
	if err != nil {
		return nil, fmt.Errorf("journal: open event %d of workshop %d: %w", seq, workshop, err)
	}
	return plain, nil
}

// Keys caches, per workshop, the key of the last epoch an engine used: a batch reads the
// workshop's epoch with its row (no extra query) and, while the epoch is the same, no key.
// Only one epoch per workshop is kept: after a reset, the old key leaves the memory of a node
// at its next batch that seals in that workshop (or when it stops). The zero value is ready.
type Keys struct {
	mu sync.Mutex
	m  map[int64]*Key
}

func (c *Keys) get(workshop, epoch int64) *Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.m[workshop]; k != nil && k.epoch == epoch {
		return k
	}
	return nil
}

func (c *Keys) put(workshop int64, k *Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]*Key{}
	}
	c.m[workshop] = k
}

// readKey reads the stored key of a workshop's epoch; nil if there is none.
func readKey(ctx context.Context, db bun.IDB, workshop, epoch int64) (*Key, error) {
	var row LogKey
	err := db.NewSelect().Model(&row).Where("workshop_id = ? AND epoch = ?", workshop, epoch).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read log key: %w", err)
	}
	return newKey(epoch, row.LogKey)
}

// Current returns the key of the workshop's epoch as a batch read it with the workshop's row,
// making it if there is none yet, inside the batch's transaction tx: it holds the workshop's
// row, so the epoch cannot change under it. An epoch not drawn yet (0: a room never opened) is
// drawn here.
func (c *Keys) Current(ctx context.Context, tx bun.IDB, workshop, epoch int64) (*Key, error) {
	if epoch == 0 {
		epoch = NewLogEpoch()
		if _, err := tx.NewUpdate().Table("workshops").Set("log_epoch = ?", epoch).
			Where("id = ? AND log_epoch = 0", workshop).Exec(ctx); err != nil {
			return nil, fmt.Errorf("store: draw log epoch: %w", err)
		}
	}
	if k := c.get(workshop, epoch); k != nil {
		return k, nil
	}
	k, err := readKey(ctx, tx, workshop, epoch)
	if err != nil {
		return nil, err
	}
	if k == nil {
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return nil, fmt.Errorf("journal: new log key: %w", err)
		}
		row := &LogKey{WorkshopID: workshop, Epoch: epoch, LogKey: base64.RawStdEncoding.EncodeToString(raw[:]), CreatedAt: time.Now().UTC()}
		// Another node may have made it first (it had the row locked before us): its key wins.
		if _, err := tx.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return nil, fmt.Errorf("store: make log key: %w", err)
		}
		if k, err = readKey(ctx, tx, workshop, epoch); err != nil {
			return nil, err
		}
		if k == nil {
			return nil, fmt.Errorf("store: make log key: not stored")
		}
	}
	c.put(workshop, k)
	return k, nil
}

// Open opens the sealed payloads of some stored events of one workshop, in place, with the
// keys cached or else read from db.
func (c *Keys) Open(ctx context.Context, db bun.IDB, rows []Event) error {
	var k *Key
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
			if k = c.get(r.WorkshopID, epoch); k == nil {
				if k, err = readKey(ctx, db, r.WorkshopID, epoch); err != nil {
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
func OpenStoredEvents(ctx context.Context, db bun.IDB, rows []Event) error {
	return new(Keys).Open(ctx, db, rows)
}

// PayloadIsSealed says whether a stored payload is sealed (for tests and tools).
func PayloadIsSealed(payload string) bool { return strings.HasPrefix(payload, sealPrefix) }
