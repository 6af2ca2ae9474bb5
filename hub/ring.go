package hub

// ring keeps the last events of a room, contiguous by seq, so that a client that
// reconnects after a short blip resumes from memory instead of the database.
type ring struct {
	buf   []Event
	start int // index of the oldest event
	n     int
}

func newRing(size int) *ring { return &ring{buf: make([]Event, size)} }

// push appends ev. The caller guarantees seqs are contiguous (the committer fills gaps).
func (r *ring) push(ev Event) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = ev
		r.n++
		return
	}
	r.buf[r.start] = ev
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring) reset() { r.start, r.n = 0, 0 }

// after returns the events with seq > s, and whether the ring holds all of them (false
// when s is older than the oldest event kept).
func (r *ring) after(s int64) ([]Event, bool) {
	if r.n == 0 {
		return nil, false
	}
	oldest := r.buf[r.start].Seq
	last := r.buf[(r.start+r.n-1)%len(r.buf)].Seq
	if s < oldest-1 || s > last {
		return nil, false
	}
	k := int(s - oldest + 1) // events to skip
	out := make([]Event, 0, r.n-k)
	for i := k; i < r.n; i++ {
		out = append(out, r.buf[(r.start+i)%len(r.buf)])
	}
	return out, true
}
