package hub

import (
	"bytes"
	"testing"

	"github.com/assises/assises/hub/wire"
)

// TestPongByHand: the pong the read pump encodes by hand is the frame of what
// encodeFrame makes of a pongFrame.
func TestPongByHand(t *testing.T) {
	for _, ts := range []int64{0, 5, 1_800_000_000_123, -1} {
		want := wire.Text(encodeFrame(&pongFrame{Type: "pong"}, ts)).Bytes()
		if got := appendPong(nil, ts); !bytes.Equal(got, want) {
			t.Errorf("serverTime %d: got %q, want %q", ts, got, want)
		}
	}
}
