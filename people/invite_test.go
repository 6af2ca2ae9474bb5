package people_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/fixture"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
)

// countOf counts the rows of model's table.
func countOf(t *testing.T, db bun.IDB, model any) int64 {
	t.Helper()
	n, err := db.NewSelect().Model(model).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// landsIn redeems a link and returns where it lands (0 for "my sessions") and whose it is.
func landsIn(t *testing.T, db bun.IDB, token string) (workshop, participant int64) {
	t.Helper()
	inv, err := people.RedeemInvitation(context.Background(), db, token, time.Now())
	if err != nil {
		t.Fatalf("redeem: %v", err)
	}
	if inv.WorkshopID != nil {
		workshop = *inv.WorkshopID
	}
	return workshop, inv.ParticipantID
}

func TestInvite(t *testing.T) {
	fixture.EachProcess(t, "invitation", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w1, w2 := fixture.Workshop(t, db, p), fixture.Workshop(t, db, p)
		np := people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant, Organisation: "CPAS",
			Person: people.Person{DisplayName: "Samira"}}

		t.Run("placed in every session, the link lands in the first", func(t *testing.T) {
			who, token, err := people.Invite(ctx, db, np, []*record.Workshop{w2, w1}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			regs, err := people.ListParticipantRegistrations(ctx, db, who.ID)
			if err != nil || len(regs) != 2 || regs[0].Status != record.RegistrationConfirmed || regs[1].Status != record.RegistrationConfirmed {
				t.Fatalf("registrations: got %+v, %v; want two confirmed", regs, err)
			}
			if ws, pid := landsIn(t, db, token); ws != w2.ID || pid != who.ID {
				t.Errorf("link: got workshop %d of participant %d, want %d of %d", ws, pid, w2.ID, who.ID)
			}
		})
		t.Run("no session: the link opens my sessions", func(t *testing.T) {
			_, token, err := people.Invite(ctx, db, np, nil, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if ws, _ := landsIn(t, db, token); ws != 0 {
				t.Errorf("link lands in workshop %d, want none", ws)
			}
		})
		t.Run("a failing place keeps nothing", func(t *testing.T) {
			before := countOf(t, db, (*record.Participant)(nil))
			gone := &record.Workshop{ID: 1 << 40, ProcessID: p.ID}
			if _, _, err := people.Invite(ctx, db, np, []*record.Workshop{w1, gone}, time.Hour); err == nil {
				t.Fatal("a place in a session that does not exist was accepted")
			}
			if after := countOf(t, db, (*record.Participant)(nil)); after != before {
				t.Errorf("participants: got %d after the failed invitation, want %d", after, before)
			}
		})
	})
}

func TestSignUp(t *testing.T) {
	fixture.EachProcess(t, "inscription", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		now := time.Now().UTC()
		np := people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant, Person: people.Person{DisplayName: "Jules"}}

		done, err := people.SignUp(ctx, db, np, people.Choice{Workshops: []int64{w.ID}}, now)
		if err != nil {
			t.Fatal(err)
		}
		who, placements, token := done.Participant, done.Placements, done.Token
		if len(placements) != 1 || placements[0].Status != record.RegistrationConfirmed {
			t.Fatalf("placements: got %+v, want one confirmed", placements)
		}
		if ws, pid := landsIn(t, db, token); ws != 0 || pid != who.ID {
			t.Errorf("link: got workshop %d of %d, want my sessions of %d", ws, pid, who.ID)
		}
		inv, err := people.LookupInvitation(ctx, db, token, w.EndsAt.Add(23*time.Hour))
		if err != nil || inv.ExpiresAt.Before(w.EndsAt.Add(24*time.Hour).Add(-time.Minute)) {
			t.Errorf("link: got %+v, %v; want it good until a day after the last session", inv, err)
		}

		before := countOf(t, db, (*record.Participant)(nil))
		_, err = people.SignUp(ctx, db, np, people.Choice{Workshops: []int64{w.ID}}, w.EndsAt)
		if !errors.Is(err, people.ErrRegistrationClosed) {
			t.Fatalf("after the session: got %v, want ErrRegistrationClosed", err)
		}
		if after := countOf(t, db, (*record.Participant)(nil)); after != before {
			t.Errorf("participants: got %d after a refused sign-up, want %d", after, before)
		}
	})
}

func TestWalkIn(t *testing.T) {
	fixture.EachProcess(t, "porte-ouverte", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		karim, way, err := people.WalkIn(ctx, db, w, people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant,
			Person: people.Person{DisplayName: "Karim"}}, time.Now().UTC())
		if err != nil {
			t.Fatal(err)
		}
		ws, pid := landsIn(t, db, way.Token)
		if ws != w.ID || pid != karim {
			t.Errorf("link lands in workshop %d as %d, want %d as %d", ws, pid, w.ID, karim)
		}
		// The code opens the same way in: it signs in as Karim and lands in the session.
		inv, _, _, err := people.SignInWithCode(ctx, db, way.Code, time.Now(), time.Hour)
		if err != nil || inv.ParticipantID != karim || inv.WorkshopID == nil || *inv.WorkshopID != w.ID {
			t.Errorf("code: got %+v, %v; want Karim landing in workshop %d", inv, err, w.ID)
		}
		// A confirmed place; the arrival is recorded by the live room, not here.
		regs, err := people.ListWorkshopRegistrations(ctx, db, w.ID)
		if err != nil || len(regs) != 1 || regs[0].ParticipantID != pid || regs[0].Status != record.RegistrationConfirmed || regs[0].CheckedInAt != nil {
			t.Errorf("registrations: got %+v, %v; want participant %d confirmed, not yet checked in", regs, err, pid)
		}
	})
}

func TestNewLinkRevokesTheOldOnes(t *testing.T) {
	fixture.EachProcess(t, "nouveau-lien", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		who := fixture.Person(t, db, p, "Ana", "")
		old, _, err := people.CreateInvitation(ctx, db, who.ID, nil, time.Hour, false)
		if err != nil {
			t.Fatal(err)
		}
		session, err := people.CreateSession(ctx, db, who.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := people.NewLink(ctx, db, who.ID, &w.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if _, err := people.RedeemInvitation(ctx, db, old, now); !errors.Is(err, people.ErrTokenRevoked) {
			t.Errorf("old link: got %v, want ErrTokenRevoked", err)
		}
		if _, err := people.SessionParticipant(ctx, db, session, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("session signed in with the old link: got %v, want ErrNotFound", err)
		}
		if ws, pid := landsIn(t, db, fresh); ws != w.ID || pid != who.ID {
			t.Errorf("new link: got workshop %d of %d, want %d of %d", ws, pid, w.ID, who.ID)
		}
	})
}

func TestIssueLinksInOrder(t *testing.T) {
	fixture.EachProcess(t, "cartes", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		a, b := fixture.Person(t, db, p, "A", ""), fixture.Person(t, db, p, "B", "")
		ways, err := people.IssueLinks(ctx, db, p.ID, []people.Landing{{Participant: b.ID, Workshop: &w.ID}, {Participant: a.ID}}, time.Now().UTC())
		if err != nil || len(ways) != 2 {
			t.Fatalf("got %d links, %v; want 2", len(ways), err)
		}
		if ws, pid := landsIn(t, db, ways[0].Token); ws != w.ID || pid != b.ID {
			t.Errorf("first card: got workshop %d of %d, want %d of %d", ws, pid, w.ID, b.ID)
		}
		// The card's code leads where its link does.
		if inv, who, _, err := people.SignInWithCode(ctx, db, ways[0].Code, time.Now(), time.Hour); err != nil || who.ID != b.ID || inv.WorkshopID == nil || *inv.WorkshopID != w.ID {
			t.Errorf("first card's code: got %+v, %v; want %d in %d", inv, err, b.ID, w.ID)
		}
		if ws, pid := landsIn(t, db, ways[1].Token); ws != 0 || pid != a.ID {
			t.Errorf("second card: got workshop %d of %d, want my sessions of %d", ws, pid, a.ID)
		}
	})
}

func TestSignIn(t *testing.T) {
	fixture.EachProcess(t, "connexion", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		who := fixture.Person(t, db, p, "Léon", "")
		once, _, err := people.CreateInvitation(ctx, db, who.ID, nil, time.Hour, true)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		inv, got, session, err := people.SignIn(ctx, db, once, now, time.Hour)
		if err != nil || inv.ParticipantID != who.ID || got.ID != who.ID {
			t.Fatalf("sign in: got %+v, %+v, %v; want participant %d", inv, got, err, who.ID)
		}
		if signed, err := people.SessionParticipant(ctx, db, session, now); err != nil || signed.ID != who.ID {
			t.Errorf("session: got %+v, %v; want participant %d", signed, err, who.ID)
		}
		sessions := countOf(t, db, (*people.AuthSession)(nil))
		if _, _, _, err := people.SignIn(ctx, db, once, now, time.Hour); !errors.Is(err, people.ErrTokenUsed) {
			t.Errorf("single-use link again: got %v, want ErrTokenUsed", err)
		}
		if n := countOf(t, db, (*people.AuthSession)(nil)); n != sessions {
			t.Errorf("sessions: got %d after a refused sign-in, want %d", n, sessions)
		}
	})
}

func TestInviteAll(t *testing.T) {
	fixture.EachProcess(t, "foule", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		var nps []people.NewParticipant
		for _, name := range []string{"Un", "Deux", "Trois"} {
			nps = append(nps, people.NewParticipant{ProcessID: &p.ID, Role: record.RoleParticipant, Person: people.Person{DisplayName: name}})
		}
		tokens, err := people.InviteAll(ctx, db, nps, w, record.RoleModerator, time.Hour)
		if err != nil || len(tokens) != 3 {
			t.Fatalf("got %d links, %v; want 3", len(tokens), err)
		}
		for i, token := range tokens {
			ws, pid := landsIn(t, db, token)
			if ws != w.ID {
				t.Errorf("link %d lands in workshop %d, want %d", i, ws, w.ID)
			}
			role, err := people.WorkshopRoleOf(ctx, db, w.ID, pid)
			if err != nil || role != record.RoleModerator {
				t.Errorf("link %d: role %q, %v; want moderator", i, role, err)
			}
			if person, err := people.GetPerson(ctx, db, pid); err != nil || person.DisplayName != nps[i].Person.DisplayName {
				t.Errorf("link %d: person %+v, %v; want %s", i, person, err, nps[i].Person.DisplayName)
			}
		}
		before := countOf(t, db, (*record.Participant)(nil))
		nps = append(nps, people.NewParticipant{ProcessID: &p.ID, Role: "boss"})
		if _, err := people.InviteAll(ctx, db, nps, w, "", time.Hour); err == nil {
			t.Fatal("a batch with an unknown role was accepted")
		}
		if after := countOf(t, db, (*record.Participant)(nil)); after != before {
			t.Errorf("participants: got %d after a refused batch, want %d", after, before)
		}
	})
}
