package hub

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolRunWaitsForItsJob: run returns once f has run, on a worker, and a panic in f
// goes on in the caller.
func TestPoolRunWaitsForItsJob(t *testing.T) {
	p := newPool(2)
	defer p.stop()
	var ran atomic.Int32
	for range 10 {
		p.run(func() { time.Sleep(time.Millisecond); ran.Add(1) })
	}
	if got := ran.Load(); got != 10 {
		t.Fatalf("jobs done when run returned: got %d, want 10", got)
	}
	defer func() {
		if r, _ := recover().(string); !strings.Contains(r, "boom") {
			t.Errorf("panic in the caller: got %q, want the job's", r)
		}
	}()
	p.run(func() { panic("boom") })
	t.Error("run returned after a panic")
}

// TestPoolRunOfADroppedJob: a job that stop drops from the queue runs in the caller's
// place, once, so that a read pump never waits for a job nobody will run.
func TestPoolRunOfADroppedJob(t *testing.T) {
	p := newPool(1)
	release := make(chan struct{})
	started := make(chan struct{})
	go p.run(func() { close(started); <-release }) // holds the only worker
	<-started
	var ran atomic.Int32
	returned := make(chan struct{})
	go func() {
		p.run(func() { ran.Add(1) }) // queued behind it
		close(returned)
	}()
	eventually(t, "the second job queued", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.jobs) == 1
	})
	stopped := make(chan struct{})
	go func() { p.stop(); close(stopped) }()
	eventually(t, "stop began", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.stopped
	})
	close(release)
	select {
	case <-returned:
	case <-time.After(wait):
		t.Fatal("run of a dropped job never returned")
	}
	<-stopped
	if got := ran.Load(); got != 1 {
		t.Errorf("the dropped job ran %d times, want once", got)
	}
	p.run(func() { ran.Add(1) }) // a stopped pool runs in place
	if got := ran.Load(); got != 2 {
		t.Errorf("run on a stopped pool: ran %d, want 2", got)
	}
}
