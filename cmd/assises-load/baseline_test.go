package main

import (
	"fmt"
	"testing"
	"time"
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
