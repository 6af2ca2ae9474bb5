package hub

import (
	"bytes"
	"encoding/json"
	"slices"
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

// The welcome and the exact presence go to every connection that joins, each its own: in a
// reconnection storm, ten thousand of each.
func (f *welcomeFrame) sizeJSON() int { return 200 + len(f.Type) + len(f.Role) }
func (f *presenceFrame) sizeJSON() int {
	n := 100 + len(f.Type)
	for k := range f.ByRole {
		n += len(k) + 24
	}
	return n + 24*len(f.ByGroup)
}

func (f *welcomeFrame) appendJSON(b []byte) ([]byte, bool) {
	if !plainString(f.Type) || !plainString(f.Role) {
		return b, false
	}
	b = append(b, `{"type":"`...)
	b = append(b, f.Type...)
	b = append(b, `","v":`...)
	b = strconv.AppendInt(b, int64(f.V), 10)
	b = append(b, `,"workshop":`...)
	b = strconv.AppendInt(b, f.Workshop, 10)
	b = append(b, `,"epoch":`...)
	b = strconv.AppendInt(b, f.Epoch, 10)
	b = append(b, `,"you":`...)
	b = strconv.AppendInt(b, f.You, 10)
	b = append(b, `,"role":"`...)
	b = append(b, f.Role...)
	b = append(b, `","moderator":`...)
	b = strconv.AppendBool(b, f.Moderator)
	b = append(b, `,"group":`...)
	b = strconv.AppendInt(b, f.Group, 10)
	b = append(b, `,"serverTime":`...)
	b = strconv.AppendInt(b, f.ServerTime, 10)
	return append(b, '}'), true
}

func (f *presenceFrame) appendJSON(b []byte) ([]byte, bool) {
	if !plainString(f.Type) {
		return b, false
	}
	b = append(b, `{"type":"`...)
	b = append(b, f.Type...)
	b = append(b, `","online":`...)
	b = strconv.AppendInt(b, int64(f.Online), 10)
	b = append(b, `,"byRole":`...)
	b, ok := appendCounts(b, f.ByRole)
	if !ok {
		return b, false
	}
	b = append(b, `,"byGroup":`...)
	if b, ok = appendCounts(b, f.ByGroup); !ok {
		return b, false
	}
	b = append(b, `,"serverTime":`...)
	b = strconv.AppendInt(b, f.ServerTime, 10)
	return append(b, '}'), true
}

// appendCounts appends m as json.Marshal does: null when nil, keys sorted.
func appendCounts(b []byte, m map[string]int) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	var small [8]string
	keys := small[:0]
	for k := range m {
		if !plainString(k) {
			return b, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(m[k]), 10)
	}
	return append(b, '}'), true
}

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
