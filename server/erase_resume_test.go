package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

// TestEraseThenResumeSendsNothingOfThePerson: a person posts in a live room, an organiser
// erases them, and a client that saw the post resumes with a since from before it and the
// epoch it was welcomed with. Without the log epoch and the reset of the room's memory, the
// room's ring would replay the post with the person's name and organisation; with them, the
// room closed its sockets (1012), the welcome names a new epoch, the client gets a snapshot,
// and no frame it receives from then on holds the name or the organisation.
func TestEraseThenResumeSendsNothingOfThePerson(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		const name, org = "Ines Quorblat", "Zebrinex Cooperative"
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w := s.Workshop(t, "Atelier")
		organiser := s.Join(t, "Olga", "Federation", record.RoleOrganiser)
		mod := s.Connect(t, s.Join(t, "Mona", "Animation", record.RoleModerator, w), w)
		ines := s.Join(t, name, org, record.RoleParticipant, w)
		// Jon moderates too: moderators see who said what (contribution.attributed).
		cfg := s.Config(s.Join(t, "Jon", "Syndicat", record.RoleModerator, w), w)
		cfg.KeepFrames = true
		jon, err := liveclient.Dial(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(jon.Close)

		stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
		if err := jon.WaitSeq(ctx, mod.LastSeq()); err != nil {
			t.Fatal(err)
		}
		before := jon.LastSeq() // the since of a phone that went to sleep here
		oldEpoch := jon.Welcome().Epoch
		if oldEpoch == 0 {
			t.Fatal("the welcome carries no epoch")
		}
		inesLive := s.Connect(t, ines, w)
		stack.MustDo(t, inesLive, "contribution.post", map[string]any{"kind": "finding", "body": "Les délais sont trop longs"})
		posted, err := jon.WaitEvent(ctx, func(m liveclient.Message) bool { return m.Name == "contribution.posted" })
		if err != nil {
			t.Fatal(err)
		}
		if !holds(jon.Frames(), name) {
			t.Fatalf("before the erasure, no frame Jon received names %q: this test would prove nothing (%s)", name, posted.Data)
		}

		org1 := s.Browser(t, &organiser)
		csrf := sitetest.PageCSRF(t, org1, s.Server.URL+"/organise")
		if st := sitetest.Call(t, org1, "POST", fmt.Sprintf("%s/api/organise/people/%d/erase", s.Server.URL, ines.Participant.ID), csrf, map[string]any{}, nil); st != 204 {
			t.Fatalf("erase: got %d, want 204", st)
		}
		for who, c := range map[string]*liveclient.Client{"Jon": jon, "the moderator": mod} {
			select {
			case <-c.Done():
			case <-ctx.Done():
				t.Fatalf("%s's socket is still open after the erasure reset the room", who)
			}
			var ce *websocket.CloseError
			if err := c.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseServiceRestart {
				t.Errorf("%s's socket closed with %v, want 1012 (log reset)", who, err)
			}
		}

		seen := len(jon.Frames())
		snaps := len(jon.Snapshots())
		if err := jon.ReconnectFrom(ctx, before); err != nil {
			t.Fatal(err)
		}
		if e := jon.Welcome().Epoch; e == 0 || e == oldEpoch {
			t.Errorf("welcome after the erasure: epoch %d, want a new one (old %d)", e, oldEpoch)
		}
		if err := jon.WaitSnapshots(ctx, snaps+1); err != nil {
			t.Fatalf("no snapshot after resuming with the old epoch: %v", err)
		}
		// Something new happens in the room: Jon has everything the server sent him
		// between his welcome and this event.
		if err := mod.Reconnect(ctx); err != nil {
			t.Fatal(err)
		}
		stack.MustDo(t, mod, "contribution.post", map[string]any{"kind": "finding", "body": "Le guichet ferme trop tôt"})
		if _, err := jon.WaitEvent(ctx, func(m liveclient.Message) bool { return m.Name == "contribution.posted" && m.Seq > posted.Seq }); err != nil {
			t.Fatal(err)
		}
		after := jon.Frames()[seen:]
		for _, f := range after {
			for _, secret := range []string{name, "Quorblat", org, "Zebrinex"} {
				if bytes.Contains(f, []byte(secret)) {
					t.Errorf("after the erasure Jon received %q in %.200s", secret, f)
				}
			}
		}
		var events int
		for _, f := range after {
			if bytes.Contains(f, []byte(`"type":"event"`)) && bytes.Contains(f, []byte(`"seq":`+fmt.Sprint(posted.Seq)+`,`)) {
				events++
			}
		}
		if events != 0 {
			t.Errorf("the erased person's post (seq %d) was replayed after the erasure", posted.Seq)
		}
	})
}

// holds reports whether any frame contains s.
func holds(frames [][]byte, s string) bool {
	for _, f := range frames {
		if bytes.Contains(f, []byte(s)) {
			return true
		}
	}
	return false
}
