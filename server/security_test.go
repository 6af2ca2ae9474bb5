package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// TestHandshakeRefusals: a WebSocket handshake from a foreign origin, or without a session,
// is refused with 403 before any socket exists (docs/security.md, item 1).
func TestHandshakeRefusals(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	w := s.Workshop(t, "A")
	p := s.Join(t, "P", "Org", record.RoleParticipant, w)
	url := "ws" + strings.TrimPrefix(s.Server.URL, "http") + "/ws"
	good := s.Server.URL // http://127.0.0.1:port
	host := strings.TrimPrefix(good, "http://")
	port := host[strings.LastIndex(host, ":")+1:]
	tests := []struct {
		name   string
		origin string
		cookie bool
		want   int
	}{
		{"same origin, signed in", good, true, http.StatusSwitchingProtocols},
		{"foreign origin", "https://evil.example.org", true, http.StatusForbidden},
		{"https instead of http", "https://" + host, true, http.StatusForbidden},
		{"wrong port", "http://127.0.0.1:1" + port, true, http.StatusForbidden},
		{"localhost for 127.0.0.1", "http://localhost:" + port, true, http.StatusForbidden},
		{"no origin", "", true, http.StatusForbidden},
		{"no session", good, false, http.StatusForbidden},
		{"no origin and no session", "", false, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			if tt.cookie {
				h.Set("Cookie", p.Cookie.String())
			}
			conn, resp, err := websocket.DefaultDialer.Dial(url, h)
			if conn != nil {
				conn.Close()
			}
			if resp == nil {
				t.Errorf("%s: no HTTP response (%v)", tt.name, err)
				return
			}
			if resp.StatusCode != tt.want {
				t.Errorf("%s: got %d, want %d", tt.name, resp.StatusCode, tt.want)
			}
			if tt.want != http.StatusSwitchingProtocols && conn != nil {
				t.Errorf("%s: a socket was opened", tt.name)
			}
		})
	}
}

// TestSignOutClosesSockets: signing out ends the session server-side and closes every open
// socket of that person promptly (docs/security.md, item 12).
func TestSignOutClosesSockets(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	w := s.Workshop(t, "A")
	p := s.Join(t, "P", "Org", record.RoleParticipant, w)
	other := s.Connect(t, s.Join(t, "O", "Org O", record.RoleParticipant, w), w)
	tab1, tab2 := s.Connect(t, p, w), s.Connect(t, p, w)
	req, _ := http.NewRequest("POST", s.Server.URL+"/signout", nil)
	req.AddCookie(&p.Cookie)
	req.Header.Set("X-CSRF-Token", web.CSRFToken(p.Cookie.Value))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %v %v", resp, err)
	}
	for i, tab := range []*liveclient.Client{tab1, tab2} {
		select {
		case <-tab.Done():
		case <-time.After(30 * time.Second):
			t.Fatalf("tab %d still open after sign-out", i+1)
		}
	}
	stillOpen(t, other, "someone else")
	// And the session cannot open a new one.
	if err := tab1.Reconnect(context.Background()); err == nil {
		t.Fatal("reconnected with a signed-out session")
	}
}
