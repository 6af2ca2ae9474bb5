package main

import (
	"context"
	"testing"
	"time"

	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestScenariosAgainstTheProduct runs every scenario, small, against the whole product on
// both databases, signing people in through real invitation links. It checks what the
// generator must get right whatever the machine: nothing lost or repeated, every vote
// answered. It asserts no latency: those are measured, not tested.
func TestScenariosAgainstTheProduct(t *testing.T) {
	storagetest.EachKind(t, func(t *testing.T, kind string) {
		s := stack.New(t, kind, stack.Options{})
		for _, sc := range []string{"votes", "reconnect", "idle", "session"} {
			t.Run(sc, func(t *testing.T) {
				w := s.Workshop(t, "Atelier "+sc)
				people := invite(t, s, w, 12)
				cfg := config{scenario: sc, duration: 1500 * time.Millisecond, rate: 20, items: 3, missed: 5,
					ping: 500 * time.Millisecond, settle: 30 * time.Second, connectConcurrency: 4, shards: 1}
				r := newRun(cfg)
				r.setPeople(people, s.Server.URL)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				r.execute(ctx)
				rep := r.rep
				if !rep.OK {
					t.Fatalf("problems: %v", rep.Problems)
				}
				if rep.Connected != 12 {
					t.Errorf("connected: got %d, want 12", rep.Connected)
				}
				if rep.Events.Expected == 0 || rep.Events.Received != rep.Events.Expected {
					t.Errorf("whole-room events: got %d of %d, want all and some", rep.Events.Received, rep.Events.Expected)
				}
				switch sc {
				case "votes":
					if v := rep.Votes; v.Sent != 30 || v.Acked != 30 {
						t.Errorf("votes: got %+v, want 30 sent and acked", v)
					}
					if rep.Events.PersonalOwed != 30 || rep.Events.PersonalMissed != 0 {
						t.Errorf("vote.recorded: got %+v, want 30 owed, none missed", rep.Events)
					}
					if rep.Fanout.Count == 0 || rep.Ack.Count != 30 {
						t.Errorf("latencies: got %d fan-out and %d acks, want some and 30", rep.Fanout.Count, rep.Ack.Count)
					}
					// The three legs of each ack, which add up to the whole (±1 ms each: the
					// server's stamp is in ms).
					for _, leg := range []latency{rep.AckLate, rep.AckServer, rep.AckWire} {
						if leg.Count != 30 {
							t.Errorf("ack legs: got %d, want 30", leg.Count)
						}
					}
					if sum := rep.AckLate.Mean + rep.AckServer.Mean + rep.AckWire.Mean; sum > rep.Ack.Mean+2 || sum < rep.Ack.Mean-2 {
						t.Errorf("ack legs: means add up to %.2f ms, the whole is %.2f", sum, rep.Ack.Mean)
					}
				case "reconnect":
					if rep.Resume.Count != 12 {
						t.Errorf("resumed: got %d, want 12", rep.Resume.Count)
					}
				case "idle":
					if rep.Pong.Count == 0 {
						t.Error("no pong measured")
					}
				case "session":
					if rep.Other["contribution.post"] == 0 && rep.Votes.Acked == 0 {
						t.Errorf("the session did nothing: %+v %+v", rep.Other, rep.Votes)
					}
				}
			})
		}
	})
}

// invite makes a moderator and n participants of w and signs them in through invitation
// links, as the generator does with the links of `assises admin invite`.
func invite(t *testing.T, s *stack.Stack, w *record.Workshop, n int) []person {
	t.Helper()
	ctx := context.Background()
	var links []string
	for i := range n + 1 {
		role := record.RoleParticipant
		if i == 0 {
			role = record.RoleModerator
		}
		p := s.Join(t, "Personne", "Organisation", role, w)
		token, _, err := people.CreateInvitation(ctx, s.DB, p.Participant.ID, &w.ID, time.Hour, false)
		if err != nil {
			t.Fatal(err)
		}
		links = append(links, s.Server.URL+"/i/"+token)
	}
	people, err := signIn(ctx, links, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if p.workshop != w.ID {
			t.Fatalf("sign-in landed on workshop %d, want %d", p.workshop, w.ID)
		}
	}
	return people
}
