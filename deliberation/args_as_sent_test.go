package deliberation

import (
	"reflect"
	"testing"
)

func TestVoteArgsAsSent(t *testing.T) {
	one, zero, minus := 1, 0, -1
	tests := []struct {
		raw  string
		ok   bool
		want voteArgs
	}{
		{`{"contribution":42,"value":1}`, true, voteArgs{Contribution: 42, Value: &one}},
		{`{"contribution":7,"value":0}`, true, voteArgs{Contribution: 7, Value: &zero}},
		{`{"contribution":7,"value":-1}`, true, voteArgs{Contribution: 7, Value: &minus}},
		// Left to the strict decoder: another spelling, or something to refuse.
		{`{"value":1,"contribution":42}`, false, voteArgs{}},
		{`{"contribution":42, "value":1}`, false, voteArgs{}},
		{`{"contribution":42,"value":null}`, false, voteArgs{}},
		{`{"contribution":42,"value":1.0}`, false, voteArgs{}},
		{`{"contribution":042,"value":1}`, false, voteArgs{}},
		{`{"contribution":42,"value":1,"x":2}`, false, voteArgs{}},
		{`{"contribution":99999999999999999999,"value":1}`, false, voteArgs{}},
		{`{"contribution":42,"value":1}x`, false, voteArgs{}},
		{`{"contribution":-,"value":1}`, false, voteArgs{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			var got voteArgs
			ok := got.decodeAsSent([]byte(tt.raw))
			if ok != tt.ok || (ok && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("got %v %+v, want %v %+v", ok, got, tt.ok, tt.want)
			}
		})
	}
}

// FuzzVoteArgsAsSent checks that whatever the fast reading of a vote's arguments accepts,
// the strict decoder accepts too, with the same values.
func FuzzVoteArgsAsSent(f *testing.F) {
	for _, s := range []string{`{"contribution":42,"value":1}`, `{"contribution":-0,"value":-1}`,
		`{"contribution":9223372036854775807,"value":2}`, `{"contribution":1,"value":1e2}`, `{"contribution":1,"value":01}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fast voteArgs
		if !fast.decodeAsSent(raw) {
			return
		}
		var strict voteArgs
		if r := decodeStrict(raw, &strict); !r.ok() {
			t.Fatalf("%q: the fast reading accepted what decodeStrict refuses (%s)", raw, r.Message)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("%q: got %+v, decodeStrict %+v", raw, fast, strict)
		}
	})
}

// BenchmarkVoteArgs decodes a vote's arguments the way the engine does (as sent first) and
// with decodeStrict alone.
func BenchmarkVoteArgs(b *testing.B) {
	raw := []byte(`{"contribution":42,"value":1}`)
	dec := commandSpecs["vote.set"].decode
	b.Run("as-sent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, r := dec(raw); !r.ok() {
				b.Fatal(r)
			}
		}
	})
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var a voteArgs
			if r := decodeStrict(raw, &a); !r.ok() {
				b.Fatal(r)
			}
		}
	})
}
