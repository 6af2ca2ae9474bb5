package hub

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestPresenceIntervalGrowsWithTheRoom(t *testing.T) {
	cfg := Config{CoalesceInterval: 200 * time.Millisecond, PresenceInterval: time.Second}
	tests := []struct {
		online int
		want   time.Duration
	}{
		{0, 200 * time.Millisecond},
		{12, 200 * time.Millisecond},
		{200, 200 * time.Millisecond},
		{500, 500 * time.Millisecond},
		{presenceFullRoom, time.Second},
		{15000, time.Second},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.online), func(t *testing.T) {
			if got := broadcastInterval(&cfg, tt.online); got != tt.want {
				t.Errorf("interval with %d online: got %v, want %v", tt.online, got, tt.want)
			}
		})
	}
}

// TestPresenceCountKeptAsPeopleComeAndGo: the count kept as members join and leave and as
// their viewers are reloaded always equals a count made from scratch.
func TestPresenceCountKeptAsPeopleComeAndGo(t *testing.T) {
	r := bareRoom(t, nil)
	var frames atomic.Int64
	rnd := rand.New(rand.NewPCG(1, 2))
	viewer := func(p int64) Viewer {
		roles := []string{"participant", "participant", "moderator", "observer"}
		return Viewer{Participant: p, Role: roles[rnd.IntN(len(roles))], Moderator: rnd.IntN(5) == 0, Group: int64(rnd.IntN(4))}
	}
	var ms []*member
	for step := range 3000 {
		switch op := rnd.IntN(10); {
		case op < 5 || len(ms) == 0: // a connection joins, often a second tab of someone
			p := int64(rnd.IntN(40) + 1)
			v := viewer(p)
			if others := r.people[p]; len(others) > 0 {
				v = others[0].v // a person's tabs share their viewer
			}
			ms = append(ms, addMember(r, v, &frames))
		case op < 9: // one leaves
			i := rnd.IntN(len(ms))
			r.remove(ms[i])
			ms = append(ms[:i], ms[i+1:]...)
		default: // memberships reloaded: some people change role or group
			vs := map[int64]Viewer{}
			for p := range r.people {
				vs[p] = viewer(p)
			}
			r.applyViewers(vs, uint64(step))
		}
		want := countOf(r.people)
		if got := r.presence.count; got.online != want.online || !maps.Equal(got.byRole, want.byRole) || !maps.Equal(got.byGroup, want.byGroup) {
			t.Fatalf("step %d: kept count %+v, want %+v (counted from scratch)", step, got, want)
		}
	}
}

// presenceWatch is a real WebSocket client that only counts the presence messages it gets.
type presenceWatch struct {
	ws       *websocket.Conn
	mu       sync.Mutex
	messages int // presence messages received
	first    int // online in the first presence message (-1: none yet)
	last     int // online in the latest one
	lastSeq  int64
	err      error
}

func (e *testEnv) watchPresence(p, since int64) (*presenceWatch, error) {
	ws, _, err := websocket.DefaultDialer.Dial(e.url+"?p="+strconv.FormatInt(p, 10), nil)
	if err != nil {
		return nil, err
	}
	e.t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "workshop": testWS, "since": since, "epoch": fakeEpoch}); err != nil {
		return nil, err
	}
	w := &presenceWatch{ws: ws, first: -1}
	go func() {
		for {
			var m srvMsg
			if err := ws.ReadJSON(&m); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
				return
			}
			w.mu.Lock()
			switch m.Type {
			case "presence":
				w.messages++
				if w.first < 0 {
					w.first = m.Online
				}
				w.last = m.Online
			case "snapshot", "event":
				w.lastSeq = max(w.lastSeq, m.Seq)
			}
			w.mu.Unlock()
		}
	}()
	return w, nil
}

func (w *presenceWatch) state() (messages, first, last int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.messages, w.first, w.last
}

// TestPresenceBurstIsCoalesced: 500 people joining at once over real WebSockets make a
// handful of presence broadcasts, not one each, and every client ends with the right count.
// A person who comes back gets the exact count at once, not the last broadcast.
func TestPresenceBurstIsCoalesced(t *testing.T) {
	const (
		burst    = 500
		interval = 250 * time.Millisecond
	)
	e := newEnv(t, newFakeBackend(), func(c *Config) {
		c.CoalesceInterval, c.PresenceInterval = interval, interval
		c.JoinWorkers = 64
	})
	for p := int64(1); p <= burst+2; p++ {
		e.member(p, "participant", false, p%3)
	}
	watcher, err := e.watchPresence(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the watcher counts itself", func() bool { _, _, last := watcher.state(); return last == 1 })

	start := time.Now()
	clients := make([]*presenceWatch, burst)
	errs := make(chan error, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := e.watchPresence(int64(i+2), 0)
			if err != nil {
				errs <- fmt.Errorf("participant %d: %w", i+2, err)
				return
			}
			clients[i] = w
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	online := burst + 1
	for i, c := range clients {
		eventually(t, fmt.Sprintf("client %d sees %d online", i, online), func() bool { _, _, last := c.state(); return last == online })
	}
	eventually(t, "the watcher sees everyone", func() bool { _, _, last := watcher.state(); return last == online })
	elapsed := time.Since(start)

	// The room broadcasts at most once per interval, plus the one a change after a quiet
	// spell sends at once, plus the watcher's own arrival, which may reach it after the burst
	// began; each client also got the exact count when it went live.
	bound := int(elapsed/interval) + 3
	if got, _, _ := watcher.state(); got-1 > bound {
		t.Errorf("watcher: got %d presence broadcasts during a burst of %d joins over %v, want at most %d", got-1, burst, elapsed, bound)
	}
	for i, c := range clients {
		if got, first, _ := c.state(); got-1 > bound || first < 2 {
			t.Fatalf("client %d: got %d presence messages (first said %d online), want at most %d broadcasts after an exact first count", i, got, first, bound+1)
		}
	}
	t.Logf("%d joins in %v: the watcher got %d presence broadcasts", burst, elapsed, func() int { n, _, _ := watcher.state(); return n - 1 }())

	// Someone new resumes at the room's last seq: they go live at once, and the presence
	// they get counts them, although no broadcast has told the others yet.
	watcher.mu.Lock()
	seq := watcher.lastSeq
	watcher.mu.Unlock()
	late, err := e.watchPresence(burst+2, seq)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the late one gets a presence", func() bool { n, _, _ := late.state(); return n > 0 })
	if _, first, _ := late.state(); first != online+1 {
		t.Errorf("late one's first presence: got %d online, want %d (themselves included)", first, online+1)
	}
	eventually(t, "the watcher sees the late one", func() bool { _, _, last := watcher.state(); return last == online+1 })
}

func TestPresenceFrameIsValidJSON(t *testing.T) {
	var c presenceCount
	c.add(Viewer{Participant: 1, Role: "participant", Group: 7}, 1)
	c.add(Viewer{Participant: 2, Role: "participant", Moderator: true}, 1)
	b, err := json.Marshal(c.frame())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"presence","online":2,"byRole":{"moderator":1,"participant":1},"byGroup":{"7":1},"serverTime":0}`; string(b) != want {
		t.Errorf("frame: got %s, want %s", b, want)
	}
}

// The coalesced follow-ups (tallies) of a room go out at the pace of its audience: as often
// as CoalesceInterval allows in a small room, once per PresenceInterval in a room of a
// thousand connections, whose every tally is a thousand writes.
func TestFollowUpsPacedByTheAudience(t *testing.T) {
	r := bareRoom(t, func(c *Config) { c.CoalesceInterval, c.PresenceInterval = 200*time.Millisecond, time.Second })
	var frames atomic.Int64
	k := &committer{r: r}
	flushed := time.Now()
	k.flush.last = flushed
	for _, tt := range []struct {
		audience int
		want     time.Duration
	}{
		{10, 200 * time.Millisecond},
		{600, 600 * time.Millisecond},
		{presenceFullRoom, time.Second},
	} {
		t.Run(strconv.Itoa(tt.audience), func(t *testing.T) {
			for p := len(r.members); p < tt.audience; p++ {
				addMember(r, Viewer{Participant: int64(p + 1), Role: "participant"}, &frames)
			}
			if got := k.flushDelay(flushed); got != tt.want {
				t.Errorf("next flush of a room of %d: in %v, want %v", tt.audience, got, tt.want)
			}
		})
	}
}
