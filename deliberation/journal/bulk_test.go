package journal

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/storage/storagetest"
)

// TestBulkColumnsCoverTheirTables: the PostgreSQL bulk writes name every column of their
// tables as the migrations made them, so a column added to a table is not silently left to
// its default, and the models the SQLite journal writes have the same columns.
func TestBulkColumnsCoverTheirTables(t *testing.T) {
	db := storagetest.Open(t, "sqlite")
	w := &Writes{Workshop: 1, Due: []int64{1, 2}, Row: &WorkshopRow{LastSeq: 3}}
	for _, tc := range []struct {
		table string
		model any
		cols  []string
		st    *bun.RawQuery
	}{
		{"events", (*Event)(nil), eventColumns, insertEvents(db, []Event{{}, {Seq: 1}})},
		{"commands", (*Command)(nil), commandColumns, insertCommands(db, []Command{{}, {CommandID: "x"}})},
		{"votes", (*Vote)(nil), voteColumns, upsertVotes(db, []Vote{{}, {ParticipantID: 1}})},
		{"tally_pending", (*dueRow)(nil), dueColumns, markDue(db, w)},
	} {
		t.Run(tc.table, func(t *testing.T) {
			var have []string
			if err := db.NewRaw("SELECT name FROM pragma_table_info(?)", tc.table).Scan(t.Context(), &have); err != nil {
				t.Fatal(err)
			}
			slices.Sort(have)
			if got := slices.Sorted(slices.Values(tc.cols)); !reflect.DeepEqual(got, have) {
				t.Errorf("bulk columns %q, table columns %q", got, have)
			}
			var model []string
			for _, f := range db.Table(reflect.TypeOf(tc.model).Elem()).Fields {
				model = append(model, f.Name)
			}
			if got := slices.Sorted(slices.Values(model)); !reflect.DeepEqual(got, have) {
				t.Errorf("model columns %q, table columns %q", got, have)
			}
			q, err := tc.st.AppendQuery(db.QueryGen(), nil)
			if err != nil || !strings.Contains(string(q), "("+strings.Join(tc.cols, ", ")+")") {
				t.Errorf("the bulk INSERT (%v) does not name the columns: %s", err, q)
			}
		})
	}
}
