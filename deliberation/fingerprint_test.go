package deliberation

import (
	"encoding/json"
	"testing"
)

func TestFingerprintOfCanonicalArgs(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		fast bool
	}{
		{`{"contribution":12,"value":1}`, true},
		{`{}`, true},
		{`{"a":-0.5e+3,"b":"x y","c":true,"d":null,"e":false}`, true},
		{`{"value":1,"contribution":12}`, false}, // keys out of order
		{`{"contribution": 12}`, false},          // spacing
		{`{"a":1,"a":2}`, false},                 // a key twice
		{`{"a":"<b>"}`, false},                   // json.Marshal escapes <
		{`{"a":"é"}`, false},                     // not ASCII
		{`{"a":[1]}`, false},                     // not flat
		{`{"a":01}`, false},
		{`{"a":1.}`, false},
		{`{"a":1}x}`, false},
		{` {"a":1}`, false},
		{`null`, false},
	} {
		if got := canonicalFlat([]byte(tc.raw)); got != tc.fast {
			t.Errorf("canonicalFlat(%s) = %v, want %v", tc.raw, got, tc.fast)
		}
		if got, want := fingerprintOf("vote.set", json.RawMessage(tc.raw)), fingerprint("vote.set", json.RawMessage(tc.raw)); got != want {
			t.Errorf("fingerprintOf(%s) = %s, want %s", tc.raw, got, want)
		}
	}
}

// FuzzFingerprintOf: the short way gives the fingerprint of the long way, always (a resent
// command must keep matching the record written before).
func FuzzFingerprintOf(f *testing.F) {
	for _, s := range []string{`{"contribution":12,"value":1}`, `{}`, `{"a":-0.5e+3,"b":"x","c":true,"d":null}`,
		`{"b":1,"a":2}`, `{"a":"\u003c"}`, `{"a":1e400}`, `{"a":"x\ty"}`, `{"":1}`, `{"a":1,"a":1}`, `{"a":{"b":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if got, want := fingerprintOf("x", raw), fingerprint("x", raw); got != want {
			t.Errorf("fingerprintOf(%q) = %s, want %s (canonical %q)", raw, got, want, canonicalJSON(raw))
		}
	})
}
