package hub

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// parseServerFrame splits the first frame off data: a final, unmasked server frame.
func parseServerFrame(data []byte) (op int, payload, rest []byte, err error) {
	if len(data) < 2 {
		return 0, nil, nil, fmt.Errorf("frame header: %d bytes left", len(data))
	}
	if data[0]&0xf0 != 0x80 {
		return 0, nil, nil, fmt.Errorf("frame header %#x: want FIN and no reserved bits", data[0])
	}
	if data[1]&0x80 != 0 {
		return 0, nil, nil, errors.New("a server frame is masked")
	}
	op = int(data[0] & 0x0f)
	n, head := int(data[1]&0x7f), 2
	switch n {
	case 126:
		if len(data) < 4 {
			return 0, nil, nil, errors.New("short 16-bit length")
		}
		n, head = int(binary.BigEndian.Uint16(data[2:4])), 4
	case 127:
		if len(data) < 10 {
			return 0, nil, nil, errors.New("short 64-bit length")
		}
		n, head = int(binary.BigEndian.Uint64(data[2:10])), 10
	}
	if len(data) < head+n {
		return 0, nil, nil, fmt.Errorf("frame of %d bytes: %d left", n, len(data)-head)
	}
	return op, data[head : head+n], data[head+n:], nil
}

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
		got := serverFrame(tt.op, payload)
		if !bytes.Equal(got[:len(tt.header)], tt.header) || !bytes.Equal(got[len(tt.header):], payload) {
			t.Errorf("op %d, %d bytes: got header % x, want % x (then the payload)", tt.op, tt.n, got[:min(len(got), 10)], tt.header)
		}
		if len(got) != cap(got) || frameHeaderLen(tt.n) != len(tt.header) {
			t.Errorf("op %d, %d bytes: got len %d cap %d header %d, want an exact buffer and a %d-byte header",
				tt.op, tt.n, len(got), cap(got), frameHeaderLen(tt.n), len(tt.header))
		}
		// appendServerFrame after other bytes leaves them alone.
		if b := appendServerFrame([]byte("ab"), tt.op, payload); !bytes.Equal(b, append([]byte("ab"), got...)) {
			t.Errorf("op %d, %d bytes: appending changes the frame", tt.op, tt.n)
		}
	}
}

// TestGorillaReadsServerFrames: a gorilla client reads the frames the hub writes itself, of
// every length class, pings and the close frame, sent back to back in one write.
func TestGorillaReadsServerFrames(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 70000}
	h := bareRoom(t, nil).h
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw := &hijackWriter{ResponseWriter: w}
		if _, err := h.upgrader.Upgrade(hw, r, nil); err != nil {
			return
		}
		var all []byte
		for i, n := range sizes {
			all = appendServerFrame(all, opText, payloadOf(i, n))
		}
		all = append(all, pingFrame...)
		all = append(all, closeFrame(websocket.CloseTryAgainLater, "too slow")...)
		hw.sc.Conn.Write(all)
		hw.sc.Conn.SetReadDeadline(time.Now().Add(wait))
		io.Copy(io.Discard, hw.sc.Conn) // until the client is done and closes
		hw.sc.Conn.Close()
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

// payloadOf is n bytes of text that tell message i apart.
func payloadOf(i, n int) []byte {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte('a' + (i+k)%26)
	}
	return b
}

func TestCloseFrameTextFitsAndStaysUTF8(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	f := closeFrame(websocket.ClosePolicyViolation, long)
	op, payload, rest, err := parseServerFrame(f)
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

// TestPongByHand: the pong the read pump encodes by hand is the frame of what
// encodeFrame makes of a pongFrame.
func TestPongByHand(t *testing.T) {
	for _, ts := range []int64{0, 5, 1_800_000_000_123, -1} {
		want := serverFrame(opText, encodeFrame(&pongFrame{Type: "pong"}, ts))
		if got := appendPong(nil, ts); !bytes.Equal(got, want) {
			t.Errorf("serverTime %d: got %q, want %q", ts, got, want)
		}
	}
}
