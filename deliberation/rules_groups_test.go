package deliberation

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// crowd adds participants to the room: two per organisation, every third a service user.
func (r *room) crowd(n int) []Actor {
	r.t.Helper()
	out := make([]Actor, n)
	for i := range out {
		out[i] = r.person(record.RoleParticipant, "P"+itoa(int64(i)), "Org "+itoa(int64(i/2)), "", "", i%3 == 0)
	}
	return out
}

// groupsOf reads who is in which group, by group id.
func (r *room) groupsOf() map[int64][]int64 {
	r.t.Helper()
	var ms []record.GroupMember
	if err := r.db.NewSelect().Model(&ms).Where("workshop_id = ?", r.w.ID).Order("group_id", "participant_id").Scan(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	out := map[int64][]int64{}
	for _, m := range ms {
		out[m.GroupID] = append(out[m.GroupID], m.ParticipantID)
	}
	return out
}

// TestSplit: who is present is who gets dispatched; the split is reproducible from its seed;
// everyone learns the colours, the moderators the lists, nobody whether anyone is a service
// user; moves by hand and rapporteurs.
func TestSplit(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		ctx := context.Background()
		people := r.crowd(10)

		// Nobody checked in: every confirmed participant (Alice, Bob and the ten) is dispatched;
		// the moderator and the observer are not.
		res := r.ok(r.mod, "groups.split", map[string]any{"count": 3, "seed": 42})
		if got := audiences(res.Events); got[0] != "groups.changed→all" || got[1] != "groups.members→moderators" || !res.Events[0].ReloadViewers {
			t.Fatalf("split: got %v, want groups.changed (reloading viewers) then groups.members", got)
		}
		placed := 0
		for _, ids := range r.groupsOf() {
			placed += len(ids)
			for _, id := range ids {
				if id == r.mod.Participant || id == r.observer.Participant {
					t.Errorf("participant %d (moderator or observer) was dispatched", id)
				}
			}
		}
		if placed != 12 {
			t.Errorf("nobody checked in: got %d people placed, want the 12 registered participants", placed)
		}
		changed := decode[struct {
			On     bool
			Groups []view.GroupView
		}](t, res.Events[0])
		if !changed.On || len(changed.Groups) != 3 || changed.Groups[0].Key != "orange" || changed.Groups[1].Hex != "#56B4E9" || changed.Groups[2].Size != 4 {
			t.Errorf("groups.changed: got %+v", changed)
		}
		for _, ev := range res.Events {
			if strings.Contains(strings.ToLower(string(ev.Data)), "service") {
				t.Errorf("%s→%s mentions service users: %s", ev.Name, ev.Audience, ev.Data)
			}
		}
		first := r.groupsOf()
		r.ok(r.mod, "groups.split", map[string]any{"count": 3, "seed": 42})
		again := r.groupsOf()
		if len(again) != 3 || reflect.DeepEqual(first, again) { // same people, new group ids…
			t.Fatalf("re-split: got %v", again)
		}
		if !reflect.DeepEqual(sortedValues(first), sortedValues(again)) { // …the same mix
			t.Errorf("same seed: got %v, want %v", again, first)
		}

		// Six people check in (one of them twice, from two phones): only they are dispatched.
		for _, p := range people[:6] {
			r.ok(p, "checkin.self", nil)
		}
		res = r.ok(people[0], "checkin.self", nil)
		if got := audiences(res.Events); !reflect.DeepEqual(got, []string{"checkin.changed→moderators", "checkin.changed→person:" + itoa(people[0].Participant)}) {
			t.Errorf("checkin.self: got %v", got)
		}
		r.ok(r.mod, "checkin.set", map[string]any{"participant": people[5].Participant, "present": false})
		r.refused(r.observer, "checkin.self", nil, CodeNotAllowed)
		r.refused(r.mod, "checkin.set", map[string]any{"participant": 999999, "present": true}, CodeNotFound)
		res = r.ok(r.mod, "groups.split", map[string]any{"size": 2, "rapporteurs": true})
		groups := r.groupsOf()
		if len(groups) != 3 {
			t.Fatalf("five present in groups of about 2: got %v, want 3 groups", groups)
		}
		if got := len(named(res.Events, "group.rapporteur")); got != 3 {
			t.Errorf("rapporteurs: got %d group.rapporteur events, want 3", got)
		}
		actors, err := r.e.Actors(ctx, r.w.ID)
		if err != nil {
			t.Fatal(err)
		}
		for gid, ids := range groups {
			for _, id := range ids {
				if actors[id].Group != gid {
					t.Errorf("Actors: participant %d in group %d, want %d", id, actors[id].Group, gid)
				}
			}
		}
		if a := actors[people[9].Participant]; a.Group != 0 || a.Participant == 0 {
			t.Errorf("Actors: someone left out of the groups got %+v, want listed without a group", a)
		}

		// Moves by hand: a rapporteur who changes group stops being one.
		var gids []int64
		for gid := range groups {
			gids = append(gids, gid)
		}
		var m record.GroupMember
		if err := db.NewSelect().Model(&m).Where("workshop_id = ? AND rapporteur", r.w.ID).Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		to := gids[0]
		if to == m.GroupID {
			to = gids[1]
		}
		res = r.ok(r.mod, "groups.move", map[string]any{"participant": m.ParticipantID, "group": to})
		if got, want := audiences(res.Events), []string{"groups.changed→all", "groups.members→moderators", "group.rapporteur→person:" + itoa(m.ParticipantID)}; !reflect.DeepEqual(got, want) {
			t.Errorf("move: got %v, want %v", got, want)
		}
		r.ok(r.mod, "groups.move", map[string]any{"participant": people[9].Participant, "group": to})
		if got := r.groupsOf()[to]; !slices.Contains(got, people[9].Participant) || !slices.Contains(got, m.ParticipantID) {
			t.Errorf("group %d after moves: got %v", to, got)
		}
		r.ok(r.mod, "groups.rapporteur", map[string]any{"participant": people[9].Participant, "rapporteur": true})
		if _, s := r.snapshot(Actor{Participant: people[9].Participant, Role: record.RoleParticipant, Group: to}); !s.You.Rapporteur {
			t.Error("snapshot: got you.rapporteur false, want true")
		}
		tests := []struct {
			name string
			cmd  string
			args map[string]any
			code string
		}{
			{"count and size", "groups.split", map[string]any{"count": 2, "size": 3}, CodeInvalidArgs},
			{"neither", "groups.split", map[string]any{}, CodeInvalidArgs},
			{"size 1", "groups.split", map[string]any{"size": 1}, CodeInvalidArgs},
			{"cap 3", "groups.split", map[string]any{"count": 2, "orgCap": 3}, CodeInvalidArgs},
			{"old group", "groups.move", map[string]any{"participant": people[0].Participant, "group": 999999}, CodeNotFound},
			{"a moderator", "groups.move", map[string]any{"participant": r.mod.Participant, "group": to}, CodeNotFound},
			{"not in a group", "groups.rapporteur", map[string]any{"participant": r.mod.Participant, "rapporteur": true}, CodeNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { r.refused(r.mod, tt.cmd, tt.args, tt.code) })
		}
	})
}

// sortedValues lists the groups' members, in an order that does not depend on group ids.
func sortedValues(m map[int64][]int64) []string {
	var out []string
	for _, ids := range m {
		out = append(out, fmt.Sprint(ids))
	}
	sort.Strings(out)
	return out
}

// TestNobodyPresent: a session nobody registered for cannot be split.
func TestNobodyPresent(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		ctx := context.Background()
		if _, err := db.NewDelete().Model((*record.Registration)(nil)).Where("workshop_id = ?", r.w.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		r.refused(r.mod, "groups.split", map[string]any{"count": 2}, CodeNobodyPresent)
	})
}
