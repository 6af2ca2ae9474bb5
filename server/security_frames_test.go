package server_test

import (
	"encoding/binary"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
)

// rawFrame builds a masked client frame (clients must mask) with the given header length
// field, whatever the payload really is: a liar's frame.
func rawFrame(fin bool, opcode byte, claimed uint64, payload []byte) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	switch {
	case claimed < 126:
		f = append(f, 0x80|byte(claimed))
	case claimed <= 0xFFFF:
		f = append(f, 0x80|126, byte(claimed>>8), byte(claimed))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, claimed)
	}
	mask := []byte{1, 2, 3, 4}
	f = append(f, mask...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	return f
}

// closeCode waits for the server to close the connection and returns the close code.
func closeCode(t *testing.T, ws *websocket.Conn) int {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			t.Fatalf("the connection ended without a close frame: %v", err)
		}
	}
}

// TestLyingAndEndlessFrames: a frame that claims a terabyte, and a message sent as endless
// fragments, are both closed with 1009 without the server reserving that memory (docs/security.md,
// item 5).
func TestLyingAndEndlessFrames(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	w := s.Workshop(t, "A")
	p := s.Join(t, "P", "Org", record.RoleParticipant, w)
	dial := func() *websocket.Conn {
		h := http.Header{}
		h.Set("Origin", s.Server.URL)
		h.Set("Cookie", p.Cookie.String())
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.Server.URL, "http")+"/ws", h)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()

	liar := dial()
	if _, err := liar.UnderlyingConn().Write(rawFrame(true, websocket.TextMessage, 1<<40, []byte(`{"type":"hello"`))); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, liar); code != websocket.CloseMessageTooBig {
		t.Errorf("a frame claiming 1 TiB: closed with %d, want 1009", code)
	}

	endless := dial()
	chunk := []byte(strings.Repeat("x", 1000))
	conn := endless.UnderlyingConn()
	go func() {
		// Keep sending continuation frames, never the last one, until the server hangs up.
		if _, err := conn.Write(rawFrame(false, websocket.TextMessage, uint64(len(chunk)), chunk)); err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			if _, err := conn.Write(rawFrame(false, 0, uint64(len(chunk)), chunk)); err != nil {
				return
			}
		}
	}()
	if code := closeCode(t, endless); code != websocket.CloseMessageTooBig {
		t.Errorf("endless fragments: closed with %d, want 1009", code)
	}
	// The server's side of a connection it hung up on ends on its own goroutines: what they
	// held is freed once they are gone, so the heap is read again until it is back, for as
	// long as a busy machine may take. Memory kept for good would stay.
	grown := int64(heap()) - int64(before)
	for end := time.Now().Add(30 * time.Second); grown > 8<<20 && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		grown = int64(heap()) - int64(before)
	}
	if grown > 8<<20 {
		t.Errorf("the heap grew by %d MiB while refusing them, want it flat", grown>>20)
	}
}
