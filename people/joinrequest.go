package people

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/seal"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// JoinRequest is a phone asking to join a session with the session's short code. A code alone
// never signs anyone in: a moderator at the door, who sees the person, says who it is, and only
// then does the waiting phone get a session. The phone holds a secret (its cookie); the room
// and the phone both show a short number, so the moderator can match the screen to the row.
type JoinRequest struct {
	bun.BaseModel `bun:"table:join_requests"`

	ID            int64 `bun:",pk,autoincrement"`
	WorkshopID    int64
	SecretHash    string
	Number        string // three digits, shown on the phone and at the door
	Name          string // what the person typed, sealed with the request's own key (openJoinNames); deleted with the row
	Source        string // the network address it came from (JoinFrom); deleted with the row
	ParticipantID *int64 // who the moderator said it is
	Status        string // pending, approved, refused
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// Join request statuses.
const (
	JoinPending  = "pending"
	JoinApproved = "approved"
	JoinRefused  = "refused"
)

// JoinRequestTTL is how long a phone waits for the door before asking again.
const JoinRequestTTL = 15 * time.Minute

// maxPendingJoins bounds the queue of one session, so a script cannot fill the door's screen.
const maxPendingJoins = 100

// MaxPendingJoinsPerAddress bounds what one network address may hold in one session's queue:
// a quarter of it, so that a script on one address cannot fill the queue for the phones on
// others. Not fewer: a venue's Wi-Fi puts many real walk-ins behind one address.
const MaxPendingJoinsPerAddress = maxPendingJoins / 4

// ErrJoinQueueFull refuses a request when a session already has many waiting.
var ErrJoinQueueFull = errors.New("too many phones waiting to join")

// ErrJoinAddressFull refuses a request when its address already has many waiting in the session.
var ErrJoinAddressFull = errors.New("too many phones waiting to join from this address")

// JoinFrom says where a join request comes from.
type JoinFrom struct {
	// Address is the client's network address as the rate limits count it ("" = unknown:
	// not bounded per address).
	Address string
	// Previous is the secret of the request this phone is still waiting with, if any: asking
	// again replaces it, so a phone holds one place in the queue, not one per tap.
	Previous string
}

// RequestJoin records a phone's request to join the session with this code and returns the
// secret the phone keeps. An unknown code and a closed session both give ErrNotFound: the
// answer does not tell which codes exist. A session's queue is bounded (ErrJoinQueueFull), and
// so is one address's share of it (ErrJoinAddressFull).
func RequestJoin(ctx context.Context, db bun.IDB, code, name string, from JoinFrom, now time.Time) (string, *JoinRequest, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || len([]rune(name)) > 120 {
		return "", nil, fmt.Errorf("store: request join: a name of 1 to 120 characters is needed")
	}
	var secret string
	var req *JoinRequest
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if err := purgeJoinRequests(ctx, tx, now); err != nil {
			return err
		}
		w, err := process.GetWorkshopByCode(ctx, tx, code)
		if err != nil {
			return err
		}
		if w.Phase == record.PhaseClosed || !now.Before(w.EndsAt) {
			return fmt.Errorf("store: request join: %w", record.ErrNotFound)
		}
		if from.Previous != "" {
			if _, err := tx.NewDelete().Model((*JoinRequest)(nil)).
				Where("secret_hash = ? AND workshop_id = ? AND status = ?", HashToken(from.Previous), w.ID, JoinPending).Exec(ctx); err != nil {
				return fmt.Errorf("store: request join: %w", err)
			}
		}
		pending, err := tx.NewSelect().Model((*JoinRequest)(nil)).Where("workshop_id = ? AND status = ?", w.ID, JoinPending).Count(ctx)
		if err != nil {
			return fmt.Errorf("store: request join: %w", err)
		}
		if pending >= maxPendingJoins {
			return fmt.Errorf("store: request join: %w", ErrJoinQueueFull)
		}
		if from.Address != "" {
			mine, err := tx.NewSelect().Model((*JoinRequest)(nil)).
				Where("workshop_id = ? AND status = ? AND source = ?", w.ID, JoinPending, from.Address).Count(ctx)
			if err != nil {
				return fmt.Errorf("store: request join: %w", err)
			}
			if mine >= MaxPendingJoinsPerAddress {
				return fmt.Errorf("store: request join: %w", ErrJoinAddressFull)
			}
		}
		secret = NewToken()
		n, _ := rand.Int(rand.Reader, big.NewInt(900))
		// The row goes in without the name: the sealed one needs its id.
		req = &JoinRequest{WorkshopID: w.ID, SecretHash: HashToken(secret), Number: fmt.Sprint(100 + n.Int64()),
			Source: from.Address, Status: JoinPending, ExpiresAt: now.Add(JoinRequestTTL), CreatedAt: now}
		if _, err := tx.NewInsert().Model(req).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("store: request join: %w", err)
		}
		k, err := seal.NewKey()
		if err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&joinRequestKey{RequestID: req.ID, RequestKey: k.Encode(), CreatedAt: now}).Exec(ctx); err != nil {
			return fmt.Errorf("store: request join: %w", err)
		}
		req.Name = k.Seal(req.ID, seal.FieldJoinName, name)
		if _, err := tx.NewUpdate().Model(req).Column("name").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("store: request join: %w", err)
		}
		req.Name = name
		return nil
	})
	return secret, req, err
}

// PendingJoins lists the phones waiting at a session's door, oldest first.
func PendingJoins(ctx context.Context, db bun.IDB, workshopID int64, now time.Time) ([]JoinRequest, error) {
	var reqs []JoinRequest
	err := db.NewSelect().Model(&reqs).Where("workshop_id = ? AND status = ? AND expires_at > ?", workshopID, JoinPending, now).
		Order("id").Scan(ctx)
	if err == nil {
		err = openJoinNames(ctx, db, reqs)
	}
	if err != nil {
		return nil, fmt.Errorf("store: pending joins: %w", err)
	}
	return reqs, nil
}

// SettleJoin approves a waiting phone as participantID (nil refuses it). The person must hold
// a confirmed place in that session: the door lets in who is registered (walk-ins have their
// own form). It returns ErrNotFound for a request of another session, settled or expired.
func SettleJoin(ctx context.Context, db bun.IDB, workshopID, requestID int64, participantID *int64, now time.Time) error {
	return withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		status := JoinRefused
		if participantID != nil {
			ok, err := tx.NewSelect().Model((*record.Registration)(nil)).
				Where("workshop_id = ? AND participant_id = ? AND status = ?", workshopID, *participantID, record.RegistrationConfirmed).Exists(ctx)
			if err != nil {
				return fmt.Errorf("store: settle join: %w", err)
			}
			if !ok {
				return fmt.Errorf("store: settle join: participant %d has no place here: %w", *participantID, record.ErrNotFound)
			}
			status = JoinApproved
		}
		res, err := tx.NewUpdate().Model((*JoinRequest)(nil)).
			Set("status = ?, participant_id = ?", status, participantID).
			Where("id = ? AND workshop_id = ? AND status = ? AND expires_at > ?", requestID, workshopID, JoinPending, now).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: settle join: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: settle join: %w", record.ErrNotFound)
		}
		return nil
	})
}

// ClaimJoin is the waiting phone asking where its request stands. Once it is settled the row
// (and the name typed) is deleted and the answer is final: approved with the participant and
// the session, or refused. A pending request returns its status only; an unknown or expired
// secret is ErrNotFound.
func ClaimJoin(ctx context.Context, db bun.IDB, secret string, now time.Time) (*JoinRequest, error) {
	var req JoinRequest
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Model(&req).Where("secret_hash = ? AND expires_at > ?", HashToken(secret), now).Scan(ctx)
		if err != nil {
			return record.NotFound("claim join", err)
		}
		one := []JoinRequest{req}
		if err := openJoinNames(ctx, tx, one); err != nil {
			return fmt.Errorf("store: claim join: %w", err)
		}
		req = one[0]
		if req.Status == JoinPending {
			return nil
		}
		if _, err := tx.NewDelete().Model((*JoinRequest)(nil)).Where("id = ?", req.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: claim join: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &req, nil
}

// purgeJoinRequests deletes expired requests, and with them the names typed.
func purgeJoinRequests(ctx context.Context, tx bun.Tx, now time.Time) error {
	if _, err := tx.NewDelete().Model((*JoinRequest)(nil)).Where("expires_at <= ?", now).Exec(ctx); err != nil {
		return fmt.Errorf("store: purge join requests: %w", err)
	}
	return nil
}

// The name typed on a join request is a person's name, kept only while the door decides: it
// is sealed (internal/seal) with a key of the request's own, in join_request_keys, which goes
// with the request (settled, expired, or its person erased), so that what the database's
// files, its log and its backups keep of the name is ciphertext nobody can open once the key
// has left them (people.scrub rewrites that table on PostgreSQL).
type joinRequestKey struct {
	bun.BaseModel `bun:"table:join_request_keys"`

	RequestID  int64 `bun:",pk"`
	RequestKey string
	CreatedAt  time.Time
}

// openJoinNames replaces the sealed names of some join requests with their text.
func openJoinNames(ctx context.Context, db bun.IDB, reqs []JoinRequest) error {
	return openNames(ctx, db, "join_request_keys", "request_id", "request_key", seal.FieldJoinName, len(reqs),
		func(i int) (int64, *string) { return reqs[i].ID, &reqs[i].Name })
}
