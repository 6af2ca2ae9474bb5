package hub

import (
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"
)

// resumeEnv has a writer (participant 1, moderator) who commits events, and a reader
// (participant 2, group 5) who reconnects.
func resumeEnv(t *testing.T, fb *fakeBackend) (*testEnv, *client) {
	t.Helper()
	e := newEnv(t, fb, func(c *Config) {
		c.RingSize = 4
		c.MaxCatchUp = 20
	})
	e.member(1, "moderator", true, 0)
	e.member(2, "participant", false, 5)
	return e, e.join(1, 0)
}

// commit has w commit events with the given audiences and waits for the last ack.
func commit(w *client, audiences ...string) {
	w.t.Helper()
	var id string
	for _, a := range audiences {
		id = w.emit("e", a)
	}
	w.until(isAck(id))
}

func repeat(a string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = a
	}
	return out
}

func TestResumeLive(t *testing.T) {
	fb := newFakeBackend()
	e, w := resumeEnv(t, fb)
	commit(w, repeat("all", 3)...)
	_, snaps, reads, _, _ := fb.counts()

	c := e.hello(2, 3)
	commit(w, "all")
	if m := c.next(); m.Type != "event" || m.Seq != 4 {
		t.Errorf("first message after welcome: got %+v, want event 4", m)
	}
	if _, s, r, _, _ := fb.counts(); s != snaps || r != reads {
		t.Errorf("snapshots, log reads: got %d, %d, want %d, %d (nothing to catch up)", s, r, snaps, reads)
	}
}

func TestResumeFromRing(t *testing.T) {
	fb := newFakeBackend()
	e, w := resumeEnv(t, fb)
	commit(w, "all", "all", "all", "group:6", "group:5", "all") // seqs 1..6, ring holds 3..6
	_, snaps, reads, _, _ := fb.counts()

	c := e.hello(2, 2)
	commit(w, "all") // 7, live
	got := eventSeqs(c.until(func(m srvMsg) bool { return m.Seq == 7 }))
	if want := []int64{3, 5, 6, 7}; !slices.Equal(got, want) { // 4 is for group 6
		t.Errorf("events: got %v, want %v", got, want)
	}
	if _, s, r, _, _ := fb.counts(); s != snaps || r != reads {
		t.Errorf("snapshots, log reads: got %d, %d, want %d, %d (served from memory)", s, r, snaps, reads)
	}
}

func TestResumeFromLogWithEventsDuringCatchUp(t *testing.T) {
	fb := newFakeBackend()
	reading, release := make(chan struct{}), make(chan struct{})
	fb.beforeEventsAfter = func(after int64) {
		if after == 2 {
			close(reading)
			<-release
		}
	}
	e, w := resumeEnv(t, fb)
	commit(w, repeat("all", 12)...) // ring holds 9..12: since 2 needs the log
	_, snaps, _, _, _ := fb.counts()

	c := e.hello(2, 2)
	<-reading
	commit(w, "all", "group:6", "all") // 13..15 arrive while the log read is held
	close(release)
	commit(w, "all") // 16, live
	got := eventSeqs(c.until(func(m srvMsg) bool { return m.Seq == 16 }))
	want := append(seqRange(3, 13), 15, 16)
	if !slices.Equal(got, want) {
		t.Errorf("events: got %v, want %v (in order, none lost, none twice)", got, want)
	}
	if _, s, r, _, _ := fb.counts(); s != snaps || r == 0 {
		t.Errorf("snapshots, log reads: got %d, %d, want %d, > 0", s, r, snaps)
	}
}

func TestResumeWithSnapshotDuringCommits(t *testing.T) {
	tests := []struct {
		name  string
		early bool // the snapshot's state is read before the commits that happen during it
	}{
		{"snapshot older than the commits", true},
		{"snapshot newer than the commits", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFakeBackend()
			e, w := resumeEnv(t, fb)
			commit(w, repeat("all", 3)...)
			snapping, release := make(chan struct{}), make(chan struct{})
			fb.mu.Lock()
			fb.snapshotEarly = tt.early
			fb.beforeSnapshot = func() {
				close(snapping)
				<-release
			}
			fb.mu.Unlock()
			c := e.hello(2, 0)
			<-snapping
			commit(w, "all", "all", "group:6", "all") // 4..7 during the snapshot
			close(release)
			snap := c.expect("snapshot")
			wantSnap := int64(7)
			if tt.early {
				wantSnap = 3
			}
			if snap.Seq != wantSnap {
				t.Fatalf("snapshot seq: got %d, want %d", snap.Seq, wantSnap)
			}
			commit(w, "all") // 8
			got := eventSeqs(c.until(func(m srvMsg) bool { return m.Seq == 8 }))
			want := []int64{8}
			if tt.early {
				want = []int64{4, 5, 7, 8}
			}
			if !slices.Equal(got, want) {
				t.Errorf("events after the snapshot: got %v, want %v", got, want)
			}
		})
	}
}

func TestResumeFallsBackToSnapshot(t *testing.T) {
	tests := []struct {
		name  string
		since int64
	}{
		{"since 0", 0},
		{"too old for the log", 3},
		{"from the future", 999},
	}
	fb := newFakeBackend()
	e, w := resumeEnv(t, fb)
	commit(w, repeat("all", 25)...) // MaxCatchUp is 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.hello(2, tt.since)
			if m := c.next(); m.Type != "snapshot" || m.Seq != 25 {
				t.Errorf("after welcome: got %+v, want snapshot 25", m)
			}
		})
	}
}

func TestResumeRefusesGapInLog(t *testing.T) {
	// A log that skips a seq must not be papered over: the client is told to come back.
	fb := newFakeBackend()
	e, w := resumeEnv(t, fb)
	commit(w, repeat("all", 10)...)
	fb.mu.Lock()
	fb.logs[testWS] = slices.Delete(fb.logs[testWS], 3, 4) // seq 4 vanishes
	fb.mu.Unlock()
	c := e.hello(2, 1)
	if m := c.next(); m.Type != "error" || m.Code != CodeUnavailable {
		t.Errorf("after welcome: got %+v, want error unavailable", m)
	}
	if code := c.closed(); code != 1011 {
		t.Errorf("close code: got %d, want 1011", code)
	}
}

func TestSnapshotAheadOfRoomSkipsOlderEvents(t *testing.T) {
	// Another node committed 1 and 2 and the cue was lost: this node's room has not
	// delivered them, but a snapshot made now includes them. When the room later reads
	// them from the log, the member must not get them a second time.
	fb := newFakeBackend()
	n1 := newEnv(t, fb, func(c *Config) { c.Bus = nopBus{} })
	n2 := newEnv(t, fb, func(c *Config) { c.Bus = nopBus{} })
	n1.member(1, "moderator", true, 0)
	n1.member(2, "participant", false, 0)
	w, other := n1.join(1, 0), n2.join(2, 0)
	commit(other, "all", "all")
	reader := n1.dial(2)
	reader.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS})
	reader.expect("welcome")
	if m := reader.expect("snapshot"); m.Seq != 2 {
		t.Fatalf("snapshot seq: got %d, want 2", m.Seq)
	}
	commit(w, "all") // 3: node 1 reads 1 and 2 from the log first
	if got := eventSeqs(reader.until(func(m srvMsg) bool { return m.Seq == 3 })); !slices.Equal(got, []int64{3}) {
		t.Errorf("events after the snapshot: got %v, want [3]", got)
	}
}

// A connection coming back within the ring gets its welcome, the events it missed and the
// presence in one write: in a storm of ten thousand, one system call and one wake-up of
// each phone instead of two or three.
func TestResumeFromRingIsOneWrite(t *testing.T) {
	r := bareRoom(t, nil)
	var frames atomic.Int64
	addMember(r, Viewer{Participant: 1}, &frames)
	for seq := int64(1); seq <= 3; seq++ {
		r.deliver(delivery{events: []Event{{Seq: seq, Name: "question.changed", Data: json.RawMessage(`{"text":"Pendant la coupure"}`)}}})
	}
	ft := newFakeTransport(&frames, false)
	c := newConn(r.h, ft, 2, "fr")
	r.join(joinReq{c: c, v: Viewer{Participant: 2}, since: 1, epoch: r.epoch})
	msgs, _ := messagesOf(t, ft)
	var types []string
	for _, m := range msgs {
		types = append(types, m.Type)
	}
	if want := []string{"welcome", "event", "event", "presence"}; !slices.Equal(types, want) {
		t.Fatalf("messages: got %v, want %v", types, want)
	}
	if got := eventSeqs(msgs); !slices.Equal(got, []int64{2, 3}) {
		t.Errorf("events: got %v, want [2 3]", got)
	}
	if n := ft.Writes(); n != 1 {
		t.Errorf("writes: got %d, want 1", n)
	}
}
