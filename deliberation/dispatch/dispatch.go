// Package dispatch splits the people present in a workshop into mixed break-out groups, the
// way a Partner Day does it with colour codes: organisations mixed, service users spread, groups of
// even size. It is a pure function of (roster, parameters, seed): no clock, no database, no
// global randomness, so the same inputs always give the same groups.
//
// The split is an equitable edge colouring of a bipartite multigraph (de Werra): every person
// is an edge between their organisation and their kind (service user or not); a group is a
// colour. Equitable means that at every vertex each colour is used ⌊d/K⌋ or ⌈d/K⌉ times, which
// is exactly "each organisation spread as evenly as it can be" and "service users spread within
// one"; group sizes are kept within one as well (see balance). So the per-organisation cap c
// holds whenever it can hold at all: an organisation of m people needs m ≤ c·K.
package dispatch

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Member is one person of the roster.
type Member struct {
	ID  int64
	Org int64 // 0: no organisation (a person on their own)
	// ServiceUser is private data: it steers the split and never appears in a Plan.
	ServiceUser bool
	// Candidate marks someone who should report for a group (a rapporteur of an earlier
	// split): candidates are spread so that each group keeps one where the roster allows.
	Candidate bool
}

// Params say how to split. Exactly one of Groups and Size is set.
type Params struct {
	Groups int // K groups
	Size   int // or groups of about Size people
	// OrgCap is the most people of one organisation wanted in a group: 1 (default) or 2.
	OrgCap int
	Seed   uint64
	// Rapporteurs asks for one rapporteur per group: a candidate where the group has one,
	// otherwise a member drawn by the seed.
	Rapporteurs bool
}

// Limits of a split.
const (
	MaxGroups = 64
	MaxRoster = 5000
)

// Errors of Split.
var (
	ErrEmpty  = errors.New("dispatch: nobody to split")
	ErrParams = errors.New("dispatch: invalid parameters")
)

// Group is one group of a plan.
type Group struct {
	Members    []int64 // sorted by id
	Rapporteur int64   // 0: none
}

// Plan is the result of a split.
type Plan struct {
	Groups []Group
	// MaxPerOrg is the largest number of people of one organisation in one group; OrgCapMet
	// says whether it is within Params.OrgCap. When it is not, no split could have done it.
	MaxPerOrg int
	OrgCapMet bool
}

// GroupCount returns how many groups a roster of n people gets: Params.Groups, or n/Size
// rounded, never more groups than people.
func GroupCount(n int, p Params) (int, error) {
	if (p.Groups > 0) == (p.Size > 0) || p.Groups < 0 || p.Size < 0 || p.Groups > MaxGroups {
		return 0, fmt.Errorf("%w: give either groups (1 to %d) or size", ErrParams, MaxGroups)
	}
	k := p.Groups
	if p.Size > 0 {
		k = max(1, int(math.Round(float64(n)/float64(p.Size))))
	}
	return min(k, n, MaxGroups), nil
}

// Split divides the roster into groups. The roster's order does not matter: the same set of
// people, parameters and seed give the same plan.
func Split(roster []Member, p Params) (Plan, error) {
	if p.OrgCap == 0 {
		p.OrgCap = 1
	}
	if p.OrgCap < 1 || p.OrgCap > 2 {
		return Plan{}, fmt.Errorf("%w: orgCap must be 1 or 2", ErrParams)
	}
	if len(roster) > MaxRoster {
		return Plan{}, fmt.Errorf("%w: more than %d people", ErrParams, MaxRoster)
	}
	if len(roster) == 0 {
		return Plan{}, ErrEmpty
	}
	k, err := GroupCount(len(roster), p)
	if err != nil {
		return Plan{}, err
	}
	people := slices.Clone(roster)
	slices.SortFunc(people, func(a, b Member) int { return cmpInt(a.ID, b.ID) })
	for i := 1; i < len(people); i++ {
		if people[i].ID == people[i-1].ID {
			return Plan{}, fmt.Errorf("%w: participant %d listed twice", ErrParams, people[i].ID)
		}
	}
	rng := newPCG(p.Seed)
	for i := len(people) - 1; i > 0; i-- { // Fisher–Yates with our own generator: stable across Go releases
		j := int(rng.next() % uint64(i+1))
		people[i], people[j] = people[j], people[i]
	}

	g := newGraph(people, k)
	g.deal()
	g.balance()
	if p.Rapporteurs {
		g.spreadCandidates()
	}
	return g.plan(p), nil
}

// graph is the bipartite multigraph: left vertices are organisations, right vertices are the
// two kinds (service user, other); each person is one edge, coloured by their group.
type graph struct {
	k      int
	people []Member // shuffled
	org    []int    // person → organisation vertex
	kind   []int    // person → kind vertex (0 service user, 1 other)
	colour []int    // person → group
	orgs   int
	// count[v][c]: edges of colour c at vertex v; vertices are orgs, then the two kinds.
	count [][]int
	size  []int
}

func newGraph(people []Member, k int) *graph {
	g := &graph{k: k, people: people, org: make([]int, len(people)), kind: make([]int, len(people)),
		colour: make([]int, len(people)), size: make([]int, k)}
	index := map[int64]int{}
	for i, m := range people {
		v, ok := index[m.Org]
		if !ok || m.Org == 0 { // people without an organisation are each their own
			v = g.orgs
			g.orgs++
			if m.Org != 0 {
				index[m.Org] = v
			}
		}
		g.org[i] = v
		if !m.ServiceUser {
			g.kind[i] = 1
		}
	}
	g.count = make([][]int, g.orgs+2)
	for v := range g.count {
		g.count[v] = make([]int, k)
	}
	return g
}

func (g *graph) set(p, c int) {
	g.colour[p] = c
	g.count[g.org[p]][c]++
	g.count[g.orgs+g.kind[p]][c]++
	g.size[c]++
}

func (g *graph) unset(p int) {
	c := g.colour[p]
	g.count[g.org[p]][c]--
	g.count[g.orgs+g.kind[p]][c]--
	g.size[c]--
}

// deal is the starting point: people dealt round the groups, organisation by organisation
// (in order of first appearance in the shuffled roster). Sizes and organisations are already
// spread; balance then fixes the kinds.
func (g *graph) deal() {
	order := make([]int, len(g.people))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return g.org[a] - g.org[b] })
	for i, p := range order {
		g.set(p, i%g.k)
	}
}

// balance recolours pairs of groups until the colouring is equitable at every vertex and in
// size. Each step makes one pair (i, j) balanced at every vertex at once, which lowers the sum
// of squared counts, so the loop ends.
func (g *graph) balance() {
	for {
		i, j, ok := g.unbalanced()
		if !ok {
			return
		}
		g.recolour(i, j)
	}
}

// unbalanced finds two groups whose counts differ by two or more at some vertex or in size.
func (g *graph) unbalanced() (int, int, bool) {
	check := func(row []int) (int, int, bool) {
		hi, lo := 0, 0
		for c := range row {
			if row[c] > row[hi] {
				hi = c
			}
			if row[c] < row[lo] {
				lo = c
			}
		}
		return hi, lo, row[hi]-row[lo] >= 2
	}
	if i, j, bad := check(g.size); bad {
		return i, j, true
	}
	for _, row := range g.count {
		if i, j, bad := check(row); bad {
			return i, j, true
		}
	}
	return 0, 0, false
}

// recolour gives the edges of colours i and j new colours i or j so that every vertex has as
// many of each as it can (within one), and the two groups' sizes stay within one. The classic
// way: make every degree even with dummy edges, walk an Euler circuit of each component and
// colour its edges alternately. The circuits are even (the graph is bipartite), so each visit of
// a vertex takes one edge of each colour. Odd organisations are tied to a dummy kind vertex E;
// then the odd ones among the kinds and E (there are 0 or 2) are tied to a dummy organisation D.
// When both kinds are odd, D's two edges are consecutive in its circuit and get different
// colours: the service users' extra edge and the others' extra edge land in different groups,
// which keeps the sizes within one.
func (g *graph) recolour(i, j int) {
	vSU, vOther := g.orgs, g.orgs+1
	vE, vD := g.orgs+2, g.orgs+3
	type edge struct{ a, b, person int } // person -1: dummy
	var edges []edge
	deg := make([]int, g.orgs+4)
	add := func(a, b, person int) {
		edges = append(edges, edge{a, b, person})
		deg[a]++
		deg[b]++
	}
	for p := range g.people {
		if c := g.colour[p]; c == i || c == j {
			add(g.org[p], g.orgs+g.kind[p], p)
		}
	}
	for v := 0; v < g.orgs; v++ {
		if deg[v]%2 == 1 {
			add(v, vE, -1)
		}
	}
	for _, v := range []int{vSU, vOther, vE} {
		if deg[v]%2 == 1 {
			add(v, vD, -1)
		}
	}
	adj := make([][]int, len(deg))
	for e, ed := range edges {
		adj[ed.a] = append(adj[ed.a], e)
		adj[ed.b] = append(adj[ed.b], e)
	}
	used := make([]bool, len(edges))
	next := make([]int, len(deg)) // per vertex, the first adjacency entry not yet looked at
	colourOf := make([]int, len(edges))
	for start := range deg {
		for {
			// Hierholzer, iteratively: the circuit is read off the stack in reverse, which is
			// still an Euler circuit.
			for next[start] < len(adj[start]) && used[adj[start][next[start]]] {
				next[start]++
			}
			if next[start] == len(adj[start]) {
				break
			}
			var circuit []int
			type frame struct{ v, via int }
			stack := []frame{{start, -1}}
			for len(stack) > 0 {
				top := stack[len(stack)-1]
				v := top.v
				for next[v] < len(adj[v]) && used[adj[v][next[v]]] {
					next[v]++
				}
				if next[v] == len(adj[v]) {
					stack = stack[:len(stack)-1]
					if top.via >= 0 {
						circuit = append(circuit, top.via)
					}
					continue
				}
				e := adj[v][next[v]]
				used[e] = true
				w := edges[e].a
				if w == v {
					w = edges[e].b
				}
				stack = append(stack, frame{w, e})
			}
			for n, e := range circuit {
				colourOf[e] = i
				if n%2 == 1 {
					colourOf[e] = j
				}
			}
		}
	}
	for e, ed := range edges {
		if ed.person >= 0 {
			g.unset(ed.person)
			g.set(ed.person, colourOf[e])
		}
	}
}

// spreadCandidates moves rapporteur candidates from groups with two or more to groups with
// none, by swapping with someone of the same kind whose move keeps every organisation as
// spread as before. It gives up where no such swap exists: the moderator then picks by hand.
func (g *graph) spreadCandidates() {
	cand := make([]int, g.k)
	for p, m := range g.people {
		if m.Candidate {
			cand[g.colour[p]]++
		}
	}
	for {
		moved := false
		for a := range g.people {
			A := g.colour[a]
			if !g.people[a].Candidate || cand[A] < 2 {
				continue
			}
			for b := range g.people {
				B := g.colour[b]
				if g.people[b].Candidate || cand[B] != 0 || g.kind[a] != g.kind[b] || !g.swappable(a, b) {
					continue
				}
				g.unset(a)
				g.unset(b)
				g.set(a, B)
				g.set(b, A)
				cand[A]--
				cand[B]++
				moved = true
				break
			}
		}
		if !moved {
			return
		}
	}
}

// swappable: exchanging a and b keeps each organisation's counts within one across groups.
func (g *graph) swappable(a, b int) bool {
	A, B := g.colour[a], g.colour[b]
	oa, ob := g.org[a], g.org[b]
	return oa == ob || (g.count[oa][A] > g.count[oa][B] && g.count[ob][B] > g.count[ob][A])
}

func (g *graph) plan(p Params) Plan {
	out := Plan{Groups: make([]Group, g.k)}
	for pi, m := range g.people { // shuffled order: the first candidate or member is the seed's draw
		grp := &out.Groups[g.colour[pi]]
		grp.Members = append(grp.Members, m.ID)
		if p.Rapporteurs && grp.Rapporteur == 0 && m.Candidate {
			grp.Rapporteur = m.ID
		}
	}
	for c := range out.Groups {
		grp := &out.Groups[c]
		if p.Rapporteurs && grp.Rapporteur == 0 && len(grp.Members) > 0 {
			grp.Rapporteur = grp.Members[0]
		}
		slices.Sort(grp.Members)
	}
	for v := 0; v < g.orgs; v++ {
		out.MaxPerOrg = max(out.MaxPerOrg, slices.Max(g.count[v]))
	}
	out.OrgCapMet = out.MaxPerOrg <= p.OrgCap
	return out
}

// pcg is PCG-XSH-RR 64/32 twice per draw: a small generator whose sequence for a seed is fixed
// here, not by the standard library's current choice.
type pcg struct{ state uint64 }

func newPCG(seed uint64) *pcg {
	p := &pcg{state: seed + 0x853c49e6748fea9b}
	p.step()
	return p
}

func (p *pcg) step() uint32 {
	old := p.state
	p.state = old*6364136223846793005 + 1442695040888963407
	x := uint32(((old >> 18) ^ old) >> 27)
	rot := uint32(old >> 59)
	return x>>rot | x<<((-rot)&31)
}

func (p *pcg) next() uint64 { return uint64(p.step())<<32 | uint64(p.step()) }

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
