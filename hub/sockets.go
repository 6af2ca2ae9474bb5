package hub

import (
	"cmp"
	"log/slog"
	"slices"
)

// The per-person socket cap over several nodes. On one node, register closes a person's
// oldest sockets past MaxSocketsPerPerson the moment they open one more. With a
// SocketShare, each node also tells the others when each person's sockets here were
// opened, and when a person's sockets elsewhere change while they hold some here, the
// share cues the hub (CueSockets): the hub then ranks all of the person's sockets, every
// node's, by opening time and closes those of its own that are among the oldest past the
// cap, with the same CloseTooManyTabs. Every node ranks with the same rule, so the nodes
// agree on which sockets go without asking each other, and each closes only its own.

// SocketShare carries each person's sockets between nodes (package cluster). Here and
// Elsewhere must not block.
type SocketShare interface {
	// Node names this node; of two sockets opened in the same millisecond on two nodes, the
	// one of the node whose name sorts first is the older.
	Node() string
	// Here says when a person's open sockets on this node were opened (Unix ms, oldest
	// first; none: the person has none left here). The hub calls it after every change,
	// under its lock, so that the calls of one person come in order.
	Here(person int64, opened []int64)
	// Elsewhere returns the person's sockets on the other nodes that count now. The hub
	// asks when the share cued it (CueSockets).
	Elsewhere(person int64) []RemoteSocket
}

// RemoteSocket is a socket of a person on another node.
type RemoteSocket struct {
	Opened int64 // Unix ms on that node's clock
	Node   string
}

// shareSockets tells the share when the person's open sockets here were opened. The
// caller holds h.mu.
func (h *Hub) shareSockets(person int64) {
	if h.cfg.Sockets == nil {
		return
	}
	var opened []int64
	for c := range h.byUser[person] {
		if !c.displaced {
			opened = append(opened, c.opened)
		}
	}
	slices.Sort(opened)
	h.cfg.Sockets.Here(person, opened)
}

// capAcrossNodes applies MaxSocketsPerPerson to the person's sockets on every node (the
// share cued it): the oldest of all of them past the cap close, and this node closes
// those that are its own.
func (h *Hub) capAcrossNodes(person int64) {
	if h.cfg.Sockets == nil {
		return
	}
	far := h.cfg.Sockets.Elsewhere(person)
	node := h.cfg.Sockets.Node()
	h.mu.Lock()
	var here []*conn
	for c := range h.byUser[person] {
		if !c.displaced {
			here = append(here, c)
		}
	}
	gone := oldestHere(here, far, node, len(here)+len(far)-h.cfg.MaxSocketsPerPerson)
	for _, c := range gone {
		c.displaced = true
	}
	if len(gone) > 0 {
		h.shareSockets(person)
	}
	h.mu.Unlock()
	if len(gone) > 0 {
		h.log.Info("hub: too many sockets of one person over the nodes, closing their oldest here",
			slog.Int64("participant", person), slog.Int("here", len(here)), slog.Int("elsewhere", len(far)),
			slog.Int("closed", len(gone)))
	}
	for _, c := range gone {
		c.out.Terminate(CloseTooManyTabs, "too many tabs")
	}
}

// oldestHere returns the sockets of here among the excess oldest of here and far
// together, ranked by opening time, then node name (this node is node), then opening
// order on this node.
func oldestHere(here []*conn, far []RemoteSocket, node string, excess int) []*conn {
	if excess <= 0 || len(here) == 0 {
		return nil
	}
	here = slices.Clone(here)
	slices.SortFunc(here, func(a, b *conn) int {
		return cmp.Or(cmp.Compare(a.opened, b.opened), cmp.Compare(a.serial, b.serial))
	})
	far = slices.Clone(far)
	slices.SortFunc(far, func(a, b RemoteSocket) int {
		return cmp.Or(cmp.Compare(a.Opened, b.Opened), cmp.Compare(a.Node, b.Node))
	})
	var gone []*conn
	i, j := 0, 0
	for range excess {
		if i == len(here) {
			break
		}
		if j == len(far) || cmp.Or(cmp.Compare(here[i].opened, far[j].Opened), cmp.Compare(node, far[j].Node)) < 0 {
			gone = append(gone, here[i])
			i++
		} else {
			j++
		}
	}
	return gone
}
