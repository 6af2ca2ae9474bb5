package deliberation

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

func TestPremoderationAudiences(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		r.ok(r.mod, "premoderation.set", map[string]any{"on": true})
		res := r.ok(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "À valider"})
		alice := AudiencePerson(r.alice.Participant)
		if got, want := audiences(res.Events), []string{"contribution.posted→moderators", "contribution.posted→" + alice}; !reflect.DeepEqual(got, want) {
			t.Fatalf("pending post: got %v, want %v", got, want)
		}
		id := int64(data(t, res.Events[0])["id"].(float64))
		if d := data(t, res.Events[0]); d["status"] != "pending" || d["authorId"] == nil {
			t.Errorf("moderators' copy: got %v, want pending with authorId", d)
		}
		if d := data(t, res.Events[1]); d["authorId"] != nil {
			t.Errorf("author's copy: got authorId %v, want none", d["authorId"])
		}

		r.refused(r.bob, "vote.set", map[string]any{"contribution": id, "value": 1}, CodeNotFound)
		r.refused(r.bob, "comment.post", map[string]any{"contribution": id, "body": "x"}, CodeNotFound)
		// The author may still edit it while it waits; only she and the moderators hear of it.
		res = r.ok(r.alice, "contribution.edit", map[string]any{"id": id, "body": "À valider, précisé"})
		if got, want := audiences(res.Events), []string{"contribution.updated→moderators", "contribution.updated→" + alice}; !reflect.DeepEqual(got, want) {
			t.Errorf("pending edit: got %v, want %v", got, want)
		}
		// Moderators are not held.
		if d := data(t, r.ok(r.mod, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Modéré"}).Events[0]); d["status"] != "visible" {
			t.Errorf("moderator post: got %v, want visible", d["status"])
		}

		res = r.ok(r.mod, "contribution.approve", map[string]any{"id": id})
		if got, want := audiences(res.Events), []string{"contribution.posted→all", "contribution.attributed→moderators"}; !reflect.DeepEqual(got, want) {
			t.Errorf("approve: got %v, want %v", got, want)
		}
		if d := data(t, res.Events[0]); d["status"] != "visible" || d["authorId"] != nil {
			t.Errorf("approved: got %v, want visible without authorId", d)
		}
		r.refused(r.mod, "contribution.approve", map[string]any{"id": id}, CodeBadState)

		// Hiding: everyone learns it is gone, only moderators learn why.
		res = r.ok(r.mod, "contribution.hide", map[string]any{"id": id, "reason": "hors sujet"})
		if got, want := audiences(res.Events), []string{"contribution.hidden→all", "contribution.hidden.reason→moderators"}; !reflect.DeepEqual(got, want) {
			t.Errorf("hide: got %v, want %v", got, want)
		}
		if strings.Contains(string(res.Events[0].Data), "hors sujet") {
			t.Errorf("hide: got the reason in the public event %s", res.Events[0].Data)
		}
	})
}

func TestSnapshotPerViewer(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		r.ok(r.mod, "question.set", map[string]any{"phase": record.PhaseDiagnostic, "text": "Qu'observez-vous ?"})
		shown := r.post(r.bob, record.KindFinding, "Visible")
		hidden := r.post(r.bob, record.KindFinding, "Caché")
		r.ok(r.mod, "contribution.hide", map[string]any{"id": hidden, "reason": "injurieux"})
		r.ok(r.mod, "contribution.pin", map[string]any{"id": shown, "pinned": true})
		r.ok(r.mod, "premoderation.set", map[string]any{"on": true})
		pending := r.post(r.alice, record.KindFinding, "En attente")
		r.ok(r.alice, "vote.set", map[string]any{"contribution": shown, "value": 1})
		r.ok(r.bob, "comment.post", map[string]any{"contribution": shown, "body": "Précision"})
		r.ok(r.mod, "roomcount.record", map[string]any{"contribution": shown, "yes": 7})

		ids := func(s view.SnapshotState) []int64 {
			var out []int64
			for _, c := range s.Contributions {
				out = append(out, c.ID)
			}
			return out
		}
		lastSeq, _, _, _ := r.e.Open(context.Background(), r.w.ID)
		tests := []struct {
			name   string
			viewer Actor
			want   []int64
		}{
			{"participant", r.bob, []int64{shown}},
			{"author of a pending post", r.alice, []int64{shown, pending}},
			{"moderator", r.mod, []int64{shown, hidden, pending}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				defer r.as(t)()
				seq, s := r.snapshot(tt.viewer)
				if seq != lastSeq {
					t.Errorf("%s: got seq %d, want %d", tt.name, seq, lastSeq)
				}
				if got := ids(s); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%s: got contributions %v, want %v", tt.name, got, tt.want)
				}
				if s.Workshop.Phase != record.PhaseDiagnostic || s.Workshop.Question[record.PhaseDiagnostic] != "Qu'observez-vous ?" || !s.Workshop.Premoderation {
					t.Errorf("%s: got workshop %+v", tt.name, s.Workshop)
				}
				if s.You.Participant != tt.viewer.Participant || s.You.Moderator != tt.viewer.Moderator {
					t.Errorf("%s: got you %+v", tt.name, s.You)
				}
				if !reflect.DeepEqual(s.Pinned, []int64{shown}) || len(s.Comments) != 1 || len(s.RoomCounts) != 1 {
					t.Errorf("%s: got pinned %v, %d comments, %d room counts; want [%d], 1, 1", tt.name, s.Pinned, len(s.Comments), len(s.RoomCounts), shown)
				}
				if len(s.Tallies) != 1 || s.Tallies[0].Count != 1 {
					t.Errorf("%s: got tallies %+v, want one vote on %d", tt.name, s.Tallies, shown)
				}
				for _, c := range s.Contributions {
					if (c.AuthorID != nil) != tt.viewer.Moderator {
						t.Errorf("%s: contribution %d: got authorId %v", tt.name, c.ID, c.AuthorID)
					}
					if c.ID == hidden && c.HiddenReason != "injurieux" {
						t.Errorf("%s: got hidden reason %q, want it for moderators", tt.name, c.HiddenReason)
					}
				}
			})
		}
		if _, s := r.snapshot(r.alice); !reflect.DeepEqual(s.MyVotes, map[int64]int{shown: 1}) || s.MyDotsLeft != nil {
			t.Errorf("got my votes %v, dots %v; want {%d:1}, null", s.MyVotes, s.MyDotsLeft, shown)
		}
	})
}

func TestIdentityModes(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.alice, record.KindFinding, "Un constat")
		table := r.post(r.mod, record.KindFinding, "Dit à la table", map[string]any{"onBehalfOf": "Table verte"})
		full := "Alice Martin (CPAS d'Anderlecht)"
		tests := []struct {
			mode view.IdentityMode
			want string
		}{
			{view.IdentityFull, full},
			{view.IdentityOrganisation, "CPAS d'Anderlecht"},
			{view.IdentityAnonymous, ""},
		}
		for _, tt := range tests {
			t.Run(string(tt.mode), func(t *testing.T) {
				defer r.as(t)()
				res := r.ok(r.mod, "identity.set", map[string]any{"mode": tt.mode})
				var ch identityChange
				json.Unmarshal(res.Events[0].Data, &ch)
				if res.Events[0].Audience != AudienceAll || ch.Mode != tt.mode || ch.Authors[id] != tt.want || ch.Authors[table] != "Table verte" {
					t.Errorf("%s: got %s %+v, want label %q and the table's", tt.mode, res.Events[0].Audience, ch, tt.want)
				}
				posted := r.ok(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Encore"}).Events
				if got := data(t, posted[0])["author"]; got != tt.want {
					t.Errorf("%s: posted with label %q, want %q", tt.mode, got, tt.want)
				}
				if got := data(t, posted[1])["author"]; posted[1].Name != "contribution.attributed" || got != full {
					t.Errorf("%s: moderators got %s %q, want attribution %q", tt.mode, posted[1].Name, got, full)
				}
				for _, viewer := range []Actor{r.bob, r.mod} {
					_, s := r.snapshot(viewer)
					want := tt.want
					if viewer.Moderator {
						want = full
					}
					if s.Contributions[0].Author != want || s.Contributions[1].Author != "Table verte" {
						t.Errorf("%s: snapshot for %d: got %q / %q, want %q / Table verte", tt.mode, viewer.Participant, s.Contributions[0].Author, s.Contributions[1].Author, want)
					}
				}
			})
		}
		r.refused(r.mod, "identity.set", map[string]any{"mode": "nickname"}, CodeInvalidArgs)
	})
}

func TestGroupAudiences(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		ctx := context.Background()
		green := &record.Group{WorkshopID: r.w.ID, Position: 1, Name: "Vert", Colour: "#2a2", CreatedAt: r.clock.Now()}
		blue := &record.Group{WorkshopID: r.w.ID, Position: 2, Name: "Bleu", Colour: "#22a", CreatedAt: r.clock.Now()}
		for _, g := range []*record.Group{green, blue} {
			if _, err := db.NewInsert().Model(g).Returning("id").Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		members := []record.GroupMember{
			{WorkshopID: r.w.ID, ParticipantID: r.alice.Participant, GroupID: green.ID, Rapporteur: true},
			{WorkshopID: r.w.ID, ParticipantID: r.bob.Participant, GroupID: blue.ID},
		}
		if _, err := db.NewInsert().Model(&members).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		actors, err := r.e.Actors(ctx, r.w.ID)
		if err != nil || actors[r.alice.Participant].Group != green.ID || actors[r.bob.Participant].Group != blue.ID || actors[r.mod.Participant].Group != 0 {
			t.Fatalf("Actors: got %+v %v, want Alice in green and Bob in blue", actors, err)
		}
		alice, bob := actors[r.alice.Participant], actors[r.bob.Participant]

		r.phase(record.PhaseDiagnostic)
		before := r.post(alice, record.KindFinding, "En plénière")
		res := r.ok(r.mod, "groups.set", map[string]any{"on": true})
		if !res.Events[0].ReloadViewers {
			t.Errorf("groups.changed: got ReloadViewers false, want true")
		}
		res = r.ok(alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Dans le groupe vert", "onBehalfOf": "Table verte"})
		greenAud := AudienceGroup(green.ID)
		if got, want := audiences(res.Events), []string{"contribution.posted→" + greenAud, "contribution.attributed→moderators"}; !reflect.DeepEqual(got, want) {
			t.Errorf("group post: got %v, want %v", got, want)
		}
		inGreen := int64(data(t, res.Events[0])["id"].(float64))
		r.refused(bob, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "x", "onBehalfOf": "Table bleue"}, CodeNotAllowed)
		r.refused(bob, "vote.set", map[string]any{"contribution": inGreen, "value": 1}, CodeNotFound)
		if got := audiences(r.ok(alice, "comment.post", map[string]any{"contribution": inGreen, "body": "x"}).Events); got[0] != "comment.posted→"+greenAud {
			t.Errorf("comment in group: got %v", got)
		}
		if got := audiences(r.flush(r.ok(alice, "vote.set", map[string]any{"contribution": inGreen, "value": 1}))); !reflect.DeepEqual(got, []string{"tally.updated→" + greenAud}) {
			t.Errorf("group tally: got %v, want it in the group", got)
		}
		res, _ = r.e.Flush(ctx, r.w.ID, []string{"tally:" + itoa(before), "tally:" + itoa(inGreen)})
		if got := audiences(res.Events); !reflect.DeepEqual(got, []string{"tally.updated→all", "tally.updated→" + greenAud}) {
			t.Errorf("mixed tally: got %v, want one for all and one for the group", got)
		}
		_, s := r.snapshot(bob)
		if len(s.Contributions) != 1 || s.Contributions[0].ID != before {
			t.Errorf("Bob's snapshot: got %v, want only %d", s.Contributions, before)
		}
		_, s = r.snapshot(alice)
		if len(s.Contributions) != 2 || s.Contributions[1].Author != "Table verte" {
			t.Errorf("Alice's snapshot: got %+v, want both, the group's labelled Table verte", s.Contributions)
		}
	})
}

// TestNoPersonalDataLeaves scans every event and every snapshot of a busy session for the
// personal data the fixture's people have (email, phone, service-user status).
func TestNoPersonalDataLeaves(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.ok(r.mod, "identity.set", map[string]any{"mode": view.IdentityFull})
		r.phase(record.PhaseDiagnostic)
		f := r.post(r.alice, record.KindFinding, "Un constat")
		r.post(r.bob, record.KindSolution, "Une piste", map[string]any{"parent": f})
		r.ok(r.bob, "comment.post", map[string]any{"contribution": f, "body": "D'accord"})
		r.ok(r.alice, "vote.set", map[string]any{"contribution": f, "value": 1})
		r.ok(r.mod, "premoderation.set", map[string]any{"on": true})
		p := r.post(r.alice, record.KindFinding, "En attente")
		r.ok(r.mod, "contribution.approve", map[string]any{"id": p})
		r.ok(r.mod, "identity.set", map[string]any{"mode": view.IdentityOrganisation})
		r.ok(r.mod, "contribution.hide", map[string]any{"id": p, "reason": "doublon"})
		r.ok(r.mod, "contribution.restore", map[string]any{"id": p})

		var texts []string
		events, _ := r.e.EventsAfter(context.Background(), r.w.ID, 0, 0)
		if len(events) < 15 {
			t.Fatalf("got %d events, want a busy session", len(events))
		}
		for _, ev := range events {
			texts = append(texts, string(ev.Data))
		}
		for _, viewer := range []Actor{r.alice, r.bob, r.mod, r.observer} {
			_, raw, err := r.e.Snapshot(context.Background(), r.w.ID, viewer)
			if err != nil {
				t.Fatal(err)
			}
			texts = append(texts, string(raw))
		}
		forbidden := []string{aliceEmail, alicePhone, bobEmail, bobPhone, modEmail, "email", "phone", "serviceuser", "service_user", "@example.org"}
		for _, text := range texts {
			for _, f := range forbidden {
				if strings.Contains(strings.ToLower(text), strings.ToLower(f)) {
					t.Errorf("got %q in %s", f, text)
				}
			}
		}
	})
}
