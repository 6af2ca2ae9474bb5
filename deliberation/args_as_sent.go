package deliberation

import (
	"bytes"
	"strconv"
)

// argsAsSent is implemented by the arguments of the commands sent most often (votes): they
// read the exact form the application sends without encoding/json, which cost as much as
// the rule itself. Anything else (other order or spacing, a value to refuse) reports false
// and decodeStrict decides; FuzzVoteArgsAsSent checks that both agree.
type argsAsSent interface {
	decodeAsSent(raw []byte) bool
}

// decodeAsSent reads {"contribution":N,"value":V}, as cards.js and the load generator write it.
func (a *voteArgs) decodeAsSent(raw []byte) bool {
	rest, ok := bytes.CutPrefix(raw, []byte(`{"contribution":`))
	if !ok {
		return false
	}
	c, rest, ok := jsonInt(rest, 64)
	if !ok {
		return false
	}
	rest, ok = bytes.CutPrefix(rest, []byte(`,"value":`))
	if !ok {
		return false
	}
	v, rest, ok := jsonInt(rest, strconv.IntSize)
	if !ok || string(rest) != "}" {
		return false
	}
	value := int(v)
	a.Contribution, a.Value = c, &value
	return true
}

// jsonInt reads a JSON integer (-?(0|[1-9][0-9]*)) that fits in bits at the start of b.
func jsonInt(b []byte, bits int) (int64, []byte, bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	switch {
	case i == start, b[start] == '0' && i > start+1:
		return 0, b, false
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, b, false // a number encoding/json would refuse or read otherwise
	}
	n, err := strconv.ParseInt(string(b[:i]), 10, bits)
	if err != nil {
		return 0, b, false
	}
	return n, b[i:], true
}
