// Package outbox sends email in the background: a page that asks for a message writes it to
// the outbox table in its own request (Enqueue) and answers at once; a Worker hands due
// messages to the SMTP server, retries failures with exponential backoff, and deletes each
// message once the server accepted it (its body holds a sign-in link). Messages that keep
// failing stay, with their last error, for the organisers to see (Status). Several nodes may
// run a Worker on the same database: a message is claimed by one at a time.
//
// Once: a claim marks the attempt (sending_at, with a lease), the server's acceptance is
// recorded (sent_at) before the row is deleted, with a context that a shutdown does not cut, so
// a message the server accepted is not claimed again. What remains is the moment between the
// server's "250 accepted" and that record: a node that dies there leaves an attempt without an
// outcome, which the next worker sends again after the lease, with the same Message-ID (fixed
// when the message was composed), and says so in its log. docs/operations.md tells it.
package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/seal"
	"github.com/assises/assises/mail"
)

// Message is one email waiting to be sent.
type Message struct {
	bun.BaseModel `bun:"table:outbox"`

	ID            int64  `bun:",pk,autoincrement"`
	ParticipantID *int64 // whose message it is: erasing them deletes it
	Recipient     string
	Subject       string
	Body          string // the composed message, both parts (mail.Compose)
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	FailedAt      *time.Time // set when the worker gave up (MaxAttempts)
	CreatedAt     time.Time
	SendingAt     *time.Time // an attempt started; nil again once its outcome is recorded
	SentAt        *time.Time // the SMTP server accepted it: never claimed again, deleted
}

// The message's fields sealed with the person's key (internal/seal): the recipient's address
// and the body (their name, their sign-in link) never reach the database's files, its
// write-ahead log or its backups in clear, and erasing the person (deleting the key) leaves
// nothing readable of a message that waited. A message for nobody in particular stays plain.
const (
	fieldRecipient = "outbox.recipient"
	fieldBody      = "outbox.body"
)

// MaxAttempts is how many times a message is tried before the worker gives up on it: with the
// default backoff, about a day and a half of trying.
const MaxAttempts = 12

// Enqueue writes msg to the outbox for participantID (nil: nobody's), to be sent as soon as a
// worker gets to it. The message is composed now (from, both parts), so that the worker only
// talks to the SMTP server.
func Enqueue(ctx context.Context, db bun.IDB, from string, participantID *int64, msg mail.Message, now time.Time) error {
	body, err := mail.Compose(from, msg, now)
	if err != nil {
		return fmt.Errorf("outbox: enqueue: %w", err)
	}
	row := &Message{ParticipantID: participantID, Recipient: msg.To, Subject: msg.Subject, Body: string(body),
		NextAttemptAt: now, CreatedAt: now}
	if participantID != nil {
		key, err := seal.KeyOf(ctx, db, *participantID)
		if err != nil {
			return fmt.Errorf("outbox: enqueue: %w", err)
		}
		if key != nil {
			row.Recipient = key.Seal(*participantID, fieldRecipient, row.Recipient)
			row.Body = key.Seal(*participantID, fieldBody, row.Body)
		}
	}
	if _, err := db.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("store: enqueue mail: %w", err)
	}
	return nil
}

// Health is what the organisers see of the outbox.
type Health struct {
	Waiting   int        `json:"waiting"`  // not sent yet (first try due, or a retry waiting)
	Retrying  int        `json:"retrying"` // of which failed at least once
	Failed    int        `json:"failed"`   // given up after MaxAttempts
	LastError string     `json:"lastError,omitempty"`
	LastAt    *time.Time `json:"lastErrorAt,omitempty"`
}

// Status counts the messages not sent and gives the most recent error.
func Status(ctx context.Context, db bun.IDB) (Health, error) {
	var h Health
	var rows []struct {
		Failed   bool
		Retrying bool
		N        int
	}
	err := db.NewSelect().Model((*Message)(nil)).
		ColumnExpr("failed_at IS NOT NULL AS failed, attempts > 0 AS retrying, count(*) AS n").
		Where("sent_at IS NULL").GroupExpr("failed_at IS NOT NULL, attempts > 0").Scan(ctx, &rows)
	if err != nil {
		return h, fmt.Errorf("store: outbox status: %w", err)
	}
	for _, r := range rows {
		switch {
		case r.Failed:
			h.Failed += r.N
		case r.Retrying:
			h.Waiting += r.N
			h.Retrying += r.N
		default:
			h.Waiting += r.N
		}
	}
	var last Message
	err = db.NewSelect().Model(&last).Column("last_error", "next_attempt_at", "failed_at", "attempts").
		Where("attempts > 0 AND sent_at IS NULL").OrderExpr("id DESC").Limit(1).Scan(ctx)
	if err == nil {
		h.LastError = last.LastError
		at := last.NextAttemptAt
		if last.FailedAt != nil {
			at = *last.FailedAt
		}
		h.LastAt = &at
	} else if !errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("store: outbox status: %w", err)
	}
	return h, nil
}

// Transport is what the worker sends through: mail.Sender, or anything that speaks SMTP.
type Transport interface {
	SendRaw(ctx context.Context, to string, body []byte) error
}

var _ Transport = (*mail.Sender)(nil)

// Worker sends the outbox's due messages.
type Worker struct {
	DB        *bun.DB
	Transport Transport
	Log       *slog.Logger
	Now       func() time.Time // default time.Now
	// Backoff is the wait after the first failure; it doubles with each failure, up to MaxBackoff.
	Backoff, MaxBackoff time.Duration // defaults 30 s and 4 h
	// Poll is how often the worker looks for due messages when nobody wakes it (default 10 s).
	Poll time.Duration
	// Lease is how long a claimed message is kept from other workers while it is sent
	// (default 2 min: longer than an SMTP timeout).
	Lease time.Duration

	wake chan struct{}
}

func (w *Worker) defaults() {
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
	if w.Backoff <= 0 {
		w.Backoff = 30 * time.Second
	}
	if w.MaxBackoff <= 0 {
		w.MaxBackoff = 4 * time.Hour
	}
	if w.Poll <= 0 {
		w.Poll = 10 * time.Second
	}
	if w.Lease <= 0 {
		w.Lease = 2 * time.Minute
	}
	if w.wake == nil {
		w.wake = make(chan struct{}, 1)
	}
}

// NewWorker returns a worker with its defaults filled in.
func NewWorker(w Worker) *Worker {
	w.defaults()
	return &w
}

// Wake tells the worker a message was just enqueued; it never blocks.
func (w *Worker) Wake() {
	if w == nil {
		return
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	tick := time.NewTicker(w.Poll)
	defer tick.Stop()
	for {
		if _, err := w.SendDue(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("outbox: sending", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-tick.C:
		}
	}
}

// backoff is the wait after the n-th failure (n ≥ 1).
func (w *Worker) backoff(n int) time.Duration {
	d := w.Backoff
	for i := 1; i < n && d < w.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.MaxBackoff)
}

// SendDue sends every message due now, one at a time, and returns how many the SMTP server
// accepted.
func (w *Worker) SendDue(ctx context.Context) (int, error) {
	w.defaults()
	sent := 0
	// Messages whose acceptance was recorded but whose delete failed: they hold a link.
	if _, err := w.DB.NewDelete().Model((*Message)(nil)).Where("sent_at IS NOT NULL").Exec(ctx); err != nil {
		return 0, fmt.Errorf("store: outbox sweep: %w", err)
	}
	for ctx.Err() == nil {
		m, err := w.claim(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return sent, nil
		}
		if err != nil {
			return sent, err
		}
		to, body, err := w.open(ctx, m)
		if errors.Is(err, seal.ErrNoKey) {
			// Its person was erased while it waited (erasure deletes their messages too):
			// nothing of it can be read any more, so it goes.
			if _, err := w.DB.NewDelete().Model((*Message)(nil)).Where("id = ?", m.ID).Exec(ctx); err != nil {
				return sent, fmt.Errorf("store: outbox unreadable: %w", err)
			}
			continue
		}
		if err != nil {
			return sent, err
		}
		if m.SendingAt != nil {
			w.Log.Warn("outbox: an attempt was cut short (a node stopped while sending); sending again with the same Message-ID, the recipient may get it twice",
				"message", m.ID, "attempt_started", m.SendingAt)
		}
		if err := w.Transport.SendRaw(ctx, to, body); err != nil {
			if ctx.Err() != nil {
				// Shutting down mid-conversation: whether the server took it is unknown; the
				// attempt stays marked and the lease lets another worker take it over.
				return sent, nil
			}
			if err := w.failed(ctx, m, err); err != nil {
				return sent, err
			}
			continue
		}
		if err := w.accepted(ctx, m); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// open gives a claimed message's recipient and body in clear (seal.ErrNoKey: its person's key
// is gone).
func (w *Worker) open(ctx context.Context, m *Message) (string, []byte, error) {
	if !seal.IsSealed(m.Recipient) && !seal.IsSealed(m.Body) {
		return m.Recipient, []byte(m.Body), nil
	}
	if m.ParticipantID == nil {
		return "", nil, seal.ErrNoKey
	}
	key, err := seal.KeyOf(ctx, w.DB, *m.ParticipantID)
	if err != nil {
		return "", nil, fmt.Errorf("outbox: %w", err)
	}
	if key == nil {
		return "", nil, seal.ErrNoKey
	}
	to, err := key.Open(*m.ParticipantID, fieldRecipient, m.Recipient)
	if err != nil {
		return "", nil, fmt.Errorf("outbox: message %d: %w", m.ID, err)
	}
	body, err := key.Open(*m.ParticipantID, fieldBody, m.Body)
	if err != nil {
		return "", nil, fmt.Errorf("outbox: message %d: %w", m.ID, err)
	}
	return to, []byte(body), nil
}

// recordWait bounds the writes that record an attempt's outcome. They do not stop with the
// worker's context: a shutdown just after the server accepted a message must still record it,
// or the message would be sent again.
const recordWait = 10 * time.Second

// accepted records that the SMTP server accepted m, then deletes it (with its link). The
// record comes first and is tried a few times: it is what keeps the message from being sent
// again. A failed delete leaves a row that the next pass sweeps.
func (w *Worker) accepted(ctx context.Context, m *Message) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWait)
	defer cancel()
	var err error
	for try, pause := 0, 100*time.Millisecond; try < 3; try, pause = try+1, pause*4 {
		if try > 0 {
			select {
			case <-time.After(pause):
			case <-ctx.Done():
			}
		}
		_, err = w.DB.NewUpdate().Model((*Message)(nil)).Set("sent_at = ?", w.Now()).Set("sending_at = NULL").
			Where("id = ?", m.ID).Exec(ctx)
		if err == nil {
			break
		}
	}
	if err != nil {
		// The server has it, and the record failed: after the lease it is sent again.
		return fmt.Errorf("store: outbox accepted (message %d will be sent again): %w", m.ID, err)
	}
	if _, err := w.DB.NewDelete().Model((*Message)(nil)).Where("id = ?", m.ID).Exec(ctx); err != nil {
		w.Log.Warn("outbox: sent message not deleted yet; the next pass removes it", "message", m.ID, "err", err)
	}
	return nil
}

// claim takes the oldest due message, marks the attempt and moves its next attempt past the
// lease, so that no other worker takes it while it is being sent. The message returned keeps
// the mark of the previous attempt: set, that attempt was cut short.
func (w *Worker) claim(ctx context.Context) (*Message, error) {
	for {
		now := w.Now()
		var m Message
		err := w.DB.NewSelect().Model(&m).Where("failed_at IS NULL AND sent_at IS NULL AND next_attempt_at <= ?", now).
			OrderExpr("next_attempt_at, id").Limit(1).Scan(ctx)
		if err != nil {
			return nil, err
		}
		res, err := w.DB.NewUpdate().Model((*Message)(nil)).Set("next_attempt_at = ?", now.Add(w.Lease)).Set("sending_at = ?", now).
			Where("id = ? AND next_attempt_at = ? AND failed_at IS NULL AND sent_at IS NULL", m.ID, m.NextAttemptAt).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: outbox claim: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return &m, nil
		}
		// Another worker took it first: look again.
	}
}

// failed records a refused attempt: the error (shortened, for the organisers), the next
// attempt after the backoff, or the end of the tries.
func (w *Worker) failed(ctx context.Context, m *Message, sendErr error) error {
	now := w.Now()
	attempts := m.Attempts + 1
	text := redact(sendErr.Error())
	q := w.DB.NewUpdate().Model((*Message)(nil)).
		Set("attempts = ?", attempts).Set("last_error = ?", text).Set("sending_at = NULL").
		Set("next_attempt_at = ?", now.Add(w.backoff(attempts))).Where("id = ?", m.ID)
	if attempts >= MaxAttempts {
		q = q.Set("failed_at = ?", now)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWait)
	defer cancel()
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("store: outbox failure: %w", err)
	}
	// The log says which message and why, never to whom.
	w.Log.Warn("outbox: message not sent", "message", m.ID, "attempt", attempts, "err", text)
	return nil
}

// redact shortens an SMTP error for the organisers' page and the log, without the addresses
// servers like to repeat ("550 <zoe@example.org>: no such user"): no personal data in logs.
func redact(s string) string {
	words := strings.Fields(strings.ToValidUTF8(s, "?"))
	for i, w := range words {
		if strings.Contains(w, "@") {
			words[i] = "<address>"
		}
	}
	s = strings.Join(words, " ")
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "")
	}
	return s
}
