package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/assises/assises/internal/liveclient"
)

// The bare broadcast goes at the pace the hub gives tallies in a room of the same size
// (hub/presence.go, broadcastInterval, with the hub's default intervals).
func TestTallyIntervalFollowsTheHub(t *testing.T) {
	paces := map[int]time.Duration{
		10: 200 * time.Millisecond, 200: 200 * time.Millisecond, 500: 500 * time.Millisecond,
		1000: time.Second, 15000: time.Second,
	}
	for n, want := range paces {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if got := tallyInterval(n); got != want {
				t.Errorf("tally pace for %d connections: got %v, want %v", n, got, want)
			}
		})
	}
}

// The bare WebSocket broadcast writes frames of the tally's size that the generator's client
// reads exactly as the room's tallies: the same fields, the same stamps.
func TestBareTallyReadsAsTheRoomsTally(t *testing.T) {
	for _, size := range []int{120, 127, 130, 468, 4000} { // 128 and 129: no frame has that size
		t.Run("", func(t *testing.T) {
			b := bareTally(7, 1765000000123, size)
			if len(b) != size {
				t.Errorf("size %d: got a frame of %d bytes", size, len(b))
			}
			hdr, n := 2, int(b[1])
			if n == 126 {
				hdr, n = 4, int(b[2])<<8|int(b[3])
			}
			if b[0] != 0x81 || hdr+n != len(b) {
				t.Fatalf("size %d: bad header % x", size, b[:hdr])
			}
			var m liveclient.Frame
			if !liveclient.ScanFrame(b[hdr:], &m) {
				t.Fatalf("size %d: not a frame: %s", size, b[hdr:])
			}
			if string(m.Type) != "event" || string(m.Name) != "tally.updated" || m.Seq != 7 || m.At != 1765000000123 || m.ServerTime != 1765000000123 {
				t.Errorf("size %d: read %+v", size, m)
			}
		})
	}
}
