package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/hub/wire/wiretest"
)

func TestServerFrameHeaders(t *testing.T) {
	tests := []struct {
		op     int
		n      int
		header []byte
	}{
		{opText, 0, []byte{0x81, 0}},
		{opText, 5, []byte{0x81, 5}},
		{opText, 125, []byte{0x81, 125}},
		{opText, 126, []byte{0x81, 126, 0, 126}},
		{opText, 127, []byte{0x81, 126, 0, 127}},
		{opText, 65535, []byte{0x81, 126, 0xff, 0xff}},
		{opText, 65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
		{opText, 70000, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70}},
		{opPing, 0, []byte{0x89, 0}},
		{opPong, 3, []byte{0x8a, 3}},
		{opClose, 2, []byte{0x88, 2}},
	}
	for _, tt := range tests {
		payload := bytes.Repeat([]byte{'x'}, tt.n)
		got := newFrame(tt.op, payload)
		if !bytes.Equal(got[:len(tt.header)], tt.header) || !bytes.Equal(got[len(tt.header):], payload) {
			t.Errorf("op %d, %d bytes: got header % x, want % x (then the payload)", tt.op, tt.n, got[:min(len(got), 10)], tt.header)
		}
		if len(got) != cap(got) || headerLen(tt.n) != len(tt.header) {
			t.Errorf("op %d, %d bytes: got len %d cap %d header %d, want an exact buffer and a %d-byte header",
				tt.op, tt.n, len(got), cap(got), headerLen(tt.n), len(tt.header))
		}
		// appendServerFrame after other bytes leaves them alone.
		if b := appendFrame([]byte("ab"), tt.op, payload); !bytes.Equal(b, append([]byte("ab"), got...)) {
			t.Errorf("op %d, %d bytes: appending changes the frame", tt.op, tt.n)
		}
	}
}

// TestGorillaReadsServerFrames: a gorilla client reads the frames the hub writes itself, of
// every length class, pings and the close frame, sent back to back in one write.
func TestGorillaReadsServerFrames(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 70000}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw := &Hijacker{ResponseWriter: w}
		var up websocket.Upgrader
		if _, err := up.Upgrade(hw, r, nil); err != nil {
			return
		}
		var all []byte
		for i, n := range sizes {
			all = appendFrame(all, opText, payloadOf(i, n))
		}
		all = append(all, pingFrame...)
		all = append(all, closeFrame(websocket.CloseTryAgainLater, "too slow")...)
		hw.Socket().Conn.Write(all)
		hw.Socket().Conn.SetReadDeadline(time.Now().Add(wait))
		io.Copy(io.Discard, hw.Socket().Conn) // until the client is done and closes
		hw.Socket().Conn.Close()
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	pinged := false
	ws.SetPingHandler(func(string) error { pinged = true; return nil })
	ws.SetReadDeadline(time.Now().Add(wait))
	for i, n := range sizes {
		typ, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("message %d (%d bytes): %v", i, n, err)
		}
		if typ != websocket.TextMessage || !bytes.Equal(b, payloadOf(i, n)) {
			t.Fatalf("message %d: got type %d, %d bytes, want text of %d bytes as sent", i, typ, len(b), n)
		}
	}
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseTryAgainLater || ce.Text != "too slow" {
		t.Errorf("after the messages: got %v, want close 1013 \"too slow\"", err)
	}
	if !pinged {
		t.Error("the ping frame did not reach the ping handler")
	}
}

func TestCloseFrameTextFitsAndStaysUTF8(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	f := closeFrame(websocket.ClosePolicyViolation, long)
	op, payload, rest, err := wiretest.ParseFrame(f)
	if err != nil || op != opClose || len(rest) != 0 {
		t.Fatalf("got op %d err %v, want one close frame", op, err)
	}
	if len(payload) > maxControlPayload || !strings.HasPrefix(long, string(payload[2:])) || len(payload[2:])%2 != 0 {
		t.Errorf("close payload: got %d bytes %q, want at most %d, whole characters", len(payload), payload[2:], maxControlPayload)
	}
	if got := binary.BigEndian.Uint16(payload); got != websocket.ClosePolicyViolation {
		t.Errorf("close code: got %d, want 1008", got)
	}
}
