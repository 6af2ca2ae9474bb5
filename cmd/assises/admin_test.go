package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
)

// operatorEnv sets what an operator's environment gives the commands (a fresh SQLite file, the
// public address) and returns the database's path.
func operatorEnv(t *testing.T) string {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "assises.db")
	t.Setenv("DATABASE_URL", dsn)
	t.Setenv("ASSISES_PUBLIC_URL", "https://assises.example.org")
	return dsn
}

// runOK runs the command line args and returns what it printed; a failure ends the test.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatalf("assises %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// openDB opens the operator's database for the test's own checks.
func openDB(t *testing.T, dsn string) *bun.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), dsn, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// linkToken is the token at the end of a personal link.
func linkToken(link string) string { return link[strings.LastIndex(link, "/")+1:] }

// TestAdminCommands runs demo, admin link and admin invite the way an operator would, then
// checks the links they print really sign people in.
func TestAdminCommands(t *testing.T) {
	ctx := context.Background()
	dsn := operatorEnv(t)
	out := runOK(t, "demo")
	if !strings.Contains(out, "Demo process created") || !strings.Contains(out, "https://assises.example.org/i/") {
		t.Fatalf("demo printed %q", out)
	}
	if out := runOK(t, "demo"); !strings.Contains(out, "already there") {
		t.Fatalf("second demo printed %q, want it to find the process", out)
	}
	link := strings.TrimSpace(runOK(t, "admin", "link"))
	links := strings.Fields(runOK(t, "admin", "invite", "-workshop", "1", "-count", "7", "-organisations", "3"))
	if len(links) != 7 {
		t.Fatalf("admin invite printed %d links, want 7", len(links))
	}
	if err := run(ctx, []string{"admin", "invite", "-workshop", "999"}, io.Discard, io.Discard); err == nil {
		t.Fatal("inviting to an unknown workshop succeeded")
	}
	if err := run(ctx, []string{"admin", "nothing"}, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown admin command succeeded")
	}

	db := openDB(t, dsn)
	inv, err := people.RedeemInvitation(ctx, db, linkToken(link[strings.Index(link, "https://"):]), time.Now())
	if err != nil {
		t.Fatalf("organiser link: %v", err)
	}
	if p, _ := people.GetParticipant(ctx, db, inv.ParticipantID); p.Role != record.RoleOrganiser {
		t.Fatalf("organiser link signs in a %s", p.Role)
	}
	for _, l := range links {
		inv, err := people.RedeemInvitation(ctx, db, linkToken(l), time.Now())
		if err != nil || inv.WorkshopID == nil || *inv.WorkshopID != 1 {
			t.Fatalf("invite link %s: %v", l, err)
		}
	}
	regs, err := people.ListRegistrations(ctx, db, 1)
	if err != nil || len(regs) < 7 {
		t.Fatalf("registrations: %d, %v", len(regs), err)
	}
}
