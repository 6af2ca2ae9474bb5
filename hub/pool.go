package hub

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// pool runs work on a fixed number of goroutines: slow side work of the rooms (snapshots,
// log catch-ups), and the work of the read pumps (run). Submitting never blocks: a room
// must stay responsive during a reconnect storm, so jobs wait in an unbounded FIFO whose
// length is bounded by the number of connections (each waits for at most one job).
type pool struct {
	mu      sync.Mutex
	jobs    []func()
	stopped bool
	wake    chan struct{}
	gone    chan struct{} // closed once stop has dropped the queue and the workers ended
	wg      sync.WaitGroup
}

func newPool(workers int) *pool {
	p := &pool{wake: make(chan struct{}, workers), gone: make(chan struct{})}
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

// submit queues job; it reports false when the pool is stopped.
func (p *pool) submit(job func()) bool {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return false
	}
	p.jobs = append(p.jobs, job)
	// Signal under the lock so that stop cannot close wake in between.
	select {
	case p.wake <- struct{}{}:
	default: // every worker already has a wake-up pending
	}
	p.mu.Unlock()
	return true
}

// run runs f on a worker and waits for it: a read pump's work, on a goroutine whose stack
// may grow without the pump's growing (read.go). A panic in f goes on in the caller, where
// the connection's guard catches it. A stopped pool (the hub is gone) runs f in place, and
// so does a caller whose job stop dropped: a read pump must never wait for nothing.
func (p *pool) run(f func()) {
	done := make(chan struct{})
	var panicked any
	job := func() {
		defer func() {
			if x := recover(); x != nil {
				panicked = fmt.Sprintf("%v\n%s", x, debug.Stack())
			}
			close(done)
		}()
		f()
	}
	if !p.submit(job) {
		f()
		return
	}
	select {
	case <-done:
	case <-p.gone:
		select {
		case <-done: // it ran before the workers ended
		default:
			f()
			return
		}
	}
	if panicked != nil {
		panic(panicked)
	}
}

func (p *pool) work() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		if p.stopped {
			p.mu.Unlock()
			return
		}
		if len(p.jobs) == 0 {
			p.mu.Unlock()
			<-p.wake
			continue
		}
		job := p.jobs[0]
		p.jobs[0] = nil
		p.jobs = p.jobs[1:]
		p.mu.Unlock()
		job()
	}
}

// stop drops queued jobs and waits for running ones; jobs must honour the hub's
// context so that this returns promptly. It may be called more than once.
func (p *pool) stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		p.wg.Wait()
		return
	}
	p.stopped = true
	p.jobs = nil
	p.mu.Unlock()
	close(p.wake)
	p.wg.Wait()
	close(p.gone)
}
