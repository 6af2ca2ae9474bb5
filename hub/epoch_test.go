package hub

import (
	"slices"
	"testing"

	"github.com/gorilla/websocket"
)

// TestResumeNeedsTheLogsEpoch: a since counts in one history of the log, the one the
// welcome's epoch names. Only a client that hands back the room's epoch resumes by seq;
// another epoch, or none, gets a snapshot, even though its since is in the ring.
func TestResumeNeedsTheLogsEpoch(t *testing.T) {
	tests := []struct {
		name     string
		epoch    int64
		snapshot bool
	}{
		{"same epoch", fakeEpoch, false},
		{"no epoch", 0, true},
		{"another epoch", fakeEpoch + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFakeBackend()
			e, w := resumeEnv(t, fb)
			commit(w, repeat("all", 3)...) // the ring holds 1..3 (size 4)
			_, snaps, _, _, _ := fb.counts()

			c := e.dial(2)
			c.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS, "since": 2, "epoch": tt.epoch})
			if m := c.expect("welcome"); m.Epoch != fakeEpoch {
				t.Fatalf("welcome epoch: got %d, want %d", m.Epoch, fakeEpoch)
			}
			m := c.next()
			_, s, _, _, _ := fb.counts()
			if tt.snapshot {
				if m.Type != "snapshot" || m.Seq != 3 || s != snaps+1 {
					t.Errorf("after welcome: got %s seq %d (%d snapshots made), want a snapshot at 3", m.Type, m.Seq, s-snaps)
				}
				return
			}
			if m.Type != "event" || m.Seq != 3 || s != snaps {
				t.Errorf("after welcome: got %s seq %d (%d snapshots made), want event 3 from memory", m.Type, m.Seq, s-snaps)
			}
		})
	}
}

// TestResetLogForgetsTheRoomsHistory: after ResetLog (an erasure rewrote the log and its
// epoch), the room closes its connections with 1012, and a client resuming with the old
// epoch and an old since gets a snapshot from a new room: nothing of the old ring, whose
// events are replayed to nobody.
func TestResetLogForgetsTheRoomsHistory(t *testing.T) {
	fb := newFakeBackend()
	e, w := resumeEnv(t, fb)
	e.member(3, "participant", false, 0)
	commit(w, repeat("all", 3)...)
	watcher := e.join(2, 0)
	left := e.join(3, 0)
	left.ws.Close() // someone who left moments ago: the hub remembers who they were
	eventually(t, "the leaver remembered", func() bool {
		_, ok := e.h.recent.recall(testWS, 3, e.h.viewerGen.Load(), e.h.cfg.Now())
		return ok
	})
	old := e.theRoom()
	opens, _, _, _, _ := fb.counts()

	fb.mu.Lock()
	fb.epoch = 77 // what the erasure's transaction did in the database
	fb.mu.Unlock()
	e.h.ResetLog(testWS)
	for name, c := range map[string]*client{"writer": w, "watcher": watcher} {
		if code := c.closed(); code != websocket.CloseServiceRestart {
			t.Errorf("%s: close code %d, want %d (log reset)", name, code, websocket.CloseServiceRestart)
		}
	}
	<-old.done
	if _, ok := e.h.recent.recall(testWS, 3, e.h.viewerGen.Load(), e.h.cfg.Now()); ok {
		t.Error("the rejoin cache still knows who was in the reset room")
	}

	_, snaps, _, _, _ := fb.counts()
	c := e.helloEpoch(2, 2, fakeEpoch) // the old epoch, a since inside the old ring
	m := c.next()
	if m.Type != "snapshot" {
		t.Fatalf("after a reset, a resume with the old epoch: got %s seq %d, want a snapshot", m.Type, m.Seq)
	}
	o, s, _, _, _ := fb.counts()
	if o != opens+1 || s != snaps+1 {
		t.Errorf("opens, snapshots: got +%d, +%d, want +1, +1 (a fresh room)", o-opens, s-snaps)
	}
	if got := e.theRoom(); got == old {
		t.Error("the reset room is still in use")
	}

	// The new room's welcome carries the new epoch, and a client that has it resumes by seq.
	w2 := e.join(1, 0)
	commit(w2, "all") // seq 4
	c2 := e.dial(2)
	c2.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS, "since": 3, "epoch": 77})
	if m := c2.expect("welcome"); m.Epoch != 77 {
		t.Fatalf("welcome epoch after the reset: got %d, want 77", m.Epoch)
	}
	commit(w2, "all") // seq 5
	if got := eventSeqs(c2.until(func(m srvMsg) bool { return m.Seq == 5 })); !slices.Equal(got, []int64{4, 5}) {
		t.Errorf("resume with the new epoch: got events %v, want [4 5] (from the new room's memory)", got)
	}
}

// TestResetLogWithoutRoom: a reset of a workshop no room serves on this node only forgets
// the rejoin cache; the next join opens a room with the epoch the database has.
func TestResetLogWithoutRoom(t *testing.T) {
	fb := newFakeBackend()
	e := newEnv(t, fb, nil)
	e.member(1, "participant", false, 0)
	e.h.ResetLog(testWS)
	fb.mu.Lock()
	fb.epoch = 5
	fb.mu.Unlock()
	c := e.dial(1)
	c.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS})
	if m := c.expect("welcome"); m.Epoch != 5 {
		t.Errorf("welcome epoch: got %d, want 5", m.Epoch)
	}
}
