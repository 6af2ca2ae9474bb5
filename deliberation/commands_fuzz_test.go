package deliberation

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	``, `null`, `{}`, `[]`, `"text"`, `42`, `{`, `}`, `{"a":1}{"b":2}`, `{} trailing`,
	`{"phase":"diagnostic"}`, `{"phase":"diagnostic","text":"Quels constats ?"}`,
	`{"seconds":60}`, `{"seconds":1e400}`, `{"seconds":-9223372036854775809}`, `{"seconds":"60"}`,
	`{"locked":true}`, `{"locked":null}`, `{"on":1}`, `{"hidden":false}`, `{"mode":"full"}`,
	`{"phase":"diagnostic","method":"dots","budget":5,"maxPerItem":2}`,
	`{"id":1}`, `{"id":1,"reason":"\u202e"}`, `{"id":1,"pinned":true}`, `{"from":[1,2,3],"into":4}`,
	`{"from":[1,"2"],"into":4}`, `{"from":{"0":1},"into":4}`,
	`{"contribution":1,"label":"Salle","yes":1,"neutral":2,"no":3}`,
	`{"kind":"finding","body":"x"}`, `{"kind":"step","body":"x","parent":1,"who":"a","how":"b","when":"c"}`,
	`{"kind":"recommendation","body":"x","links":[1,2,3],"onBehalfOf":"Table"}`,
	`{"kind":"finding","body":"x","lang":"nl"}`, `{"kind":"finding","body":"x","lang":["nl"]}`,
	`{"id":1,"lang":"fr","body":"Les délais"}`, `{"id":1,"lang":"","body":""}`, `{"id":1,"lang":null,"body":"x"}`,
	`{"id":1,"body":"x","who":null}`, `{"contribution":1,"body":"\u0000"}`, `{"contribution":1,"value":null}`,
	`{"contribution":1,"value":1.5}`, `{"ID":1,"Id":2,"id":3}`, `{"__proto__":{}}`,
	`{"body":"` + strings.Repeat(`\u202e`, 3000) + `"}`, strings.Repeat(`[`, 5000),
}

// FuzzDecodeArgs: hostile arguments never panic the decoder, and what it accepts is well formed.
func FuzzDecodeArgs(f *testing.F) {
	names := CommandNames()
	sort.Strings(names)
	for i, seed := range fuzzSeeds {
		f.Add(names[i%len(names)], seed)
	}
	for _, name := range names {
		f.Add(name, `{}`)
	}
	f.Fuzz(func(t *testing.T, name, raw string) {
		for _, n := range []string{name, names[len(raw)%len(names)]} {
			_, args, r := decodeCommand(n, json.RawMessage(raw))
			if r.ok() == (args == nil) {
				t.Fatalf("%s %q: got args %v with refusal %q", n, raw, args, r.Code)
			}
			if !r.ok() && r.Message == "" {
				t.Fatalf("%s %q: refusal %q without a message", n, raw, r.Code)
			}
		}
		if len(fingerprint(name, json.RawMessage(raw))) != 64 {
			t.Fatal("fingerprint is not a sha256 hex")
		}
		for _, kind := range []textKind{multiLine, singleLine} {
			out, r := cleanText(raw, 50, kind, true)
			if !r.ok() {
				continue
			}
			if out == "" || utf8.RuneCountInString(out) > 50 || !utf8.ValidString(out) {
				t.Fatalf("cleanText(%q) = %q", raw, out)
			}
			for _, c := range out {
				if isBidiControl(c) || unicode.IsControl(c) && c != '\n' && c != '\t' || kind == singleLine && (c == '\n' || c == '\t') {
					t.Fatalf("cleanText(%q) kept %U", raw, c)
				}
			}
		}
	})
}

func TestFingerprintIsCanonical(t *testing.T) {
	same := []string{`{"a":1,"b":[1,2]}`, ` { "b" : [1, 2], "a":1 } `}
	if fingerprint("x", json.RawMessage(same[0])) != fingerprint("x", json.RawMessage(same[1])) {
		t.Error("got different fingerprints for the same arguments, want equal")
	}
	differ := [][2]string{{`{"a":1}`, `{"a":1.0}`}, {`{"a":1}`, `{"a":2}`}, {`{}`, `{"a":null}`}}
	for _, d := range differ {
		if fingerprint("x", json.RawMessage(d[0])) == fingerprint("x", json.RawMessage(d[1])) {
			t.Errorf("%s and %s: got the same fingerprint, want different", d[0], d[1])
		}
	}
	if fingerprint("x", nil) != fingerprint("x", json.RawMessage(`null`)) || fingerprint("x", nil) == fingerprint("y", nil) {
		t.Error("empty arguments: got wrong fingerprints")
	}
}

// TestProtocolDocumentsEveryCommand keeps docs/protocol-commands.md the contract: every
// command and event must be in it (the refusal codes: server's TestDocsNameEveryRefusalCode,
// which reads them from the source).
func TestProtocolDocumentsEveryCommand(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol-commands.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, name := range CommandNames() {
		if !strings.Contains(text, "`"+name+"`") {
			t.Errorf("command %s is not documented", name)
		}
	}
	for _, ev := range EventAudiences { // every event the engine may emit
		if !strings.Contains(text, "`"+ev.Name+"`") {
			t.Errorf("event %s is not documented", ev.Name)
		}
	}
}

// TestRequiredArguments: a command whose boolean (or vote value) is missing or null is
// refused as invalid_args naming the field, before its rule runs; given, it decodes.
func TestRequiredArguments(t *testing.T) {
	tests := []struct{ command, field, given string }{
		{"posting.set", "locked", `{"locked":true}`},
		{"premoderation.set", "on", `{"on":false}`},
		{"groups.set", "on", `{"on":true}`},
		{"results.set", "hidden", `{"hidden":false}`},
		{"joinpanel.set", "hidden", `{"hidden":true}`},
		{"contribution.pin", "pinned", `{"id":1,"pinned":true}`},
		{"groups.rapporteur", "rapporteur", `{"participant":1,"rapporteur":true}`},
		{"checkin.set", "present", `{"participant":1,"present":false}`},
		{"contribution.mark", "output", `{"id":1,"output":true}`},
		{"vote.set", "value", `{"contribution":1,"value":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			for _, raw := range []string{`{}`, `{"` + tt.field + `":null}`} {
				if _, _, r := decodeCommand(tt.command, json.RawMessage(raw)); r.Code != CodeInvalidArgs || r.Message != tt.field+" is required" {
					t.Errorf("%s: got %+v, want invalid_args %q", raw, r, tt.field+" is required")
				}
			}
			if _, _, r := decodeCommand(tt.command, json.RawMessage(tt.given)); !r.ok() {
				t.Errorf("%s: refused %+v", tt.given, r)
			}
		})
	}
}
