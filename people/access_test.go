package people_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

func TestInvitations(t *testing.T) {
	fixture.EachProcess(t, "reseaux", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		who, err := people.CreateParticipant(ctx, db, people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant, Person: people.Person{DisplayName: "Léa"}})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		reusable, _, err := people.CreateInvitation(ctx, db, who.ID, nil, time.Hour, false)
		if err != nil {
			t.Fatal(err)
		}
		once, _, err := people.CreateInvitation(ctx, db, who.ID, nil, time.Hour, true)
		if err != nil {
			t.Fatal(err)
		}
		expired, _, err := people.CreateInvitation(ctx, db, who.ID, nil, time.Minute, false)
		if err != nil {
			t.Fatal(err)
		}
		// Only hashes are stored.
		var n int
		if err := db.NewSelect().Model((*people.Invitation)(nil)).ColumnExpr("count(*)").
			Where("token_hash IN (?)", bun.In([]string{reusable, once, expired})).Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("raw tokens found in the database: %d rows, %v", n, err)
		}

		tests := []struct {
			name  string
			token string
			at    time.Time
			want  error
		}{
			{"reusable link", reusable, now, nil},
			{"reusable link again", reusable, now, nil},
			{"single-use link", once, now, nil},
			{"single-use link reused", once, now, people.ErrTokenUsed},
			{"expired link", expired, now.Add(2 * time.Minute), people.ErrTokenExpired},
			{"forged link", people.NewToken(), now, record.ErrNotFound},
			{"tampered link", reusable[:len(reusable)-1] + "x", now, record.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				inv, err := people.RedeemInvitation(ctx, db, tt.token, tt.at)
				if tt.want == nil {
					if err != nil || inv.ParticipantID != who.ID {
						t.Errorf("%s: got %v, %v; want participant %d", tt.name, inv, err, who.ID)
					}
					return
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
				}
			})
		}
		if err := people.RevokeInvitations(ctx, db, who.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := people.RedeemInvitation(ctx, db, reusable, now); !errors.Is(err, people.ErrTokenRevoked) {
			t.Errorf("revoked link: got %v, want ErrTokenRevoked", err)
		}
	})
}

// TestSingleUseRace redeems one single-use link from many goroutines: exactly one wins.
func TestSingleUseRace(t *testing.T) {
	eachOrganiser(t, func(t *testing.T, ctx context.Context, db *bun.DB, who *record.Participant) {
		token, _, err := people.CreateInvitation(ctx, db, who.ID, nil, time.Hour, true)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := people.RedeemInvitation(ctx, db, token, time.Now()); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, people.ErrTokenUsed) {
					t.Errorf("unexpected error: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("single-use link redeemed %d times, want 1", wins)
		}
	})
}

func TestSessions(t *testing.T) {
	eachOrganiser(t, func(t *testing.T, ctx context.Context, db *bun.DB, who *record.Participant) {
		token, err := people.CreateSession(ctx, db, who.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) < 40 || strings.ContainsAny(token, "+/=") {
			t.Fatalf("session token %q: want a long URL-safe secret", token)
		}
		got, err := people.SessionParticipant(ctx, db, token, time.Now())
		if err != nil || got.ID != who.ID {
			t.Fatalf("session: got %v, %v; want participant %d", got, err, who.ID)
		}
		if _, err := people.SessionParticipant(ctx, db, token, time.Now().Add(2*time.Hour)); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("expired session: got %v, want ErrNotFound", err)
		}
		if err := people.EndSession(ctx, db, token); err != nil {
			t.Fatal(err)
		}
		if _, err := people.SessionParticipant(ctx, db, token, time.Now()); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("ended session: got %v, want ErrNotFound", err)
		}
	})
}

// eachOrganiser runs body once per database kind with the platform's organiser stored: the
// participant the tests of links and sessions hand them to.
func eachOrganiser(t *testing.T, body func(t *testing.T, ctx context.Context, db *bun.DB, who *record.Participant)) {
	t.Helper()
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		who, _, err := people.EnsurePlatformOrganiser(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		body(t, ctx, db, who)
	})
}
