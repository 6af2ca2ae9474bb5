package hub

import (
	"encoding/json"
	"strconv"
)

// A frame is a server message that takes its serverTime when it is encoded: for
// per-connection messages, when it is written (conn.appendEntry), so that the client's
// clock estimate is fresh.
type frame interface {
	stamp(serverTime int64)
}

type welcomeFrame struct {
	Type       string `json:"type"` // "welcome"
	V          int    `json:"v"`
	Workshop   int64  `json:"workshop"`
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
	var num [20]byte
	n := strconv.AppendInt(num[:0], serverTime, 10)
	const head, tail = `{"type":"pong","serverTime":`, `}`
	b = append(b, 0x80|opText, byte(len(head)+len(n)+len(tail))) // always under 126 bytes
	b = append(b, head...)
	b = append(b, n...)
	return append(b, tail...)
}
