package wire

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assises/assises/hub/wire/wiretest"
)

// wait bounds anything a test waits for; it is only reached when a behaviour is missing, so
// it can be generous: a machine loaded by other work must never fail a test.
const wait = 30 * time.Second

// testOptions are a hub's options with a bound of queue entries.
func testOptions(queue int) *Options {
	return &Options{
		Queue:      queue,
		WriteWait:  2 * time.Second,
		CloseGrace: 500 * time.Millisecond,
		PingPeriod: time.Hour,
		Now:        func() int64 { return time.Now().UnixMilli() },
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// newTestConn is a connection without a read side over t.
func newTestConn(t Transport, o *Options) *Conn {
	c := new(Conn)
	c.Init(t, o, nil, nil)
	return c
}

// message is a test's JSON message, encoded when written with the server time.
type message struct {
	Type       string `json:"type"`
	Seq        int64  `json:"seq,omitempty"`
	ID         string `json:"id,omitempty"`
	ServerTime int64  `json:"serverTime"`
}

func (m *message) Frames() int { return 1 }
func (m *message) AppendFrame(b []byte, _ int, now int64) []byte {
	m.ServerTime = now
	p, _ := json.Marshal(m)
	return AppendText(b, p)
}

// messages are several, encoded one frame at a time (a catch-up).
type messages []message

func (ms messages) Frames() int { return len(ms) }
func (ms messages) AppendFrame(b []byte, i int, now int64) []byte {
	return ms[i].AppendFrame(b, 0, now)
}

// event is the shared frame of an event with seq.
func event(seq int64) Entry {
	return Entry{Frame: Text([]byte(`{"type":"event","seq":` + strconv.FormatInt(seq, 10) + `}`))}
}

// decoded parses what was written to ft.
func decoded(t *testing.T, ft *wiretest.Transport) ([]message, bool) {
	t.Helper()
	return wiretest.Decoded[message](t, ft)
}

func seqsOf(t *testing.T, ft *wiretest.Transport) []int64 {
	t.Helper()
	msgs, _ := decoded(t, ft)
	var got []int64
	for _, m := range msgs {
		got = append(got, m.Seq)
	}
	return got
}

// upTo is 1, 2, … n.
func upTo(n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i) + 1
	}
	return out
}

// idle reports whether c's write side has no owner and its outbox is empty.
func idle(c *Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.writing && c.n == 0 && c.q == nil
}

func waitDone(t *testing.T, c *Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(wait):
		t.Fatal("the connection's write side did not end")
	}
}

// payloadOf is n bytes of text that tell message i apart.
func payloadOf(i, n int) []byte {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte('a' + (i+k)%26)
	}
	return b
}

// loopbackPair is a real TCP connection on loopback with small buffers: the server side's
// send buffer and the peer's receive buffer hold a few tens of kilobytes. (Not a few:
// with both tiny, delayed acknowledgements slow loopback down to kilobytes a second.)
func loopbackPair(t *testing.T) (server *net.TCPConn, peer *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	pc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer = pc.(*net.TCPConn)
	peer.SetReadBuffer(32 << 10)
	sc := <-accepted
	if sc == nil {
		t.Fatal("accept failed")
	}
	server = sc.(*net.TCPConn)
	server.SetWriteBuffer(16 << 10)
	t.Cleanup(func() { server.Close(); peer.Close() })
	return server, peer
}

// byteReader reads whole server frames from a stream.
type byteReader struct {
	r   io.Reader
	buf []byte
}

func (b *byteReader) frame() (int, []byte, error) {
	for {
		if op, payload, rest, err := wiretest.ParseFrame(b.buf); err == nil {
			b.buf = rest
			return op, payload, nil
		}
		chunk := make([]byte, 64<<10)
		n, err := b.r.Read(chunk)
		if err != nil {
			return 0, nil, err
		}
		b.buf = append(b.buf, chunk[:n]...)
	}
}

var _ Transport = (*wiretest.Transport)(nil)

// newTransport is a recording transport.
func newTransport(stalled bool) *wiretest.Transport {
	return wiretest.NewTransport(new(atomic.Int64), stalled)
}
