package people_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
)

func TestNormaliseCode(t *testing.T) {
	for _, c := range []struct {
		typed, want string
		bad         bool
	}{
		{typed: "ACE-HJK-MNPR", want: "ACEHJKMNPR"},
		{typed: " ace hjk mnpr ", want: "ACEHJKMNPR"},
		{typed: "ace.hjk.mnpr", want: "ACEHJKMNPR"},
		{typed: "ACEHJKMNPR", want: "ACEHJKMNPR"},
		{typed: "ACE-HJK-MNP", bad: true},   // too short
		{typed: "ACE-HJK-MNPRT", bad: true}, // too long
		{typed: "ACE-HJK-MNP0", bad: true},  // 0 is never in a code (O is not either)
		{typed: "ACE-HJK-MNP1", bad: true},  // nor 1, I or L
		{typed: "ACE-HJK-MNPÉ", bad: true},  // nor accents
		{typed: "", bad: true},
	} {
		got, err := people.NormaliseCode(c.typed)
		if c.bad {
			if !errors.Is(err, people.ErrBadCode) {
				t.Errorf("NormaliseCode(%q): got %q, %v; want ErrBadCode", c.typed, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormaliseCode(%q): got %q, %v; want %q", c.typed, got, err, c.want)
		}
	}
}

// TestNewCode: codes are ten symbols, none of them easy to confuse with another, and they
// come back from their printed form.
func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := people.NewCode()
		if len(c) != 10 || strings.ContainsAny(c, "0O1IL2Z5S8BUVQDG") {
			t.Fatalf("code %q: want 10 symbols without look-alikes", c)
		}
		if back, err := people.NormaliseCode(strings.ToLower(people.FormatCode(c))); err != nil || back != c {
			t.Fatalf("code %q printed as %q reads back as %q, %v", c, people.FormatCode(c), back, err)
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice in 2000", c)
		}
		seen[c] = true
	}
}

func FuzzNormaliseCode(f *testing.F) {
	for _, s := range []string{"ACE-HJK-MNPR", "ace hjk mnpr", "0O1Il", "ÉÉÉ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := people.NormaliseCode(s)
		if err != nil {
			return
		}
		if again, err := people.NormaliseCode(people.FormatCode(c)); err != nil || again != c {
			t.Fatalf("%q → %q does not read back: %q, %v", s, c, again, err)
		}
	})
}

// TestSignUpHandsAWayBack: a registration gives a link and a code; the code signs in as the
// link does, until the link is replaced (a new link revokes both).
func TestSignUpHandsAWayBack(t *testing.T) {
	fixture.EachProcess(t, "retour", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		now := time.Now().UTC()
		done, err := people.SignUp(ctx, db, people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant,
			Person: people.Person{DisplayName: "Aïcha"}}, people.Choice{Workshops: []int64{w.ID}}, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(done.Code) != 10 || done.Token == "" {
			t.Fatalf("way back: got token %d chars, code %q; want both", len(done.Token), done.Code)
		}
		var stored int
		if err := db.NewSelect().Model((*people.Invitation)(nil)).ColumnExpr("count(*)").
			Where("code_hash = ? OR token_hash = ?", done.Code, done.Token).Scan(ctx, &stored); err != nil || stored != 0 {
			t.Errorf("the code or token is stored in clear: %d rows, %v", stored, err)
		}
		inv, who, session, err := people.SignInWithCode(ctx, db, done.Code, now, time.Hour)
		if err != nil || who.ID != done.Participant.ID || inv.WorkshopID != nil || session == "" {
			t.Fatalf("sign in with the code: got %+v, %+v, %v; want %d on my sessions", inv, who, err, done.Participant.ID)
		}
		// Twice is fine: a code is for coming back.
		if _, _, _, err := people.SignInWithCode(ctx, db, done.Code, now, time.Hour); err != nil {
			t.Errorf("second sign-in with the code: %v", err)
		}
		if _, _, _, err := people.SignInWithCode(ctx, db, people.NewCode(), now, time.Hour); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("an unknown code: got %v, want ErrNotFound", err)
		}
		if _, _, _, err := people.SignInWithCode(ctx, db, done.Code, w.EndsAt.Add(25*time.Hour), time.Hour); !errors.Is(err, people.ErrTokenExpired) {
			t.Errorf("a day after the last session: got %v, want ErrTokenExpired", err)
		}
		if _, err := people.NewLink(ctx, db, done.Participant.ID, nil, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := people.SignInWithCode(ctx, db, done.Code, now, time.Hour); !errors.Is(err, people.ErrTokenRevoked) {
			t.Errorf("after a new link: got %v, want ErrTokenRevoked", err)
		}
	})
}
