package outbox_test

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/internal/testclock"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/mailtest"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/storage/storagetest"
)

// stopAfter is a transport that hands the message to a real SMTP server, then behaves as the
// node would at that instant: stop (cancel the worker's context, as SIGTERM does) and, with
// die, never record anything (a node that dies before its next statement).
type stopAfter struct {
	next *mail.Sender
	stop context.CancelFunc
	die  bool
}

func (s *stopAfter) SendRaw(ctx context.Context, to string, body []byte) error {
	err := s.next.SendRaw(ctx, to, body)
	s.stop()
	if s.die {
		return ctx.Err() // the worker gets no word of the acceptance
	}
	return err
}

var messageIDRe = regexp.MustCompile(`(?m)^Message-ID: (<[^>]+>)\r?$`)

// TestOutboxAcceptedOnce: a message the SMTP server accepted is not sent again, whatever
// happens to the node next. A shutdown right after the acceptance still records it; a
// record whose delete failed is swept, never sent; and in the one window left (a node that
// dies between the acceptance and the record) the next worker sends it again after the lease
// with the same Message-ID, and says so in its log.
func TestOutboxAcceptedOnce(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		tests := []struct {
			name      string
			setup     func(t *testing.T, w *outbox.Worker, r *mailtest.Server, sender *mail.Sender) context.Context
			wantSends int
		}{
			{"shutdown right after the acceptance", func(t *testing.T, w *outbox.Worker, r *mailtest.Server, sender *mail.Sender) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				w.Transport = &stopAfter{next: sender, stop: cancel}
				return ctx
			}, 1},
			{"acceptance recorded, delete lost", func(t *testing.T, w *outbox.Worker, r *mailtest.Server, sender *mail.Sender) context.Context {
				// As if the row's delete had failed after sent_at was written.
				if _, err := db.NewUpdate().Model((*outbox.Message)(nil)).Set("sent_at = ?", time.Now()).Where("1 = 1").Exec(context.Background()); err != nil {
					t.Fatal(err)
				}
				return context.Background()
			}, 0},
			{"node dies between the acceptance and its record", func(t *testing.T, w *outbox.Worker, r *mailtest.Server, sender *mail.Sender) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				w.Transport = &stopAfter{next: sender, stop: cancel, die: true}
				return ctx
			}, 2},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				if _, err := db.NewDelete().Model((*outbox.Message)(nil)).Where("1 = 1").Exec(ctx); err != nil {
					t.Fatal(err)
				}
				r := mailtest.Start(t, mailtest.Options{})
				sender := mail.New(mail.Config{Addr: r.Addr, From: "Assises <assises@example.org>"})
				c := testclock.New(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
				logs := &stack.Logs{}
				first := outbox.NewWorker(outbox.Worker{DB: db, Transport: sender, Now: c.Now, Lease: time.Minute, Log: slog.New(slog.NewTextHandler(logs, nil))})
				msg := mail.Message{To: "zoe@example.org", Subject: "Votre lien", Text: "https://assises.example.org/i/once", HTML: "<p>lien</p>"}
				if err := outbox.Enqueue(ctx, db, sender.From(), nil, msg, c.Now()); err != nil {
					t.Fatal(err)
				}
				runCtx := tc.setup(t, first, r, sender)
				if _, err := first.SendDue(runCtx); err != nil {
					t.Fatal(err)
				}
				// Another node, once the lease is over.
				c.Advance(2 * time.Minute)
				second := outbox.NewWorker(outbox.Worker{DB: db, Transport: sender, Now: c.Now, Lease: time.Minute, Log: slog.New(slog.NewTextHandler(logs, nil))})
				if _, err := second.SendDue(ctx); err != nil {
					t.Fatal(err)
				}
				c.Advance(time.Hour)
				if _, err := second.SendDue(ctx); err != nil {
					t.Fatal(err)
				}
				if accepted := len(r.Messages()); accepted != tc.wantSends {
					t.Fatalf("the SMTP server accepted %d copies, want %d", accepted, tc.wantSends)
				}
				if n, _ := db.NewSelect().Model((*outbox.Message)(nil)).Count(ctx); n != 0 {
					t.Errorf("%d rows left in the outbox, want none", n)
				}
				if h, _ := outbox.Status(ctx, db); h.Waiting != 0 || h.Failed != 0 {
					t.Errorf("status: got %+v, want nothing waiting", h)
				}
				if tc.wantSends == 2 {
					ids := map[string]bool{}
					for _, got := range r.Messages() {
						body := string(got.Data)
						m := messageIDRe.FindStringSubmatch(body)
						if m == nil {
							t.Fatalf("a copy has no Message-ID:\n%s", body)
						}
						ids[m[1]] = true
					}
					if len(ids) != 1 {
						t.Errorf("the two copies carry Message-IDs %v, want one and the same", ids)
					}
					if !strings.Contains(logs.String(), "cut short") {
						t.Errorf("the second worker did not log the attempt cut short:\n%s", logs.String())
					}
				}
			})
		}
	})
}
