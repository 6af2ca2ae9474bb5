package hub

import "testing"

// TestPanicEndsOnlyThatConnection: a panic while serving one client (here in the Backend,
// reached through that client's hello) closes that connection, and the hub goes on serving
// everyone else. Without the guard the test binary itself would crash.
func TestPanicEndsOnlyThatConnection(t *testing.T) {
	fb := newFakeBackend()
	fb.panicFor = 666
	e := newEnv(t, fb, nil)
	e.member(1, "participant", false, 0)
	e.member(666, "participant", false, 0)
	bad := e.dial(666)
	bad.send(map[string]any{"type": "hello", "v": 1, "workshop": 1})
	bad.closed()
	good := e.join(1, 0)
	good.send(map[string]any{"type": "ping"})
	good.expect("pong")
}
