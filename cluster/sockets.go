package cluster

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assises/assises/hub"
)

// Sockets is the hub.SocketShare of a node: it tells the other nodes when each person's
// sockets here were opened, keeps what they say of theirs, and cues the hub when the
// person's cap must be looked at again (hub/sockets.go has the rule).
//
// Nothing of it touches a table: a handshake costs no round trip to the database, and a
// reconnection storm costs a few notifications of about 300 people each, sent by the bus's
// sender with the rest of what piled up. What a node says is a person's whole list, not a
// change, so a line said twice or late is harmless, and a node that missed some (its
// listener broke) forgets every other node's lists and asks them all to say theirs again.
//
// A check runs a settle after the last change of the person's sockets (here or elsewhere),
// at most two settles after the first: lines said meanwhile arrive first (a tab closed on
// one node and opened again on another is not taken for one more).
//
// A node that dies says nothing more. Every node speaks at least once a heartbeat (a bare
// "h" line when it has nothing else to say; the settle is longer), and a check counts only
// the sockets of the nodes heard since the person's last change: a dead node's sockets
// never close a socket opened, here or on a third node, after its last word. A check that
// left out a node silent for less than the ttl (late, not dead yet) runs again; past the
// ttl that node's sockets count no more.
type Sockets struct {
	node   string
	settle time.Duration // a check runs this long after the change that asked for it
	ttl    time.Duration // a node silent this long no longer counts
	forget time.Duration // a node silent this long is forgotten altogether

	mu   sync.Mutex
	here map[int64][]int64 // person → when their sockets here were opened
	// changed: person (with sockets here) → when their sockets here or elsewhere last changed
	changed map[int64]time.Time
	dirty   map[int64]struct{}
	resend  bool // ask the other nodes to say all their lines again
	nodes   map[string]*peer
	armed   map[int64]*check // persons whose check is due
	notify  func(hub.Cue)    // set by the Bus
	wake    func()           // set by the Bus: the sender has something to say
}

// check is a person's check of their cap, due at due.
type check struct{ first, due time.Time }

// peer is what this node knows of another node's sockets.
type peer struct {
	heard   time.Time
	persons map[int64][]int64
}

var _ hub.SocketShare = (*Sockets)(nil)

func newSockets(node string, heartbeat time.Duration) *Sockets {
	return &Sockets{
		node:    node,
		settle:  heartbeat * 3 / 2,
		ttl:     3 * heartbeat,
		forget:  time.Minute,
		here:    map[int64][]int64{},
		changed: map[int64]time.Time{},
		dirty:   map[int64]struct{}{},
		nodes:   map[string]*peer{},
		armed:   map[int64]*check{},
	}
}

// Node is this node's name.
func (s *Sockets) Node() string { return s.node }

// Here records the person's sockets on this node for the other nodes, and asks for a check
// when the person holds sockets elsewhere too.
func (s *Sockets) Here(person int64, opened []int64) {
	s.mu.Lock()
	if slices.Equal(s.here[person], opened) {
		s.mu.Unlock()
		return
	}
	if len(opened) == 0 {
		delete(s.here, person)
		delete(s.changed, person)
	} else {
		s.here[person] = slices.Clone(opened)
		s.changed[person] = time.Now()
		for _, p := range s.nodes {
			if len(p.persons[person]) > 0 {
				s.armLocked(person)
				break
			}
		}
	}
	s.dirty[person] = struct{}{}
	wake := s.wake
	s.mu.Unlock()
	if wake != nil {
		wake()
	}
}

// Elsewhere returns the person's sockets on the nodes heard since the person's sockets last
// changed. If a node that holds some of them has not spoken since but is not yet past the
// ttl, the check is asked again.
func (s *Sockets) Elsewhere(person int64) []hub.RemoteSocket {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	since := s.changed[person]
	var far []hub.RemoteSocket
	for name, p := range s.nodes {
		opened := p.persons[person]
		if len(opened) == 0 {
			continue
		}
		switch {
		case now.Sub(p.heard) > s.ttl:
			// dead, or silent so long that it counts no more
		case p.heard.Before(since):
			if len(s.here[person]) > 0 {
				s.armLocked(person)
			}
		default:
			for _, at := range opened {
				far = append(far, hub.RemoteSocket{Opened: at, Node: name})
			}
		}
	}
	return far
}

// armLocked asks for a check of the person's cap a settle from now; a check already due
// is put off until then, but no further than two settles after it was first asked.
func (s *Sockets) armLocked(person int64) {
	now := time.Now()
	due := now.Add(s.settle)
	if c, ok := s.armed[person]; ok {
		if latest := c.first.Add(2 * s.settle); due.After(latest) {
			due = latest
		}
		c.due = due
		return
	}
	c := &check{first: now, due: due}
	s.armed[person] = c
	time.AfterFunc(s.settle, func() { s.run(person, c) })
}

// run cues the hub to check the person's cap, or waits again if the check was put off.
func (s *Sockets) run(person int64, c *check) {
	s.mu.Lock()
	if wait := time.Until(c.due); wait > 0 {
		s.mu.Unlock()
		time.AfterFunc(wait, func() { s.run(person, c) })
		return
	}
	delete(s.armed, person)
	notify := s.notify
	s.mu.Unlock()
	if notify != nil {
		notify(hub.Cue{Kind: hub.CueSockets, Person: person})
	}
}

// heardFrom notes that node spoke. A node not known (new, forgotten, or this node's
// listener came back) is asked, with all the others, to say its lines again; a node that
// was silent past the ttl counts again, so the persons it holds that are here are checked.
func (s *Sockets) heardFrom(node string, at time.Time) {
	s.mu.Lock()
	p := s.nodes[node]
	wake := false
	switch {
	case p == nil:
		s.nodes[node] = &peer{heard: at, persons: map[int64][]int64{}}
		s.resend, wake = true, true
	case at.Sub(p.heard) > s.ttl:
		for person := range p.persons {
			if len(s.here[person]) > 0 {
				s.armLocked(person)
			}
		}
		fallthrough
	default:
		p.heard = at
	}
	w := s.wake
	s.mu.Unlock()
	if wake && w != nil {
		w()
	}
}

// heardLine records what node says of its persons ("person=opened.opened …"), heard at at.
func (s *Sockets) heardLine(node string, fields []string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.nodes[node]
	if p == nil {
		return // heardFrom runs first
	}
	for _, f := range fields {
		person, opened, ok := decodeSockets(f)
		if !ok {
			continue
		}
		if slices.Equal(p.persons[person], opened) {
			continue
		}
		if len(opened) == 0 {
			delete(p.persons, person)
		} else {
			p.persons[person] = opened
		}
		if len(s.here[person]) > 0 {
			s.changed[person] = at
			s.armLocked(person)
		}
	}
}

// sayAll queues every line of this node (another node asked).
func (s *Sockets) sayAll() {
	s.mu.Lock()
	for person := range s.here {
		s.dirty[person] = struct{}{}
	}
	wake := s.wake
	s.mu.Unlock()
	if wake != nil {
		wake()
	}
}

// forgetOthers drops what every other node said: this node's listener was cut and may
// have missed lines. Each node is asked again the first time it is heard.
func (s *Sockets) forgetOthers() {
	s.mu.Lock()
	s.nodes = map[string]*peer{}
	s.mu.Unlock()
}

// sweep forgets the nodes silent for long.
func (s *Sockets) sweep(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, p := range s.nodes {
		if now.Sub(p.heard) > s.forget {
			delete(s.nodes, name)
		}
	}
}

// maxSocketsLine keeps a line of sockets well inside NOTIFY's 8000 bytes.
const maxSocketsLine = 7000

// take returns the lines to send and what they cover, for put if they could not be sent.
func (s *Sockets) take() (lines []string, persons []int64, resend bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := "s " + s.node
	var sb strings.Builder
	for person := range s.dirty {
		entry := encodeSockets(person, s.here[person])
		if sb.Len() > 0 && sb.Len()+1+len(entry) > maxSocketsLine {
			lines = append(lines, sb.String())
			sb.Reset()
		}
		if sb.Len() == 0 {
			sb.WriteString(prefix)
		}
		sb.WriteString(" " + entry)
		persons = append(persons, person)
	}
	if sb.Len() > 0 {
		lines = append(lines, sb.String())
	}
	if s.resend {
		lines = append(lines, "S "+s.node)
	}
	resend = s.resend
	s.dirty, s.resend = map[int64]struct{}{}, false
	return lines, persons, resend
}

// put queues again what take returned and could not be sent.
func (s *Sockets) put(persons []int64, resend bool) {
	s.mu.Lock()
	for _, person := range persons {
		s.dirty[person] = struct{}{}
	}
	s.resend = s.resend || resend
	s.mu.Unlock()
}

// encodeSockets writes a person's list as "12=1765000000123.1765000000456" ("12=": none).
func encodeSockets(person int64, opened []int64) string {
	b := strconv.AppendInt(nil, person, 10)
	b = append(b, '=')
	for i, at := range opened {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, at, 10)
	}
	return string(b)
}

func decodeSockets(f string) (person int64, opened []int64, ok bool) {
	k, v, ok := strings.Cut(f, "=")
	if !ok {
		return 0, nil, false
	}
	person, err := strconv.ParseInt(k, 10, 64)
	if err != nil {
		return 0, nil, false
	}
	if v == "" {
		return person, nil, true
	}
	for _, t := range strings.Split(v, ".") {
		at, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, nil, false
		}
		opened = append(opened, at)
	}
	return person, opened, true
}
