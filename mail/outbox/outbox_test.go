package outbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/seal"
	"github.com/assises/assises/internal/testclock"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/mailtest"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

func person(t *testing.T, db *bun.DB) int64 {
	t.Helper()
	p, err := people.CreateParticipant(context.Background(), db, people.NewParticipant{Role: record.RoleParticipant,
		Person: people.Person{DisplayName: "Zoé"}})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// TestOutboxRetriesThenSendsOnce: a server that says "try later" (451), then refuses (554),
// then accepts gets the message exactly once; before its backoff a failed message is not tried
// again; the organisers see the count and the last error while it waits, and nothing once sent.
func TestOutboxRetriesThenSendsOnce(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		r := mailtest.Start(t, mailtest.Options{Refusals: []*smtp.SMTPError{
			{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Greylisted for zoe@example.org, try again later"},
			{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 0, 0}, Message: "Transaction failed"}}})
		sender := mail.New(mail.Config{Addr: r.Addr, From: "Assises <assises@example.org>"})
		c := testclock.New(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
		w := outbox.NewWorker(outbox.Worker{DB: db, Transport: sender, Now: c.Now, Backoff: time.Minute})
		zoe := person(t, db)

		msg := mail.Message{To: "Zoé <zoe@example.org>", Subject: "Votre lien", Text: "https://assises.example.org/i/abc", HTML: "<p>lien</p>"}
		if err := outbox.Enqueue(ctx, db, sender.From(), &zoe, msg, c.Now()); err != nil {
			t.Fatal(err)
		}
		if tries := r.Tries(); tries != 0 {
			t.Fatalf("enqueueing talked to the SMTP server (%d tries): the page would wait on it", tries)
		}
		if h, _ := outbox.Status(ctx, db); h.Waiting != 1 || h.Retrying != 0 || h.LastError != "" {
			t.Fatalf("status before sending: got %+v, want 1 waiting and no error", h)
		}

		// 451: kept, with its error (without the address), due again after one minute.
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("first pass: sent %d, %v; want 0 (451)", n, err)
		}
		h, err := outbox.Status(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if h.Waiting != 1 || h.Retrying != 1 || !strings.Contains(h.LastError, "451") || strings.Contains(h.LastError, "zoe@") {
			t.Fatalf("status after a 451: got %+v, want one retrying with the 451 and no address", h)
		}
		if n, _ := w.SendDue(ctx); n != 0 {
			t.Fatalf("tried again before the backoff")
		}
		if tries := r.Tries(); tries != 1 {
			t.Fatalf("the server saw %d tries before the backoff passed, want 1", tries)
		}

		// 554 after the first backoff; the second backoff is twice as long.
		c.Advance(time.Minute)
		if n, _ := w.SendDue(ctx); n != 0 {
			t.Fatalf("second pass: sent %d, want 0 (554)", n)
		}
		c.Advance(time.Minute)
		if n, _ := w.SendDue(ctx); n != 0 {
			t.Fatalf("tried again one minute after the second failure: the backoff did not grow")
		}
		c.Advance(time.Minute)
		if n, err := w.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("third pass: sent %d, %v; want 1", n, err)
		}
		c.Advance(24 * time.Hour)
		if n, _ := w.SendDue(ctx); n != 0 {
			t.Fatalf("a sent message was sent again")
		}
		tries, accepted := r.Tries(), r.Messages()
		if tries != 3 || len(accepted) != 1 {
			t.Fatalf("the server saw %d tries and accepted %d, want 3 and exactly 1", tries, len(accepted))
		}
		if body := string(accepted[0].Data); !strings.Contains(body, "Subject: Votre lien") || !strings.Contains(body, "https://assises.example.org/i/abc") {
			t.Errorf("the message received is not the one enqueued:\n%s", body)
		}
		if h, _ := outbox.Status(ctx, db); h.Waiting != 0 || h.Failed != 0 {
			t.Errorf("status once sent: got %+v, want nothing waiting", h)
		}
		if n, _ := db.NewSelect().Model((*outbox.Message)(nil)).Count(ctx); n != 0 {
			t.Errorf("a sent message stays in the outbox with its link (%d rows)", n)
		}
	})
}

// TestOutboxGivesUp: a server that always refuses: after MaxAttempts the message is marked
// failed, counted for the organisers, and never tried again.
func TestOutboxGivesUp(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		var refusals []*smtp.SMTPError
		for range outbox.MaxAttempts + 3 {
			refusals = append(refusals, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"})
		}
		r := mailtest.Start(t, mailtest.Options{Refusals: refusals})
		sender := mail.New(mail.Config{Addr: r.Addr, From: "Assises <assises@example.org>"})
		c := testclock.New(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
		w := outbox.NewWorker(outbox.Worker{DB: db, Transport: sender, Now: c.Now, Backoff: time.Second, MaxBackoff: time.Hour})
		if err := outbox.Enqueue(ctx, db, sender.From(), nil, mail.Message{To: "nobody@example.org", Subject: "s", Text: "t", HTML: "h"}, c.Now()); err != nil {
			t.Fatal(err)
		}
		for range outbox.MaxAttempts + 2 {
			if _, err := w.SendDue(ctx); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Hour)
		}
		if tries := r.Tries(); tries != outbox.MaxAttempts {
			t.Errorf("the server saw %d tries, want %d then none", tries, outbox.MaxAttempts)
		}
		h, err := outbox.Status(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if h.Failed != 1 || h.Waiting != 0 || !strings.Contains(h.LastError, "550") || h.LastAt == nil {
			t.Errorf("status: got %+v, want one failed with its 550", h)
		}
	})
}

// TestOutboxSealsMessagesWithThePersonsKey: a waiting message's address and body (the
// person's name and sign-in link) are stored sealed with the person's key, so the database's
// files and write-ahead log never hold them in clear; the worker opens them and the SMTP
// server gets the real address and text; once the person's key is gone (erasure), a message
// that still waits is deleted unread and nothing is sent.
func TestOutboxSealsMessagesWithThePersonsKey(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		r := mailtest.Start(t, mailtest.Options{})
		sender := mail.New(mail.Config{Addr: r.Addr, From: "Assises <assises@example.org>"})
		w := outbox.NewWorker(outbox.Worker{DB: db, Transport: sender})
		const address, link = "zoe.sealed@example.org", "https://assises.example.org/i/sealed-link"
		enqueue := func(who int64) {
			t.Helper()
			msg := mail.Message{To: address, Subject: "Votre lien", Text: "Bonjour Zoé " + link, HTML: "<p>" + link + "</p>"}
			if err := outbox.Enqueue(ctx, db, sender.From(), &who, msg, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		stored := func() []outbox.Message {
			t.Helper()
			var rows []outbox.Message
			if err := db.NewSelect().Model(&rows).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return rows
		}

		zoe := person(t, db)
		enqueue(zoe)
		rows := stored()
		if len(rows) != 1 {
			t.Fatalf("got %d messages stored, want 1", len(rows))
		}
		for _, clear := range []string{address, link, "Zoé"} {
			if strings.Contains(rows[0].Recipient, clear) || strings.Contains(rows[0].Body, clear) {
				t.Errorf("the stored message holds %q in clear", clear)
			}
		}
		if n, err := w.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("sent %d, %v; want 1", n, err)
		}
		if rcpts := r.Recipients(); len(rcpts) != 1 || rcpts[0] != address {
			t.Errorf("the SMTP server was asked for %v, want [%s]", rcpts, address)
		}
		if got := r.Messages(); len(got) != 1 || !strings.Contains(string(got[0].Data), link) {
			t.Errorf("the message received lacks the link: %v", got)
		}

		// Erased while a message waits: its key is gone before the worker gets to it.
		ann := person(t, db)
		enqueue(ann)
		if err := seal.Forget(ctx, db, []int64{ann}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("sent %d, %v for a person whose key is gone; want 0", n, err)
		}
		if tries := r.Tries(); tries != 1 {
			t.Errorf("the SMTP server saw %d messages, want only the first", tries)
		}
		if left := stored(); len(left) != 0 {
			t.Errorf("%d unreadable messages stay in the outbox, want none", len(left))
		}
	})
}
