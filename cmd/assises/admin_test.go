package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/storage"
)

// TestAdminCommands runs demo, admin link and admin invite the way an operator would, then
// checks the links they print really sign people in.
func TestAdminCommands(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "assises.db")
	t.Setenv("DATABASE_URL", dsn)
	t.Setenv("ASSISES_PUBLIC_URL", "https://assises.example.org")
	runOK := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, &out, io.Discard); err != nil {
			t.Fatalf("assises %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	out := runOK("demo")
	if !strings.Contains(out, "Demo process created") || !strings.Contains(out, "https://assises.example.org/i/") {
		t.Fatalf("demo printed %q", out)
	}
	if out := runOK("demo"); !strings.Contains(out, "already there") {
		t.Fatalf("second demo printed %q, want it to find the process", out)
	}
	link := strings.TrimSpace(runOK("admin", "link"))
	links := strings.Fields(runOK("admin", "invite", "-workshop", "1", "-count", "7", "-organisations", "3"))
	if len(links) != 7 {
		t.Fatalf("admin invite printed %d links, want 7", len(links))
	}
	if err := run(ctx, []string{"admin", "invite", "-workshop", "999"}, io.Discard, io.Discard); err == nil {
		t.Fatal("inviting to an unknown workshop succeeded")
	}
	if err := run(ctx, []string{"admin", "nothing"}, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown admin command succeeded")
	}

	db, err := storage.Open(ctx, dsn, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	token := func(l string) string { return l[strings.LastIndex(l, "/")+1:] }
	inv, err := deliberation.RedeemInvitation(ctx, db, token(link[strings.Index(link, "https://"):]), time.Now())
	if err != nil {
		t.Fatalf("organiser link: %v", err)
	}
	if p, _ := deliberation.GetParticipant(ctx, db, inv.ParticipantID); p.Role != deliberation.RoleOrganiser {
		t.Fatalf("organiser link signs in a %s", p.Role)
	}
	for _, l := range links {
		inv, err := deliberation.RedeemInvitation(ctx, db, token(l), time.Now())
		if err != nil || inv.WorkshopID == nil || *inv.WorkshopID != 1 {
			t.Fatalf("invite link %s: %v", l, err)
		}
	}
	regs, err := deliberation.ListRegistrations(ctx, db, 1)
	if err != nil || len(regs) < 7 {
		t.Fatalf("registrations: %d, %v", len(regs), err)
	}
}
