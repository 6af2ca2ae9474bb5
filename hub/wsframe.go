package hub

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// WebSocket opcodes of the frames the hub writes (RFC 6455, section 5.2).
const (
	opText  = websocket.TextMessage  // 1
	opClose = websocket.CloseMessage // 8
	opPing  = websocket.PingMessage  // 9
	opPong  = websocket.PongMessage  // 10
)

// maxControlPayload is the largest payload of a control frame (RFC 6455, 5.5).
const maxControlPayload = 125

// appendServerFrame appends a complete, final, unmasked server frame to dst. Compression
// is off and servers do not mask, so a frame is its two-to-ten-byte header and the
// payload as is: the hub encodes each message once per audience and every connection of
// that audience writes the same bytes.
func appendServerFrame(dst []byte, opcode int, payload []byte) []byte {
	const fin = 0x80
	n := len(payload)
	switch {
	case n <= 125:
		dst = append(dst, fin|byte(opcode), byte(n))
	case n <= 0xffff:
		dst = append(dst, fin|byte(opcode), 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, fin|byte(opcode), 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// frameHeaderLen is the length of the header appendServerFrame writes for n bytes.
func frameHeaderLen(n int) int {
	switch {
	case n <= 125:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// serverFrame is appendServerFrame into a buffer of its own, of exactly the right size.
func serverFrame(opcode int, payload []byte) []byte {
	return appendServerFrame(make([]byte, 0, frameHeaderLen(len(payload))+len(payload)), opcode, payload)
}

// wireFrame is a complete text frame encoded once and shared by every connection it goes
// to (a broadcast event, presence, a private event): it replaces gorilla's
// PreparedMessage, which the hub no longer needs since it writes frames itself.
type wireFrame struct{ b []byte }

// prepare encodes f once, as a complete frame, for every connection of an audience.
func prepare(f frame, serverTime int64) *wireFrame {
	return &wireFrame{b: serverFrame(opText, encodeFrame(f, serverTime))}
}

// pingFrame is the server's ping: no payload.
var pingFrame = serverFrame(opPing, nil)

// closeFrame is a close frame with code and text (text cut to fit a control frame).
func closeFrame(code int, text string) []byte {
	if code == websocket.CloseNoStatusReceived {
		return serverFrame(opClose, nil)
	}
	if len(text) > maxControlPayload-2 {
		cut := maxControlPayload - 2
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut-- // never split a character: the peer checks the text is UTF-8
		}
		text = text[:cut]
	}
	return serverFrame(opClose, websocket.FormatCloseMessage(code, text))
}
