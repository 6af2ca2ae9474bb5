package hub

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire"
	"github.com/assises/assises/hub/wire/wiretest"
)

// discardConn is a socket that accepts every write at once: the benchmarks below measure
// the hub and gorilla's write path (framing, deadlines, buffers), not the kernel.
type discardConn struct {
	frames *atomic.Int64
	closed atomic.Bool
}

func (d *discardConn) Read([]byte) (int, error) {
	// The read side is never used by the outbox; block like an idle peer would.
	select {}
}
func (d *discardConn) Write(p []byte) (int, error) {
	d.frames.Add(wiretest.CountFrames(p))
	return len(p), nil
}

// WriteNonBlocking makes the outbox take its direct-write path, as on a TCP socket.
func (d *discardConn) WriteNonBlocking(p []byte) (int, error) { return d.Write(p) }

func (d *discardConn) Close() error                     { d.closed.Store(true); return nil }
func (d *discardConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (d *discardConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (d *discardConn) SetDeadline(time.Time) error      { return nil }
func (d *discardConn) SetReadDeadline(time.Time) error  { return nil }
func (d *discardConn) SetWriteDeadline(time.Time) error { return nil }

// hijacker is the smallest ResponseWriter the upgrader accepts.
type hijacker struct {
	httptest.ResponseRecorder
	c net.Conn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.c, bufio.NewReadWriter(bufio.NewReader(h.c), bufio.NewWriter(h.c)), nil
}

// hubSocket returns the socket a connection of h writes to, made by the hub's own
// upgrader over nc (through the hijacking writer, as ServeWS does), with its gorilla
// connection for the read side.
func hubSocket(tb testing.TB, h *Hub, nc net.Conn) (*websocket.Conn, *wire.Socket) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-Websocket-Version", "13")
	req.Header.Set("Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	hw := &wire.Hijacker{ResponseWriter: &hijacker{c: nc}}
	ws, err := h.upgrader.Upgrade(hw, req, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return ws, hw.Socket()
}

// socketRoom is a room whose members write through the hub's sockets onto discard
// sockets that take every write at once, as a TCP socket with room in its buffer does.
func socketRoom(b *testing.B, n int) (*room, *atomic.Int64) {
	r := bareRoom(b, nil)
	var frames atomic.Int64
	for i := range n {
		v := Viewer{Participant: int64(i + 1), Role: "participant"}
		_, sc := hubSocket(b, r.h, &discardConn{frames: &frames})
		c := newConn(r.h, sc, v.Participant, "fr")
		m := &member{c: c, v: v}
		r.members[c] = m
		r.people[v.Participant] = append(r.people[v.Participant], m)
	}
	frames.Store(0) // the handshakes' answers are not frames
	b.Cleanup(func() {
		for _, m := range r.members {
			r.drop(m, dropGraceful, 0, "")
			<-m.c.out.Done()
		}
	})
	return r, &frames
}

// waitFrames spins until want frames have been written in all.
func waitFrames(frames *atomic.Int64, want int64) {
	for frames.Load() < want {
		runtime.Gosched()
	}
}

// tallyData is a realistic tally.updated payload: five items and the turnout.
var tallyData = json.RawMessage(`{"items":[` +
	`{"contribution":101,"method":"support","count":1834,"sum":1834,"agree":0,"neutral":0,"disagree":0,"dots":0,"voters":1834},` +
	`{"contribution":102,"method":"support","count":1790,"sum":1790,"agree":0,"neutral":0,"disagree":0,"dots":0,"voters":1790},` +
	`{"contribution":103,"method":"support","count":2011,"sum":2011,"agree":0,"neutral":0,"disagree":0,"dots":0,"voters":2011},` +
	`{"contribution":104,"method":"support","count":1688,"sum":1688,"agree":0,"neutral":0,"disagree":0,"dots":0,"voters":1688},` +
	`{"contribution":105,"method":"support","count":1702,"sum":1702,"agree":0,"neutral":0,"disagree":0,"dots":0,"voters":1702}],` +
	`"turnout":{"voters":9025,"participants":10000}}`)

// BenchmarkRoomFanout is one coalesced tally reaching a whole room: the room encodes it
// once as a frame and hands it to every member's outbox, which writes it onto the socket
// at once (or a writer goroutine later, if the socket is full). One op = one event written
// to every connection (the tally rate of a room is a few per second).
//
//	go test -run - -bench RoomFanout ./hub
func BenchmarkRoomFanout(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			r, frames := socketRoom(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			var seq int64
			for b.Loop() {
				seq++
				r.deliver(delivery{events: []Event{{Seq: seq, Name: "tally.updated", Data: tallyData, At: time.Now()}}})
				waitFrames(frames, seq*int64(n))
			}
			b.StopTimer()
			b.ReportMetric(float64(seq*int64(n))/b.Elapsed().Seconds(), "deliveries/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(seq*int64(n)), "ns/delivery")
			if e := r.h.Stats().Evictions; e != 0 {
				b.Fatalf("evictions: got %d, want 0", e)
			}
		})
	}
}

// BenchmarkRoomVoteBatch is one group commit of votes coming back to a room of 10,000:
// each voter gets its private vote.recorded and its ack (two frames), nobody else anything.
// One op = one batch; votes/s is what the room side of the hub can acknowledge.
func BenchmarkRoomVoteBatch(b *testing.B) {
	const n = 10000
	for _, size := range []int{16, 256} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			r, frames := socketRoom(b, n)
			byParticipant := map[int64]*member{}
			for _, m := range r.members {
				byParticipant[m.v.Participant] = m
			}
			b.ReportAllocs()
			b.ResetTimer()
			var seq, written int64
			for i := 0; b.Loop(); i++ {
				d := delivery{events: make([]Event, size), outcomes: make([]sentOutcome, size)}
				for k := range size {
					seq++
					p := int64((i*size+k)%n + 1)
					d.events[k] = Event{Seq: seq, Name: "vote.recorded", Audience: Audience{Kind: Person, ID: p},
						Data: json.RawMessage(`{"contribution":101,"value":1,"method":"support"}`), At: time.Now()}
					d.outcomes[k] = sentOutcome{c: byParticipant[p].c, out: Outcome{CommandID: "0b6f5c2e-8f3a-4d1e-9c7b-2a1d3e4f5a6b", Seq: seq}}
				}
				r.deliver(d)
				written += 2 * int64(size)
				waitFrames(frames, written)
			}
			b.StopTimer()
			b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "votes/s")
		})
	}
}
