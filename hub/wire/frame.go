package wire

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// WebSocket opcodes of the frames a server writes (RFC 6455, section 5.2).
const (
	opText  = websocket.TextMessage  // 1
	opClose = websocket.CloseMessage // 8
	opPing  = websocket.PingMessage  // 9
	opPong  = websocket.PongMessage  // 10
)

// maxControlPayload is the largest payload of a control frame (RFC 6455, 5.5).
const maxControlPayload = 125

// AppendText appends a complete, final, unmasked text frame to dst. Compression is off and
// servers do not mask, so a frame is its two-to-ten-byte header and the payload as is:
// a message encoded once is the same bytes for every connection of its audience.
func AppendText(dst, payload []byte) []byte { return appendFrame(dst, opText, payload) }

// AppendTextParts appends a text frame whose payload is head then tail, without joining
// them first: a message encoded once up to a field that changes with each write (the
// server's time of a replayed event) costs a copy, not an encoding.
func AppendTextParts(dst, head, tail []byte) []byte {
	dst = appendHeader(dst, opText, len(head)+len(tail))
	return append(append(dst, head...), tail...)
}

// TextParts is Text of head then tail.
func TextParts(head, tail []byte) *Frame {
	n := len(head) + len(tail)
	return &Frame{b: AppendTextParts(make([]byte, 0, headerLen(n)+n), head, tail)}
}

func appendFrame(dst []byte, opcode int, payload []byte) []byte {
	return append(appendHeader(dst, opcode, len(payload)), payload...)
}

// appendHeader appends the header of a final, unmasked frame of n bytes.
func appendHeader(dst []byte, opcode int, n int) []byte {
	const fin = 0x80
	switch {
	case n <= 125:
		dst = append(dst, fin|byte(opcode), byte(n))
	case n <= 0xffff:
		dst = append(dst, fin|byte(opcode), 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, fin|byte(opcode), 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return dst
}

// headerLen is the length of the header appendFrame writes for n bytes.
func headerLen(n int) int {
	switch {
	case n <= 125:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// newFrame is appendFrame into a buffer of its own, of exactly the right size.
func newFrame(opcode int, payload []byte) []byte {
	return appendFrame(make([]byte, 0, headerLen(len(payload))+len(payload)), opcode, payload)
}

// Frame is a complete text frame encoded once and shared by every connection it goes to
// (a broadcast event, presence, a private event).
type Frame struct{ b []byte }

// Text makes the frame of a text message.
func Text(payload []byte) *Frame { return &Frame{b: newFrame(opText, payload)} }

// Bytes are the frame as written, header included.
func (f *Frame) Bytes() []byte { return f.b }

// pingFrame is the server's ping: no payload.
var pingFrame = newFrame(opPing, nil)

// closeFrame is a close frame with code and text (text cut to fit a control frame).
func closeFrame(code int, text string) []byte {
	if code == websocket.CloseNoStatusReceived {
		return newFrame(opClose, nil)
	}
	if len(text) > maxControlPayload-2 {
		cut := maxControlPayload - 2
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut-- // never split a character: the peer checks the text is UTF-8
		}
		text = text[:cut]
	}
	return newFrame(opClose, websocket.FormatCloseMessage(code, text))
}

// Payload is an entry encoded when it is written rather than when it is queued: a message
// for one connection (an ack, a refusal) takes its server time then, so that the client's
// clock estimate is fresh; a long one (a catch-up of many events) is encoded by the writer
// goroutine, a frame at a time, in several socket writes.
type Payload interface {
	// Frames is how many frames the payload is.
	Frames() int
	// AppendFrame appends frame i (0 ≤ i < Frames()), complete, encoded at server time now
	// (Unix milliseconds).
	AppendFrame(b []byte, i int, now int64) []byte
}

// Raw is bytes written as they are: complete frames, or the rest of one.
type Raw []byte

func (Raw) Frames() int                                   { return 1 }
func (r Raw) AppendFrame(b []byte, _ int, _ int64) []byte { return append(b, r...) }

// Frames are shared frames written together, in order: the events of one commit for one
// connection take one slot of its outbox.
type Frames []*Frame

func (fs Frames) Frames() int                                 { return len(fs) }
func (fs Frames) AppendFrame(b []byte, i int, _ int64) []byte { return append(b, fs[i].b...) }
