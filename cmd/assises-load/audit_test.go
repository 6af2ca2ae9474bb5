package main

import "testing"

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
