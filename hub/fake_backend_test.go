package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fakeBackend is an in-memory Backend: one log per workshop behind a mutex. Commands:
//
//	emit   {"name":"x","audience":"all","data":{...},"count":n,"reload":false}
//	       appends count events (1 by default)
//	refuse {"code":"phase_closed"}  refuses with that code
//	move   {"participant":p,"group":g}  changes a membership, emits "group.moved" with ReloadViewers
//	defer  {"key":"tally:1"}  emits "voted" and returns the key in Deferred
//
// Hooks let a test hold a call at a gate to observe what happens meanwhile.
type fakeBackend struct {
	mu        sync.Mutex
	logs      map[int64][]Event
	members   map[int64]Viewer // participant -> viewer (same in every workshop)
	outcomes  map[string]Outcome
	committed map[string]bool // command ids whose transaction committed
	batches   []int
	flushes   [][]string
	opens     int
	epoch     int64 // the log epoch Open reports; a test changes it to rewrite history
	snapshots int
	logReads  int
	wakeAt    time.Time
	lastBy    Viewer

	execErr error
	// beforeExecute, beforeSnapshot and beforeEventsAfter run before the call does its
	// work, outside the lock; a test blocks them on a channel to hold the call.
	beforeExecute     func(cmds []Command)
	beforeSnapshot    func()
	beforeEventsAfter func(after int64)
	snapshotEarly     bool // read the snapshot's state before beforeSnapshot runs

	inCommit  atomic.Int32 // Execute and Flush currently running
	overlaps  atomic.Int32 // times two commits overlapped (must stay 0)
	viewerErr error
	panicFor  int64 // Viewer panics for this participant (a bug reached through one client)
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		logs:      make(map[int64][]Event),
		members:   make(map[int64]Viewer),
		outcomes:  make(map[string]Outcome),
		committed: make(map[string]bool),
		epoch:     fakeEpoch,
	}
}

// fakeEpoch is the fake log's epoch until a test changes it.
const fakeEpoch = 4_503_599_627_370_497

// holdFirstBatch makes the first Execute wait until release is closed, so that what is
// sent meanwhile queues behind it; calls counts the Execute calls begun.
func (f *fakeBackend) holdFirstBatch() (release chan struct{}, calls *atomic.Int32) {
	release, calls = make(chan struct{}), new(atomic.Int32)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.beforeExecute = func([]Command) {
		if calls.Add(1) == 1 {
			<-release
		}
	}
	return release, calls
}

func (f *fakeBackend) setMember(v Viewer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[v.Participant] = v
}

func (f *fakeBackend) lastSeq(ws int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.logs[ws]))
}

// event is the logged event at seq (1-based).
func (f *fakeBackend) event(ws, seq int64) Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logs[ws][seq-1]
}

// appendEvent commits an event directly, as another node would; caller holds no lock.
func (f *fakeBackend) appendEvent(ws int64, name string, aud Audience) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.appendLocked(ws, name, aud, nil, false).Seq
}

func (f *fakeBackend) appendLocked(ws int64, name string, aud Audience, data json.RawMessage, reload bool) Event {
	seq := int64(len(f.logs[ws])) + 1
	if data == nil {
		data = json.RawMessage(fmt.Sprintf(`{"n":%d}`, seq))
	}
	ev := Event{Seq: seq, Name: name, Audience: aud, Data: data, At: time.UnixMilli(1_700_000_000_000 + seq), ReloadViewers: reload}
	f.logs[ws] = append(f.logs[ws], ev)
	return ev
}

func (f *fakeBackend) LogEpoch(ctx context.Context, ws int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.epoch, nil
}

func (f *fakeBackend) Open(ctx context.Context, ws int64) (int64, int64, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	return int64(len(f.logs[ws])), f.epoch, f.wakeAt, nil
}

func (f *fakeBackend) Viewer(ctx context.Context, ws, p int64) (Viewer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.viewerErr != nil {
		return Viewer{}, f.viewerErr
	}
	if p != 0 && p == f.panicFor {
		panic("fake: a bug reached through participant's hello")
	}
	v, ok := f.members[p]
	if !ok {
		return Viewer{}, fmt.Errorf("fake: participant %d: %w", p, ErrForbidden)
	}
	return v, nil
}

func (f *fakeBackend) Viewers(ctx context.Context, ws int64) (map[int64]Viewer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[int64]Viewer, len(f.members))
	for p, v := range f.members {
		out[p] = v
	}
	return out, nil
}

func (f *fakeBackend) enter() {
	if f.inCommit.Add(1) > 1 {
		f.overlaps.Add(1)
	}
}

type emitArgs struct {
	Name        string          `json:"name"`
	Audience    string          `json:"audience"`
	Data        json.RawMessage `json:"data"`
	Count       int             `json:"count"`
	Reload      bool            `json:"reload"`
	Code        string          `json:"code"`
	Participant int64           `json:"participant"`
	Group       int64           `json:"group"`
	Key         string          `json:"key"`
	Size        int             `json:"size"` // pad each event's data to about this many bytes
}

func (f *fakeBackend) Execute(ctx context.Context, ws int64, cmds []Command) (Result, error) {
	f.enter()
	defer f.inCommit.Add(-1)
	if hook := locked(f, func() func([]Command) { return f.beforeExecute }); hook != nil {
		hook(cmds)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(cmds))
	if f.execErr != nil {
		return Result{}, f.execErr
	}
	var res Result
	for _, c := range cmds {
		if o, ok := f.outcomes[c.ID]; ok { // idempotent: the first outcome, nothing applied
			res.Outcomes = append(res.Outcomes, o)
			continue
		}
		f.lastBy = c.By
		var a emitArgs
		if err := json.Unmarshal(c.Args, &a); err != nil {
			return Result{}, err
		}
		o := Outcome{CommandID: c.ID}
		switch c.Name {
		case "emit":
			aud := Audience{}
			if a.Audience != "" {
				var err error
				if aud, err = ParseAudience(a.Audience); err != nil {
					return Result{}, err
				}
			}
			if a.Size > 0 {
				a.Data, _ = json.Marshal(map[string]string{"pad": strings.Repeat("x", a.Size)})
			}
			for range max(1, a.Count) {
				ev := f.appendLocked(ws, a.Name, aud, a.Data, a.Reload)
				res.Events = append(res.Events, ev)
				o.Seq = ev.Seq
			}
		case "refuse":
			o.Code, o.Message = a.Code, "detail for "+a.Code
		case "move":
			v := f.members[a.Participant]
			v.Group = a.Group
			f.members[a.Participant] = v
			ev := f.appendLocked(ws, "group.moved", Audience{}, nil, true)
			res.Events = append(res.Events, ev)
			o.Seq = ev.Seq
		case "defer":
			ev := f.appendLocked(ws, "voted", Audience{Kind: Person, ID: c.By.Participant}, nil, false)
			res.Events = append(res.Events, ev)
			res.Deferred = append(res.Deferred, a.Key)
			o.Seq = ev.Seq
		default:
			o.Code = "unknown_command"
		}
		f.outcomes[c.ID] = o
		f.committed[c.ID] = true
		res.Outcomes = append(res.Outcomes, o)
	}
	return res, nil
}

func (f *fakeBackend) Flush(ctx context.Context, ws int64, keys []string) (Result, error) {
	f.enter()
	defer f.inCommit.Add(-1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushes = append(f.flushes, append([]string(nil), keys...))
	data, _ := json.Marshal(map[string]any{"keys": keys})
	ev := f.appendLocked(ws, "flushed", Audience{}, data, false)
	return Result{Events: []Event{ev}}, nil
}

func (f *fakeBackend) EventsAfter(ctx context.Context, ws, after int64, limit int) ([]Event, error) {
	if hook := locked(f, func() func(int64) { return f.beforeEventsAfter }); hook != nil {
		hook(after)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logReads++
	log := f.logs[ws]
	if after >= int64(len(log)) {
		return nil, nil
	}
	out := log[after:]
	if len(out) > limit {
		out = out[:limit]
	}
	return append([]Event(nil), out...), nil
}

func (f *fakeBackend) Snapshot(ctx context.Context, ws int64, v Viewer) (int64, json.RawMessage, error) {
	read := func() (int64, json.RawMessage) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.snapshots++
		seq := int64(len(f.logs[ws]))
		return seq, json.RawMessage(fmt.Sprintf(`{"seq":%d,"group":%d}`, seq, v.Group))
	}
	var seq int64
	var state json.RawMessage
	f.mu.Lock()
	early, hook := f.snapshotEarly, f.beforeSnapshot
	f.mu.Unlock()
	if early {
		seq, state = read()
	}
	if hook != nil {
		hook()
	}
	if !early {
		seq, state = read()
	}
	if ctx.Err() != nil {
		return 0, nil, ctx.Err()
	}
	return seq, state, nil
}

// locked reads a field under the lock: tests may set hooks while the hub runs.
func locked[T any](f *fakeBackend, get func() T) T {
	f.mu.Lock()
	defer f.mu.Unlock()
	return get()
}

func (f *fakeBackend) isCommitted(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.committed[id]
}

func (f *fakeBackend) counts() (opens, snapshots, logReads int, batches []int, flushes [][]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opens, f.snapshots, f.logReads, append([]int(nil), f.batches...), append([][]string(nil), f.flushes...)
}

var errFake = errors.New("fake: database down")
