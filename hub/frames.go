package hub

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/assises/assises/hub/wire"
)

// A frame is a server message that takes its serverTime when it is encoded: for
// per-connection messages, when it is written (a wire.Payload), so that the client's
// clock estimate is fresh.
type frame interface {
	wire.Payload
	stamp(serverTime int64)
}

type welcomeFrame struct {
	Type       string `json:"type"` // "welcome"
	V          int    `json:"v"`
	Workshop   int64  `json:"workshop"`
	Epoch      int64  `json:"epoch"`
	You        int64  `json:"you"`
	Role       string `json:"role"`
	Moderator  bool   `json:"moderator"`
	Group      int64  `json:"group"`
	ServerTime int64  `json:"serverTime"`
}

// viewerFrame tells a connection that its role or group changed (after ReloadViewers).
type viewerFrame struct {
	Type       string `json:"type"` // "viewer"
	You        int64  `json:"you"`
	Role       string `json:"role"`
	Moderator  bool   `json:"moderator"`
	Group      int64  `json:"group"`
	ServerTime int64  `json:"serverTime"`
}

type snapshotFrame struct {
	Type       string          `json:"type"` // "snapshot"
	Seq        int64           `json:"seq"`
	State      json.RawMessage `json:"state"`
	ServerTime int64           `json:"serverTime"`
}

type eventFrame struct {
	Type       string          `json:"type"` // "event"
	Seq        int64           `json:"seq"`
	Name       string          `json:"name"`
	Data       json.RawMessage `json:"data"`
	At         int64           `json:"at,omitempty"` // commit time, Unix ms
	ServerTime int64           `json:"serverTime"`
}

type ackFrame struct {
	Type       string `json:"type"` // "ack"
	ID         string `json:"id"`
	Seq        int64  `json:"seq"`
	ServerTime int64  `json:"serverTime"`
}

type rejectFrame struct {
	Type       string `json:"type"` // "reject"
	ID         string `json:"id"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	Detail     string `json:"detail,omitempty"`
	ServerTime int64  `json:"serverTime"`
}

type presenceFrame struct {
	Type       string         `json:"type"` // "presence"
	Online     int            `json:"online"`
	ByRole     map[string]int `json:"byRole"`
	ByGroup    map[string]int `json:"byGroup"`
	ServerTime int64          `json:"serverTime"`
}

type pongFrame struct {
	Type       string `json:"type"` // "pong"
	ServerTime int64  `json:"serverTime"`
}

// errorFrame is the last message before the server closes a connection.
type errorFrame struct {
	Type    string `json:"type"` // "error"
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (f *welcomeFrame) stamp(t int64)  { f.ServerTime = t }
func (f *viewerFrame) stamp(t int64)   { f.ServerTime = t }
func (f *snapshotFrame) stamp(t int64) { f.ServerTime = t }
func (f *eventFrame) stamp(t int64)    { f.ServerTime = t }
func (f *ackFrame) stamp(t int64)      { f.ServerTime = t }
func (f *rejectFrame) stamp(t int64)   { f.ServerTime = t }
func (f *presenceFrame) stamp(t int64) { f.ServerTime = t }
func (f *pongFrame) stamp(t int64)     { f.ServerTime = t }
func (f *errorFrame) stamp(int64)      {}

// Each frame is one wire frame, encoded when written.
func (f *welcomeFrame) Frames() int  { return 1 }
func (f *viewerFrame) Frames() int   { return 1 }
func (f *snapshotFrame) Frames() int { return 1 }
func (f *eventFrame) Frames() int    { return 1 }
func (f *ackFrame) Frames() int      { return 1 }
func (f *rejectFrame) Frames() int   { return 1 }
func (f *presenceFrame) Frames() int { return 1 }
func (f *pongFrame) Frames() int     { return 1 }
func (f *errorFrame) Frames() int    { return 1 }

func (f *welcomeFrame) AppendFrame(b []byte, _ int, now int64) []byte  { return appendText(b, f, now) }
func (f *viewerFrame) AppendFrame(b []byte, _ int, now int64) []byte   { return appendText(b, f, now) }
func (f *snapshotFrame) AppendFrame(b []byte, _ int, now int64) []byte { return appendText(b, f, now) }
func (f *eventFrame) AppendFrame(b []byte, _ int, now int64) []byte    { return appendText(b, f, now) }
func (f *ackFrame) AppendFrame(b []byte, _ int, now int64) []byte      { return appendText(b, f, now) }
func (f *rejectFrame) AppendFrame(b []byte, _ int, now int64) []byte   { return appendText(b, f, now) }
func (f *presenceFrame) AppendFrame(b []byte, _ int, now int64) []byte { return appendText(b, f, now) }
func (f *errorFrame) AppendFrame(b []byte, _ int, now int64) []byte    { return appendText(b, f, now) }

// AppendFrame of a pong is by hand: the read pump writes pongs itself, and encoding/json
// would deepen its stack for good (see conn.handle).
func (f *pongFrame) AppendFrame(b []byte, _ int, now int64) []byte { return appendPong(b, now) }

// appendText appends f, encoded at now, as a complete text frame.
func appendText(b []byte, f frame, now int64) []byte { return wire.AppendText(b, encodeFrame(f, now)) }

// prepare encodes f once, as a complete frame, for every connection of an audience.
func prepare(f frame, serverTime int64) *wire.Frame { return wire.Text(encodeFrame(f, serverTime)) }

// replay is caught-up events, in order: one outbox entry for all of them, encoded a frame
// at a time by the writer.
type replay []Event

func (r replay) Frames() int { return len(r) }
func (r replay) AppendFrame(b []byte, i int, now int64) []byte {
	if r[i].head != nil {
		return appendStamped(b, r[i].head, now)
	}
	return appendText(b, newEventFrame(&r[i]), now)
}

// serverTimeTail is how every event frame ends when encoded at serverTime 0: serverTime is
// its last field, so what comes before is the same whenever the frame is written.
const serverTimeTail = `"serverTime":0}`

// eventHead encodes ev's frame up to and including `"serverTime":`, once for every later
// write of it; nil if the encoding does not end as expected (then each write encodes).
func eventHead(ev *Event) []byte {
	b := encodeFrame(newEventFrame(ev), 0)
	if !bytes.HasSuffix(b, []byte(serverTimeTail)) {
		return nil
	}
	return b[:len(b)-len("0}")]
}

// appendStamped appends the complete frame of an event encoded as head, at serverTime now.
func appendStamped(b, head []byte, now int64) []byte {
	var t [24]byte
	return wire.AppendTextParts(b, head, append(strconv.AppendInt(t[:0], now, 10), '}'))
}

// stampedFrame is the frame of an event encoded as head, at serverTime now, for a whole
// audience.
func stampedFrame(head []byte, now int64) *wire.Frame {
	var t [24]byte
	return wire.TextParts(head, append(strconv.AppendInt(t[:0], now, 10), '}'))
}

func newEventFrame(ev *Event) *eventFrame {
	f := &eventFrame{Type: "event", Seq: ev.Seq, Name: ev.Name, Data: ev.Data}
	if !ev.At.IsZero() {
		f.At = ev.At.UnixMilli()
	}
	return f
}

// encodeFrame stamps and marshals f. Malformed event data from the Backend must not cost
// the client its place in the sequence, so such data is replaced by null and the event
// still goes out.
func encodeFrame(f frame, serverTime int64) []byte {
	f.stamp(serverTime)
	if h, ok := f.(handWritten); ok {
		if b, ok := h.appendJSON(make([]byte, 0, h.sizeJSON())); ok {
			return b
		}
	}
	b, err := json.Marshal(f)
	if err == nil {
		return b
	}
	switch g := f.(type) {
	case *eventFrame:
		g.Data = nil
	case *snapshotFrame:
		g.State = nil
	}
	b, _ = json.Marshal(f) // the remaining fields are plain values
	return b
}

// appendPong appends the complete frame of a pong, exactly as encodeFrame would make its
// payload, without encoding/json.
func appendPong(b []byte, serverTime int64) []byte {
	var p [64]byte
	q := append(p[:0], `{"type":"pong","serverTime":`...)
	q = strconv.AppendInt(q, serverTime, 10)
	return wire.AppendText(b, append(q, '}'))
}
