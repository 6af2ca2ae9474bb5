package journal

import (
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Bulk writes on PostgreSQL. bun formats arguments into the SQL text, so a multi-row INSERT of
// a batch of 256 votes is 768 literal rows for PostgreSQL to parse, type and plan; here each
// column is one array literal and the rows come out of unnest(…). A column whose rows all hold
// the same value (the workshop, the batch's time) is one scalar instead.
//
// The column lists are written out: TestBulkColumnsCoverTheirTables fails when a model gains a
// column that these statements would leave to its default.

var (
	eventColumns   = []string{"workshop_id", "seq", "name", "audience", "payload", "created_at"}
	commandColumns = []string{"workshop_id", "command_id", "participant_id", "fingerprint", "seq", "code", "created_at"}
	voteColumns    = []string{"contribution_id", "participant_id", "workshop_id", "method", "value", "updated_at"}
	dueColumns     = []string{"workshop_id", "contribution_id", "seq"}
)

// bulk builds one INSERT … SELECT … FROM unnest(…) (or any statement over such rows).
type bulk struct {
	sel     []byte // the SELECT list: ?::type for scalars, the unnest column for the others
	from    []byte // the unnest(…) arguments
	selArgs []any  // the scalars, in the order of sel
	arrays  []any  // the arrays, in the order of from
	n       int    // unnest columns
	rows    int
}

// bulkColumn adds a column of values: a scalar when they are all equal, an array otherwise.
func bulkColumn[T comparable](q *bulk, sqlType string, vals []T) {
	q.rows = len(vals)
	if len(q.sel) > 0 {
		q.sel = append(q.sel, ", "...)
	}
	uniform := true
	for _, v := range vals[1:] {
		if v != vals[0] {
			uniform = false
			break
		}
	}
	if uniform {
		q.sel = append(q.sel, "?::"...)
		q.sel = append(q.sel, sqlType...)
		q.selArgs = append(q.selArgs, vals[0])
		return
	}
	if q.n > 0 {
		q.from = append(q.from, ", "...)
	}
	q.n++
	col := "u" + string(rune('a'+q.n-1))
	q.sel = append(q.sel, col...)
	q.from = append(q.from, "?::"...)
	q.from = append(q.from, sqlType...)
	q.from = append(q.from, "[]"...)
	q.arrays = append(q.arrays, pgdialect.Array(vals))
}

// statement is head, then the rows: "head SELECT … FROM unnest(…) AS u(…) tail". Every column
// uniform makes it a SELECT without unnest: of one row, or of as many equal rows as there are.
func (q *bulk) statement(db *bun.DB, head, tail string) *bun.RawQuery {
	s := make([]byte, 0, len(head)+len(q.sel)+len(q.from)+len(tail)+64)
	s = append(s, head...)
	s = append(s, "\nSELECT "...)
	s = append(s, q.sel...)
	if q.n > 0 {
		s = append(s, " FROM unnest("...)
		s = append(s, q.from...)
		s = append(s, ") AS u("...)
		for i := range q.n {
			if i > 0 {
				s = append(s, ", "...)
			}
			s = append(s, 'u', byte('a'+i))
		}
		s = append(s, ')')
	} else if q.rows > 1 {
		s = append(s, " FROM generate_series(1, "...)
		s = strconv.AppendInt(s, int64(q.rows), 10)
		s = append(s, ')')
	}
	s = append(s, tail...)
	return db.NewRaw(string(s), append(q.selArgs, q.arrays...)...)
}

func insertEvents(db *bun.DB, evs []Event) *bun.RawQuery {
	n := len(evs)
	ws, seqs, ats := make([]int64, n), make([]int64, n), make([]time.Time, n)
	names, auds, payloads := make([]string, n), make([]string, n), make([]string, n)
	for i, e := range evs {
		ws[i], seqs[i], names[i], auds[i], payloads[i], ats[i] = e.WorkshopID, e.Seq, e.Name, e.Audience, e.Payload, e.CreatedAt
	}
	var q bulk
	bulkColumn(&q, "bigint", ws)
	bulkColumn(&q, "bigint", seqs)
	bulkColumn(&q, "text", names)
	bulkColumn(&q, "text", auds)
	bulkColumn(&q, "text", payloads)
	bulkColumn(&q, "timestamptz", ats)
	return q.statement(db, "INSERT INTO events ("+strings.Join(eventColumns, ", ")+")", "")
}

func insertCommands(db *bun.DB, recs []Command) *bun.RawQuery {
	n := len(recs)
	ws, parts, seqs, ats := make([]int64, n), make([]int64, n), make([]int64, n), make([]time.Time, n)
	ids, fps, codes := make([]string, n), make([]string, n), make([]string, n)
	for i, r := range recs {
		ws[i], ids[i], parts[i], fps[i], seqs[i], codes[i], ats[i] = r.WorkshopID, r.CommandID, r.ParticipantID, r.Fingerprint, r.Seq, r.Code, r.CreatedAt
	}
	var q bulk
	bulkColumn(&q, "bigint", ws)
	bulkColumn(&q, "text", ids)
	bulkColumn(&q, "bigint", parts)
	bulkColumn(&q, "text", fps)
	bulkColumn(&q, "bigint", seqs)
	bulkColumn(&q, "text", codes)
	bulkColumn(&q, "timestamptz", ats)
	return q.statement(db, "INSERT INTO commands ("+strings.Join(commandColumns, ", ")+")", "")
}

// upsertVotes upserts vote rows; their keys must be distinct (PostgreSQL refuses an
// INSERT … ON CONFLICT that touches a row twice).
func upsertVotes(db *bun.DB, votes []Vote) *bun.RawQuery {
	n := len(votes)
	cs, ps, ws, ats := make([]int64, n), make([]int64, n), make([]int64, n), make([]time.Time, n)
	methods, values := make([]string, n), make([]int64, n)
	for i, v := range votes {
		cs[i], ps[i], ws[i], methods[i], values[i], ats[i] = v.ContributionID, v.ParticipantID, v.WorkshopID, v.Method, int64(v.Value), v.UpdatedAt
	}
	var q bulk
	bulkColumn(&q, "bigint", cs)
	bulkColumn(&q, "bigint", ps)
	bulkColumn(&q, "bigint", ws)
	bulkColumn(&q, "text", methods)
	bulkColumn(&q, "integer", values)
	bulkColumn(&q, "timestamptz", ats)
	return q.statement(db, "INSERT INTO votes AS vote ("+strings.Join(voteColumns, ", ")+")",
		"\nON CONFLICT (contribution_id, participant_id) DO UPDATE"+
			" SET method = EXCLUDED.method, value = EXCLUDED.value, updated_at = EXCLUDED.updated_at")
}

// deleteVotes deletes the vote rows of some (contribution, participant) pairs.
func deleteVotes(db *bun.DB, keys []VoteKey) *bun.RawQuery {
	cs, ps := make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		cs[i], ps[i] = k.Contribution, k.Participant
	}
	return db.NewRaw("DELETE FROM votes WHERE (contribution_id, participant_id) IN\n(SELECT * FROM unnest(?::bigint[], ?::bigint[]))",
		pgdialect.Array(cs), pgdialect.Array(ps))
}

// markDue upserts the tally_pending rows of w.Due, at the batch's last sequence number.
func markDue(db *bun.DB, w *Writes) *bun.RawQuery {
	seq := int64(0)
	if w.Row != nil {
		seq = w.Row.LastSeq
	}
	n := len(w.Due)
	ws, seqs := make([]int64, n), make([]int64, n)
	for i := range n {
		ws[i], seqs[i] = w.Workshop, seq
	}
	var q bulk
	bulkColumn(&q, "bigint", ws)
	bulkColumn(&q, "bigint", w.Due)
	bulkColumn(&q, "bigint", seqs)
	return q.statement(db, "INSERT INTO tally_pending ("+strings.Join(dueColumns, ", ")+")",
		"\nON CONFLICT (workshop_id, contribution_id) DO UPDATE SET seq = EXCLUDED.seq")
}

func int64Array(ids []int64) any { return pgdialect.Array(ids) }
