package deliberation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// fingerprintOf is fingerprint, without decoding and re-encoding arguments that are already
// canonical: a flat object, keys sorted, no spacing, plain ASCII strings, numbers, booleans
// and nulls, which is what clients send (a vote is {"contribution":12,"value":1}). For those
// canonicalJSON would return the same bytes; FuzzFingerprintOf checks that it always does.
func fingerprintOf(name string, raw json.RawMessage) string {
	if !canonicalFlat(raw) {
		return fingerprint(name, raw)
	}
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalFlat reports whether raw is a JSON object that canonicalJSON leaves as it is, by the
// simple rules above (anything else, canonical or not, goes the long way).
func canonicalFlat(raw []byte) bool {
	n := len(raw)
	if n < 2 || n > maxArgsBytes || raw[0] != '{' || raw[n-1] != '}' {
		return false
	}
	if n == 2 {
		return true
	}
	var prev []byte
	i := 1
	for {
		key, j, ok := plainString(raw, i)
		if !ok || (prev != nil && string(key) <= string(prev)) || j >= n || raw[j] != ':' {
			return false
		}
		prev = key
		if i, ok = plainValue(raw, j+1); !ok || i >= n {
			return false
		}
		switch raw[i] {
		case ',':
			i++
		case '}':
			return i == n-1
		default:
			return false
		}
	}
}

// plainString reads a string at raw[i] made of printable ASCII that json.Marshal writes as it
// is (no escape, no <, >, &), and returns its content and the index after it.
func plainString(raw []byte, i int) ([]byte, int, bool) {
	if i >= len(raw) || raw[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(raw); j++ {
		switch c := raw[j]; {
		case c == '"':
			return raw[i+1 : j], j + 1, true
		case c < 0x20 || c > 0x7e || c == '\\' || c == '<' || c == '>' || c == '&':
			return nil, j, false
		}
	}
	return nil, len(raw), false
}

// plainValue reads a string, a number, true, false or null at raw[i] and returns the index
// after it.
func plainValue(raw []byte, i int) (int, bool) {
	if i >= len(raw) {
		return i, false
	}
	switch raw[i] {
	case '"':
		_, j, ok := plainString(raw, i)
		return j, ok
	case 't':
		return literal(raw, i, "true")
	case 'f':
		return literal(raw, i, "false")
	case 'n':
		return literal(raw, i, "null")
	}
	return number(raw, i)
}

func literal(raw []byte, i int, lit string) (int, bool) {
	if len(raw)-i >= len(lit) && string(raw[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, the JSON grammar.
func number(raw []byte, i int) (int, bool) {
	digits := func(i int) int {
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(raw) && raw[i] == '-' {
		i++
	}
	switch {
	case i < len(raw) && raw[i] == '0':
		i++
	case i < len(raw) && raw[i] >= '1' && raw[i] <= '9':
		i = digits(i)
	default:
		return i, false
	}
	if i < len(raw) && raw[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}
