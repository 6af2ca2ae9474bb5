package hub

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestHelloRefusals(t *testing.T) {
	fb := newFakeBackend()
	e := newEnvWith(t, fb, nil, func(t *timing) { t.helloWait = 200 * time.Millisecond }, nil)
	e.member(1, "participant", false, 0)
	tests := []struct {
		name      string
		p         int64
		first     string // "" = send nothing
		wantCode  string
		wantClose int
	}{
		{"no hello in time", 1, "", CodeNotJoined, 1008},
		{"command first", 1, `{"type":"command","id":"` + goodID + `","name":"x","args":{}}`, CodeNotJoined, 1008},
		{"ping first", 1, `{"type":"ping"}`, CodeNotJoined, 1008},
		{"unsupported version", 1, `{"type":"hello","v":2,"workshop":12}`, CodeVersion, 1008},
		{"malformed", 1, `{"type":"hello",`, CodeBadMessage, 1008},
		{"not a member", 99, `{"type":"hello","v":1,"workshop":12}`, CodeForbidden, 1008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.dial(tt.p)
			if tt.first != "" {
				if err := c.ws.WriteMessage(websocket.TextMessage, []byte(tt.first)); err != nil {
					t.Fatal(err)
				}
			}
			if m := c.nextAny(); m.Type != "error" || m.Code != tt.wantCode {
				t.Errorf("first message: got %+v, want error %s", m, tt.wantCode)
			}
			if code := c.closed(); code != tt.wantClose {
				t.Errorf("close code: got %d, want %d", code, tt.wantClose)
			}
		})
	}
	if opens, _, _, _, _ := fb.counts(); opens != 0 {
		t.Errorf("rooms opened by refused hellos: got %d, want 0", opens)
	}
}

func TestViewerErrorIsUnavailable(t *testing.T) {
	fb := newFakeBackend()
	fb.viewerErr = errFake
	e := newEnv(t, fb, nil)
	c := e.dial(1)
	c.send(map[string]any{"type": "hello", "v": 1, "workshop": testWS})
	if m := c.nextAny(); m.Type != "error" || m.Code != CodeUnavailable {
		t.Errorf("first message: got %+v, want error unavailable", m)
	}
	if code := c.closed(); code != 1011 {
		t.Errorf("close code: got %d, want 1011", code)
	}
}

func TestJoinedConnectionRefusals(t *testing.T) {
	e := newEnv(t, newFakeBackend(), nil)
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	tests := []struct {
		name   string
		frame  string
		wantID string
		want   string
	}{
		{"malformed JSON", `{"type":`, "", CodeBadMessage},
		{"unknown type", `{"type":"subscribe"}`, "", CodeUnknownType},
		{"invalid id", `{"type":"command","id":"1","name":"x","args":{}}`, "1", CodeInvalidID}, // the id sent, to match it
		{"args not an object", `{"type":"command","id":"` + goodID + `","name":"x","args":3}`, goodID, CodeBadMessage},
		{"name with spaces", `{"type":"command","id":"` + goodID + `","name":"a b"}`, goodID, CodeBadMessage},
		{"hello again", `{"type":"hello","v":1,"workshop":12}`, "", CodeBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.ws.WriteMessage(websocket.TextMessage, []byte(tt.frame)); err != nil {
				t.Fatal(err)
			}
			m := c.next()
			if m.Type != "reject" || m.Code != tt.want || m.ID != tt.wantID {
				t.Errorf("answer: got %+v, want reject %s for id %q", m, tt.want, tt.wantID)
			}
		})
	}
	// Binary frames are refused, and the connection still works afterwards.
	c.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping"}`))
	if m := c.next(); m.Type != "reject" || m.Code != CodeBadMessage {
		t.Errorf("binary frame: got %+v, want reject bad_message", m)
	}
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
}

func TestArgsTooLargeWithinFrame(t *testing.T) {
	// A frame under the read limit whose args exceed the args limit is refused too_large.
	e := newEnv(t, newFakeBackend(), func(c *Config) { c.MaxMessageBytes = 64 << 10 })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	args := map[string]any{"a": strings.Repeat("x", maxArgs)}
	c.send(map[string]any{"type": "command", "id": goodID, "name": "x", "args": args})
	if m := c.next(); m.Type != "reject" || m.Code != CodeTooLarge || m.ID != goodID {
		t.Errorf("answer: got %+v, want reject too_large", m)
	}
}

func TestConnectionLevelCloses(t *testing.T) {
	tests := []struct {
		name      string
		frame     func(c *client)
		wantClose int
	}{
		{"oversized frame", func(c *client) {
			c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","x":"`+strings.Repeat("x", 20000)+`"}`))
		}, websocket.CloseMessageTooBig},
		{"invalid UTF-8", func(c *client) {
			c.ws.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"ping\xff\"}"))
		}, websocket.CloseInvalidFramePayloadData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, newFakeBackend(), nil)
			e.member(1, "participant", false, 0)
			c := e.join(1, 0)
			tt.frame(c)
			if code := c.closed(); code != tt.wantClose {
				t.Errorf("close code: got %d, want %d", code, tt.wantClose)
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	frozen := time.Unix(1_800_000_000, 0) // no refill: counts are exact
	e := newEnv(t, newFakeBackend(), func(c *Config) {
		c.Now = func() time.Time { return frozen }
		c.ConnRate, c.ConnBurst = 1, 4
		c.PersonRate, c.PersonBurst = 1, 6
	})
	e.member(1, "participant", false, 0)
	a := e.join(1, 0)
	b := e.join(1, 0) // the same person in another tab

	outcomes := func(c *client, n int) (acks, limited int) {
		t.Helper()
		for range n {
			id := c.emit("x", "all")
			m := c.until(isAck(id))
			switch last := m[len(m)-1]; {
			case last.Type == "ack":
				acks++
			case last.Code == CodeRateLimited:
				limited++
			default:
				t.Fatalf("outcome: got %+v, want ack or rate_limited", last)
			}
		}
		return acks, limited
	}
	if acks, limited := outcomes(a, 5); acks != 4 || limited != 1 {
		t.Errorf("first tab: got %d acks %d limited, want 4 and 1 (connection burst 4)", acks, limited)
	}
	if acks, limited := outcomes(b, 3); acks != 2 || limited != 1 {
		t.Errorf("second tab: got %d acks %d limited, want 2 and 1 (person burst 6)", acks, limited)
	}
}

func TestFloodCloses1008(t *testing.T) {
	frozen := time.Unix(1_800_000_000, 0)
	e := newEnv(t, newFakeBackend(), func(c *Config) {
		c.Now = func() time.Time { return frozen }
		c.ConnRate, c.ConnBurst = 1, 2 // flood allowance: 5×1×2 + 2 = 12 messages
	})
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	for range 30 {
		if err := c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
			break // the server may already be gone
		}
	}
	var last srvMsg
	timeout := time.After(wait)
read:
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				break read
			}
			last = m
		case <-timeout:
			t.Fatalf("connection still open %v after the flood", wait)
		}
	}
	if last.Type != "error" || last.Code != CodeRateLimited {
		t.Errorf("last message: got %+v, want error rate_limited", last)
	}
	var ce *websocket.CloseError
	if !errors.As(c.err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("close: got %v, want 1008", c.err)
	}
}

func TestServerFramesEncoding(t *testing.T) {
	tests := []struct {
		f    frame
		want string
	}{
		{&welcomeFrame{Type: "welcome", V: 1, Workshop: 12, Epoch: 4503599627370497, You: 7, Role: "participant"},
			`{"type":"welcome","v":1,"workshop":12,"epoch":4503599627370497,"you":7,"role":"participant","moderator":false,"group":0,"serverTime":5}`},
		{&ackFrame{Type: "ack", ID: goodID, Seq: 41}, `{"type":"ack","id":"` + goodID + `","seq":41,"serverTime":5}`},
		{&rejectFrame{Type: "reject", ID: goodID, Code: "phase_closed", Message: "Phase fermée"},
			`{"type":"reject","id":"` + goodID + `","code":"phase_closed","message":"Phase fermée","serverTime":5}`},
		{newEventFrame(&Event{Seq: 41, Name: "phase.changed", Data: json.RawMessage(`{"phase":"vote"}`)}),
			`{"type":"event","seq":41,"name":"phase.changed","data":{"phase":"vote"},"serverTime":5}`},
		{newEventFrame(&Event{Seq: 42, Name: "broken", Data: json.RawMessage(`{oops`)}),
			`{"type":"event","seq":42,"name":"broken","data":null,"serverTime":5}`},
		{&presenceFrame{Type: "presence", Online: 3, ByRole: map[string]int{"participant": 3}, ByGroup: map[string]int{"5": 1}},
			`{"type":"presence","online":3,"byRole":{"participant":3},"byGroup":{"5":1},"serverTime":5}`},
		{&errorFrame{Type: "error", Code: "forbidden", Message: "forbidden"}, `{"type":"error","code":"forbidden","message":"forbidden"}`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := string(encodeFrame(tt.f, 5)); got != tt.want {
				t.Errorf("encode: got %s, want %s", got, tt.want)
			}
		})
	}
}
