package hub

import (
	"slices"
	"testing"
)

// names returns the names of the events among msgs.
func names(msgs []srvMsg) []string {
	var out []string
	for _, m := range msgs {
		if m.Type == "event" {
			out = append(out, m.Name)
		}
	}
	return out
}

func TestAudiencesRouteEvents(t *testing.T) {
	e := newEnv(t, newFakeBackend(), nil)
	e.member(1, "participant", false, 5) // alice, group 5
	e.member(2, "participant", false, 6) // bob, group 6
	e.member(3, "moderator", true, 0)    // mod
	alice, bob, mod := e.join(1, 0), e.join(2, 0), e.join(3, 0)

	for _, ev := range [][2]string{
		{"to-all", "all"},
		{"to-mods", "moderators"},
		{"to-g5", "group:5"},
		{"to-g6", "group:6"},
		{"to-alice", "person:1"},
		{"to-bob", "person:2"},
		{"to-mod", "person:3"},
	} {
		mod.emit(ev[0], ev[1])
	}
	mod.emit("barrier", "all")
	tests := []struct {
		name string
		c    *client
		want []string
	}{
		{"alice", alice, []string{"to-all", "to-g5", "to-alice", "barrier"}},
		{"bob", bob, []string{"to-all", "to-g6", "to-bob", "barrier"}},
		// Moderators see every group, but not another person's private events.
		{"mod", mod, []string{"to-all", "to-mods", "to-g5", "to-g6", "to-mod", "barrier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer tt.c.as(t)()
			if got := names(tt.c.until(isEvent("barrier"))); !slices.Equal(got, tt.want) {
				t.Errorf("%s received: got %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// groupRoom joins alice, participant 1 in group 5, and a moderator, participant 2.
func groupRoom(t *testing.T) (e *testEnv, alice, mod *client) {
	t.Helper()
	e = newEnv(t, newFakeBackend(), nil)
	e.member(1, "participant", false, 5)
	e.member(2, "moderator", true, 0)
	return e, e.join(1, 0), e.join(2, 0)
}

func TestReloadViewersMovesGroupEvents(t *testing.T) {
	e, alice, mod := groupRoom(t)

	mod.emit("g5-before", "group:5")
	// One commit: move alice to group 6 (ReloadViewers), then events for both groups.
	id := mod.command("move", map[string]any{"participant": 1, "group": 6})
	mod.until(isAck(id))
	mod.emit("g5-after", "group:5")
	mod.emit("g6-after", "group:6")
	mod.emit("barrier", "all")

	msgs := alice.until(isEvent("barrier"))
	if got, want := names(msgs), []string{"g5-before", "group.moved", "g6-after", "barrier"}; !slices.Equal(got, want) {
		t.Errorf("alice received: got %v, want %v", got, want)
	}
	var viewer *srvMsg
	for i, m := range msgs {
		if m.Type == "viewer" {
			viewer = &msgs[i]
		}
	}
	if viewer == nil || viewer.Group != 6 || viewer.You != 1 {
		t.Errorf("viewer message: got %+v, want you 1 group 6", viewer)
	}
	// A command sent now carries the new viewer.
	alice.command("refuse", map[string]any{"code": "nope"})
	alice.expect("reject")
	e.fb.mu.Lock()
	by := e.fb.lastBy
	e.fb.mu.Unlock()
	if by.Participant != 1 || by.Group != 6 {
		t.Errorf("command's viewer: got %+v, want participant 1 in group 6", by)
	}
}

func TestReloadViewersInSameBatch(t *testing.T) {
	// The move and a later group event are committed in one Execute: the later event
	// must already use the new viewers.
	e, alice, mod := groupRoom(t)
	fb := e.fb
	release, _ := fb.holdFirstBatch()
	first := mod.emit("first", "all") // held
	r := e.theRoom()
	eventually(t, "first batch executing", func() bool { return fb.inCommit.Load() == 1 })
	mod.command("move", map[string]any{"participant": 1, "group": 6})
	eventually(t, "queued", func() bool { return len(r.inbox) == 1 })
	mod.emit("g5-after", "group:5")
	eventually(t, "queued", func() bool { return len(r.inbox) == 2 })
	mod.emit("g6-after", "group:6")
	eventually(t, "queued", func() bool { return len(r.inbox) == 3 })
	mod.emit("barrier", "all")
	eventually(t, "queued", func() bool { return len(r.inbox) == 4 })
	close(release)
	mod.until(isAck(first))
	if got, want := names(alice.until(isEvent("barrier"))), []string{"first", "group.moved", "g6-after", "barrier"}; !slices.Equal(got, want) {
		t.Errorf("alice received: got %v, want %v", got, want)
	}
	_, _, _, batches, _ := fb.counts()
	if !slices.Equal(batches, []int{1, 4}) {
		t.Errorf("batches: got %v, want [1 4]", batches)
	}
}

func TestReloadViewersClosesRemovedMember(t *testing.T) {
	e, alice, mod := groupRoom(t)
	fb := e.fb
	fb.mu.Lock()
	delete(fb.members, 1) // alice's membership is revoked by the next commit
	fb.mu.Unlock()
	mod.command("emit", map[string]any{"name": "member.removed", "reload": true})
	msgs := alice.until(func(m srvMsg) bool { return m.Type == "error" })
	if last := msgs[len(msgs)-1]; last.Code != CodeForbidden {
		t.Errorf("error: got %+v, want forbidden", last)
	}
	if code := alice.closed(); code != 1008 {
		t.Errorf("close code: got %d, want 1008", code)
	}
}
