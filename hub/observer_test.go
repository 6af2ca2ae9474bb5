package hub

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer that remembers every call.
type recorder struct {
	mu        sync.Mutex
	commands  []string // name/code
	answered  []time.Duration
	committed []int
	fanouts   int
}

func (r *recorder) Command(name, code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commands = append(r.commands, name+"/"+code)
}

func (r *recorder) Answered(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answered = append(r.answered, d)
}

func (r *recorder) Committed(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.committed = append(r.committed, n)
}

func (r *recorder) FannedOut(time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fanouts++
}

// TestObserverSeesEveryCommand: accepted, refused by the backend, refused busy by the hub,
// and refused unavailable when the commit fails; the answer times, the group commits and
// the fan-outs.
func TestObserverSeesEveryCommand(t *testing.T) {
	fb := newFakeBackend()
	release, calls := fb.holdFirstBatch()
	obs := &recorder{}
	e := newEnv(t, fb, func(c *Config) { c.Observer = obs; c.MaxBatch = 4; c.CommandQueue = 2 })
	e.member(1, "participant", false, 0)
	c := e.join(1, 0)
	first := c.emit("x", "all") // held at the gate
	eventually(t, "first batch executing", func() bool { return calls.Load() == 1 })
	r := e.theRoom()
	queued := []string{c.emit("y", "all"), c.command("refuse", map[string]any{"code": "phase_closed"})}
	eventually(t, "two commands queued", func() bool { return len(r.inbox) == 2 })
	busy := c.emit("z", "all") // the queue is full
	if m := c.until(isAck(busy)); m[len(m)-1].Code != CodeBusy {
		t.Fatalf("third queued command: got %+v, want reject busy", m[len(m)-1])
	}
	close(release)
	for _, id := range append([]string{first}, queued...) {
		c.until(isAck(id))
	}
	fb.mu.Lock()
	fb.execErr = errFake
	fb.mu.Unlock()
	failed := c.emit("w", "all")
	if m := c.until(isAck(failed)); m[len(m)-1].Code != CodeUnavailable {
		t.Fatalf("failed commit: got %+v, want reject unavailable", m[len(m)-1])
	}

	obs.mu.Lock()
	defer obs.mu.Unlock()
	got := slices.Clone(obs.commands)
	slices.Sort(got)
	want := []string{"emit/", "emit/", "emit/busy", "emit/unavailable", "refuse/phase_closed"}
	if !slices.Equal(got, want) {
		t.Errorf("commands: got %v, want %v", got, want)
	}
	if len(obs.answered) != 4 { // busy is answered by the read worker, not timed
		t.Errorf("answered: got %d, want 4 (the commands that reached the committer)", len(obs.answered))
	}
	if !slices.Equal(obs.committed, []int{1, 2}) {
		t.Errorf("committed: got %v, want [1 2] (the held one, then the group commit of two)", obs.committed)
	}
	if obs.fanouts != 2 {
		t.Errorf("fan-outs: got %d, want 2 (one per commit with events)", obs.fanouts)
	}
}
