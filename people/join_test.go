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
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

func TestJoinRequests(t *testing.T) {
	fixture.EachProcess(t, "porte", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		now := time.Now().UTC()
		w, other := fixture.Workshop(t, db, p), fixture.Workshop(t, db, p)
		fatima := fixture.Person(t, db, p, "Fatima", "CPAS")
		stranger := fixture.Person(t, db, p, "Inconnu", "X")
		if err := people.AddRegistration(ctx, db, w, fatima.ID, record.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}
		if err := people.AddRegistration(ctx, db, other, stranger.ID, record.RegistrationConfirmed); err != nil {
			t.Fatal(err)
		}

		// A typed code in any case, with spaces, finds the session.
		secret, req, err := people.RequestJoin(ctx, db, " "+strings.ToLower(w.Code[:4])+" "+w.Code[4:], "  Fatima  B. ", people.JoinFrom{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if req.Name != "Fatima B." || len(req.Number) != 3 || req.Status != people.JoinPending {
			t.Fatalf("request: %+v", req)
		}
		// Unknown and closed look the same.
		if _, _, err := people.RequestJoin(ctx, db, "ZZZZZZZZ", "X", people.JoinFrom{}, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("unknown code: got %v, want ErrNotFound", err)
		}
		if _, _, err := people.RequestJoin(ctx, db, w.Code, "X", people.JoinFrom{}, w.EndsAt.Add(time.Minute)); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("session over: got %v, want ErrNotFound", err)
		}
		pending, err := people.PendingJoins(ctx, db, w.ID, now)
		if err != nil || len(pending) != 1 || pending[0].ID != req.ID {
			t.Fatalf("pending at the door: %+v, %v", pending, err)
		}
		if got, err := people.ClaimJoin(ctx, db, secret, now); err != nil || got.Status != people.JoinPending {
			t.Fatalf("claim while pending: %+v, %v", got, err)
		}
		// The door may not let the phone in as someone without a place in this session, nor
		// settle a request of another session.
		if err := people.SettleJoin(ctx, db, w.ID, req.ID, &stranger.ID, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("approve as someone of another session: got %v, want ErrNotFound", err)
		}
		if err := people.SettleJoin(ctx, db, other.ID, req.ID, &stranger.ID, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("settle from another session's door: got %v, want ErrNotFound", err)
		}
		if err := people.SettleJoin(ctx, db, w.ID, req.ID, &fatima.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := people.SettleJoin(ctx, db, w.ID, req.ID, nil, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("settling twice: got %v, want ErrNotFound", err)
		}
		got, err := people.ClaimJoin(ctx, db, secret, now)
		if err != nil || got.Status != people.JoinApproved || got.ParticipantID == nil || *got.ParticipantID != fatima.ID || got.WorkshopID != w.ID {
			t.Fatalf("claim after approval: %+v, %v", got, err)
		}
		// Claimed once: the row and the name typed are gone.
		if _, err := people.ClaimJoin(ctx, db, secret, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("claiming twice: got %v, want ErrNotFound", err)
		}
		if n, _ := db.NewSelect().Model((*people.JoinRequest)(nil)).Count(ctx); n != 0 {
			t.Errorf("%d join requests left after the claim, want none", n)
		}

		// Refused, and expired.
		secret2, req2, _ := people.RequestJoin(ctx, db, w.Code, "Quelqu'un", people.JoinFrom{}, now)
		if err := people.SettleJoin(ctx, db, w.ID, req2.ID, nil, now); err != nil {
			t.Fatal(err)
		}
		if got, err := people.ClaimJoin(ctx, db, secret2, now); err != nil || got.Status != people.JoinRefused {
			t.Errorf("claim after refusal: %+v, %v", got, err)
		}
		secret3, _, _ := people.RequestJoin(ctx, db, w.Code, "Trop tard", people.JoinFrom{}, now)
		later := now.Add(people.JoinRequestTTL + time.Second)
		if _, err := people.ClaimJoin(ctx, db, secret3, later); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("expired: got %v, want ErrNotFound", err)
		}
		if _, _, err := people.RequestJoin(ctx, db, w.Code, "Nouveau", people.JoinFrom{}, later); err != nil {
			t.Fatal(err)
		}
		if hits := findAnywhere(t, db, "Trop tard"); len(hits) != 0 {
			t.Errorf("an expired request's name is still in %v", hits)
		}
	})
}

// TestJoinQueuePerAddress: one address holds at most a quarter of a session's queue, another
// address still gets in, the bound is per session, and a phone that asks again replaces its
// request instead of taking a second place.
func TestJoinQueuePerAddress(t *testing.T) {
	fixture.EachProcess(t, "file", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		now := time.Now().UTC()
		w, other := fixture.Workshop(t, db, p), fixture.Workshop(t, db, p)
		flood := people.JoinFrom{Address: "192.0.2.7"}
		for i := range people.MaxPendingJoinsPerAddress {
			if _, _, err := people.RequestJoin(ctx, db, w.Code, "Robot", flood, now); err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
		}
		if _, _, err := people.RequestJoin(ctx, db, w.Code, "Robot", flood, now); !errors.Is(err, people.ErrJoinAddressFull) {
			t.Fatalf("one more from the same address: got %v, want ErrJoinAddressFull", err)
		}
		if _, _, err := people.RequestJoin(ctx, db, other.Code, "Robot", flood, now); err != nil {
			t.Fatalf("the same address in another session: %v", err)
		}
		secret, _, err := people.RequestJoin(ctx, db, w.Code, "Aïcha", people.JoinFrom{Address: "2001:db8::"}, now)
		if err != nil {
			t.Fatalf("another address: %v", err)
		}
		again, _, err := people.RequestJoin(ctx, db, w.Code, "Aïcha B.", people.JoinFrom{Address: "2001:db8::", Previous: secret}, now)
		if err != nil {
			t.Fatalf("the same phone again: %v", err)
		}
		if _, err := people.ClaimJoin(ctx, db, secret, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("the replaced request: got %v, want ErrNotFound", err)
		}
		if got, err := people.ClaimJoin(ctx, db, again, now); err != nil || got.Name != "Aïcha B." {
			t.Errorf("the new request: %+v, %v", got, err)
		}
		pending, err := people.PendingJoins(ctx, db, w.ID, now)
		if err != nil || len(pending) != people.MaxPendingJoinsPerAddress+1 {
			t.Fatalf("pending: %d (%v), want %d", len(pending), err, people.MaxPendingJoinsPerAddress+1)
		}
	})
}

// TestJoinOpen: an open session lets anyone with its code in under a pseudonym, up to its
// capacity, with a confirmed place marked as an open join and no arrival recorded; a session
// that is not open, or is over, answers as an unknown code would.
func TestJoinOpen(t *testing.T) {
	fixture.EachProcess(t, "ouvert", func(t *testing.T, ctx context.Context, db *bun.DB, p *record.Process) {
		w := fixture.Workshop(t, db, p)
		now := time.Now()
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "Zoé", "fr", now, time.Hour); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("a session on invitation: got %v, want ErrNotFound", err)
		}
		w.Access, w.Capacity = record.AccessOpen, 2
		if err := process.UpdateWorkshop(ctx, db, w); err != nil {
			t.Fatal(err)
		}
		got, token, err := people.JoinOpen(ctx, db, w.Code, "  Zoé   la  rouge ", "nl", now, time.Hour)
		if err != nil || got.ID != w.ID || token == "" {
			t.Fatalf("open join: got %v, %q, %v", got, token, err)
		}
		who, err := people.SessionParticipant(ctx, db, token, now)
		if err != nil || who.ProcessID == nil || *who.ProcessID != p.ID || who.Role != record.RoleParticipant {
			t.Fatalf("the phone's session: got %+v, %v, want a participant of the process", who, err)
		}
		person, err := people.GetPerson(ctx, db, who.ID)
		if err != nil || person.DisplayName != "Zoé la rouge" || person.Language != "nl" {
			t.Errorf("person: got %+v, %v", person, err)
		}
		reg, err := people.ConfirmedPlace(ctx, db, w.ID, who.ID)
		if err != nil || !reg.OpenJoin || reg.CheckedInAt != nil {
			t.Errorf("place: got %+v, %v, want confirmed, an open join, not checked in", reg, err)
		}
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "Bram", "fr", now, time.Hour); err != nil {
			t.Fatalf("second open join: %v", err)
		}
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "Chloé", "fr", now, time.Hour); !errors.Is(err, people.ErrRoomFull) {
			t.Errorf("third join in a room for two: got %v, want ErrRoomFull", err)
		}
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "", "fr", now, time.Hour); err == nil {
			t.Errorf("an empty pseudonym was accepted")
		}
		if _, _, err := people.JoinOpen(ctx, db, w.Code, "Late", "fr", w.EndsAt, time.Hour); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("after the end: got %v, want ErrNotFound", err)
		}
		if _, _, err := people.JoinOpen(ctx, db, "ZZZZZZ", "X", "fr", now, time.Hour); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("unknown code: got %v, want ErrNotFound", err)
		}
	})
}
