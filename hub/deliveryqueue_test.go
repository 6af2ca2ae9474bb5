package hub

import (
	"sync/atomic"
	"testing"
)

// TestShutdownDeliversQueuedBatches: the committer may finish while committed batches still
// wait in the room's delivery queue; their acks must go out before the room closes its
// members, whichever the room's select happens to see first.
func TestShutdownDeliversQueuedBatches(t *testing.T) {
	for i := range 50 {
		r := bareRoom(t, nil)
		var writes atomic.Int64
		m := addMember(r, Viewer{Participant: 1}, &writes)
		for k := range 3 {
			r.deliveries <- delivery{outcomes: []sentOutcome{{c: m.c, out: Outcome{CommandID: newID(), Seq: int64(k + 1)}}}}
		}
		close(r.commitDone) // the committer finished after queuing them
		r.shutdown(1001, "going away")
		<-m.c.out.Done() // the close frame went out after everything the room had queued
		msgs, closed := messagesOf(t, transportOf(m.c))
		acks := 0
		for _, f := range msgs {
			if f.Type == "ack" {
				acks++
			}
		}
		if acks != 3 || !closed {
			t.Fatalf("round %d: got %d acks (closed %v), want 3 then the close frame", i, acks, closed)
		}
	}
}
