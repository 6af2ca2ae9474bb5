package deliberation

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

func TestParticipantCannotModerate(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.alice, record.KindFinding, "Un constat")
		other := r.post(r.bob, record.KindFinding, "Un autre")
		tests := []struct {
			name string
			args map[string]any
		}{
			{"phase.set", map[string]any{"phase": record.PhaseClosed}},
			{"question.set", map[string]any{"phase": record.PhaseDiagnostic, "text": "?"}},
			{"timer.start", map[string]any{"seconds": 60}},
			{"timer.pause", nil},
			{"timer.resume", nil},
			{"timer.extend", map[string]any{"seconds": 60}},
			{"timer.reset", nil},
			{"posting.set", map[string]any{"locked": true}},
			{"identity.set", map[string]any{"mode": view.IdentityFull}},
			{"premoderation.set", map[string]any{"on": true}},
			{"results.set", map[string]any{"hidden": true}},
			{"joinpanel.set", map[string]any{"hidden": true}},
			{"groups.set", map[string]any{"on": true}},
			{"vote.method.set", map[string]any{"phase": record.PhaseDiagnostic, "method": record.MethodDots, "budget": 5}},
			{"contribution.hide", map[string]any{"id": id}},
			{"contribution.restore", map[string]any{"id": id}},
			{"contribution.approve", map[string]any{"id": id}},
			{"contribution.pin", map[string]any{"id": id, "pinned": true}},
			{"contribution.merge", map[string]any{"from": []int64{other}, "into": id}},
			{"contribution.translate", map[string]any{"id": id, "lang": "nl", "body": "Vertaald"}},
			{"roomcount.record", map[string]any{"contribution": id, "yes": 3}},
			{"groups.split", map[string]any{"count": 2}},
			{"groups.move", map[string]any{"participant": r.bob.Participant, "group": 0}},
			{"groups.rapporteur", map[string]any{"participant": r.bob.Participant, "rapporteur": true}},
			{"checkin.set", map[string]any{"participant": r.bob.Participant, "present": true}},
			{"agenda.next", nil},
			{"agenda.goto", map[string]any{"item": 1}},
			{"rounds.start", map[string]any{"steps": []map[string]any{{"key": "presentation", "seconds": 600}}}},
			{"rounds.next", nil},
			{"rounds.stop", nil},
			{"plenary.promote", map[string]any{"contributions": []int64{id}}},
			{"plenary.open", map[string]any{"contributions": []int64{id}}},
			{"plenary.close", nil},
		}
		for _, who := range []Actor{r.alice, r.observer} {
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s by participant %d", tt.name, who.Participant), func(t *testing.T) {
					defer r.as(t)()
					r.refused(who, tt.name, tt.args, CodeNotAllowed)
				})
			}
		}
		// Every moderator-only command is in the table.
		for name, s := range commandSpecs {
			found := false
			for _, tt := range tests {
				found = found || tt.name == name
			}
			if s.moderator && !found {
				t.Errorf("moderator command %s is not tested", name)
			}
		}
		if c := r.contribution(id); c.Status != record.StatusVisible || c.Pinned {
			t.Errorf("got status %s pinned %v, want visible and not pinned", c.Status, c.Pinned)
		}
	})
}

func TestPhasesGateVotesAndKinds(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		post := func(kind record.Kind) map[string]any { return map[string]any{"kind": kind, "body": "x"} }
		r.refused(r.alice, "contribution.post", post(record.KindFinding), CodePhaseClosed) // lobby
		r.phase(record.PhaseDiagnostic)
		finding := r.post(r.alice, record.KindFinding, "Un constat")
		r.post(r.alice, record.KindSolution, "Une piste", map[string]any{"parent": finding})
		r.refused(r.alice, "contribution.post", post(record.KindRecommendation), CodePhaseClosed)
		r.refused(r.alice, "contribution.post", post("wish"), CodeInvalidArgs)
		r.refused(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "x", "parent": finding}, CodeInvalidArgs)
		r.refused(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "x", "who": "CPAS"}, CodeInvalidArgs)
		r.refused(r.observer, "contribution.post", post(record.KindFinding), CodeNotAllowed)
		r.refused(r.observer, "vote.set", map[string]any{"contribution": finding, "value": 1}, CodeNotAllowed)

		r.phase(record.PhaseRecommendations)
		// A finding of an earlier phase can no longer be voted on.
		r.refused(r.alice, "vote.set", map[string]any{"contribution": finding, "value": 1}, CodePhaseClosed)
		rec := r.post(r.bob, record.KindRecommendation, "Un guichet unique", map[string]any{"links": []int64{finding, finding}})
		if d := data(t, r.ok(r.alice, "comment.post", map[string]any{"contribution": rec, "body": "Oui"}).Events[0]); d["contribution"].(float64) != float64(rec) {
			t.Errorf("comment: got %v, want contribution %d", d, rec)
		}

		r.phase(record.PhaseImplementation)
		r.refused(r.alice, "contribution.post", post(record.KindStep), CodeInvalidArgs) // no parent
		r.refused(r.alice, "contribution.post", map[string]any{"kind": record.KindStep, "body": "x", "parent": finding}, CodeInvalidArgs)
		r.post(r.alice, record.KindStep, "Former les agents", map[string]any{"parent": rec, "who": "La Région", "how": "Des formations", "when": "2027"})

		for _, p := range []record.Phase{record.PhaseLobby, record.PhaseClosed} {
			r.phase(p)
			r.refused(r.alice, "vote.set", map[string]any{"contribution": rec, "value": 1}, CodePhaseClosed)
			r.refused(r.alice, "contribution.post", post(record.KindStep), CodePhaseClosed)
			r.refused(r.alice, "comment.post", map[string]any{"contribution": rec, "body": "x"}, CodePhaseClosed)
		}
		r.refused(r.mod, "phase.set", map[string]any{"phase": "coffee"}, CodeBadPhase)
		r.refused(r.mod, "vote.method.set", map[string]any{"phase": record.PhaseLobby, "method": record.MethodSupport}, CodeBadPhase)
	})
}

func TestOwnership(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.alice, record.KindFinding, "Texte d'Alice")

		r.refused(r.bob, "contribution.edit", map[string]any{"id": id, "body": "Pris par Bob"}, CodeNotOwner)
		r.refused(r.bob, "contribution.withdraw", map[string]any{"id": id}, CodeNotOwner)
		r.refused(r.mod, "contribution.withdraw", map[string]any{"id": id}, CodeNotOwner) // moderators hide instead

		ev := r.ok(r.alice, "contribution.edit", map[string]any{"id": id, "body": "Texte d'Alice, corrigé"}).Events[0]
		if d := data(t, ev); ev.Name != "contribution.updated" || d["editedByModerator"] != false || d["version"].(float64) != 2 {
			t.Errorf("author edit: got %s %v, want contribution.updated v2 not by moderator", ev.Name, d)
		}
		ev = r.ok(r.mod, "contribution.edit", map[string]any{"id": id, "body": "Reformulé"}).Events[0]
		if d := data(t, ev); d["editedByModerator"] != true || d["version"].(float64) != 3 {
			t.Errorf("moderator edit: got %v, want editedByModerator v3", d)
		}
		if n := r.count((*record.Revision)(nil), "contribution_id = ?", id); n != 2 {
			t.Errorf("got %d revisions, want 2", n)
		}
		if c := r.contribution(id); c.Body != "Reformulé" || c.Version != 3 {
			t.Errorf("got %q v%d, want Reformulé v3", c.Body, c.Version)
		}

		r.phase(record.PhaseRecommendations)
		r.refused(r.alice, "contribution.edit", map[string]any{"id": id, "body": "Trop tard"}, CodePhaseClosed)
		r.refused(r.alice, "contribution.withdraw", map[string]any{"id": id}, CodePhaseClosed)
		r.ok(r.mod, "contribution.edit", map[string]any{"id": id, "body": "Le modérateur peut toujours"})

		r.phase(record.PhaseDiagnostic)
		r.ok(r.alice, "contribution.withdraw", map[string]any{"id": id})
		if c := r.contribution(id); c.Status != record.StatusWithdrawn {
			t.Errorf("got status %s, want withdrawn", c.Status)
		}
		// Her own withdrawn contribution: she knows it, and is told why (docs/protocol-commands.md).
		r.refused(r.alice, "contribution.edit", map[string]any{"id": id, "body": "x"}, CodeBadState)
		r.refused(r.alice, "contribution.withdraw", map[string]any{"id": id}, CodeBadState)
		r.refused(r.alice, "vote.set", map[string]any{"contribution": id, "value": 1}, CodeBadState)
		r.refused(r.bob, "contribution.edit", map[string]any{"id": id, "body": "x"}, CodeNotFound) // someone else's withdrawn post stays unknown
	})
}

// TestIDOR: an id of another workshop is not_found for every command that takes one, and
// nothing of the other workshop changes.
func TestIDOR(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		db := r.db
		other := newRoom(t, db)
		other.phase(record.PhaseDiagnostic)
		foreign := other.post(other.alice, record.KindFinding, "Chez les autres")
		r.phase(record.PhaseDiagnostic)
		mine := r.post(r.alice, record.KindFinding, "Chez nous")
		before := *other.contribution(foreign)

		tests := []struct {
			who  Actor
			name string
			args map[string]any
		}{
			{r.alice, "contribution.edit", map[string]any{"id": foreign, "body": "volé"}},
			{r.alice, "contribution.withdraw", map[string]any{"id": foreign}},
			{r.alice, "comment.post", map[string]any{"contribution": foreign, "body": "x"}},
			{r.alice, "vote.set", map[string]any{"contribution": foreign, "value": 1}},
			{r.alice, "vote.clear", map[string]any{"contribution": foreign}},
			{r.alice, "contribution.post", map[string]any{"kind": record.KindSolution, "body": "x", "parent": foreign}},
			{r.mod, "contribution.edit", map[string]any{"id": foreign, "body": "volé"}},
			{r.mod, "contribution.hide", map[string]any{"id": foreign}},
			{r.mod, "contribution.restore", map[string]any{"id": foreign}},
			{r.mod, "contribution.approve", map[string]any{"id": foreign}},
			{r.mod, "contribution.pin", map[string]any{"id": foreign, "pinned": true}},
			{r.mod, "contribution.merge", map[string]any{"from": []int64{foreign}, "into": mine}},
			{r.mod, "contribution.merge", map[string]any{"from": []int64{mine}, "into": foreign}},
			{r.mod, "roomcount.record", map[string]any{"contribution": foreign, "yes": 1}},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s by participant %d", tt.name, tt.who.Participant), func(t *testing.T) {
				defer r.as(t)()
				r.refused(tt.who, tt.name, tt.args, CodeNotFound)
			})
		}
		r.phase(record.PhaseRecommendations)
		r.refused(r.alice, "contribution.post", map[string]any{"kind": record.KindRecommendation, "body": "x", "links": []int64{foreign}}, CodeNotFound)

		after := *other.contribution(foreign)
		if !reflect.DeepEqual(after, before) {
			t.Errorf("got %+v, want the other workshop's contribution untouched %+v", after, before)
		}
		for _, model := range []any{(*record.Vote)(nil), (*record.Comment)(nil), (*record.RoomCount)(nil), (*record.Revision)(nil)} {
			if n := r.count(model, "1 = 1"); n != 0 {
				t.Errorf("%T: got %d rows, want 0", model, n)
			}
		}
		// Flush ignores ids of other workshops too.
		res, err := r.e.Flush(context.Background(), r.w.ID, []string{"tally:" + itoa(foreign)})
		if err != nil || len(res.Events) != 0 {
			t.Errorf("flush of a foreign id: got %v %v, want no event", res.Events, err)
		}
	})
}

func TestPostingLocked(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.alice, record.KindFinding, "Avant")
		r.ok(r.mod, "posting.set", map[string]any{"locked": true})
		r.refused(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Après"}, CodePostingLocked)
		r.refused(r.alice, "comment.post", map[string]any{"contribution": id, "body": "Après"}, CodePostingLocked)
		r.refused(r.alice, "contribution.edit", map[string]any{"id": id, "body": "Après"}, CodePostingLocked)
		r.post(r.mod, record.KindFinding, "Le modérateur peut encore")
		r.ok(r.alice, "vote.set", map[string]any{"contribution": id, "value": 1}) // votes are not posts
		r.refused(r.mod, "posting.set", map[string]any{}, CodeInvalidArgs)
	})
}

func TestTextRulesThroughTheEngine(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		post := func(body string) map[string]any { return map[string]any{"kind": record.KindFinding, "body": body} }
		r.refused(r.alice, "contribution.post", post(strings.Repeat("é", MaxBodyRunes+1)), CodeTooLong)
		r.refused(r.alice, "contribution.post", post(" \n\t "), CodeEmpty)
		r.refused(r.alice, "contribution.post", post("bell\a"), CodeInvalidArgs)
		r.refused(r.alice, "contribution.post", post("\u202E"), CodeEmpty) // only a bidi override
		id := r.post(r.alice, record.KindFinding, "  abc\u202Edef\u2066 \r\nfin ")
		if got := r.contribution(id).Body; got != "abcdef \nfin" {
			t.Errorf("got body %q, want %q", got, "abcdef \nfin")
		}
		r.post(r.alice, record.KindFinding, strings.Repeat("é", MaxBodyRunes))
		r.refused(r.mod, "question.set", map[string]any{"phase": record.PhaseDiagnostic, "text": strings.Repeat("q", MaxQuestionRunes+1)}, CodeTooLong)
		r.refused(r.mod, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "x", "onBehalfOf": strings.Repeat("t", MaxLabelRunes+1)}, CodeTooLong)
		r.refused(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "x", "extra": 1}, CodeInvalidArgs)
		r.refused(r.alice, "contribution.post", `{"kind":"finding","body":42}`, CodeInvalidArgs)
		r.refused(r.alice, "contribution.post", `[1,2]`, CodeInvalidArgs)
		r.refused(r.alice, "nonsense.do", nil, CodeUnknownCommand)
	})
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in string
		limit    int
		kind     textKind
		required bool
		want     string
		code     string
	}{
		{"trimmed", "  bonjour  ", 10, multiLine, true, "bonjour", ""},
		{"at the limit", strings.Repeat("é", 10), 10, multiLine, true, strings.Repeat("é", 10), ""},
		{"over the limit", strings.Repeat("é", 11), 10, multiLine, true, "", CodeTooLong},
		{"empty required", "   ", 10, multiLine, true, "", CodeEmpty},
		{"empty allowed", "   ", 10, multiLine, false, "", ""},
		{"bidi stripped", "a\u202Ab\u202Bc\u202Cd\u202De\u202Ef\u2066g\u2067h\u2068i\u2069", 20, multiLine, true, "abcdefghi", ""},
		{"newline and tab kept", "a\n\tb", 10, multiLine, true, "a\n\tb", ""},
		{"CRLF", "a\r\nb\rc", 10, multiLine, true, "a\nb\nc", ""},
		{"single line", "a\n\n  b\tc", 10, singleLine, true, "a b c", ""},
		{"NUL", "a\x00b", 10, multiLine, true, "", CodeInvalidArgs},
		{"escape", "a\x1b[31mb", 10, multiLine, true, "", CodeInvalidArgs},
		{"C1 control", "a\u0085b", 10, multiLine, true, "", CodeInvalidArgs},
		{"NFC", "e\u0301", 1, multiLine, true, "é", ""},
		{"invalid UTF-8", "a\xffb", 10, multiLine, true, "a\uFFFDb", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := cleanText(tt.in, tt.limit, tt.kind, tt.required)
			if got != tt.want || r.Code != tt.code {
				t.Errorf("cleanText(%q): got (%q, %q), want (%q, %q)", tt.in, got, r.Code, tt.want, tt.code)
			}
		})
	}
}

func TestTimer(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		start := r.clock.Now().UnixMilli()
		timer := func(res Result) view.Timer {
			t.Helper()
			var tm view.Timer
			ev := named(res.Events, "timer.changed")[0]
			if err := jsonUnmarshal(ev.Data, &tm); err != nil {
				t.Fatal(err)
			}
			return tm
		}
		res := r.ok(r.mod, "timer.start", map[string]any{"seconds": 600})
		if got, want := timer(res), (view.Timer{Running: true, EndsAt: start + 600_000, RemainingMs: 600_000, DurationMs: 600_000}); got != want {
			t.Errorf("start: got %+v, want %+v", got, want)
		}
		if want := r.clock.Now().Add(600e9); !res.WakeAt.Equal(want) {
			t.Errorf("start: got WakeAt %v, want %v", res.WakeAt, want)
		}
		r.clock.Advance(100e9)
		if got, want := timer(r.ok(r.mod, "timer.pause", nil)), (view.Timer{RemainingMs: 500_000, DurationMs: 600_000}); got != want {
			t.Errorf("pause: got %+v, want %+v", got, want)
		}
		r.clock.Advance(1000e9) // paused: time passes, nothing runs
		res = r.ok(r.mod, "timer.resume", nil)
		now := r.clock.Now().UnixMilli()
		if got, want := timer(res), (view.Timer{Running: true, EndsAt: now + 500_000, RemainingMs: 500_000, DurationMs: 600_000}); got != want {
			t.Errorf("resume: got %+v, want %+v", got, want)
		}
		if got, want := timer(r.ok(r.mod, "timer.extend", map[string]any{"seconds": 60})), (view.Timer{Running: true, EndsAt: now + 560_000, RemainingMs: 560_000, DurationMs: 660_000}); got != want {
			t.Errorf("extend: got %+v, want %+v", got, want)
		}
		r.refused(r.mod, "timer.extend", map[string]any{"seconds": 4 * 3600}, CodeInvalidArgs)
		r.refused(r.mod, "timer.start", map[string]any{"seconds": 0}, CodeInvalidArgs)
		r.refused(r.mod, "timer.start", map[string]any{"seconds": "60"}, CodeInvalidArgs)

		// Before the deadline a tick does nothing; after it, the timer is marked expired once.
		if res, _ := r.e.Flush(context.Background(), r.w.ID, []string{"tick"}); len(res.Events) != 0 {
			t.Errorf("early tick: got %v, want no event", res.Events)
		}
		r.clock.Advance(561e9)
		res, err := r.e.Flush(context.Background(), r.w.ID, []string{"tick", "tick"})
		if err != nil || len(res.Events) != 1 || !timer(res).Expired || timer(res).RemainingMs != 0 || !res.WakeAt.IsZero() {
			t.Errorf("tick: got %+v %v, want one expired timer.changed and no WakeAt", res, err)
		}
		if _, _, wake, _ := r.e.Open(context.Background(), r.w.ID); !wake.IsZero() {
			t.Errorf("Open after expiry: got wake %v, want zero", wake)
		}
		if got := timer(r.ok(r.mod, "timer.reset", nil)); got != (view.Timer{}) {
			t.Errorf("reset: got %+v, want zero", got)
		}
	})
}
