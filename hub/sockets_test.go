package hub

import (
	"slices"
	"testing"
)

// TestOldestHereAcrossNodes: of a person's sockets on every node, the oldest past the cap
// go, and a node picks out those that are its own; two nodes given each other's sockets
// pick disjoint sets that together make up the excess.
func TestOldestHereAcrossNodes(t *testing.T) {
	conns := func(opened ...int64) []*conn {
		var cs []*conn
		for i, at := range opened {
			cs = append(cs, &conn{opened: at, serial: uint64(i + 1)})
		}
		return cs
	}
	far := func(node string, opened ...int64) []RemoteSocket {
		var rs []RemoteSocket
		for _, at := range opened {
			rs = append(rs, RemoteSocket{Opened: at, Node: node})
		}
		return rs
	}
	tests := []struct {
		name   string
		here   []*conn
		far    []RemoteSocket
		excess int
		want   []int64 // opening times of the sockets here that go
	}{
		{"within the cap", conns(1, 2, 3), far("b", 4, 5), 0, nil},
		{"the oldest is here", conns(1, 2, 3), far("b", 4, 5, 6), 1, []int64{1}},
		{"the oldest is elsewhere", conns(4, 5, 6), far("b", 1, 2, 3), 1, nil},
		{"interleaved", conns(1, 3, 5), far("b", 2, 4, 6), 3, []int64{1, 3}},
		{"a tie goes to the node named first", conns(2, 5), far("b", 2, 6), 1, []int64{2}},
		{"a tie lost to a node named first", conns(2, 5), far("0", 2, 6), 1, nil},
		{"more than all of here", conns(7, 8), far("b", 1), 5, []int64{7, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, c := range oldestHere(tt.here, tt.far, "a", tt.excess) {
				got = append(got, c.opened)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// Node a and node b, each told of the other's sockets, close 4 between them, the 4 oldest.
	a, b := conns(10, 30, 50, 70, 90), conns(20, 40, 60, 80)
	var closed []int64
	for _, c := range oldestHere(a, far("b", 20, 40, 60, 80), "a", 4) {
		closed = append(closed, c.opened)
	}
	for _, c := range oldestHere(b, far("a", 10, 30, 50, 70, 90), "b", 4) {
		closed = append(closed, c.opened)
	}
	slices.Sort(closed)
	if !slices.Equal(closed, []int64{10, 20, 30, 40}) {
		t.Errorf("closed by both nodes: got %v, want the four oldest", closed)
	}
}
