package server_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assises/assises/server"
	"github.com/assises/assises/server/sitetest"
)

// closeWatch is the server's listener, telling when the server closes a connection, by the
// client's address: the one fact a client that reads nothing cannot see for itself.
type closeWatch struct {
	net.Listener
	mu     sync.Mutex
	closed map[string]chan struct{}
}

func (l *closeWatch) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, done: l.closing(c.RemoteAddr().String())}, nil
}

// closing is the channel closed when the server closes the connection from client.
func (l *closeWatch) closing(client string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch, ok := l.closed[client]
	if !ok {
		ch = make(chan struct{})
		l.closed[client] = ch
	}
	return ch
}

type watchedConn struct {
	net.Conn
	done chan struct{}
	once sync.Once
}

func (c *watchedConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}

// pipeline writes n requests for path on c, one after the other without waiting for answers
// (HTTP/1.1 pipelining: the server answers them in turn), each asking for the file as it is.
func pipeline(c net.Conn, host, path string, n int) {
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept-Encoding: identity\r\n\r\n"
	go io.WriteString(c, strings.Repeat(req, n)) // blocks once the server stops reading; ends when c closes
}

// TestSlowReadersAreCut: a client that asks for large answers and never reads them is cut
// once the server has waited the write deadline on one piece, while other clients are served
// all along; a client that reads slowly but steadily gets every answer, although it takes
// longer in all than the deadline.
func TestSlowReadersAreCut(t *testing.T) {
	d := server.Deadlines{Write: 2 * time.Second}
	watch := &closeWatch{closed: map[string]chan struct{}{}}
	s := edgeSite(t, server.Config{Deadlines: d}, func(l net.Listener) net.Listener { watch.Listener = l; return watch })
	addr := strings.TrimPrefix(s.Server.URL, "http://")
	const asset = "/static/js/moderator.js"
	resp, body := sitetest.Get(t, s.Client(t), s.Server.URL+asset, "Accept-Encoding", "identity")
	if resp.StatusCode != 200 || len(body) < 16<<10 {
		t.Fatalf("%s: %d, %d bytes; want a file of some size to ask for many times", asset, resp.StatusCode, len(body))
	}
	healthy := func() {
		t.Helper()
		if resp, _ := sitetest.Get(t, &http.Client{Timeout: 30 * time.Second}, s.Server.URL+"/healthz"); resp.StatusCode != 200 {
			t.Errorf("healthz while a client stalls: got %d, want 200", resp.StatusCode)
		}
	}

	t.Run("never reads", func(t *testing.T) {
		// 400 answers (about 11 MB) are more than the kernel's buffers on both sides hold.
		const asked = 400
		start := time.Now()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		pipeline(c, addr, asset, asked)
		cut := watch.closing(c.LocalAddr().String())
		bound := time.NewTimer(60 * time.Second)
		defer bound.Stop()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
	wait:
		for {
			select {
			case <-cut:
				break wait
			case <-bound.C:
				t.Fatal("the server still holds a client that has read nothing for 60 s: not cut")
			case <-tick.C:
				healthy()
			}
		}
		took := time.Since(start)
		if took < d.Write {
			t.Errorf("cut after %v, before its deadline %v", took, d.Write)
		}
		t.Logf("cut after %v (deadline %v on a stalled piece)", took, d.Write)
		// What the client gets now is what the buffers held, then the end: not every answer.
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		got, _ := io.ReadAll(c)
		if n := bytes.Count(got, []byte("HTTP/1.1 200 OK")); n >= asked {
			t.Errorf("the client got all %d answers; want it cut before", n)
		} else {
			t.Logf("it had been sent %d of its %d answers", n, asked)
		}
		healthy()
	})

	t.Run("reads slowly", func(t *testing.T) {
		// 80 answers (about 2.2 MB) read 8 KiB at a time, 10 ms apart: at least 2.7 s in all,
		// longer than the deadline, never a pause near it.
		const asked = 80
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		pipeline(c, addr, asset, asked)
		want := asked * (len(body) + len("HTTP/1.1 200 OK"))
		var got []byte
		buf := make([]byte, 8<<10)
		c.SetReadDeadline(time.Now().Add(120 * time.Second))
		for bytes.Count(got, []byte("HTTP/1.1 200 OK")) < asked || len(got) < want {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("after %d answers (%d bytes): %v; want all %d", bytes.Count(got, []byte("HTTP/1.1 200 OK")), len(got), err, asked)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
