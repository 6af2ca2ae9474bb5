package main

import (
	"io"
	"testing"
)

func TestSMTPConfig(t *testing.T) {
	for _, k := range []string{"ASSISES_SMTP_ADDR", "ASSISES_SMTP_USER", "ASSISES_SMTP_PASSWORD", "ASSISES_SMTP_FROM", "ASSISES_PUBLIC_URL"} {
		t.Setenv(k, "")
	}
	cfg, err := parseConfig("serve", nil, io.Discard)
	if err != nil || cfg.smtp.Enabled() {
		t.Fatalf("no SMTP settings: got %+v (%v), want email off", cfg.smtp, err)
	}
	t.Setenv("ASSISES_SMTP_ADDR", "smtp.example.org:587")
	t.Setenv("ASSISES_SMTP_USER", "assises")
	t.Setenv("ASSISES_SMTP_PASSWORD", "secret")
	cfg, err = parseConfig("serve", []string{"-public-url", "https://assises.example.org"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.smtp
	if !s.Enabled() || s.Username != "assises" || s.Password != "secret" || !s.StartTLS || s.From != "Assises <assises@assises.example.org>" {
		t.Errorf("remote SMTP from the environment: got %+v, want STARTTLS, the password and a default sender", s)
	}
	cfg, err = parseConfig("serve", []string{"-smtp-addr", "127.0.0.1:25", "-smtp-from", "Assises <a@example.org>"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.smtp.Addr != "127.0.0.1:25" || cfg.smtp.StartTLS || cfg.smtp.From != "Assises <a@example.org>" {
		t.Errorf("local relay by flags: got %+v, want plain SMTP and the sender given", cfg.smtp)
	}
}
