// Package attempts holds an address to a budget of failed attempts at what must be guessed —
// a personal code, a sign-in link, a session code — counted in the database, so that every
// node of a cluster counts the same failures (a budget kept in each node's memory would give
// an address one budget per node).
//
// The address itself is never written: a failure is stored under an HMAC of the address with
// the key of the hour it happened in. Windows are at most an hour, so a count reads this
// hour's and the last hour's tags; older keys are deleted with the rows, and what the
// database's files, its log or a backup keep of them afterwards names no address.
package attempts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Budget is how many failures of one kind an address may make in a sliding window.
type Budget struct {
	Kind   string // what was guessed: "code", "signin", "join"
	Max    int
	Window time.Duration
}

// Kept is how long a failure counts at most: the longest window a budget may have.
const Kept = time.Hour

// Book is the record of failed attempts in one database, with the hour keys it has read.
type Book struct {
	db   bun.IDB
	mu   sync.Mutex
	keys map[int64][]byte // by hour since the epoch
}

// NewBook returns the book of failed attempts kept in db.
func NewBook(db bun.IDB) *Book { return &Book{db: db, keys: map[int64][]byte{}} }

type failure struct {
	bun.BaseModel `bun:"table:failed_attempts"`
	Kind          string    `bun:"kind,notnull"`
	Tag           string    `bun:"tag,notnull"`
	At            time.Time `bun:"at,notnull"`
}

type hourKey struct {
	bun.BaseModel `bun:"table:attempt_keys"`
	Hour          int64  `bun:"hour,pk"`
	Key           string `bun:"key,notnull"`
}

func hourOf(t time.Time) int64 { return t.Unix() / 3600 }

// key returns the key of hour h, making it when create is set and no node has yet; nil when
// there is none (then no failure of that hour exists either).
func (b *Book) key(ctx context.Context, h int64, create bool) ([]byte, error) {
	b.mu.Lock()
	k := b.keys[h]
	b.mu.Unlock()
	if k != nil {
		return k, nil
	}
	var rows []hourKey
	if err := b.db.NewSelect().Model(&rows).Where("hour = ?", h).Scan(ctx); err != nil {
		return nil, fmt.Errorf("attempts: read the key of an hour: %w", err)
	}
	if len(rows) == 0 {
		if !create {
			return nil, nil
		}
		fresh := make32()
		// Another node may make the same hour's key at the same moment: whichever row is
		// written first is the key of the hour for every node.
		if _, err := b.db.NewInsert().Model(&hourKey{Hour: h, Key: base64.RawStdEncoding.EncodeToString(fresh)}).
			On("CONFLICT (hour) DO NOTHING").Exec(ctx); err != nil {
			return nil, fmt.Errorf("attempts: make the key of an hour: %w", err)
		}
		if err := b.db.NewSelect().Model(&rows).Where("hour = ?", h).Scan(ctx); err != nil || len(rows) == 0 {
			return nil, fmt.Errorf("attempts: read the key just made: %v", err)
		}
	}
	k, err := base64.RawStdEncoding.DecodeString(rows[0].Key)
	if err != nil {
		return nil, fmt.Errorf("attempts: the key of hour %d: %w", h, err)
	}
	b.mu.Lock()
	for old := range b.keys {
		if old < h-1 {
			delete(b.keys, old)
		}
	}
	b.keys[h] = k
	b.mu.Unlock()
	return k, nil
}

func make32() []byte {
	k := make([]byte, 32)
	rand.Read(k) // never fails (crypto/rand's contract)
	return k
}

func tag(key []byte, kind, address string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind + "\x00" + address))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Left reports whether address may try again under budget at now and, when it may not, how
// long until its oldest counted failure leaves the window.
func (b *Book) Left(ctx context.Context, budget Budget, address string, now time.Time) (bool, time.Duration, error) {
	if budget.Window > Kept {
		return false, 0, fmt.Errorf("attempts: a window of %s is longer than failures are kept", budget.Window)
	}
	var tags []string
	for _, h := range []int64{hourOf(now), hourOf(now) - 1} {
		k, err := b.key(ctx, h, false)
		if err != nil {
			return false, 0, err
		}
		if k != nil {
			tags = append(tags, tag(k, budget.Kind, address))
		}
	}
	if len(tags) == 0 {
		return true, 0, nil
	}
	// The Max-th most recent failure in the window, if there is one, is the one whose
	// leaving the window frees a try.
	var at []time.Time
	err := b.db.NewSelect().Model((*failure)(nil)).Column("at").
		Where("kind = ?", budget.Kind).Where("tag IN (?)", bun.In(tags)).Where("at > ?", now.Add(-budget.Window).UTC()).
		OrderExpr("at DESC").Offset(int64(budget.Max-1)).Limit(1).Scan(ctx, &at)
	if err != nil {
		return false, 0, fmt.Errorf("attempts: count %s failures: %w", budget.Kind, err)
	}
	if len(at) == 0 {
		return true, 0, nil
	}
	return false, at[0].Add(budget.Window).Sub(now), nil
}

// Fail counts one failure of budget's kind from address at now, and sweeps the failures and
// keys too old to count (failures are rare: the sweep stays small, and no timer is needed).
func (b *Book) Fail(ctx context.Context, budget Budget, address string, now time.Time) error {
	k, err := b.key(ctx, hourOf(now), true)
	if err != nil {
		return err
	}
	if _, err := b.db.NewInsert().Model(&failure{Kind: budget.Kind, Tag: tag(k, budget.Kind, address), At: now.UTC()}).Exec(ctx); err != nil {
		return fmt.Errorf("attempts: count a %s failure: %w", budget.Kind, err)
	}
	if _, err := b.db.NewDelete().Model((*failure)(nil)).Where("at < ?", now.Add(-Kept).UTC()).Exec(ctx); err != nil {
		return fmt.Errorf("attempts: sweep failures: %w", err)
	}
	if _, err := b.db.NewDelete().Model((*hourKey)(nil)).Where("hour < ?", hourOf(now)-1).Exec(ctx); err != nil {
		return fmt.Errorf("attempts: sweep keys: %w", err)
	}
	return nil
}
