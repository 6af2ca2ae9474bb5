package hub

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const goodID = "0b6f5c2e-8f3a-4d1e-9c7b-2a1d3e4f5a6b"

func TestDecodeClientMessage(t *testing.T) {
	bigArgs := `{"t":"` + strings.Repeat("x", maxArgs) + `"}`
	tests := []struct {
		name     string
		in       string
		want     ClientMessage
		wantCode string
	}{
		{"hello", `{"type":"hello","v":1,"workshop":12,"since":40}`, ClientMessage{Type: "hello", V: 1, Workshop: 12, Since: 40}, ""},
		{"hello without since", `{"type":"hello","v":1,"workshop":12}`, ClientMessage{Type: "hello", V: 1, Workshop: 12}, ""},
		{"hello with spaces", " {\"type\":\"hello\",\"v\":1,\"workshop\":12}\n", ClientMessage{Type: "hello", V: 1, Workshop: 12}, ""},
		{"hello v2", `{"type":"hello","v":2,"workshop":12}`, ClientMessage{}, CodeVersion},
		{"hello without v", `{"type":"hello","workshop":12}`, ClientMessage{}, CodeVersion},
		{"hello workshop 0", `{"type":"hello","v":1,"workshop":0}`, ClientMessage{}, CodeBadMessage},
		{"hello without workshop", `{"type":"hello","v":1}`, ClientMessage{}, CodeBadMessage},
		{"hello with epoch", `{"type":"hello","v":1,"workshop":12,"since":40,"epoch":9007199254740991}`, ClientMessage{Type: "hello", V: 1, Workshop: 12, Since: 40, Epoch: 9007199254740991}, ""},
		{"hello negative epoch", `{"type":"hello","v":1,"workshop":12,"since":40,"epoch":-3}`, ClientMessage{}, CodeBadMessage},
		{"hello string epoch", `{"type":"hello","v":1,"workshop":12,"since":40,"epoch":"7"}`, ClientMessage{}, CodeBadMessage},
		{"command with epoch", `{"type":"command","id":"` + goodID + `","name":"x","epoch":1}`, ClientMessage{}, CodeBadMessage},
		{"ping with epoch", `{"type":"ping","epoch":1}`, ClientMessage{}, CodeBadMessage},
		{"hello negative since", `{"type":"hello","v":1,"workshop":12,"since":-1}`, ClientMessage{}, CodeBadMessage},
		{"hello float workshop", `{"type":"hello","v":1,"workshop":1.5}`, ClientMessage{}, CodeBadMessage},
		{"hello huge since", `{"type":"hello","v":1,"workshop":1,"since":99999999999999999999}`, ClientMessage{}, CodeBadMessage},
		{"hello with id", `{"type":"hello","v":1,"workshop":12,"id":"` + goodID + `"}`, ClientMessage{}, CodeBadMessage},
		{"command", `{"type":"command","id":"` + goodID + `","name":"vote.set","args":{"a":1}}`,
			ClientMessage{Type: "command", ID: goodID, Name: "vote.set", Args: json.RawMessage(`{"a":1}`)}, ""},
		{"command without args", `{"type":"command","id":"` + goodID + `","name":"x"}`,
			ClientMessage{Type: "command", ID: goodID, Name: "x", Args: json.RawMessage(`{}`)}, ""},
		{"command upper-case id", `{"type":"command","id":"` + strings.ToUpper(goodID) + `","name":"x"}`,
			ClientMessage{Type: "command", ID: strings.ToUpper(goodID), Name: "x", Args: json.RawMessage(`{}`)}, ""},
		{"command bad id", `{"type":"command","id":"42","name":"x","args":{}}`, ClientMessage{ID: "42"}, CodeInvalidID},
		{"command braced id", `{"type":"command","id":"{` + goodID[:34] + `}","name":"x"}`, ClientMessage{ID: "{" + goodID[:34] + "}"}, CodeInvalidID},
		{"command no id", `{"type":"command","name":"x","args":{}}`, ClientMessage{}, CodeInvalidID},
		{"command no name", `{"type":"command","id":"` + goodID + `","args":{}}`, ClientMessage{ID: goodID}, CodeBadMessage},
		{"command bad name", `{"type":"command","id":"` + goodID + `","name":"Vote Set"}`, ClientMessage{ID: goodID}, CodeBadMessage},
		{"command array args", `{"type":"command","id":"` + goodID + `","name":"x","args":[1]}`, ClientMessage{ID: goodID, Name: "x"}, CodeBadMessage},
		{"command string args", `{"type":"command","id":"` + goodID + `","name":"x","args":"{}"}`, ClientMessage{ID: goodID, Name: "x"}, CodeBadMessage},
		{"command null args", `{"type":"command","id":"` + goodID + `","name":"x","args":null}`,
			ClientMessage{Type: "command", ID: goodID, Name: "x", Args: json.RawMessage(`{}`)}, ""},
		{"command big args", `{"type":"command","id":"` + goodID + `","name":"x","args":` + bigArgs + `}`, ClientMessage{ID: goodID, Name: "x"}, CodeTooLarge},
		{"command with workshop", `{"type":"command","id":"` + goodID + `","name":"x","workshop":1}`, ClientMessage{}, CodeBadMessage},
		{"ping", `{"type":"ping"}`, ClientMessage{Type: "ping"}, ""},
		{"ping with fields", `{"type":"ping","v":1}`, ClientMessage{}, CodeBadMessage},
		{"unknown type", `{"type":"subscribe"}`, ClientMessage{}, CodeUnknownType},
		{"no type", `{"v":1}`, ClientMessage{}, CodeBadMessage},
		{"null type", `{"type":null}`, ClientMessage{}, CodeBadMessage},
		{"unknown field", `{"type":"ping","extra":1}`, ClientMessage{}, CodeBadMessage},
		{"two objects", `{"type":"ping"}{"type":"ping"}`, ClientMessage{}, CodeBadMessage},
		{"trailing garbage", `{"type":"ping"}x`, ClientMessage{}, CodeBadMessage},
		{"array", `[{"type":"ping"}]`, ClientMessage{}, CodeBadMessage},
		{"null", `null`, ClientMessage{}, CodeBadMessage},
		{"empty", ``, ClientMessage{}, CodeBadMessage},
		{"not JSON", `hello`, ClientMessage{}, CodeBadMessage},
		{"invalid UTF-8", "{\"type\":\"ping\xff\"}", ClientMessage{}, CodeBadMessage},
		{"huge", strings.Repeat(" ", 3*DefaultMaxMessageBytes), ClientMessage{}, CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeClientMessage([]byte(tt.in))
			code := ""
			if err != nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("error type: got %T, want *ProtocolError", err)
				}
				code = pe.Code
			}
			if code != tt.wantCode {
				t.Fatalf("code: got %q (%v), want %q", code, err, tt.wantCode)
			}
			if got.Type != tt.want.Type && tt.wantCode == "" || got.V != tt.want.V || got.Workshop != tt.want.Workshop ||
				got.Since != tt.want.Since || got.ID != tt.want.ID || string(got.Args) != string(tt.want.Args) {
				t.Errorf("message: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzDecodeClientMessage checks that the decoder never panics and that whatever it
// accepts satisfies the documented invariants. `go test` runs the seeds; run
// `go test -fuzz FuzzDecodeClientMessage ./hub` to explore.
func FuzzDecodeClientMessage(f *testing.F) {
	seeds := []string{
		`{"type":"hello","v":1,"workshop":12,"since":0}`,
		`{"type":"hello","v":1,"workshop":12,"since":40}`,
		`{"type":"hello","v":1,"workshop":12,"since":40,"epoch":77}`,
		`{"type":"command","id":"` + goodID + `","name":"vote.set","args":{"proposal":3,"value":"yes"}}`,
		`{"type":"command","id":"` + goodID + `","name":"x"}`,
		`{"type":"ping"}`,
		`{"type":"hello","v":2,"workshop":12}`,
		`{"type":"command","id":"nope","name":"x","args":[]}`,
		`{"type":"command","id":"` + goodID + `","name":"x","args":{"a":"\u0000"}}`,
		`{"type":"hello","v":1,"workshop":-1}`,
		`{"type":"command","id":"` + goodID + `","name":"vote.set","args":{"contribution":3,"value":1}}`,
		`{"type":"command","id":"` + goodID + `","name":"vote.set","args":{"contribution":3,"value":1}} `,
		`{"type":"command","id":"` + goodID + `","name":"vote.set","args":{"a":1}{"b":2}}`,
		`{"type":"command","id":"` + goodID + `","name":"vote.set","args":{ }}`,
		`{"type":"command","id":"` + goodID + `","name":"vote.set","args":{"a":1},"args":{}}`,
		`{"type":"command","id":"` + goodID + `","name":"vote.set","args":{"a":"}"}}`,
		`{"type":"ping"}{}`, `null`, `[]`, `"ping"`, `{"type":1}`, "\xff\xfe", ``, `{`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeClientMessage(b)
		if fast, ok := decodeCommandAsSent(b); ok {
			strict, serr := decodeAnyMessage(b)
			if serr != nil || !reflect.DeepEqual(fast, strict) {
				t.Fatalf("command as sent: got %+v, the strict decoder %+v (%v)", fast, strict, serr)
			}
		}
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Code == "" {
				t.Fatalf("error: got %v, want a *ProtocolError with a code", err)
			}
			if m.ID != "" && !validUUID(m.ID) && pe.Code != CodeInvalidID {
				t.Fatalf("id on error %s: got %q, want a UUID or empty (only invalid_id names an id that is not one)", pe.Code, m.ID)
			}
			return
		}
		switch m.Type {
		case "hello":
			if m.V != ProtocolVersion || m.Workshop <= 0 || m.Since < 0 {
				t.Fatalf("accepted hello %+v", m)
			}
		case "command":
			if !validUUID(m.ID) || !validName(m.Name) || len(m.Args) == 0 || m.Args[0] != '{' ||
				len(m.Args) > maxArgs || !json.Valid(m.Args) {
				t.Fatalf("accepted command %+v", m)
			}
		case "ping":
		default:
			t.Fatalf("accepted type %q", m.Type)
		}
	})
}

// BenchmarkDecodeVote reads a vote as the clients send it: the way DecodeClientMessage takes
// (as sent) and encoding/json's (strict), which it takes for anything else.
func BenchmarkDecodeVote(b *testing.B) {
	vote := []byte(`{"type":"command","id":"` + goodID + `","name":"vote.set","args":{"contribution":42,"value":1}}`)
	for _, bb := range []struct {
		name   string
		decode func([]byte) (ClientMessage, error)
	}{{"as-sent", DecodeClientMessage}, {"strict", decodeAnyMessage}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bb.decode(vote); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
