package cluster

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assises/assises/hub"
)

// Presence adds the other nodes' counts to a room's presence. Each node says its own counts
// of a workshop when they change and repeats them every PresenceEvery; counts not repeated
// within their lifetime are forgotten (a node that died). A person with tabs on two nodes
// counts on each.
type Presence struct {
	node string
	ttl  time.Duration

	mu     sync.Mutex
	local  map[int64]string                  // this node's last line per workshop
	others map[int64]map[string]heardCounts  // workshop → node → counts
	notify func(hub.Cue)                     // set by the Bus: rooms recount
	send   func(workshop int64, line string) // set by the Bus
}

type heardCounts struct {
	c  hub.PresenceCount
	at time.Time
}

var _ hub.PresenceShare = (*Presence)(nil)

func newPresence(node string, ttl time.Duration) *Presence {
	return &Presence{node: node, ttl: ttl, local: map[int64]string{}, others: map[int64]map[string]heardCounts{}}
}

// Share publishes this node's counts (if they changed) and returns the sum of the others'.
func (p *Presence) Share(workshop int64, here hub.PresenceCount) hub.PresenceCount {
	line := encodeCounts(here)
	p.mu.Lock()
	changed := p.local[workshop] != line
	if here.Online == 0 {
		delete(p.local, workshop)
	} else {
		p.local[workshop] = line
	}
	sum := hub.PresenceCount{ByRole: map[string]int{}, ByGroup: map[string]int{}}
	now := time.Now()
	for _, h := range p.others[workshop] {
		if now.Sub(h.at) > p.ttl {
			continue
		}
		sum.Online += h.c.Online
		for k, n := range h.c.ByRole {
			sum.ByRole[k] += n
		}
		for k, n := range h.c.ByGroup {
			sum.ByGroup[k] += n
		}
	}
	send := p.send
	p.mu.Unlock()
	if changed && send != nil {
		send(workshop, line)
	}
	return sum
}

// heard records another node's counts and tells the room to recount.
func (p *Presence) heard(node string, workshop int64, line string, at time.Time) {
	c, ok := decodeCounts(line)
	if !ok {
		return
	}
	p.mu.Lock()
	m := p.others[workshop]
	if m == nil {
		m = map[string]heardCounts{}
		p.others[workshop] = m
	}
	old, had := m[node]
	if c.Online == 0 {
		delete(m, node)
	} else {
		m[node] = heardCounts{c: c, at: at}
	}
	notify := p.notify
	p.mu.Unlock()
	same := had && old.c.Online == c.Online && maps.Equal(old.c.ByRole, c.ByRole) && maps.Equal(old.c.ByGroup, c.ByGroup)
	if !same && notify != nil {
		notify(hub.Cue{Kind: hub.CuePresence, Workshop: workshop})
	}
}

// repeat says every local line again and forgets the other nodes' expired counts.
func (p *Presence) repeat(now time.Time) {
	p.mu.Lock()
	lines := maps.Clone(p.local)
	var expired []int64
	for ws, m := range p.others {
		for node, h := range m {
			if now.Sub(h.at) > p.ttl {
				delete(m, node)
				expired = append(expired, ws)
			}
		}
		if len(m) == 0 {
			delete(p.others, ws)
		}
	}
	send, notify := p.send, p.notify
	p.mu.Unlock()
	if send != nil {
		for ws, line := range lines {
			send(ws, line)
		}
	}
	if notify != nil {
		for _, ws := range slices.Compact(slices.Sorted(slices.Values(expired))) {
			notify(hub.Cue{Kind: hub.CuePresence, Workshop: ws})
		}
	}
}

// maxCountsLine keeps a presence line well inside NOTIFY's 8000 bytes: past it, the groups
// are left out (a room with hundreds of groups still gets its total and roles right).
const maxCountsLine = 4000

// encodeCounts writes counts as "o=12,r.participant=10,g.3=4" (no spaces: one field).
func encodeCounts(c hub.PresenceCount) string {
	var sb strings.Builder
	sb.WriteString("o=" + strconv.Itoa(c.Online))
	for _, k := range slices.Sorted(maps.Keys(c.ByRole)) {
		sb.WriteString(",r." + k + "=" + strconv.Itoa(c.ByRole[k]))
	}
	roles := sb.Len()
	for _, k := range slices.Sorted(maps.Keys(c.ByGroup)) {
		sb.WriteString(",g." + k + "=" + strconv.Itoa(c.ByGroup[k]))
	}
	if sb.Len() > maxCountsLine {
		return sb.String()[:roles]
	}
	return sb.String()
}

func decodeCounts(s string) (hub.PresenceCount, bool) {
	c := hub.PresenceCount{ByRole: map[string]int{}, ByGroup: map[string]int{}}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return hub.PresenceCount{}, false
		}
		switch {
		case k == "o":
			c.Online = n
		case strings.HasPrefix(k, "r."):
			c.ByRole[k[2:]] = n
		case strings.HasPrefix(k, "g."):
			c.ByGroup[k[2:]] = n
		default:
			return hub.PresenceCount{}, false
		}
	}
	return c, true
}
