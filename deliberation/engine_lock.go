package deliberation

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"

	"github.com/assises/assises/record"
)

// The first read of a batch on PostgreSQL: the workshop's row with the contributions the votes
// of the batch are about, in the round trip of BEGIN and the lock (journal.Postgres). The
// journal sends it as a statement after the lock, so (READ COMMITTED) it takes its snapshot
// once the lock is granted and sees everything the previous holder committed. With no
// contribution to read, a SELECT … FOR UPDATE of the workshop's row alone does both.

// lockedRow is a row of the first message: the workshop, and one contribution voted on (all
// NULL, so ID 0, when there is none).
type lockedRow struct {
	W     record.Workshop     `bun:"embed:w__"`
	C     record.Contribution `bun:"embed:c__"`
	CXmin string              `bun:"c_xmin"` // the contribution's row version (copy.go)
	// The workshop's log epoch, read apart from the Workshop model (see LogEpoch): the key
	// the batch seals labels with is that epoch's (journal/seal.go).
	LogEpoch int64 `bun:"w_log_epoch"`
}

var lockedColumns struct {
	once sync.Once
	expr string
}

// lockedSelectColumns lists the columns of lockedRow, from the models (so a column added to
// them is read too).
func lockedSelectColumns(db *bun.DB) string {
	lockedColumns.once.Do(func() {
		var cols []string
		for _, t := range []struct {
			alias string
			typ   reflect.Type
		}{{"w", reflect.TypeFor[record.Workshop]()}, {"c", reflect.TypeFor[record.Contribution]()}} {
			for _, f := range db.Table(t.typ).Fields {
				cols = append(cols, fmt.Sprintf("%s.%s AS %s__%s", t.alias, f.SQLName, t.alias, f.Name))
			}
		}
		cols = append(cols, "c.xmin::text AS c_xmin", "w.log_epoch AS w_log_epoch")
		lockedColumns.expr = strings.Join(cols, ", ")
	})
	return lockedColumns.expr
}

var workshopColumns struct {
	once sync.Once
	expr string
}

// workshopSelectColumns are the workshop's columns as lockedRow reads them, without the
// contribution's: the first read of a batch on SQLite.
func workshopSelectColumns(db *bun.DB) string {
	workshopColumns.once.Do(func() {
		var cols []string
		for _, f := range db.Table(reflect.TypeFor[record.Workshop]()).Fields {
			cols = append(cols, fmt.Sprintf("w.%s AS w__%s", f.SQLName, f.Name))
		}
		workshopColumns.expr = strings.Join(append(cols, "w.log_epoch AS w_log_epoch"), ", ")
	})
	return workshopColumns.expr
}

// lockedSelect is the first read of a batch whose votes are about targets, and whether it
// locks the workshop's row itself.
func lockedSelect(db *bun.DB, workshop int64, targets []int64) (schema.QueryAppender, bool) {
	sel := db.NewSelect().ColumnExpr(lockedSelectColumns(db)).TableExpr("workshops AS w").Where("w.id = ?", workshop)
	if len(targets) == 0 {
		return sel.Join("LEFT JOIN contributions AS c ON false").For("UPDATE OF w"), true
	}
	return sel.Join("LEFT JOIN contributions AS c ON c.workshop_id = w.id AND c.id = ANY(?::bigint[])", pgdialect.Array(targets)), false
}

// readTargets keeps the contributions of the first read for the votes of the batch, and
// remembers them with their row version for the copy.
func (b *batch) readTargets(targets []int64, found []lockedRow) {
	if len(targets) == 0 {
		return
	}
	cs := make([]record.Contribution, 0, len(found))
	b.read = make([]seenRead, 0, len(targets))
	for _, r := range found {
		if r.C.ID == 0 {
			continue
		}
		cs = append(cs, r.C)
		if isDigits(r.CXmin) {
			b.read = append(b.read, seenRead{id: r.C.ID, seenTarget: seenTarget{c: r.C, xmin: r.CXmin}})
		}
	}
	b.setVoteTargets(targets, cs)
	for id, c := range b.voteTargets {
		if c == nil {
			b.read = append(b.read, seenRead{id: id}) // not in this workshop
		}
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
