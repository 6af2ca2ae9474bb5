package liveclient

import (
	"bytes"
	"strconv"
)

// Frame is the top level of a server message, as a reader in a hurry needs it. At ten
// thousand connections the load generator shares the machine with the server it measures, so
// it does not decode whole messages: ScanFrame walks the top level of the JSON object once,
// skipping nested values (a snapshot's state, an event's data) without allocating.
type Frame struct {
	Type       []byte // aliases the frame: valid until the next read
	Name       []byte
	ID         []byte
	Code       []byte
	Data       []byte // raw JSON of "data" (events) or "state" (snapshots)
	Seq        int64
	At         int64 // commit time of an event, Unix ms
	ServerTime int64
}

// ScanFrame fills f from one server frame; false when the frame is not a JSON object.
func ScanFrame(b []byte, f *Frame) bool {
	*f = Frame{}
	m := f
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return true
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] != '"' {
			return false
		}
		kEnd := skipString(b, i)
		if kEnd < 0 {
			return false
		}
		key := b[i+1 : kEnd-1]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		vEnd := skipValue(b, i)
		if vEnd < 0 {
			return false
		}
		v := b[i:vEnd]
		switch string(key) { // the conversion does not allocate in a switch
		case "type":
			m.Type = unquote(v)
		case "name":
			m.Name = unquote(v)
		case "id":
			m.ID = unquote(v)
		case "code":
			m.Code = unquote(v)
		case "seq":
			m.Seq = atoi(v)
		case "at":
			m.At = atoi(v)
		case "serverTime":
			m.ServerTime = atoi(v)
		case "data", "state":
			m.Data = v
		}
		i = vEnd
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the closing quote of the string starting at b[i].
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k := skipString(b, j)
				if k < 0 {
					return -1
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// unquote returns the contents of a JSON string without escapes (types, names, ids and codes
// of this protocol never contain any); other values come back as they are.
func unquote(v []byte) []byte {
	if len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v[1:len(v)-1], '\\') < 0 {
		return v[1 : len(v)-1]
	}
	return v
}

func atoi(v []byte) int64 {
	var n int64
	neg := false
	for k, c := range v {
		switch {
		case c == '-' && k == 0:
			neg = true
		case c >= '0' && c <= '9':
			n = n*10 + int64(c-'0')
		default:
			// A float or an exponent: rare, let strconv decide.
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				return 0
			}
			return int64(f)
		}
	}
	if neg {
		return -n
	}
	return n
}
