package liveclient

import (
	"encoding/json"
	"testing"
)

func TestScanFrame(t *testing.T) {
	tests := []struct {
		name, in string
		want     Frame
	}{
		{"event", `{"type":"event","seq":41,"name":"tally.updated","data":{"items":[{"contribution":1,"at":5}],"s":"}\"at\":9"},"at":1732420001234,"serverTime":1732420001240}`,
			Frame{Type: []byte("event"), Name: []byte("tally.updated"), Seq: 41, At: 1732420001234, ServerTime: 1732420001240,
				Data: []byte(`{"items":[{"contribution":1,"at":5}],"s":"}\"at\":9"}`)}},
		{"ack", `{"type":"ack","id":"0b6f5c2e-8f3a-4d1e-9c7b-2a1d3e4f5a6b","seq":7,"serverTime":3}`,
			Frame{Type: []byte("ack"), ID: []byte("0b6f5c2e-8f3a-4d1e-9c7b-2a1d3e4f5a6b"), Seq: 7, ServerTime: 3}},
		{"reject", `{"type":"reject","id":"x","code":"phase_closed","message":"La phase \"vote\" est close.","serverTime":1}`,
			Frame{Type: []byte("reject"), ID: []byte("x"), Code: []byte("phase_closed"), ServerTime: 1}},
		{"snapshot with spaces", ` { "type" : "snapshot" , "seq" : 40 , "state" : [1, {"a": [2]}] } `,
			Frame{Type: []byte("snapshot"), Seq: 40, Data: []byte(`[1, {"a": [2]}]`)}},
		{"negative and float", `{"type":"x","seq":-3,"at":1.5e3}`, Frame{Type: []byte("x"), Seq: -3, At: 1500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Frame
			if !ScanFrame([]byte(tt.in), &m) {
				t.Fatalf("ScanFrame(%s): got false, want true", tt.in)
			}
			if !sameFrame(m, tt.want) {
				t.Errorf("ScanFrame(%s):\n got %s\nwant %s", tt.in, show(m), show(tt.want))
			}
		})
	}
}

func TestScanFrameRefusesBrokenFrames(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"type"}`, `{"type":"event","data":{"a":1}`, `{"type":"ev`, `{"seq":}`, `nope`} {
		var m Frame
		if ScanFrame([]byte(in), &m) {
			t.Errorf("ScanFrame(%q): got true, want false", in)
		}
	}
}

// FuzzScanMsg: the scanner never panics, and on what encoding/json reads as an object it
// finds the same type and seq.
func FuzzScanFrame(f *testing.F) {
	f.Add(`{"type":"event","seq":41,"name":"n","data":{"x":[1,"}"]},"at":1,"serverTime":2}`)
	f.Add(`{"type":"ack","id":"a","seq":1}`)
	f.Fuzz(func(t *testing.T, in string) {
		var m Frame
		ok := ScanFrame([]byte(in), &m)
		var std struct {
			Type string `json:"type"`
			Seq  int64  `json:"seq"`
		}
		if json.Unmarshal([]byte(in), &std) != nil || !ok {
			return
		}
		if std.Type != "" && std.Type == string(m.Type) && std.Seq != m.Seq {
			t.Errorf("%q: got seq %d, encoding/json says %d", in, m.Seq, std.Seq)
		}
	})
}

func sameFrame(a, b Frame) bool {
	return string(a.Type) == string(b.Type) && string(a.Name) == string(b.Name) && string(a.ID) == string(b.ID) &&
		string(a.Code) == string(b.Code) && string(a.Data) == string(b.Data) && a.Seq == b.Seq && a.At == b.At &&
		a.ServerTime == b.ServerTime
}

func show(m Frame) string {
	b, _ := json.Marshal(map[string]any{"type": string(m.Type), "name": string(m.Name), "id": string(m.ID),
		"code": string(m.Code), "data": string(m.Data), "seq": m.Seq, "at": m.At, "serverTime": m.ServerTime})
	return string(b)
}
