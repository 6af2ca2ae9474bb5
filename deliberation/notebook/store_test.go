package notebook

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestEditorialHistory: every change is recorded (who, when, before → after); a rewording
// keeps the original in the annex; no-op changes record nothing; wrong targets are refused.
func TestEditorialHistory(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newFixture(t, db)
		f.edit()
		edits, err := Edits(f.ctx, db, f.proc.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for i := len(edits) - 1; i >= 0; i-- {
			actions = append(actions, edits[i].Action)
			if edits[i].Editor != "Orga" || edits[i].EditorID == nil || *edits[i].EditorID != f.org.ID {
				t.Errorf("edit %d: editor %q, want Orga", i, edits[i].Editor)
			}
		}
		want := "reword,reword,exclude,reorder,introduction,conclusion,introduction"
		if strings.Join(actions, ",") != want {
			t.Errorf("history: got %v, want %s", actions, want)
		}
		last := edits[len(edits)-1] // the first rewording
		if last.BeforeText != "Garantir un accompagnement social de référence pour chaque ménage." ||
			!strings.HasPrefix(last.AfterText, "Garantir à chaque ménage") {
			t.Errorf("rewording recorded %q → %q", last.BeforeText, last.AfterText)
		}
		// The editor's draft lists the excluded finding, with no place in the body.
		draft, err := CompileDraft(f.ctx, db, f.proc.ID, Options{})
		f.must(err)
		var excluded *EditableItem
		for i, it := range draft.Themes[0].Findings {
			if it.ID == f.ids["f-numerique"] {
				excluded = &draft.Themes[0].Findings[i]
			}
		}
		if excluded == nil || !excluded.Excluded || excluded.Ref != "" || excluded.Annex != "A3" {
			t.Errorf("the draft's excluded finding: %+v", excluded)
		}
		if r := draft.Themes[0].Recommendations[0]; r.ID != f.ids["r-oneorg"] || !r.Manual || r.Rank != 6 {
			t.Errorf("the draft's first recommendation: %+v, want r-oneorg placed by hand, rank 6", r)
		}
		// The same change again records nothing.
		f.edit()
		again, _ := Edits(f.ctx, db, f.proc.ID, 100)
		if len(again) != len(edits) {
			t.Errorf("repeating the same edits added %d history lines", len(again)-len(edits))
		}
		// Back to the original: recorded, and the body shows what was said.
		now := fixtureClock.Add(2 * time.Hour)
		f.must(Reword(f.ctx, db, f.proc.ID, f.org.ID, f.ids["r-broad"], Rewording{Body: ptr("")}, now))
		nb, err := Compile(f.ctx, db, f.proc.ID, Options{})
		f.must(err)
		if r := recommendationsByID(nb)[f.ids["r-broad"]]; r.Reworded || r.Text != "Garantir un accompagnement social de référence pour chaque ménage." {
			t.Errorf("after going back: %q (reworded %v)", r.Text, r.Reworded)
		}
		// Refusals.
		if err := Reword(f.ctx, db, f.proc.ID, f.org.ID, f.ids["r-broad"], Rewording{Who: ptr("x")}, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("who on a recommendation: got %v, want ErrInvalid", err)
		}
		if err := Reorder(f.ctx, db, f.proc.ID, f.org.ID, f.theme[0].ID, record.KindRecommendation, []int64{f.ids["r-stage"]}, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("ordering another theme's item: got %v, want ErrInvalid", err)
		}
		other := &record.Process{Slug: "other", Title: "Other"}
		f.must(process.Create(f.ctx, db, other))
		if err := SetExcluded(f.ctx, db, other.ID, f.org.ID, f.ids["r-broad"], true, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("excluding another process's contribution: got %v, want ErrNotFound", err)
		}
	})
}

// TestPublishFollowUpAndReport: after publishing, edit a contribution, reword it, and erase
// every person: the stored version (every format) does not change by one byte, and the next
// version says what changed. Then the committee follows the recommendations of the published
// notebook, and the yearly report gathers it. One fixture for all three: it is the slow part.
func TestPublishFollowUpAndReport(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newFixture(t, db)
		if _, err := FollowUpBoard(f.ctx, db, f.proc.ID, ""); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("board before publication: got %v, want ErrNotFound", err)
		}
		f.edit()
		labels := catalogLabels(t, "fr")
		at := time.Date(2024, 2, 3, 9, 30, 0, 0, time.UTC)
		v1, err := Publish(f.ctx, db, f.proc.ID, f.org.ID, Options{}, nil, labelSet(t), at)
		f.must(err)
		if v1.Number != 1 || v1.Changes != "[]" {
			t.Fatalf("first version: number %d, changes %s", v1.Number, v1.Changes)
		}
		stored, err := GetVersion(f.ctx, db, f.proc.ID, 1)
		f.must(err)

		// A moderator edits a recommendation after publication; organisers reword another.
		w := f.ws[0]
		f.do(w, f.mod, "contribution.edit", map[string]any{"id": f.ids["r-users"], "body": "Texte changé après la publication."})
		f.must(Reword(f.ctx, db, f.proc.ID, f.org.ID, f.ids["r-rouge"], Rewording{Body: ptr("Une cellule logement d'urgence.")}, at.Add(time.Hour)))
		// Everyone is erased.
		if _, err := db.NewDelete().TableExpr("people").Where("1 = 1").Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		after, err := GetVersion(f.ctx, db, f.proc.ID, 1)
		f.must(err)
		if !reflect.DeepEqual(stored, after) {
			t.Errorf("version 1 changed after edits and erasure")
		}
		nb1, err := after.Notebook()
		f.must(err)
		html, err := RenderHTML(nb1, labels)
		f.must(err)
		if html != stored.HTML {
			t.Errorf("rendering the snapshot again does not give the stored HTML")
		}

		v2, err := Publish(f.ctx, db, f.proc.ID, f.org.ID, Options{}, nil, labelSet(t), at.Add(24*time.Hour))
		f.must(err)
		changes, err := v2.ChangeList()
		f.must(err)
		var kinds []string
		for _, c := range changes {
			kinds = append(kinds, c.Kind+" "+c.Ref)
		}
		if v2.Number != 2 || !contains(kinds, "reworded R1.2") || !contains(kinds, "reworded R1.3") {
			t.Errorf("version %d changes: %v, want both rewordings", v2.Number, kinds)
		}
		if strings.Contains(v2.HTML, "usager·ère·s seulement") {
			t.Errorf("version 2 still flags service users only, although their data was erased")
		}
		list, err := ListVersions(f.ctx, db, f.proc.ID)
		f.must(err)
		if len(list) != 2 || list[0].Number != 2 {
			t.Errorf("versions: %+v", list)
		}

		// The follow-up committee.
		committee, err := people.CreateParticipant(f.ctx, db, people.NewParticipant{ProcessID: &f.proc.ID,
			Role: record.RoleCommittee, Person: people.Person{DisplayName: "Comité"}})
		f.must(err)
		rec := f.ids["r-broad"]
		for i, s := range []Status{StatusConsideration, StatusAccepted} {
			_, err := RecordFollowUp(f.ctx, db, f.proc.ID, committee.ID, rec, s, "Note « "+string(s)+" » <b>", at.Add(time.Duration(i+1)*24*time.Hour))
			f.must(err)
		}
		if _, err := RecordFollowUp(f.ctx, db, f.proc.ID, committee.ID, rec, "done", "", at); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown status: got %v, want ErrInvalid", err)
		}
		if _, err := RecordFollowUp(f.ctx, db, f.proc.ID, committee.ID, f.ids["f-delais"], StatusAccepted, "", at); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("following a finding: got %v, want ErrNotFound", err)
		}
		board, err := FollowUpBoard(f.ctx, db, f.proc.ID, "")
		f.must(err)
		var got *Tracked
		for i := range board.Items {
			if board.Items[i].ID == rec {
				got = &board.Items[i]
			} else if board.Items[i].Status != StatusSubmitted || len(board.Items[i].History) != 0 {
				t.Errorf("%s: %s with %d entries, want submitted and no history", board.Items[i].Ref, board.Items[i].Status, len(board.Items[i].History))
			}
		}
		if got == nil || got.Status != StatusAccepted || len(got.History) != 2 || got.History[0].Status != StatusConsideration ||
			!got.History[1].At.Equal(at.Add(48*time.Hour)) || got.History[0].Note != "Note « under_consideration » <b>" {
			t.Errorf("followed recommendation: %+v", got)
		}

		// The yearly report gathers this process (published) and an unpublished one.
		other := &record.Process{Slug: "conseil", Title: "Conseil des usagers"}
		f.must(process.Create(f.ctx, db, other))
		ws := &record.Workshop{ProcessID: other.ID, Title: "Assemblée", StartsAt: at, EndsAt: at.Add(time.Hour)}
		f.must(process.CreateWorkshop(f.ctx, db, ws))
		rep, err := BuildReport(f.ctx, db, []int64{f.proc.ID, other.ID}, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		f.must(err)
		if rep.Totals.Processes != 1 || rep.Totals.Recommendations != 8 || rep.Totals.ByStatus[StatusAccepted] != 1 ||
			len(rep.Unpublished) != 1 || rep.Unpublished[0] != "Conseil des usagers" {
			t.Errorf("report: %+v, unpublished %v", rep.Totals, rep.Unpublished)
		}
		md := RenderReportMarkdown(rep, "fr", catalogLabels(t, "fr"))
		if !strings.Contains(md, "Assises du Logement") || !strings.Contains(md, "Acceptée") {
			t.Errorf("report Markdown:\n%s", md)
		}
		empty, err := BuildReport(f.ctx, db, []int64{f.proc.ID}, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		f.must(err)
		if len(empty.Processes) != 0 {
			t.Errorf("a period without sessions gathers %d processes", len(empty.Processes))
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestOpenDataMatchesSchema: the JSON validates against schema.json; a document that breaks it
// is refused; every field of the Go types is in the schema and in docs/notebook-schema.md.
func TestOpenDataMatchesSchema(t *testing.T) {
	_, nb := cachedGolden(t, "sqlite")
	doc, err := RenderJSON(nb)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(doc); err != nil {
		t.Fatalf("the open data does not validate: %v", err)
	}
	draft := *nb
	draft.Version, draft.PublishedAt = 0, nil
	if d, _ := RenderJSON(&draft); Validate(d) != nil {
		t.Errorf("a draft does not validate: %v", Validate(d))
	}
	for _, tamper := range []struct{ from, to string }{
		{`"method": "agree"`, `"method": "vote"`},
		{`"supporters": 6`, `"supporters": -6`},
		{`"reworded": true`, `"reworded": "yes"`},
		{`"ref": "R1.1"`, `"ref": "X"`},
		{`"flagGroup": ""`, `"flagGroup": "", "author": "Karim"`},
	} {
		t.Run(tamper.from, func(t *testing.T) {
			bad := strings.Replace(string(doc), tamper.from, tamper.to, 1)
			if bad == string(doc) {
				t.Fatalf("tamper %q not found", tamper.from)
			}
			if Validate([]byte(bad)) == nil {
				t.Errorf("%s → %s validates", tamper.from, tamper.to)
			}
		})
	}
	// Every property named in the schema is documented.
	docs, err := os.ReadFile("../../docs/notebook-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(SchemaJSON, &schema); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	collectProperties(schema, names)
	var missing []string
	for name := range names {
		if !regexp.MustCompile("`" + regexp.QuoteMeta(name) + "`").Match(docs) {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/notebook-schema.md does not document %v", missing)
	}
	for _, col := range CSVHeader {
		if !strings.Contains(string(docs), "`"+col+"`") {
			t.Errorf("docs/notebook-schema.md does not document the CSV column %q", col)
		}
	}
}

func collectProperties(v any, names map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if props, ok := x["properties"].(map[string]any); ok {
			for k := range props {
				names[k] = true
			}
		}
		for _, child := range x {
			collectProperties(child, names)
		}
	case []any:
		for _, child := range x {
			collectProperties(child, names)
		}
	}
}
