package journal

import (
	"encoding/json"
	"testing"
)

// TestNewLogEpochRange: epochs are drawn in [1, 2^53-1] and do not repeat.
func TestNewLogEpochRange(t *testing.T) {
	seen := map[int64]bool{}
	for range 1000 {
		e := NewLogEpoch()
		if e < 1 || e > maxEpoch {
			t.Fatalf("epoch %d out of [1, 2^53-1]", e)
		}
		seen[e] = true
	}
	if len(seen) < 1000 {
		t.Errorf("1000 draws gave %d distinct epochs", len(seen))
	}
}

// TestSealedIsNotJSON: a sealed payload never parses as JSON, so a reader cannot take it for a
// plain one.
func TestSealedIsNotJSON(t *testing.T) {
	var v any
	if json.Unmarshal([]byte(sealPrefix+"1:x"), &v) == nil {
		t.Errorf("a sealed payload parses as JSON")
	}
}
