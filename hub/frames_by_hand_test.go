package hub

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

func TestFramesByHandAsMarshalled(t *testing.T) {
	tests := []struct {
		name string
		f    frame
		hand bool // written by hand, not left to encoding/json
	}{
		{"ack", &ackFrame{Type: "ack", ID: goodID, Seq: 42}, true},
		{"ack without seq", &ackFrame{Type: "ack", ID: goodID}, true},
		{"ack of an odd id", &ackFrame{Type: "ack", ID: `a"<b>&` + "\u00e9"}, false},
		{"vote recorded", &eventFrame{Type: "event", Seq: 7, Name: "vote.recorded", Data: json.RawMessage(`{"contribution":3,"value":1}`), At: 1765000000000}, true},
		{"event without at", &eventFrame{Type: "event", Seq: 7, Name: "tally.updated", Data: json.RawMessage(`{"items":[{"id":1,"n":-2.5e3,"ok":true,"x":null}]}`)}, true},
		{"event with spaces in data", &eventFrame{Type: "event", Seq: 8, Name: "contribution.posted", Data: json.RawMessage(`{"body": "Les délais <trop> longs & \u2028"}`)}, false},
		{"event with escapes in data", &eventFrame{Type: "event", Seq: 8, Name: "x", Data: json.RawMessage(`{"a":"\u003c\n"}`)}, false},
		{"event with invalid data", &eventFrame{Type: "event", Seq: 9, Name: "x", Data: json.RawMessage(`{"a":`)}, false},
		{"event without data", &eventFrame{Type: "event", Seq: 9, Name: "x"}, false},
		{"welcome", &welcomeFrame{Type: "welcome", V: 1, Workshop: 3, Epoch: 1765000000, You: 42, Role: "participant", Group: 7}, true},
		{"welcome of a moderator", &welcomeFrame{Type: "welcome", V: 1, Workshop: 3, You: 42, Role: "moderator", Moderator: true}, true},
		{"welcome of an odd role", &welcomeFrame{Type: "welcome", Role: "r<ô>"}, false},
		{"presence", &presenceFrame{Type: "presence", Online: 10001, ByRole: map[string]int{"participant": 10000, "moderator": 1, "observer": 0}, ByGroup: map[string]int{"12": 3, "3": 4, "0": 9994}}, true},
		{"presence of an empty room", &presenceFrame{Type: "presence", ByRole: map[string]int{}, ByGroup: map[string]int{}}, true},
		{"presence without maps", &presenceFrame{Type: "presence", Online: 2}, true},
		{"presence of an odd role", &presenceFrame{Type: "presence", Online: 1, ByRole: map[string]int{"a&b": 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hand := tt.f.(handWritten).appendJSON(nil)
			if hand != tt.hand {
				t.Errorf("written by hand: got %v, want %v", hand, tt.hand)
			}
			checkAsMarshalled(t, tt.f)
		})
	}
}

// checkAsMarshalled compares encodeFrame with encoding/json on the same frame.
func checkAsMarshalled(t *testing.T, f frame) {
	t.Helper()
	got := encodeFrame(f, 1765000000123)
	want, err := json.Marshal(f)
	if err != nil {
		return // encodeFrame's own fallback (data replaced by null) is tested elsewhere
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func FuzzFramesByHandAsMarshalled(f *testing.F) {
	f.Add(goodID, int64(3), "vote.recorded", []byte(`{"contribution":3,"value":1}`), int64(17))
	f.Add("x<", int64(-1), "a\"b", []byte(`[1,2,{"a":"b"}]`), int64(0))
	f.Fuzz(func(t *testing.T, id string, seq int64, name string, data []byte, at int64) {
		checkAsMarshalled(t, &ackFrame{Type: "ack", ID: id, Seq: seq})
		checkAsMarshalled(t, &eventFrame{Type: "event", Seq: seq, Name: name, Data: data, At: at})
		checkAsMarshalled(t, &welcomeFrame{Type: "welcome", V: 1, Workshop: seq, Epoch: at, You: -seq, Role: name, Moderator: seq%2 == 0, Group: at})
		checkAsMarshalled(t, &presenceFrame{Type: "presence", Online: int(seq), ByRole: map[string]int{name: int(at), id: 1, "participant": 2}, ByGroup: map[string]int{strconv.FormatInt(at, 10): 3}})
	})
}

// BenchmarkVoteFrames encodes what a vote brings back to its voter, by hand and with
// encoding/json.
func BenchmarkVoteFrames(b *testing.B) {
	ack := &ackFrame{Type: "ack", ID: goodID, Seq: 123456}
	ev := &eventFrame{Type: "event", Seq: 123455, Name: "vote.recorded", Data: json.RawMessage(`{"contribution":42,"value":1}`), At: 1765000000000}
	b.Run("by-hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeFrame(ack, 1765000000123)
			encodeFrame(ev, 1765000000123)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(ack)
			json.Marshal(ev)
		}
	})
}
