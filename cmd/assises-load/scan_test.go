package main

import (
	"encoding/json"
	"testing"
)

func TestScanMsg(t *testing.T) {
	tests := []struct {
		name, in string
		want     msg
	}{
		{"event", `{"type":"event","seq":41,"name":"tally.updated","data":{"items":[{"contribution":1,"at":5}],"s":"}\"at\":9"},"at":1732420001234,"serverTime":1732420001240}`,
			msg{typ: []byte("event"), name: []byte("tally.updated"), seq: 41, at: 1732420001234, serverTime: 1732420001240,
				data: []byte(`{"items":[{"contribution":1,"at":5}],"s":"}\"at\":9"}`)}},
		{"ack", `{"type":"ack","id":"0b6f5c2e-8f3a-4d1e-9c7b-2a1d3e4f5a6b","seq":7,"serverTime":3}`,
			msg{typ: []byte("ack"), id: []byte("0b6f5c2e-8f3a-4d1e-9c7b-2a1d3e4f5a6b"), seq: 7, serverTime: 3}},
		{"reject", `{"type":"reject","id":"x","code":"phase_closed","message":"La phase \"vote\" est close.","serverTime":1}`,
			msg{typ: []byte("reject"), id: []byte("x"), code: []byte("phase_closed"), serverTime: 1}},
		{"snapshot with spaces", ` { "type" : "snapshot" , "seq" : 40 , "state" : [1, {"a": [2]}] } `,
			msg{typ: []byte("snapshot"), seq: 40, data: []byte(`[1, {"a": [2]}]`)}},
		{"negative and float", `{"type":"x","seq":-3,"at":1.5e3}`, msg{typ: []byte("x"), seq: -3, at: 1500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m msg
			if !scanMsg([]byte(tt.in), &m) {
				t.Fatalf("scanMsg(%s): got false, want true", tt.in)
			}
			if !sameMsg(m, tt.want) {
				t.Errorf("scanMsg(%s):\n got %s\nwant %s", tt.in, show(m), show(tt.want))
			}
		})
	}
}

func TestScanMsgRefusesBrokenFrames(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"type"}`, `{"type":"event","data":{"a":1}`, `{"type":"ev`, `{"seq":}`, `nope`} {
		var m msg
		if scanMsg([]byte(in), &m) {
			t.Errorf("scanMsg(%q): got true, want false", in)
		}
	}
}

// FuzzScanMsg: the scanner never panics, and on what encoding/json reads as an object it
// finds the same type and seq.
func FuzzScanMsg(f *testing.F) {
	f.Add(`{"type":"event","seq":41,"name":"n","data":{"x":[1,"}"]},"at":1,"serverTime":2}`)
	f.Add(`{"type":"ack","id":"a","seq":1}`)
	f.Fuzz(func(t *testing.T, in string) {
		var m msg
		ok := scanMsg([]byte(in), &m)
		var std struct {
			Type string `json:"type"`
			Seq  int64  `json:"seq"`
		}
		if json.Unmarshal([]byte(in), &std) != nil || !ok {
			return
		}
		if std.Type != "" && std.Type == string(m.typ) && std.Seq != m.seq {
			t.Errorf("%q: got seq %d, encoding/json says %d", in, m.seq, std.Seq)
		}
	})
}

func sameMsg(a, b msg) bool {
	return string(a.typ) == string(b.typ) && string(a.name) == string(b.name) && string(a.id) == string(b.id) &&
		string(a.code) == string(b.code) && string(a.data) == string(b.data) && a.seq == b.seq && a.at == b.at &&
		a.serverTime == b.serverTime
}

func show(m msg) string {
	b, _ := json.Marshal(map[string]any{"type": string(m.typ), "name": string(m.name), "id": string(m.id),
		"code": string(m.code), "data": string(m.data), "seq": m.seq, "at": m.at, "serverTime": m.serverTime})
	return string(b)
}

func TestAuditFindsLossAndDuplicates(t *testing.T) {
	mk := func(first int64, seqs ...int64) *client {
		return &client{firstSeq: first, snapshots: 1, allSeqs: seqs, lastSeq: seqs[len(seqs)-1]}
	}
	a := mk(0, 1, 2, 3, 5)
	b := mk(2, 3, 4, 5) // joined at 2: owes 3, 4, 5
	c := mk(0, 1, 5)    // missed 2, 3 and 4
	c.dups = 1
	d := mk(0, 1, 5)
	d.covered = [][2]int64{{1, 4}} // a snapshot at 4 stood in for 2 to 4
	e := audit([]*client{a, b, c, d}, 5)
	// a owes 1-5 (5), b owes 3-5 (3), c owes 5, d owes 1 and 5 (2): 15; a misses 4, c misses 3.
	if e.Expected != 15 || e.Missing != 4 || e.Duplicates != 1 || e.Received != 11 {
		t.Errorf("got %+v, want expected 15, received 11, missing 4, duplicates 1", e)
	}
}

func TestNewIDIsAUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newID()
		if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
			t.Fatalf("newID: got %q, want the 8-4-4-4-12 form", id)
		}
		if seen[id] {
			t.Fatalf("newID repeated %q", id)
		}
		seen[id] = true
	}
}
