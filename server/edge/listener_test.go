package edge_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/assises/assises/server/edge"
)

// uploading hears from /upload once it receives its body.
var uploading = make(chan struct{}, 16)

// serve runs an HTTP server on an edge listener: /hold answers when release is closed (a
// request in progress, which may not be shed), /upload reads its body (and may be shed while
// it does), anything else answers at once.
func serve(t *testing.T, cfg edge.Config) (*edge.Listener, string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := edge.Listen(ln, cfg)
	release := make(chan struct{})
	var once sync.Once
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/hold":
				w.WriteHeader(200)
				w.(http.Flusher).Flush()
				<-release
			case "/upload":
				edge.Uploading(r.Context(), true)
				uploading <- struct{}{}
				io.Copy(io.Discard, r.Body)
				edge.Uploading(r.Context(), false)
			}
			io.WriteString(w, "ok")
		}),
		ConnState:   el.ConnState,
		ConnContext: el.ConnContext,
	}
	go srv.Serve(el)
	t.Cleanup(func() { once.Do(func() { close(release) }); srv.Close() })
	return el, ln.Addr().String(), func() { once.Do(func() { close(release) }) }
}

// dial opens a TCP connection from the loopback address from (127.0.0.x: Linux answers on
// the whole 127/8).
func dial(t *testing.T, addr, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ask sends GET path on c and reports whether an answer came (false: the server closed it).
func ask(t *testing.T, c net.Conn, path string) bool {
	t.Helper()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// refusedAtAccept dials from and reports whether the server closed the connection at once
// (the reset may even reach the client while it connects).
func refusedAtAccept(t *testing.T, addr, from string) bool {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return errors.Is(err, syscall.ECONNRESET)
	}
	defer c.Close()
	return closed(t, c)
}

// closed reports whether the server closed c (EOF or reset) before it sent anything.
func closed(t *testing.T, c net.Conn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

// hold opens n connections from one address and waits until the listener counts them open
// (it holds no others).
func hold(t *testing.T, el *edge.Listener, addr, from string, n int) []net.Conn {
	t.Helper()
	var conns []net.Conn
	for range n {
		conns = append(conns, dial(t, addr, from))
	}
	waitOpen(t, el, n)
	return conns
}

func waitOpen(t *testing.T, el *edge.Listener, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		open, _, _ := el.Stats()
		if open == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("open connections: got %d, want %d", open, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// One address holds at most PerAddress connections; the next is closed at accept while
// another address is served, and a place given back can be taken again.
func TestPerAddressCap(t *testing.T) {
	el, addr, _ := serve(t, edge.Config{PerAddress: 3, Max: 100})
	held := hold(t, el, addr, "127.0.0.2", 3)
	if !refusedAtAccept(t, addr, "127.0.0.2") {
		t.Fatal("a fourth connection from 127.0.0.2 was kept, want it closed at accept")
	}
	other := dial(t, addr, "127.0.0.3")
	if !ask(t, other, "/") {
		t.Fatal("127.0.0.3 was not served while 127.0.0.2 was at its cap")
	}
	other.Close()
	if _, refused, _ := el.Stats(); refused != 1 {
		t.Fatalf("refused: got %d, want 1", refused)
	}
	held[0].Close()
	waitOpen(t, el, 2)
	if !ask(t, dial(t, addr, "127.0.0.2"), "/") {
		t.Fatal("127.0.0.2 was not served after giving a place back")
	}
}

// A trusted proxy carries many clients: its connections are not bounded per address.
func TestTrustedProxyNotCapped(t *testing.T) {
	el, addr, _ := serve(t, edge.Config{PerAddress: 1, Max: 100, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.4/32")}})
	hold(t, el, addr, "127.0.0.4", 3)
	if !ask(t, dial(t, addr, "127.0.0.4"), "/") {
		t.Fatal("a fourth connection from the trusted proxy was refused")
	}
}

// When full, a new connection takes the place of the one that has waited longest without a
// request; requests in progress are never shed; with nothing to shed, the new one is closed
// at accept; and everything recovers when places are given back.
func TestFullShedsWaitingThenRefuses(t *testing.T) {
	el, addr, release := serve(t, edge.Config{Max: 3})
	holders := make([]net.Conn, 2)
	for i := range holders {
		holders[i] = dial(t, addr, "127.0.0.5")
		io.WriteString(holders[i], "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, err := http.ReadResponse(bufio.NewReader(holders[i]), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("hold %d: %v", i, err)
		}
	}
	oldest := dial(t, addr, "127.0.0.6")
	waitOpen(t, el, 3)
	newer := dial(t, addr, "127.0.0.6")
	if !closed(t, oldest) {
		t.Fatal("the connection waiting longest was not shed for a new one")
	}
	if !ask(t, newer, "/") {
		t.Fatal("the new connection was not served")
	}
	// newer is idle now (keep-alive): it may be shed in turn; make it busy.
	io.WriteString(newer, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(newer), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("hold on the new connection: %v", err)
	}
	if !refusedAtAccept(t, addr, "127.0.0.7") {
		t.Fatal("with every place busy, a new connection was kept, want it closed at accept")
	}
	for _, c := range holders {
		if !stillOpen(c) {
			t.Fatal("a request in progress was shed")
		}
	}
	_, refused, shed := el.Stats()
	if refused != 1 || shed != 1 {
		t.Fatalf("refused %d, shed %d: want 1 and 1", refused, shed)
	}
	release()
	for _, c := range append(holders, newer) {
		c.Close()
	}
	waitOpen(t, el, 0)
	if !ask(t, dial(t, addr, "127.0.0.7"), "/") {
		t.Fatal("not served after the places were given back")
	}
}

// stillOpen reports that the server has not closed c (a read finds nothing for a moment).
func stillOpen(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// A connection trickling a request body may be shed for a new one when the server is full,
// like a waiting one; a request being answered may not.
func TestFullShedsTricklingUpload(t *testing.T) {
	el, addr, _ := serve(t, edge.Config{Max: 2})
	holder := dial(t, addr, "127.0.0.8")
	io.WriteString(holder, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(holder), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("hold: %v", err)
	}
	slow := dial(t, addr, "127.0.0.8")
	io.WriteString(slow, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\na")
	select {
	case <-uploading:
	case <-time.After(30 * time.Second):
		t.Fatal("the upload never started")
	}
	if !ask(t, dial(t, addr, "127.0.0.9"), "/") {
		t.Fatal("a new connection was not served while the server was full of an upload")
	}
	if !closed(t, slow) {
		t.Fatal("the trickling upload was not shed")
	}
	if !stillOpen(holder) {
		t.Fatal("the request being answered was shed")
	}
	if _, _, shed := el.Stats(); shed != 1 {
		t.Fatalf("shed: got %d, want 1", shed)
	}
}

// When full, an address that already holds its share (here, all of it) is refused at accept
// rather than shedding its own or others' waiting connections, while a newcomer gets in.
func TestFullRefusesAnAddressAtItsShare(t *testing.T) {
	el, addr, _ := serve(t, edge.Config{Max: 4})
	flood := hold(t, el, addr, "127.0.0.11", 4)
	if !refusedAtAccept(t, addr, "127.0.0.11") {
		t.Fatal("a full server kept one more connection of the address that holds them all")
	}
	if _, _, shed := el.Stats(); shed != 0 {
		t.Fatalf("shed %d for the flooding address, want 0", shed)
	}
	if !ask(t, dial(t, addr, "127.0.0.12"), "/") {
		t.Fatal("a newcomer was not served by a full server")
	}
	if !closed(t, flood[0]) {
		t.Fatal("the newcomer did not take the place of the oldest waiting connection")
	}
}
