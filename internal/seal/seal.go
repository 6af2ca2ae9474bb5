// Package seal keeps a person's personal fields (name, email, phone) encrypted with a key of
// their own, held in its own table (person_keys), so that erasing the person is deleting that
// key: what the database's files, its write-ahead log and its backups keep of the fields is
// ciphertext nobody can open any more (crypto-shredding, docs/privacy.md).
//
// A field is sealed with AES-256-GCM under the person's key, with the participant id and the
// field's name as additional data: a sealed value copied onto another row or another column
// does not open. A sealed value is text ("s1:" and base64), so one column type serves SQLite
// and PostgreSQL; a value without the prefix is a plaintext written before sealing existed
// and reads as itself.
package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Key is one person's data key.
type Key [32]byte

// The personal fields of a person that are sealed, named as their columns in people: the
// name is bound into each sealed value, so every reader must open a field under its name.
const (
	FieldDisplayName = "display_name"
	FieldEmail       = "email"
	FieldPhone       = "phone"
)

// Fields sealed with a key of their own row rather than a person's: the id bound in is that
// row's (the organisation's, the join request's), and the field's name keeps it apart from a
// person's id of the same number.
const (
	FieldOrganisation = "organisation.name"
	FieldJoinName     = "join_request.name"
)

// prefix marks a sealed value (and its format's version).
const prefix = "s1:"

// ErrNoKey means the person's key is gone: they were erased.
var ErrNoKey = errors.New("seal: the person's key is gone")

// NewKey returns a fresh random key.
func NewKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("seal: new key: %w", err)
	}
	return k, nil
}

func (k Key) aead() cipher.AEAD {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

// aad binds a sealed value to its person and its field.
func aad(participantID int64, field string) []byte {
	return []byte(strconv.FormatInt(participantID, 10) + "/" + field)
}

// Seal encrypts one field of a person. The empty string stays empty (it says nothing).
func (k Key) Seal(participantID int64, field, plaintext string) string {
	if plaintext == "" {
		return ""
	}
	gcm := k.aead()
	nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	out := gcm.Seal(nonce, nonce, []byte(plaintext), aad(participantID, field))
	return prefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts what Seal made of one field of a person; a value that is not sealed is
// returned as it is.
func (k Key) Open(participantID int64, field, sealed string) (string, error) {
	if !IsSealed(sealed) {
		return sealed, nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(prefix):])
	if err != nil {
		return "", fmt.Errorf("seal: open %s of %d: %w", field, participantID, err)
	}
	gcm := k.aead()
	if len(raw) < gcm.NonceSize() {
		return "", fmt.Errorf("seal: open %s of %d: too short", field, participantID)
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], aad(participantID, field))
	if err != nil {
		return "", fmt.Errorf("seal: open %s of %d: %w", field, participantID, err)
	}
	return string(plain), nil
}

// Tag is a keyed hash of text (HMAC-SHA256), for finding equal values without storing them:
// whoever lacks the key can neither read the text back nor test a guess of it.
func (k Key) Tag(text string) string {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(text))
	return tagPrefix + base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// tagPrefix marks a keyed hash (and its format's version).
const tagPrefix = "t1:"

// IsTag reports whether a stored value is a keyed hash made by Tag.
func IsTag(s string) bool { return strings.HasPrefix(s, tagPrefix) }

// Encode is a key as stored in a keys' table (ParseKey reads it back).
func (k Key) Encode() string { return base64.RawStdEncoding.EncodeToString(k[:]) }

// IsSealed reports whether a stored value is sealed.
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// PersonKey is the row of a person's key.
type PersonKey struct {
	bun.BaseModel `bun:"table:person_keys"`

	ParticipantID int64 `bun:",pk"`
	DataKey       string
	CreatedAt     time.Time
}

// Create makes and stores the key of a new person, in the caller's transaction.
func Create(ctx context.Context, db bun.IDB, participantID int64) (Key, error) {
	k, err := NewKey()
	if err != nil {
		return k, err
	}
	row := &PersonKey{ParticipantID: participantID, DataKey: k.Encode(), CreatedAt: time.Now().UTC()}
	if _, err := db.NewInsert().Model(row).Exec(ctx); err != nil {
		return k, fmt.Errorf("seal: store key: %w", err)
	}
	return k, nil
}

// ParseKey decodes a key as stored in person_keys.data_key.
func ParseKey(stored string) (Key, error) {
	var k Key
	raw, err := base64.RawStdEncoding.DecodeString(stored)
	if err != nil || len(raw) != len(k) {
		return k, fmt.Errorf("seal: malformed key")
	}
	copy(k[:], raw)
	return k, nil
}

// OpenWith opens a field with a key as stored (the text a query joined from person_keys).
// Without a key, a sealed value cannot be opened (ErrNoKey) and a plaintext reads as itself.
func OpenWith(stored *string, participantID int64, field, value string) (string, error) {
	if !IsSealed(value) {
		return value, nil
	}
	if stored == nil {
		return "", ErrNoKey
	}
	k, err := ParseKey(*stored)
	if err != nil {
		return "", err
	}
	return k.Open(participantID, field, value)
}

// KeyOf reads a person's key; nil (and no error) when they have none: erased, or stored
// before sealing existed.
func KeyOf(ctx context.Context, db bun.IDB, participantID int64) (*Key, error) {
	var stored []string
	if err := db.NewSelect().Model((*PersonKey)(nil)).Column("data_key").Where("participant_id = ?", participantID).Scan(ctx, &stored); err != nil {
		return nil, fmt.Errorf("seal: read key: %w", err)
	}
	if len(stored) == 0 {
		return nil, nil
	}
	k, err := ParseKey(stored[0])
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// Forget deletes the keys of some people: whatever was sealed with them can never be read
// again, wherever a copy of it lies.
func Forget(ctx context.Context, db bun.IDB, participantIDs []int64) error {
	_, err := db.NewDelete().Model((*PersonKey)(nil)).Where("participant_id IN (?)", bun.In(participantIDs)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("seal: forget keys: %w", err)
	}
	return nil
}
