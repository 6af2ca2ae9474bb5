package liveclient

import (
	"encoding/json"
	"testing"
)

func TestNewCommandIDIsAUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewCommandID()
		if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
			t.Fatalf("NewCommandID: got %q, want the 8-4-4-4-12 form", id)
		}
		if seen[id] {
			t.Fatalf("NewCommandID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestAppendCommand(t *testing.T) {
	tests := []struct{ name, id, cmd, args string }{
		{"plain", "0b6f5c2e-8f3a-4d1e-9c7b-2a1d3e4f5a6b", "vote.set", `{"contribution":3,"value":1}`},
		{"quotes and backslashes", `a"b\c`, `x"y`, `{}`},
		{"control characters", "a\nb\x01", "n\tm", `{"body":"é"}`},
		{"not ASCII", "identité", "vote.sét", `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendCommand(nil, tt.id, tt.cmd, []byte(tt.args))
			var got struct {
				Type, ID, Name string
				Args           json.RawMessage
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if got.Type != "command" || got.ID != tt.id || got.Name != tt.cmd || string(got.Args) != tt.args {
				t.Errorf("got %+v, want command %q %q %s", got, tt.id, tt.cmd, tt.args)
			}
		})
	}
}
