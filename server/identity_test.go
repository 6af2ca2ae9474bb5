package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
)

// wireTap is a moderator's socket read as raw frames, exactly as they cross the network: what
// a browser's developer tools would show the moderator.
type wireTap struct {
	mu     sync.Mutex
	frames []string
	seq    int64
}

func tapSocket(t *testing.T, s *stack.Stack, p stack.Person, w *record.Workshop) *wireTap {
	t.Helper()
	cfg := s.Config(p, w)
	h := http.Header{}
	h.Set("Origin", cfg.Origin)
	h.Set("Cookie", cfg.Cookie.String())
	conn, _, err := websocket.DefaultDialer.DialContext(stack.Ctx(t), cfg.URL, h)
	if err != nil {
		t.Fatalf("tap: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.WriteJSON(map[string]any{"type": "hello", "v": 1, "workshop": w.ID, "since": 0}); err != nil {
		t.Fatalf("tap: hello: %v", err)
	}
	tap := &wireTap{}
	go func() {
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			tap.mu.Lock()
			tap.frames = append(tap.frames, string(b))
			// A frame may hold several messages (one per line or a JSON array): keep the
			// highest seq seen, for the barrier.
			for _, line := range strings.Split(string(b), "\n") {
				var ms []struct{ Seq int64 }
				if err := json.Unmarshal([]byte(line), &ms); err != nil {
					var m struct{ Seq int64 }
					if json.Unmarshal([]byte(line), &m) == nil {
						ms = append(ms, m)
					}
				}
				for _, m := range ms {
					tap.seq = max(tap.seq, m.Seq)
				}
			}
			tap.mu.Unlock()
		}
	}()
	return tap
}

// waitSeq waits until the tap has read up to seq.
func (tap *wireTap) waitSeq(t *testing.T, seq int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tap.mu.Lock()
		got := tap.seq
		tap.mu.Unlock()
		if got >= seq {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("tap: seq %d never arrived", seq)
}

// carries lists the words of words that some frame holds.
func (tap *wireTap) carries(words []string) []string {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	var found []string
	for _, w := range words {
		for _, f := range tap.frames {
			if strings.Contains(f, w) {
				found = append(found, w)
				break
			}
		}
	}
	return found
}

// TestSealedIdentityOnTheWire: in the sealed identity mode, no name, no organisation and no
// author id of the people who speak reaches a moderator's socket — not in the live events of
// a post, a held post, a comment, a vote or a split into groups, not in a fresh snapshot.
// Under the anonymous mode the same session does carry them to moderators (which is what the
// phones say), so the test can fail. A sealed room cannot be unsealed.
func TestSealedIdentityOnTheWire(t *testing.T) {
	// What would tell a moderator who wrote what.
	personal := []string{"Jacqueline", "Cité Modèle", "Mohamed", "Logement Bruxellois", `"authorId"`}
	cases := []struct {
		name     string
		mode     view.IdentityMode
		midway   bool // sealed after the first posts: only what is sent afterwards is clean
		wantSeen bool
	}{
		{name: "anonymous", mode: view.IdentityAnonymous, wantSeen: true},
		{name: "sealed", mode: view.IdentitySealed},
		{name: "sealed midway", mode: view.IdentitySealed, midway: true},
	}
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := s.Workshop(t, "Atelier "+tc.name)
				modP := s.Join(t, "Nadia", "Fédération", record.RoleModerator, w)
				mod := s.Connect(t, modP, w)
				jP := s.Join(t, "Jacqueline", "Cité Modèle", record.RoleParticipant, w)
				kP := s.Join(t, "Mohamed", "Logement Bruxellois", record.RoleParticipant, w)
				j, k := s.Connect(t, jP, w), s.Connect(t, kP, w)
				for _, c := range []interface {
					WaitSnapshots(context.Context, int) error
				}{mod, j, k} {
					if err := c.WaitSnapshots(stack.Ctx(t), 1); err != nil {
						t.Fatal(err)
					}
				}
				stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
				if tc.midway {
					stack.MustDo(t, j, "contribution.post", map[string]any{"kind": "finding", "body": "avant le sceau"})
				}
				sealed := stack.MustDo(t, mod, "identity.set", map[string]any{"mode": tc.mode})
				live := tapSocket(t, s, modP, w) // from here on, as events
				if tc.mode == view.IdentitySealed {
					// A console open before sealing is sent its list of people again, without
					// names, even in a room with no groups: it keeps the last list it was sent.
					if _, err := mod.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool {
						return m.Name == "groups.members" && m.Seq == sealed.Seq
					}); err != nil {
						t.Errorf("no list of people sent again to the console on sealing: %v", err)
					}
				}

				stack.MustDo(t, j, "contribution.post", map[string]any{"kind": "finding", "body": "on m'a coupé mes allocations"})
				var id int64
				if _, err := j.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool {
					var d struct {
						ID   int64
						Body string
					}
					json.Unmarshal(m.Data, &d)
					if m.Name == "contribution.posted" && strings.Contains(d.Body, "allocations") {
						id = d.ID
						return true
					}
					return false
				}); err != nil {
					t.Fatal(err)
				}
				stack.MustDo(t, k, "comment.post", map[string]any{"contribution": id, "body": "moi aussi"})
				stack.MustDo(t, k, "vote.set", map[string]any{"contribution": id, "value": 1})
				stack.MustDo(t, mod, "premoderation.set", map[string]any{"on": true})
				stack.MustDo(t, k, "contribution.post", map[string]any{"kind": "finding", "body": "j'avais peur de demander"})
				stack.MustDo(t, j, "checkin.self", nil)
				stack.MustDo(t, k, "checkin.self", nil)
				stack.MustDo(t, mod, "groups.split", map[string]any{"count": 1})
				last := stack.MustDo(t, mod, "question.set", map[string]any{"phase": "diagnostic", "text": "Quels constats ?"})
				live.waitSeq(t, last.Seq)

				late := tapSocket(t, s, modP, w) // a fresh snapshot
				late.waitSeq(t, last.Seq)

				for _, tap := range []struct {
					name string
					tap  *wireTap
				}{{"live events", live}, {"snapshot", late}} {
					seen := tap.tap.carries(personal)
					if tc.wantSeen && len(seen) == 0 {
						t.Errorf("%s: the moderator's socket carried none of %v under %s, want the authors", tap.name, personal, tc.mode)
					}
					if !tc.wantSeen && len(seen) > 0 {
						t.Errorf("%s: the moderator's socket carried %v under %s, want nothing that names an author", tap.name, seen, tc.mode)
					}
				}
				if tc.mode == view.IdentitySealed {
					out, err := mod.Do(stack.Ctx(t), "identity.set", map[string]any{"mode": "full"})
					if err != nil || out.Code != deliberation.CodeBadState {
						t.Errorf("unsealing: got %+v %v, want %s", out, err, deliberation.CodeBadState)
					}
				}
			})
		}
	})
}
