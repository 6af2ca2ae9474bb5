package mail_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	assisesmail "github.com/assises/assises/mail"
	"github.com/assises/assises/mail/mailtest"
)

func TestSendRoundTrip(t *testing.T) {
	in := mailtest.Start(t, mailtest.Options{User: "assises", Pass: "secret"})
	s := assisesmail.New(assisesmail.Config{Addr: in.Addr, Username: "assises", Password: "secret", From: "Assises <assises@example.org>"})
	msg := assisesmail.Message{
		To:      "Léa <lea@example.org>",
		Subject: "Votre invitation aux Assises — atelier « Habitat »",
		Text:    "Bonjour Léa,\nVoici votre lien personnel : https://assises.example.org/i/abc\nÀ bientôt !",
		HTML:    "<p>Bonjour Léa,</p><p><a href=\"https://assises.example.org/i/abc\">Votre lien personnel</a></p>",
	}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := in.Messages()
	if len(msgs) != 1 {
		t.Fatalf("inbox has %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "assises@example.org" || len(got.To) != 1 || got.To[0] != "lea@example.org" {
		t.Fatalf("envelope: from %q to %v", got.From, got.To)
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Fatalf("subject: got %q (%v), want %q", subject, err, msg.Subject)
	}
	_, params, err := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		ctype, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ctype] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if parts["text/plain"] != msg.Text {
		t.Errorf("text part: got %q, want %q", parts["text/plain"], msg.Text)
	}
	if parts["text/html"] != msg.HTML {
		t.Errorf("html part: got %q, want %q", parts["text/html"], msg.HTML)
	}
}

func TestSendRefusals(t *testing.T) {
	addr := mailtest.Start(t, mailtest.Options{User: "assises", Pass: "secret"}).Addr
	tests := []struct {
		name string
		cfg  assisesmail.Config
		msg  assisesmail.Message
		want string
	}{
		{"not configured", assisesmail.Config{}, assisesmail.Message{To: "a@example.org"}, "no SMTP server"},
		{"header injection", assisesmail.Config{Addr: addr, From: "a@example.org"}, assisesmail.Message{To: "a@example.org\r\nBcc: all@example.org"}, "line break"},
		{"wrong password", assisesmail.Config{Addr: addr, Username: "assises", Password: "nope", From: "a@example.org"}, assisesmail.Message{To: "b@example.org"}, "auth"},
		{"server down", assisesmail.Config{Addr: "127.0.0.1:1", From: "a@example.org"}, assisesmail.Message{To: "b@example.org"}, "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := assisesmail.New(tt.cfg).Send(context.Background(), tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: got %v, want an error about %q", tt.name, err, tt.want)
			}
		})
	}
}
