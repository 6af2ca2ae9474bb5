package deliberation

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/assises/assises/record"
)

// A question is put to the room in each language of the process: every phone gets every
// text, picks its own, and a resumed phone finds them in its snapshot.
func TestQuestionInSeveralLanguages(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		res := r.ok(r.mod, "question.set", map[string]any{"phase": record.PhaseDiagnostic,
			"text": "Qu'observez-vous ?", "texts": map[string]string{"nl": "  Wat stelt u vast?  "}})
		var data struct {
			Text  string            `json:"text"`
			Texts map[string]string `json:"texts"`
		}
		if err := json.Unmarshal(res.Events[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.Text != "Qu'observez-vous ?" || !reflect.DeepEqual(data.Texts, map[string]string{"nl": "Wat stelt u vast?"}) {
			t.Fatalf("question.changed: got %+v", data)
		}
		_, s := r.snapshot(r.bob)
		if got := s.Workshop.QuestionTexts[record.PhaseDiagnostic]["nl"]; got != "Wat stelt u vast?" {
			t.Fatalf("snapshot: got Dutch question %q, want the one set", got)
		}

		tests := []struct {
			name  string
			texts map[string]string
			code  string
		}{
			{"unknown language code", map[string]string{"NL!": "x"}, CodeInvalidArgs},
			{"translation too long", map[string]string{"nl": strings.Repeat("v", MaxQuestionRunes+1)}, CodeTooLong},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				defer r.as(t)()
				r.refused(r.mod, "question.set", map[string]any{"phase": record.PhaseDiagnostic, "text": "?", "texts": tt.texts}, tt.code)
			})
		}
		_, s = r.snapshot(r.bob)
		if got := s.Workshop.QuestionTexts[record.PhaseDiagnostic]["nl"]; got != "Wat stelt u vast?" {
			t.Fatalf("after refusals: got Dutch question %q, want it unchanged", got)
		}

		r.ok(r.mod, "question.set", map[string]any{"phase": record.PhaseDiagnostic, "text": "", "texts": map[string]string{"nl": "Wees"}})
		_, s = r.snapshot(r.bob)
		if _, ok := s.Workshop.QuestionTexts[record.PhaseDiagnostic]; ok || s.Workshop.Question[record.PhaseDiagnostic] != "" {
			t.Fatalf("cleared question: got %+v / %+v, want neither text", s.Workshop.Question, s.Workshop.QuestionTexts)
		}
	})
}
