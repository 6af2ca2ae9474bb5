package deliberation

import (
	"context"
	"strings"
	"testing"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// TestPostKeepsItsLanguage: a post carries the language its author chose, or else the
// language of their account; a language the platform does not speak is refused with a
// message that names the ones it does, and nothing is written.
func TestPostKeepsItsLanguage(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		dutch := r.bob
		dutch.Language = "nl"
		tests := []struct {
			name string
			who  Actor
			lang any // nil: not sent
			want string
			code string
		}{
			{"chosen on the phone", r.alice, "nl", "nl", ""},
			{"chosen against the account's language", dutch, "en", "en", ""},
			{"absent: the account's language", dutch, nil, "nl", ""},
			{"absent, French account", r.alice, nil, "fr", ""},
			{"a language the platform does not speak", r.alice, "de", "", CodeInvalidArgs},
			{"upper case is not a code", r.alice, "NL", "", CodeInvalidArgs},
			{"a region is not a code", r.alice, "nl-BE", "", CodeInvalidArgs},
			{"not a string", r.alice, 3, "", CodeInvalidArgs},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				defer r.as(t)()
				args := map[string]any{"kind": record.KindFinding, "body": "Les délais : " + tt.name}
				if tt.lang != nil {
					args["lang"] = tt.lang
				}
				before := r.count((*record.Contribution)(nil), "workshop_id = ?", r.w.ID)
				if tt.code != "" {
					out, _ := r.do(tt.who, "contribution.post", args)
					r.refused(tt.who, "contribution.post", args, tt.code)
					if s, ok := tt.lang.(string); ok && !strings.Contains(out.Message, "fr, nl, en") {
						t.Errorf("refusal of %q says %q, want it to name fr, nl, en", s, out.Message)
					}
					if n := r.count((*record.Contribution)(nil), "workshop_id = ?", r.w.ID); n != before {
						t.Errorf("got %d contributions after a refusal, want %d", n, before)
					}
					return
				}
				res := r.ok(tt.who, "contribution.post", args)
				ev := data(t, res.Events[0])
				if ev["lang"] != tt.want {
					t.Errorf("contribution.posted says lang %v, want %q", ev["lang"], tt.want)
				}
				if c := r.contribution(int64(ev["id"].(float64))); c.Lang != tt.want {
					t.Errorf("stored lang %q, want %q", c.Lang, tt.want)
				}
			})
		}
	})
}

// TestTranslateContribution: a moderator adds a translation, which goes to those who know the
// contribution and into everyone's snapshot; participants and observers may not; a language
// that is unknown or the contribution's own is refused; sending again replaces, an empty text
// removes; an edit of the text drops them; a restored contribution comes back with them.
func TestTranslateContribution(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		db := r.db
		r.phase(record.PhaseDiagnostic)
		id := r.post(r.alice, record.KindFinding, "De wachttijden bij het OCMW zijn te lang", map[string]any{"lang": "nl"})
		const fr = "Les délais d'attente au CPAS sont trop longs"
		translate := func(lang, body string) map[string]any {
			return map[string]any{"id": id, "lang": lang, "body": body}
		}

		refusals := []struct {
			name string
			who  Actor
			args map[string]any
			code string
		}{
			{"by its author", r.alice, translate("fr", fr), CodeNotAllowed},
			{"by another participant", r.bob, translate("fr", fr), CodeNotAllowed},
			{"by an observer", r.observer, translate("fr", fr), CodeNotAllowed},
			{"into an unknown language", r.mod, translate("de", fr), CodeInvalidArgs},
			{"without a language", r.mod, map[string]any{"id": id, "body": fr}, CodeInvalidArgs},
			{"into its own language", r.mod, translate("nl", fr), CodeInvalidArgs},
			{"of a contribution that does not exist", r.mod, map[string]any{"id": id + 1000, "lang": "fr", "body": fr}, CodeNotFound},
			{"too long", r.mod, translate("fr", strings.Repeat("é", MaxBodyRunes+1)), CodeTooLong},
			{"an unknown field", r.mod, map[string]any{"id": id, "lang": "fr", "body": fr, "text": fr}, CodeInvalidArgs},
		}
		for _, tt := range refusals {
			t.Run("refused "+tt.name, func(t *testing.T) {
				defer r.as(t)()
				r.refused(tt.who, "contribution.translate", tt.args, tt.code)
			})
		}
		if n := r.count((*record.Translation)(nil), "contribution_id = ?", id); n != 0 {
			t.Fatalf("got %d translations after refusals, want 0", n)
		}

		res := r.ok(r.mod, "contribution.translate", translate("fr", "  "+fr+"\r\n"))
		if got := audiences(res.Events); len(got) != 1 || got[0] != "contribution.translated→"+AudienceAll {
			t.Fatalf("events %v, want contribution.translated to all", got)
		}
		if ev := data(t, res.Events[0]); ev["lang"] != "fr" || ev["body"] != fr || ev["id"] != float64(id) {
			t.Errorf("contribution.translated %v, want the cleaned French text", ev)
		}
		for _, viewer := range []Actor{r.bob, r.observer, r.mod} {
			_, s := r.snapshot(viewer)
			if len(s.Contributions) != 1 || s.Contributions[0].Lang != "nl" || s.Contributions[0].Translations["fr"] != fr {
				t.Errorf("snapshot of participant %d: %+v, want lang nl and the French translation", viewer.Participant, s.Contributions)
			}
		}

		const better = "Les délais au CPAS sont bien trop longs"
		r.ok(r.mod, "contribution.translate", translate("fr", better))
		r.ok(r.mod, "contribution.translate", translate("en", "Waiting times are too long"))
		if _, s := r.snapshot(r.bob); s.Contributions[0].Translations["fr"] != better || len(s.Contributions[0].Translations) != 2 {
			t.Errorf("after replacing: %v, want the new French text and the English one", s.Contributions[0].Translations)
		}
		removed := r.ok(r.mod, "contribution.translate", translate("en", ""))
		if ev := data(t, removed.Events[0]); ev["body"] != "" || ev["lang"] != "en" {
			t.Errorf("removal event %v, want lang en and an empty body", ev)
		}
		if n := r.count((*record.Translation)(nil), "contribution_id = ?", id); n != 1 {
			t.Errorf("got %d translations after removing the English one, want 1", n)
		}

		// Hidden then restored: the restored contribution carries its translation.
		r.ok(r.mod, "contribution.hide", map[string]any{"id": id})
		restored := r.ok(r.mod, "contribution.restore", map[string]any{"id": id})
		var got view.ContributionView
		if err := jsonUnmarshal(named(restored.Events, "contribution.restored")[0].Data, &got); err != nil || got.Translations["fr"] != better {
			t.Errorf("contribution.restored %s (%v), want the French translation", named(restored.Events, "contribution.restored")[0].Data, err)
		}

		// The same text edited (steps' fields only, say) keeps them; a new text drops them.
		edited := r.ok(r.alice, "contribution.edit", map[string]any{"id": id, "body": "De wachttijden bij het OCMW zijn te lang"})
		if strings.Contains(string(edited.Events[0].Data), "translationsDropped") {
			t.Errorf("an edit with the same text says %s, want the translations kept", edited.Events[0].Data)
		}
		edited = r.ok(r.alice, "contribution.edit", map[string]any{"id": id, "body": "De wachttijden zijn veel te lang"})
		if ev := data(t, edited.Events[0]); ev["translationsDropped"] != true {
			t.Errorf("contribution.updated %v, want translationsDropped", ev)
		}
		if n := r.count((*record.Translation)(nil), "contribution_id = ?", id); n != 0 {
			t.Errorf("got %d translations after the text changed, want 0", n)
		}
		if _, s := r.snapshot(r.bob); len(s.Contributions[0].Translations) != 0 {
			t.Errorf("snapshot after the edit: %v, want no translations", s.Contributions[0].Translations)
		}

		// The stored event is sealed like the post it translates.
		var stored []record.StoredEvent
		if err := db.NewSelect().Model(&stored).Where("workshop_id = ? AND name = ?", r.w.ID, "contribution.translated").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(stored) == 0 {
			t.Fatal("no contribution.translated in the log")
		}
		for _, ev := range stored {
			if !journal.PayloadIsSealed(ev.Payload) || strings.Contains(ev.Payload, "CPAS") {
				t.Errorf("contribution.translated (seq %d) stored as %q, want sealed", ev.Seq, ev.Payload)
			}
		}
	})
}

// TestTranslationOfAPendingContribution goes where the contribution goes: to the moderators
// and its author while it waits, never to the room.
func TestTranslationOfAPendingContribution(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		r.phase(record.PhaseDiagnostic)
		r.ok(r.mod, "premoderation.set", map[string]any{"on": true})
		id := r.post(r.alice, record.KindFinding, "Te weinig sociale woningen", map[string]any{"lang": "nl"})
		res := r.ok(r.mod, "contribution.translate", map[string]any{"id": id, "lang": "fr", "body": "Trop peu de logements sociaux"})
		want := []string{"contribution.translated→" + AudienceModerators, "contribution.translated→" + AudiencePerson(r.alice.Participant)}
		if got := audiences(res.Events); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("events %v, want %v", got, want)
		}
		if _, s := r.snapshot(r.bob); len(s.Contributions) != 0 {
			t.Errorf("Bob's snapshot shows %+v, want nothing pending of Alice's", s.Contributions)
		}
		if _, s := r.snapshot(r.alice); len(s.Contributions) != 1 || s.Contributions[0].Translations["fr"] == "" {
			t.Errorf("Alice's snapshot %+v, want her pending post with its translation", s.Contributions)
		}
	})
}
