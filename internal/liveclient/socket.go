package liveclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The wire half of the client: opening a socket, the hello and welcome, writing commands and
// pings, reading whole frames. Client (liveclient.go) keeps a participant's state on top of
// it for the tests; the load generator keeps its own measurements on top of it, and must stay
// cheap at ten thousand sockets: frames are read into pooled buffers and commands are written
// without encoding/json.

// Dialer opens sockets to one server, from several 127.0.0.x source addresses when given: one
// address has about 28,000 ephemeral ports towards one server port.
type Dialer struct {
	url, origin string
	ws          []*websocket.Dialer // one per source address
}

// NewDialer returns a dialer for wsURL (ws://host:port/ws) that sends origin as a browser
// would. Without sources the system picks the address.
func NewDialer(wsURL, origin string, sources []net.IP) *Dialer {
	d := &Dialer{url: wsURL, origin: origin}
	pool := &sync.Pool{} // idle connections need no write buffer of their own
	if len(sources) == 0 {
		sources = []net.IP{nil}
	}
	for _, ip := range sources {
		nd := &net.Dialer{Timeout: 30 * time.Second}
		if ip != nil {
			nd.LocalAddr = &net.TCPAddr{IP: ip}
		}
		d.ws = append(d.ws, &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: 30 * time.Second,
			ReadBufferSize:   2048,
			WriteBufferSize:  512,
			WriteBufferPool:  pool,
		})
	}
	return d
}

// Join says who joins which workshop, from where in the stream.
type Join struct {
	Cookie   string // the Cookie header: the session cookie, and the language choice if any
	Workshop int64
	Since    int64 // 0: a snapshot; otherwise the events after this seq (resume)
	Epoch    int64 // the log epoch of the welcome Since was counted under (0: none, a snapshot)
	Source   int   // which source address (taken modulo their number)
}

// URL is the WebSocket address the dialer connects to.
func (d *Dialer) URL() string { return d.url }

// Open opens a socket as a browser would (Origin, cookie) and says nothing: the handshake
// alone, which the load generator times as the cost of a connection as such.
func (d *Dialer) Open(ctx context.Context, cookie string, source int) (*websocket.Conn, error) {
	h := http.Header{}
	h.Set("Origin", d.origin)
	h.Set("Cookie", cookie)
	conn, resp, err := d.ws[source%len(d.ws)].DialContext(ctx, d.url, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("liveclient: dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("liveclient: dial: %w", err)
	}
	return conn, nil
}

// Join opens a socket, says hello and reads the welcome. What follows (the snapshot or the
// replay, then live events) is for the caller to read.
func (d *Dialer) Join(ctx context.Context, j Join) (*Socket, Message, error) {
	conn, err := d.Open(ctx, j.Cookie, j.Source)
	if err != nil {
		return nil, Message{}, err
	}
	s := &Socket{conn: conn}
	hello := `{"type":"hello","v":1,"workshop":` + strconv.FormatInt(j.Workshop, 10) + `,"since":` + strconv.FormatInt(j.Since, 10)
	if j.Epoch != 0 {
		hello += `,"epoch":` + strconv.FormatInt(j.Epoch, 10)
	}
	hello += `}`
	if err := s.write([]byte(hello)); err != nil {
		conn.Close()
		return nil, Message{}, fmt.Errorf("liveclient: hello: %w", err)
	}
	b, err := s.Next(nil, 30*time.Second)
	if err != nil {
		conn.Close()
		return nil, Message{}, fmt.Errorf("liveclient: welcome: %w", err)
	}
	var w Message
	if err := json.Unmarshal(b, &w); err != nil || w.Type != "welcome" {
		conn.Close()
		return nil, Message{}, fmt.Errorf("liveclient: got %q %s %s before welcome", w.Type, w.Code, w.Message)
	}
	return s, w, nil
}

// Socket is one open connection. Writes may come from several goroutines; one goroutine reads.
type Socket struct {
	conn *websocket.Conn
	wmu  sync.Mutex // one writer at a time
}

// writeWait bounds a write: a server that stops reading cannot hang the client.
const writeWait = 10 * time.Second

func (s *Socket) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(writeWait))
	return s.conn.WriteMessage(websocket.TextMessage, b)
}

// Command writes a command; args is its JSON object. Ids and names are written as they are
// when they need no escaping (the protocol's always do), so a command costs one allocation.
func (s *Socket) Command(id, name string, args []byte) error {
	return s.write(appendCommand(make([]byte, 0, 96+len(args)), id, name, args))
}

// appendCommand appends a command message to b.
func appendCommand(b []byte, id, name string, args []byte) []byte {
	b = append(b, `{"type":"command","id":`...)
	b = appendString(b, id)
	b = append(b, `,"name":`...)
	b = appendString(b, name)
	b = append(b, `,"args":`...)
	b = append(b, args...)
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Ping asks the server for a pong (a protocol message, not a WebSocket ping).
func (s *Socket) Ping() error { return s.write([]byte(`{"type":"ping"}`)) }

// Next reads one whole frame into buf (which it may grow) and returns it. A timeout of 0
// waits for ever.
func (s *Socket) Next(buf []byte, timeout time.Duration) ([]byte, error) {
	if timeout > 0 {
		s.conn.SetReadDeadline(time.Now().Add(timeout))
		defer s.conn.SetReadDeadline(time.Time{})
	}
	_, r, err := s.conn.NextReader()
	if err != nil {
		return buf, err
	}
	return readAll(r, buf[:0])
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Read hands every frame to fn, with the time it was read, until the connection ends; it
// returns why. The frame is only valid during fn: the buffers are reused.
func (s *Socket) Read(fn func(frame []byte, at time.Time)) error {
	for {
		_, r, err := s.conn.NextReader()
		if err != nil {
			return err
		}
		bp := bufPool.Get().(*[]byte)
		buf, err := readAll(r, (*bp)[:0])
		*bp = buf[:0]
		if err == nil {
			fn(buf, time.Now())
		} // otherwise the next NextReader reports the broken connection
		bufPool.Put(bp)
	}
}

func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Drop cuts the socket without a close handshake, like a phone losing its network.
func (s *Socket) Drop() { s.conn.NetConn().Close() }

// Leave says goodbye with a close frame; the reader then sees the server's close. Close
// the socket afterwards.
func (s *Socket) Leave() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
}

// Close closes the connection.
func (s *Socket) Close() error { return s.conn.Close() }

// ErrNotConnected is what writing to a client between connections returns.
var ErrNotConnected = errors.New("liveclient: not connected")

// Command ids are UUID-shaped (the hub accepts nothing else): a random prefix per process and
// a counter, cheaper than crypto/rand per command and still unique across runs.
var (
	idPrefix  = randomHex(10)
	idCounter atomic.Uint64
)

// NewCommandID returns a fresh command id.
func NewCommandID() string {
	n := idCounter.Add(1)
	var b [36]byte
	copy(b[:], idPrefix[:8])
	b[8] = '-'
	copy(b[9:], idPrefix[8:12])
	b[13] = '-'
	copy(b[14:], idPrefix[12:16])
	b[18] = '-'
	copy(b[19:], idPrefix[16:20])
	b[23] = '-'
	const digits = "0123456789abcdef"
	for i := 35; i >= 24; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
