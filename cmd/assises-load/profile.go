package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// profileDuringMeasure fetches the spawned server's CPU profile over the measured phase:
// it waits for the phase to begin, then asks pprof for -duration seconds of samples.
func (r *run) profileDuringMeasure(ctx context.Context, addr, path string) chan error {
	done := make(chan error, 1)
	go func() {
		select {
		case <-ctx.Done():
			done <- ctx.Err()
			return
		case <-r.measureStarted:
		}
		secs := max(1, int(r.cfg.duration.Seconds()))
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			done <- err
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- fmt.Errorf("pprof: HTTP %d", resp.StatusCode)
			return
		}
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	return done
}

// fetchHeap saves the spawned server's heap profile (taken after a GC) at the end of the
// measured phase: what the connections hold, not what the setup left behind.
func (r *run) fetchHeap(path string) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/heap?gc=1", r.pprofAddr))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof heap: HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// goMemory is what the server's Go runtime says it holds: live heap and goroutine stacks.
type goMemory struct {
	heapAlloc, stack int64 // bytes
}

// readGoMemory reads the runtime's memory statistics from the spawned server's pprof (the
// "# HeapAlloc = …" lines of the text heap profile), after a garbage collection.
func (r *run) readGoMemory() (goMemory, error) {
	var m goMemory
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/heap?debug=1&gc=1", r.pprofAddr))
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return m, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		var n int64
		switch {
		case strings.HasPrefix(line, "# HeapAlloc = "):
			fmt.Sscanf(line, "# HeapAlloc = %d", &n)
			m.heapAlloc = n
		case strings.HasPrefix(line, "# Stack = "):
			fmt.Sscanf(line, "# Stack = %d", &n)
			m.stack = n
		}
	}
	return m, nil
}
