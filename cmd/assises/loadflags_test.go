package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/people"
)

// TestAdminInviteModerator: -moderator appoints the invited people moderators of the
// workshop, which is how the load generator gets someone to open the phases.
func TestAdminInviteModerator(t *testing.T) {
	ctx := context.Background()
	dsn := operatorEnv(t)
	runOK(t, "demo")
	invite := func(args ...string) []string {
		t.Helper()
		return strings.Fields(runOK(t, append([]string{"admin", "invite", "-workshop", "2", "-count", "2"}, args...)...))
	}
	mods, plain := invite("-moderator"), invite()

	db := openDB(t, dsn)
	e := deliberation.NewEngine(db, deliberation.EngineOptions{})
	for _, tc := range []struct {
		links []string
		want  bool
	}{{mods, true}, {plain, false}} {
		for _, l := range tc.links {
			inv, err := people.RedeemInvitation(ctx, db, linkToken(l), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			a, err := e.Actor(ctx, 2, inv.ParticipantID)
			if err != nil {
				t.Fatal(err)
			}
			if a.Moderator != tc.want {
				t.Errorf("participant %d: got moderator %v, want %v", inv.ParticipantID, a.Moderator, tc.want)
			}
			if other, err := e.Actor(ctx, 3, inv.ParticipantID); err == nil && other.Moderator {
				t.Errorf("participant %d moderates workshop 3 too", inv.ParticipantID)
			}
		}
	}
}

// TestPprofLoopbackOnly: profiles reveal the program's internals, so -pprof refuses any
// address that is not this machine, and serves the profiles on the one it is given.
func TestPprofLoopbackOnly(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	for _, addr := range []string{":6060", "0.0.0.0:6060", "192.0.2.1:6060", "example.org:6060"} {
		if _, err := parseConfig("serve", []string{"-pprof", addr}, io.Discard); err == nil {
			t.Errorf("-pprof %s: got no error, want a refusal", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:6060", "localhost:6060", "[::1]:6060"} {
		cfg, err := parseConfig("serve", []string{"-pprof", addr}, io.Discard)
		if err != nil || cfg.pprof != addr {
			t.Errorf("-pprof %s: got %q, %v", addr, cfg.pprof, err)
		}
	}
	if _, err := parseConfig("admin invite", []string{"-pprof", "127.0.0.1:1"}, io.Discard); err == nil {
		t.Error("admin invite accepted -pprof")
	}
}

func TestServePprofAnswers(t *testing.T) {
	addr, stop, err := servePprof("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// The listener is open before servePprof returns, so the request waits in its backlog.
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("got HTTP %d %.80q, want a goroutine profile", resp.StatusCode, body)
	}
}

// The trusted proxies come from the flag or the environment; a typo stops the start with a
// clear error instead of silently trusting nobody (or everybody).
func TestTrustedProxiesFlag(t *testing.T) {
	cfg, err := parseConfig("serve", []string{"-trusted-proxies", "10.0.0.0/8,::1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.trustedProxies) != 2 || cfg.trustedProxies[0].String() != "10.0.0.0/8" || cfg.trustedProxies[1].String() != "::1/128" {
		t.Errorf("trusted proxies: got %v", cfg.trustedProxies)
	}
	t.Setenv("ASSISES_TRUSTED_PROXIES", "192.168.1.1")
	if cfg, err = parseConfig("serve", nil, io.Discard); err != nil || len(cfg.trustedProxies) != 1 {
		t.Errorf("from the environment: got %v, %v", cfg.trustedProxies, err)
	}
	_, err = parseConfig("serve", []string{"-trusted-proxies", "proxy.local"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-trusted-proxies") {
		t.Errorf("a bad proxy: got %v, want an error naming the flag", err)
	}
}
