package hub

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestJoinWelcomeAndSnapshot(t *testing.T) {
	fb := newFakeBackend()
	fb.appendEvent(testWS, "old", Audience{})
	e := newEnv(t, fb, nil)
	e.member(7, "moderator", true, 5)
	c := e.dial(7)
	c.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS})
	w := c.expect("welcome")
	if w.You != 7 || w.Role != "moderator" || !w.Moderator || w.Group != 5 || w.V != 1 || w.Workshop != testWS || w.ServerTime == 0 {
		t.Errorf("welcome: got %+v, want you 7, moderator, group 5, v 1, workshop %d, a serverTime", w, testWS)
	}
	s := c.expect("snapshot")
	if s.Seq != 1 || string(s.State) != `{"seq":1,"group":5}` {
		t.Errorf("snapshot: got seq %d state %s, want seq 1 state {\"seq\":1,\"group\":5}", s.Seq, s.State)
	}
}

func TestCommandEventsBeforeAckAndFanout(t *testing.T) {
	e := newEnv(t, newFakeBackend(), nil)
	e.member(1, "participant", false, 0)
	e.member(2, "participant", false, 0)
	a, b := e.join(1, 0), e.join(2, 0)

	id := a.command("emit", map[string]any{"name": "phase.changed", "count": 2, "data": map[string]any{"phase": "vote"}})
	msgs := a.until(isAck(id))
	got := []string{}
	for _, m := range msgs {
		got = append(got, m.Type)
	}
	if !slices.Equal(got, []string{"event", "event", "ack"}) {
		t.Fatalf("issuer's messages: got %v, want [event event ack]", got)
	}
	if ack := msgs[2]; ack.Seq != 2 || ack.ServerTime == 0 {
		t.Errorf("ack: got seq %d serverTime %d, want seq 2 and a serverTime", ack.Seq, ack.ServerTime)
	}
	ev := msgs[0]
	if ev.Name != "phase.changed" || string(ev.Data) != `{"phase":"vote"}` || ev.Seq != 1 {
		t.Errorf("event: got %+v, want phase.changed seq 1 data {\"phase\":\"vote\"}", ev)
	}
	if seqs := eventSeqs(b.until(func(m srvMsg) bool { return m.Seq == 2 })); !slices.Equal(seqs, []int64{1, 2}) {
		t.Errorf("other client's events: got %v, want [1 2]", seqs)
	}
}

func TestAckOnlyAfterCommit(t *testing.T) {
	fb := newFakeBackend()
	e := newEnv(t, fb, nil)
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	var ids []string
	for range 20 {
		ids = append(ids, c.emit("x", "all"))
	}
	for _, id := range ids {
		m := c.until(isAck(id))[0:]
		ack := m[len(m)-1]
		if ack.Type != "ack" {
			t.Fatalf("outcome of %s: got %+v, want ack", id, ack)
		}
		if !fb.isCommitted(id) {
			t.Fatalf("ack for %s: got it before its commit, want after", id)
		}
	}
}

func TestRejectTranslatedWithDetail(t *testing.T) {
	e := newEnv(t, newFakeBackend(), func(c *Config) {
		c.Translate = func(lang, code string) string { return lang + ":" + code }
	})
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	id := c.command("refuse", map[string]any{"code": "phase_closed"})
	m := c.expect("reject")
	if m.ID != id || m.Code != "phase_closed" || m.Message != "fr:phase_closed" || m.Detail != "detail for phase_closed" {
		t.Errorf("reject: got %+v, want id %s code phase_closed message fr:phase_closed", m, id)
	}
}

func TestIdempotentRetryAcksOnce(t *testing.T) {
	fb := newFakeBackend()
	e := newEnv(t, fb, nil)
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	id := newID()
	cmd := map[string]any{"type": "command", "id": id, "name": "emit", "args": map[string]any{"name": "x"}}
	c.send(cmd)
	first := c.until(isAck(id))
	c.send(cmd) // a retry after a lost ack
	second := c.until(isAck(id))
	if len(eventSeqs(first)) != 1 || len(eventSeqs(second)) != 0 {
		t.Fatalf("events: got %d then %d, want 1 then 0", len(eventSeqs(first)), len(eventSeqs(second)))
	}
	if a, b := first[len(first)-1], second[len(second)-1]; a.Seq != b.Seq || b.Type != "ack" {
		t.Errorf("retried ack: got %+v, want the first %+v", b, a)
	}
	if fb.lastSeq(testWS) != 1 {
		t.Errorf("log length: got %d, want 1", fb.lastSeq(testWS))
	}
}

func TestExecuteErrorRejectsWholeBatchUnavailable(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	e := newEnv(t, fb, nil)
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	first := c.emit("x", "all") // held at the gate
	eventually(t, "first batch executing", func() bool { return calls.Load() == 1 })
	ids := []string{c.emit("y", "all"), c.emit("z", "all"), c.emit("w", "all")}
	r := e.theRoom()
	eventually(t, "three commands queued", func() bool { return len(r.inbox) == 3 })
	fb.mu.Lock()
	fb.execErr = errFake
	fb.mu.Unlock()
	close(release)
	// Both the held batch and the group commit of the three queued ones fail.
	for _, id := range append([]string{first}, ids...) {
		m := c.until(isAck(id))
		last := m[len(m)-1]
		if last.Type != "reject" || last.Code != CodeUnavailable || len(eventSeqs(m)) != 0 {
			t.Fatalf("outcome of %s: got %+v with %d events, want reject unavailable and no events", id, last, len(eventSeqs(m)))
		}
	}
	_, _, _, batches, _ := fb.counts()
	if !slices.Equal(batches, []int{1, 3}) {
		t.Errorf("batches: got %v, want [1 3] (one group commit for the queued three)", batches)
	}
	fb.mu.Lock()
	fb.execErr = nil
	fb.mu.Unlock()
	id := c.emit("x", "all")
	if m := c.until(isAck(id)); m[len(m)-1].Type != "ack" || !slices.Equal(eventSeqs(m), []int64{1}) {
		t.Errorf("after recovery: got %+v, want event 1 then ack", m)
	}
}

func TestGroupCommitKeepsOrder(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	e := newEnv(t, fb, func(c *Config) { c.MaxBatch = 4 })
	e.member(1, "participant", false, 0)
	e.member(2, "participant", false, 0)
	a, b := e.join(1, 0), e.join(2, 0)
	ids := []string{a.emit("n", "all")}
	eventually(t, "first batch executing", func() bool { return calls.Load() == 1 })
	r := e.theRoom()
	for i := 1; i < 10; i++ {
		c := a
		if i%2 == 1 {
			c = b
		}
		ids = append(ids, c.emit("n", "all"))
		eventually(t, "command queued", func() bool { return len(r.inbox) == i })
	}
	close(release)
	msgsA, msgsB := a.until(isAck(ids[8])), b.until(isAck(ids[9]))
	_, _, _, batches, _ := fb.counts()
	if !slices.Equal(batches, []int{1, 4, 4, 1}) {
		t.Errorf("batches: got %v, want [1 4 4 1] (group commits of at most MaxBatch 4)", batches)
	}
	// The fake logs the i-th committed command's event as seq i+1: acks show the order.
	acks := map[string]int64{}
	for _, m := range append(msgsA, msgsB...) {
		if m.Type == "ack" {
			acks[m.ID] = m.Seq
		}
	}
	for i, id := range ids {
		if acks[id] != int64(i+1) {
			t.Errorf("ack of command %d: got seq %d, want %d", i, acks[id], i+1)
		}
	}
	if seqs := eventSeqs(msgsA); !slices.Equal(seqs, seqRange(1, 9)) {
		t.Errorf("events before the last ack: got %v, want 1..9", seqs)
	}
}

func TestInboxFullPastTheWaitRefusesBusy(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	e := newEnv(t, fb, func(c *Config) { c.CommandQueue, c.CommandWait = 2, 50*time.Millisecond })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	held := c.emit("x", "all")
	eventually(t, "first batch executing", func() bool { return calls.Load() == 1 })
	queued := []string{c.emit("x", "all"), c.emit("x", "all")}
	over := c.emit("x", "all")
	// The refusal comes while Execute is still held: the wait is bounded.
	m := c.until(isAck(over))
	if last := m[len(m)-1]; last.Type != "reject" || last.Code != CodeBusy {
		t.Fatalf("outcome of the command past the queue: got %+v, want reject busy", last)
	}
	if s := e.h.Stats(); s.CommandsWaited != 1 || s.CommandsWaiting != 0 {
		t.Errorf("stats: got %d waited, %d waiting; want 1 and 0", s.CommandsWaited, s.CommandsWaiting)
	}
	close(release)
	for _, id := range append([]string{held}, queued...) {
		m := c.until(isAck(id))
		if last := m[len(m)-1]; last.Type != "ack" {
			t.Errorf("outcome of %s: got %+v, want ack", id, last)
		}
	}
}

func TestUpgradeChecks(t *testing.T) {
	e := newEnv(t, newFakeBackend(), nil)
	tests := []struct {
		name   string
		origin string
		want   int
	}{
		{"foreign origin", "http://evil.example", http.StatusForbidden},
		{"plain HTTP", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"?p=1", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "websocket")
				req.Header.Set("Sec-WebSocket-Version", "13")
				req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestServerTimeUsesConfigClock(t *testing.T) {
	const now = 1_800_000_000_000
	e := newEnv(t, newFakeBackend(), func(c *Config) {
		c.Now = func() time.Time { return time.UnixMilli(now) }
	})
	e.member(1, "participant", false, 0)
	c := e.dial(1)
	c.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS})
	for _, typ := range []string{"welcome", "snapshot"} {
		if m := c.expect(typ); m.ServerTime != now {
			t.Errorf("%s serverTime: got %d, want %d", typ, m.ServerTime, now)
		}
	}
	c.send(map[string]any{"type": "ping"})
	if p := c.expect("pong"); p.ServerTime != now {
		t.Errorf("pong serverTime: got %d, want %d", p.ServerTime, now)
	}
	id := c.emit("x", "all")
	for _, m := range c.until(isAck(id)) {
		if m.ServerTime != now {
			t.Errorf("%s serverTime: got %d, want %d", m.Type, m.ServerTime, now)
		}
	}
}
