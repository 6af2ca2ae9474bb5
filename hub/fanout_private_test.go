package hub

import (
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assises/assises/hub/wire/wiretest"
)

// TestPrivateEventsKeepTheirPlace: private events go out at once when their reader has
// nothing batched (one reader) but still reach it in seq order among the room's events,
// and nobody else.
func TestPrivateEventsKeepTheirPlace(t *testing.T) {
	r := bareRoom(t, nil)
	sockets := map[int64]*wiretest.RecordConn{}
	for _, p := range []int64{1, 2} {
		// Through the hub's socket, over a connection without non-blocking writes: every
		// frame goes through the writer goroutine.
		rc := &wiretest.RecordConn{Conn: &discardConn{frames: new(atomic.Int64)}}
		_, sc := hubSocket(t, r.h, rc)
		rc.Forget() // the handshake
		c := newConn(r.h, sc, p, "fr")
		m := &member{c: c, v: Viewer{Participant: p, Role: "participant"}}
		r.members[c] = m
		r.people[p] = append(r.people[p], m)
		sockets[p] = rc
	}
	ev := func(seq int64, aud Audience) Event {
		return Event{Seq: seq, Name: "e", Audience: aud, Data: json.RawMessage(`{}`), At: time.Now()}
	}
	all, to1, to2 := Audience{Kind: All}, Audience{Kind: Person, ID: 1}, Audience{Kind: Person, ID: 2}
	r.deliver(delivery{events: []Event{ev(1, all), ev(2, to1), ev(3, all), ev(4, to1), ev(5, to2)}})
	r.deliver(delivery{events: []Event{ev(6, to1), ev(7, all)}})
	var ms []*member
	for _, m := range r.members {
		ms = append(ms, m)
	}
	for _, m := range ms {
		r.drop(m, dropGraceful, 0, "")
	}
	for _, m := range ms {
		<-m.c.out.Done()
	}
	want := map[int64][]int64{1: {1, 2, 3, 4, 6, 7}, 2: {1, 3, 5, 7}}
	for p, rc := range sockets {
		var got []int64
		stream := rc.Written()
		for {
			op, b, rest, err := wiretest.ParseFrame(stream)
			if err != nil || op != wiretest.OpText {
				break // the close frame, or the end
			}
			stream = rest
			var m struct{ Seq int64 }
			json.Unmarshal(b, &m)
			got = append(got, m.Seq)
		}
		if !slices.Equal(got, want[p]) {
			t.Errorf("participant %d: got seqs %v, want %v", p, got, want[p])
		}
	}
}

// writeCounter counts the non-blocking writes of a fake transport.
type writeCounter struct {
	*fakeTransport
	writes atomic.Int64
}

func (w *writeCounter) WriteNow(p []byte) (int, error) {
	w.writes.Add(1)
	return w.fakeTransport.WriteNow(p)
}

// TestVoteIsOneWrite: a committed vote's private event and its ack reach the voter in
// one system call.
func TestVoteIsOneWrite(t *testing.T) {
	r := bareRoom(t, nil)
	var frames atomic.Int64
	w := &writeCounter{fakeTransport: newFakeTransport(&frames, false)}
	c := newConn(r.h, w, 1, "fr")
	m := &member{c: c, v: Viewer{Participant: 1, Role: "participant"}}
	r.members[c], r.people[1] = m, []*member{m}
	r.deliver(delivery{
		events:   []Event{{Seq: 1, Name: "vote.recorded", Audience: Audience{Kind: Person, ID: 1}, Data: json.RawMessage(`{}`)}},
		outcomes: []sentOutcome{{c: c, out: Outcome{CommandID: "v1", Seq: 1}}},
	})
	msgs := mustMessages(t, w.fakeTransport)
	if len(msgs) != 2 || msgs[0].Type != "event" || msgs[1].Type != "ack" {
		t.Fatalf("got %+v, want the event then the ack", msgs)
	}
	if n := w.writes.Load(); n != 1 {
		t.Errorf("writes: got %d, want 1", n)
	}
}
