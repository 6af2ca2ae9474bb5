package hub

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// handWritten is a frame that can append its JSON without encoding/json — the ack and the
// event every vote brings back to its voter — byte for byte as json.Marshal would write it.
// When it cannot vouch for that (a string to escape, data to compact or check), it reports
// false and encodeFrame marshals it; TestFramesByHandAsMarshalled and its fuzz target check
// the equality.
type handWritten interface {
	appendJSON(b []byte) ([]byte, bool)
	sizeJSON() int // at least what appendJSON appends
}

// Room for the field names and three int64 in decimal.
func (f *ackFrame) sizeJSON() int   { return 100 + len(f.Type) + len(f.ID) }
func (f *eventFrame) sizeJSON() int { return 140 + len(f.Type) + len(f.Name) + len(f.Data) }

func (f *ackFrame) appendJSON(b []byte) ([]byte, bool) {
	if !plainString(f.Type) || !plainString(f.ID) {
		return b, false
	}
	b = append(b, `{"type":"`...)
	b = append(b, f.Type...)
	b = append(b, `","id":"`...)
	b = append(b, f.ID...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, f.Seq, 10)
	b = append(b, `,"serverTime":`...)
	b = strconv.AppendInt(b, f.ServerTime, 10)
	return append(b, '}'), true
}

func (f *eventFrame) appendJSON(b []byte) ([]byte, bool) {
	if !plainString(f.Type) || !plainString(f.Name) || !compactData(f.Data) {
		return b, false
	}
	b = append(b, `{"type":"`...)
	b = append(b, f.Type...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, f.Seq, 10)
	b = append(b, `,"name":"`...)
	b = append(b, f.Name...)
	b = append(b, `","data":`...)
	b = append(b, f.Data...)
	if f.At != 0 {
		b = append(b, `,"at":`...)
		b = strconv.AppendInt(b, f.At, 10)
	}
	b = append(b, `,"serverTime":`...)
	b = strconv.AppendInt(b, f.ServerTime, 10)
	return append(b, '}'), true
}

// plainString reports whether json.Marshal writes s as is between its quotes: printable
// ASCII, nothing it escapes.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// compactData reports whether json.Marshal would copy d unchanged: valid JSON of printable
// ASCII without spaces (there is then nothing to compact) and nothing it escapes.
func compactData(d json.RawMessage) bool {
	if len(d) == 0 {
		return false
	}
	for _, c := range d {
		if c <= ' ' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return json.Valid(d) && !bytes.Contains(d, []byte(`\u`))
}
