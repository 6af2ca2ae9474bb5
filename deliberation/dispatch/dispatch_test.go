package dispatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomRoster makes a roster shaped like the seeds' rooms: a few big organisations (a CPAS
// sending five people), many small ones, some people on their own, a share of service users.
func randomRoster(r *rand.Rand) []Member {
	n := 1 + r.IntN(120)
	orgs := 1 + r.IntN(max(1, n/2))
	suShare := r.Float64() * 0.6
	var roster []Member
	used := map[int64]bool{}
	for len(roster) < n {
		id := int64(1 + r.IntN(100000))
		if used[id] {
			continue
		}
		used[id] = true
		org := int64(0)
		if r.Float64() > 0.1 {
			// Skewed: low organisation numbers are far more likely, so some are big.
			org = int64(1 + int(float64(orgs)*r.Float64()*r.Float64()))
		}
		roster = append(roster, Member{ID: id, Org: org, ServiceUser: r.Float64() < suShare, Candidate: r.Float64() < 0.08})
	}
	return roster
}

func randomParams(r *rand.Rand, n int) Params {
	p := Params{OrgCap: 1 + r.IntN(2), Seed: r.Uint64(), Rapporteurs: r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		p.Groups = 1 + r.IntN(min(MaxGroups, max(1, n)))
	} else {
		p.Size = 2 + r.IntN(10)
	}
	return p
}

// TestSplitProperties checks, over many random rosters, what the issue asks of the dispatcher:
// everyone in exactly one group; sizes within one; the organisation cap whenever it is
// feasible (the largest organisation has at most cap × K people) and, always, no organisation
// more concentrated than it must be; service users within one across groups; rapporteurs are
// members, candidates where the group has one; the same plan for the same seed whatever the
// roster's order.
func TestSplitProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 11))
	for trial := 0; trial < 1500; trial++ {
		roster := randomRoster(r)
		p := randomParams(r, len(roster))
		name := fmt.Sprintf("trial %d (n=%d %+v)", trial, len(roster), p)
		plan, err := Split(roster, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k, _ := GroupCount(len(roster), p)
		if len(plan.Groups) != k {
			t.Fatalf("%s: got %d groups, want %d", name, len(plan.Groups), k)
		}
		checkPlan(t, name, roster, p, plan)

		shuffled := slices.Clone(roster)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, err := Split(shuffled, p)
		if err != nil || !reflect.DeepEqual(again, plan) {
			t.Fatalf("%s: same roster in another order: got %+v (%v), want %+v", name, again, err, plan)
		}
	}
}

func checkPlan(t *testing.T, name string, roster []Member, p Params, plan Plan) {
	t.Helper()
	byID := map[int64]Member{}
	orgSize := map[int64]int{}
	su := 0
	for _, m := range roster {
		byID[m.ID] = m
		if m.Org != 0 {
			orgSize[m.Org]++
		}
		if m.ServiceUser {
			su++
		}
	}
	k := len(plan.Groups)
	seen := map[int64]bool{}
	minSize, maxSize, minSU, maxSU := len(roster), 0, len(roster), 0
	maxPerOrg := 0
	for gi, g := range plan.Groups {
		perOrg := map[int64]int{}
		groupSU, candidates := 0, 0
		for _, id := range g.Members {
			m, ok := byID[id]
			if !ok || seen[id] {
				t.Fatalf("%s: group %d: participant %d unknown or twice", name, gi, id)
			}
			seen[id] = true
			if m.Org != 0 {
				perOrg[m.Org]++
			}
			if m.ServiceUser {
				groupSU++
			}
			if m.Candidate {
				candidates++
			}
		}
		for org, n := range perOrg {
			maxPerOrg = max(maxPerOrg, n)
			if limit := (orgSize[org] + k - 1) / k; n > limit {
				t.Fatalf("%s: group %d has %d of organisation %d (%d people), want at most %d", name, gi, n, org, orgSize[org], limit)
			}
		}
		minSize, maxSize = min(minSize, len(g.Members)), max(maxSize, len(g.Members))
		minSU, maxSU = min(minSU, groupSU), max(maxSU, groupSU)
		switch {
		case !p.Rapporteurs && g.Rapporteur != 0:
			t.Fatalf("%s: group %d got rapporteur %d, want none", name, gi, g.Rapporteur)
		case p.Rapporteurs && !slices.Contains(g.Members, g.Rapporteur):
			t.Fatalf("%s: group %d: rapporteur %d is not a member of %v", name, gi, g.Rapporteur, g.Members)
		case p.Rapporteurs && candidates > 0 && !byID[g.Rapporteur].Candidate:
			t.Fatalf("%s: group %d has a candidate but rapporteur %d is not one", name, gi, g.Rapporteur)
		}
	}
	if len(seen) != len(roster) {
		t.Fatalf("%s: %d people placed, want %d", name, len(seen), len(roster))
	}
	if maxSize-minSize > 1 {
		t.Fatalf("%s: group sizes from %d to %d, want within one", name, minSize, maxSize)
	}
	if maxSU-minSU > 1 {
		t.Fatalf("%s: service users per group from %d to %d, want within one", name, minSU, maxSU)
	}
	largest := 0
	for _, n := range orgSize {
		largest = max(largest, n)
	}
	cap := max(1, p.OrgCap)
	if feasible := largest <= cap*k; feasible && maxPerOrg > cap {
		t.Fatalf("%s: %d people of one organisation in a group, want at most %d (feasible: largest organisation %d, %d groups)",
			name, maxPerOrg, cap, largest, k)
	}
	if plan.MaxPerOrg < maxPerOrg || plan.OrgCapMet != (plan.MaxPerOrg <= cap) {
		t.Fatalf("%s: plan says max %d per organisation (met %v), counted %d", name, plan.MaxPerOrg, plan.OrgCapMet, maxPerOrg)
	}
}

// TestSplitSeeds: the seed decides the mix, and only the seed.
func TestSplitSeeds(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	roster := make([]Member, 40)
	for i := range roster {
		roster[i] = Member{ID: int64(i + 1), Org: int64(1 + i%13), ServiceUser: i%5 == 0}
	}
	differ := 0
	for trial := 0; trial < 20; trial++ {
		p := Params{Size: 8, Seed: r.Uint64()}
		a, _ := Split(roster, p)
		b, _ := Split(roster, p)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two plans for one seed", p.Seed)
		}
		p.Seed++
		c, _ := Split(roster, p)
		if !reflect.DeepEqual(a, c) {
			differ++
		}
	}
	if differ < 15 {
		t.Errorf("another seed gave another plan %d times out of 20, want nearly always", differ)
	}
}

// TestSplitPartnerDay is a Partner Day: 40 people of 14 organisations, a CPAS and
// Actiris with five each, six service users, split into groups of about 9 (at most two per
// organisation: one is not possible), then 5-6 for the case studies.
func TestSplitPartnerDay(t *testing.T) {
	var roster []Member
	id := int64(100)
	add := func(org int64, n int, su bool) {
		for i := 0; i < n; i++ {
			id++
			roster = append(roster, Member{ID: id, Org: org, ServiceUser: su})
		}
	}
	add(1, 5, false) // CPAS
	add(2, 5, false) // Actiris
	for org := int64(3); org <= 14; org++ {
		add(org, 2, false)
	}
	add(0, 6, true)
	for _, tt := range []struct {
		size, cap, groups int
		met               bool
	}{
		{9, 1, 4, false}, // five people of the CPAS cannot fit one per group in four groups…
		{9, 2, 4, true},  // …two per group can
		{6, 1, 7, true},
	} {
		p := Params{Size: tt.size, OrgCap: tt.cap, Seed: 25012018, Rapporteurs: true}
		plan, err := Split(roster, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Groups) != tt.groups || plan.OrgCapMet != tt.met {
			t.Errorf("size %d cap %d: got %d groups (cap met %v), want %d (%v)", tt.size, tt.cap, len(plan.Groups), plan.OrgCapMet, tt.groups, tt.met)
		}
		checkPlan(t, fmt.Sprintf("size %d", tt.size), roster, p, plan)
	}
}

func TestSplitRefusals(t *testing.T) {
	one := []Member{{ID: 1}}
	tests := []struct {
		name   string
		roster []Member
		p      Params
		want   error
	}{
		{"nobody", nil, Params{Groups: 2}, ErrEmpty},
		{"neither groups nor size", one, Params{}, ErrParams},
		{"both", one, Params{Groups: 2, Size: 3}, ErrParams},
		{"too many groups", one, Params{Groups: MaxGroups + 1}, ErrParams},
		{"cap 3", one, Params{Groups: 1, OrgCap: 3}, ErrParams},
		{"twice", []Member{{ID: 1}, {ID: 1}}, Params{Groups: 1}, ErrParams},
	}
	for _, tt := range tests {
		if _, err := Split(tt.roster, tt.p); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	plan, err := Split([]Member{{ID: 1}, {ID: 2}}, Params{Groups: 5})
	if err != nil || len(plan.Groups) != 2 {
		t.Errorf("5 groups of 2 people: got %d groups (%v), want 2", len(plan.Groups), err)
	}
}

// TestPalette: every colour is readable with its text colour (WCAG AA, 4.5:1), and names
// go round the palette with a number.
func TestPalette(t *testing.T) {
	for _, c := range Palette {
		if got := Contrast(c.Hex, c.Text); got < 4.5 {
			t.Errorf("%s: text %s on %s has contrast %.2f, want at least 4.5", c.Key, c.Text, c.Hex, got)
		}
	}
	tests := []struct {
		i      int
		name   string
		key    string
		number int
	}{{0, "orange", "orange", 1}, {7, "black", "black", 1}, {8, "orange-2", "orange", 2}, {17, "sky-3", "sky", 3}}
	for _, tt := range tests {
		if got := Name(tt.i); got != tt.name {
			t.Errorf("Name(%d): got %q, want %q", tt.i, got, tt.name)
		}
		c, n := Lookup(tt.name)
		if c.Key != tt.key || n != tt.number {
			t.Errorf("Lookup(%q): got %s %d, want %s %d", tt.name, c.Key, n, tt.key, tt.number)
		}
	}
}
