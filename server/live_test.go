package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
)

// TestAckAfterCommit reads the database the moment an ack arrives: what was acknowledged is
// there already (DESIGN invariant 3), in the log at the acknowledged seq.
func TestAckAfterCommit(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		w := s.Workshop(t, "A")
		mod := s.Connect(t, s.Join(t, "M", "Org M", record.RoleModerator, w), w)
		p := s.Connect(t, s.Join(t, "P", "Org P", record.RoleParticipant, w), w)
		stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
		for i := 0; i < 20; i++ {
			out := stack.MustDo(t, p, "contribution.post", map[string]any{"kind": "finding", "body": "constat"})
			var ev record.StoredEvent
			err := s.DB.NewSelect().Model(&ev).Where("workshop_id = ? AND seq = ?", w.ID, out.Seq).Scan(context.Background())
			if err != nil {
				t.Fatalf("ack seq %d is not in the log when the ack arrives: %v", out.Seq, err)
			}
			n, err := s.DB.NewSelect().Model((*record.Contribution)(nil)).Where("workshop_id = ?", w.ID).Count(context.Background())
			if err != nil || n != int64(i+1) {
				t.Fatalf("after %d acks the database holds %d contributions (%v)", i+1, n, err)
			}
		}
	})
}

// TestCannotJoinAnotherWorkshop: a participant registered in one workshop cannot join another
// one, even of the same process, and learns nothing of it.
func TestCannotJoinAnotherWorkshop(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		mine, other := s.Workshop(t, "Mine"), s.Workshop(t, "Other")
		p := s.Join(t, "P", "Org", record.RoleParticipant, mine)
		_, err := liveclient.Dial(stack.Ctx(t), s.Config(p, other))
		if err == nil {
			t.Fatal("joined a workshop the person is not registered in")
		}
		// And with no session at all, the handshake itself is refused.
		anon := s.Config(p, mine)
		anon.Cookie.Value = "forged"
		if _, err := liveclient.Dial(stack.Ctx(t), anon); err == nil {
			t.Fatal("joined with a forged session cookie")
		}
		foreign := s.Config(p, mine)
		foreign.Origin = "https://evil.example.org"
		if _, err := liveclient.Dial(stack.Ctx(t), foreign); err == nil {
			t.Fatal("joined from a foreign origin")
		}
	})
}

// TestResumeTooOldGetsSnapshot: with a small ring and catch-up limit, a client far behind gets
// a fresh snapshot, and the events after it, never a gap.
func TestResumeTooOldGetsSnapshot(t *testing.T) {
	small := stack.Options{Hub: func(c *hub.Config) { c.RingSize = 8; c.MaxCatchUp = 8 }}
	stack.Each(t, small, func(t *testing.T, s *stack.Stack) {
		w := s.Workshop(t, "A")
		modP := s.Join(t, "M", "Org M", record.RoleModerator, w)
		mod := s.Connect(t, modP, w)
		p := s.Connect(t, s.Join(t, "P", "Org P", record.RoleParticipant, w), w)
		stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
		if err := p.WaitSnapshots(stack.Ctx(t), 1); err != nil {
			t.Fatal(err)
		}
		p.Close()
		before := p.LastSeq()
		for i := 0; i < 30; i++ {
			stack.MustDo(t, mod, "contribution.post", map[string]any{"kind": "finding", "body": "constat du modérateur"})
		}
		if err := p.Reconnect(stack.Ctx(t)); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitSnapshots(stack.Ctx(t), 2); err != nil {
			t.Fatalf("no fresh snapshot for a client 30 events behind: %v", err)
		}
		snaps := p.Snapshots()
		if len(snaps) != 2 {
			t.Fatalf("got %d snapshots, want a second one for a client %d events behind", len(snaps), 30)
		}
		var state view.SnapshotState
		if err := json.Unmarshal(snaps[1].State, &state); err != nil {
			t.Fatal(err)
		}
		if len(state.Contributions) != 30 || snaps[1].Seq <= before {
			t.Fatalf("snapshot at seq %d holds %d contributions, want all 30", snaps[1].Seq, len(state.Contributions))
		}
		// Live events after the snapshot still arrive.
		out := stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "recommendations"})
		if err := p.WaitSeq(stack.Ctx(t), out.Seq); err != nil {
			t.Fatalf("no live events after the snapshot: %v", err)
		}
	})
}

// TestPremoderatedPostsStayPrivate: with pre-moderation, a post reaches only its author and
// the moderators until it is approved; then everyone.
func TestPremoderatedPostsStayPrivate(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		w := s.Workshop(t, "A")
		mod := s.Connect(t, s.Join(t, "M", "Org M", record.RoleModerator, w), w)
		author := s.Connect(t, s.Join(t, "A", "Org A", record.RoleParticipant, w), w)
		other := s.Connect(t, s.Join(t, "O", "Org O", record.RoleParticipant, w), w)
		stack.MustDo(t, mod, "premoderation.set", map[string]any{"on": true})
		stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
		out := stack.MustDo(t, author, "contribution.post", map[string]any{"kind": "finding", "body": "secret jusqu'à validation"})
		var id int64
		for _, e := range mod.Events() {
			if e.Name == "contribution.posted" && e.Seq <= out.Seq {
				var d struct{ ID int64 }
				json.Unmarshal(e.Data, &d)
				id = d.ID
			}
		}
		if id == 0 {
			// The moderator's copy may still be on its way: wait for it.
			ev, err := mod.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool { return m.Name == "contribution.posted" })
			if err != nil {
				t.Fatal(err)
			}
			var d struct{ ID int64 }
			json.Unmarshal(ev.Data, &d)
			id = d.ID
		}
		barrier := stack.MustDo(t, mod, "question.set", map[string]any{"phase": "diagnostic", "text": "?"})
		if err := other.WaitSeq(stack.Ctx(t), barrier.Seq); err != nil {
			t.Fatal(err)
		}
		for _, e := range other.Events() {
			if e.Name == "contribution.posted" {
				t.Fatalf("another participant saw a pending post: %s", e.Data)
			}
		}
		stack.MustDo(t, mod, "contribution.approve", map[string]any{"id": id})
		if _, err := other.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool { return m.Name == "contribution.posted" }); err != nil {
			t.Fatalf("the approved post never reached the room: %v", err)
		}
	})
}

// TestDotsBudgetAcrossSockets: one person with three tabs spends dots on all of them at once;
// the budget holds whatever the interleaving.
func TestDotsBudgetAcrossSockets(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		w := s.Workshop(t, "A")
		mod := s.Connect(t, s.Join(t, "M", "Org M", record.RoleModerator, w), w)
		voter := s.Join(t, "V", "Org V", record.RoleParticipant, w)
		stack.MustDo(t, mod, "vote.method.set", map[string]any{"phase": "diagnostic", "method": "dots", "budget": 5, "maxPerItem": 2})
		stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
		var ids []int64
		for i := 0; i < 6; i++ {
			out := stack.MustDo(t, mod, "contribution.post", map[string]any{"kind": "finding", "body": "constat"})
			var last liveclient.Message
			for _, e := range mod.Events() {
				if e.Name == "contribution.posted" && e.Seq <= out.Seq {
					last = e
				}
			}
			var d struct{ ID int64 }
			json.Unmarshal(last.Data, &d)
			ids = append(ids, d.ID)
		}
		tabs := []*liveclient.Client{s.Connect(t, voter, w), s.Connect(t, voter, w), s.Connect(t, voter, w)}
		var wg sync.WaitGroup
		for i, tab := range tabs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j, id := range ids {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					tab.Do(ctx, "vote.set", map[string]any{"contribution": id, "value": 1 + (i+j)%2})
					cancel()
				}
			}()
		}
		wg.Wait()
		var total int
		err := s.DB.NewSelect().Model((*record.Vote)(nil)).ColumnExpr("COALESCE(SUM(value), 0)").
			Where("participant_id = ?", voter.Participant.ID).Scan(context.Background(), &total)
		if err != nil {
			t.Fatal(err)
		}
		if total > 5 || total == 0 {
			t.Fatalf("dots spent: %d, want between 1 and the budget of 5", total)
		}
	})
}

// TestSameVoteOnFiftySockets: the same vote (one command id) sent at once on 50 sockets of one
// person applies once: one row, one vote.recorded, and every socket gets the same ack (docs/security.md,
// item 9).
func TestSameVoteOnFiftySockets(t *testing.T) {
	// Fifty sockets of one person: past the product's bound per person (a few tabs), which
	// would close the oldest; the race under test needs them all open.
	opts := stack.Options{Hub: func(c *hub.Config) { c.MaxSocketsPerPerson = 50 }}
	stack.Each(t, opts, func(t *testing.T, s *stack.Stack) {
		w := s.Workshop(t, "A")
		mod := s.Connect(t, s.Join(t, "M", "Org M", record.RoleModerator, w), w)
		stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
		out := stack.MustDo(t, mod, "contribution.post", map[string]any{"kind": "finding", "body": "constat"})
		var posted struct{ ID int64 }
		for _, e := range mod.Events() {
			if e.Name == "contribution.posted" && e.Seq <= out.Seq {
				json.Unmarshal(e.Data, &posted)
			}
		}
		voter := s.Join(t, "V", "Org V", record.RoleParticipant, w)
		var tabs []*liveclient.Client
		for i := 0; i < 50; i++ {
			tabs = append(tabs, s.Connect(t, voter, w))
		}
		id := uuid.NewString()
		outcomes := make([]liveclient.Outcome, len(tabs))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, tab := range tabs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// The per-person rate limit may ask a tab to wait: it resends the same id, as
				// the browser does.
				for attempt := 0; attempt < 50; attempt++ {
					if err := tab.Send(id, "vote.set", map[string]any{"contribution": posted.ID, "value": 1}); err != nil {
						t.Error(err)
						return
					}
					o, err := tab.Await(stack.Ctx(t), id)
					if err != nil {
						t.Error(err)
						return
					}
					if o.Code != "rate_limited" && o.Code != "busy" {
						outcomes[i] = o
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}()
		}
		close(start)
		wg.Wait()
		for i, o := range outcomes {
			if !o.Accepted() || o.Seq != outcomes[0].Seq {
				t.Errorf("tab %d: got %+v, want the same ack as tab 0 (%+v)", i, o, outcomes[0])
			}
		}
		ctx := context.Background()
		votes, err := s.DB.NewSelect().Model((*record.Vote)(nil)).Where("participant_id = ?", voter.Participant.ID).Count(ctx)
		if err != nil || votes != 1 {
			t.Fatalf("vote rows: %d (%v), want 1", votes, err)
		}
		recorded, err := s.DB.NewSelect().Model((*record.StoredEvent)(nil)).
			Where("workshop_id = ? AND name = ?", w.ID, "vote.recorded").Count(ctx)
		if err != nil || recorded != 1 {
			t.Fatalf("vote.recorded events: %d (%v), want 1", recorded, err)
		}
	})
}

// TestRefusalsInThePersonsLanguage: refusals are worded in the language the person chose.
func TestRefusalsInThePersonsLanguage(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	w := s.Workshop(t, "A")
	p := s.Join(t, "P", "Org", record.RoleParticipant, w)
	tests := []struct{ cookie, want string }{
		{"", "Vous n'avez pas le droit de faire cela."}, // registered in French
		{"nl", "U mag dit niet doen."},
		{"en", "You are not allowed to do that."},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("language %q", tt.cookie), func(t *testing.T) {
			cfg := s.Config(p, w)
			if tt.cookie != "" {
				cfg.Extra = []*http.Cookie{{Name: "assises_lang", Value: tt.cookie}}
			}
			c, err := liveclient.Dial(stack.Ctx(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Do(stack.Ctx(t), "phase.set", map[string]any{"phase": "diagnostic"})
			c.Close()
			if err != nil || out.Code != "not_allowed" || out.Message != tt.want {
				t.Errorf("language %q: got %q %q (%v), want not_allowed %q", tt.cookie, out.Code, out.Message, err, tt.want)
			}
		})
	}
}
