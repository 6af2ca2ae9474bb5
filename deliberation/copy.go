package deliberation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/record"
)

// A batch of votes on PostgreSQL in one round trip. A room voting sends batch after batch
// of vote.set about the same few contributions; the first message of a batch (engine_lock.go)
// only re-reads what the previous batch read or wrote. So the engine remembers, per workshop,
// the workshop row as it last committed it and the contributions voted on with their row
// version (xmin: any UPDATE makes a new one), and applies a batch made only of votes to that
// copy, without the database. What it produced goes in one message:
//
//	BEGIN; SELECT … FOR UPDATE (the lock); WITH <the inserts> UPDATE workshops … WHERE <check>; COMMIT
//
// The check is part of the UPDATE, a statement after the lock (so with a snapshot that sees
// what the previous holder of the lock committed): the workshop's last_seq, phase and state
// must be those of the copy, each contribution voted on must have the same row version, and
// those the copy knows as absent must still be absent. Otherwise it makes the statement fail
// (checkCondition, journal.ErrStale), and with it every write of its WITH clauses. Vote rules
// read nothing else (the actor comes from the hub, command records are caught by their primary
// key, journal.ErrCommandIDUsed), so if the check passes the batch produced what fresh reads
// would have given. If it fails (another node, a change made outside the engine), the batch
// runs the ordinary way, which refreshes the copy. So does a batch whose rules want the
// database (a dots budget, a contribution not in the copy: the batch has no transaction to
// read from, and its reads fail with errOffline) or that accepts nothing (no UPDATE to carry
// the check). docs/performance.md has what it saves.

// seenRows is the per-workshop copy. The zero value is ready to use.
type seenRows struct {
	mu     sync.Mutex
	ws     map[int64]*seenWorkshop
	noRest bool // tests: try the copy again at once after it proved stale
}

type seenWorkshop struct {
	w       record.Workshop // as committed: LastSeq, Phase and State are what the row holds
	targets map[int64]seenTarget
	skip    int // batches to run the ordinary way after the copy proved stale
}

type seenTarget struct {
	c    record.Contribution
	xmin string // "" when the contribution is not in the workshop
}

// Bounds of the copy: it is only a shortcut, so it is dropped rather than managed.
const (
	maxSeenWorkshops = 1024
	maxSeenTargets   = 4096
	skipAfterStale   = 8
)

// errOffline is what a batch applied to the copy gets when a rule asks the database.
var errOffline = errors.New("deliberation: batch applied without the database")

// onlyVotes reports whether a batch is made of votes only (the fast path's condition).
func onlyVotes(cmds []Command) bool {
	for _, c := range cmds {
		if c.Name != "vote.set" && c.Name != "vote.clear" {
			return false
		}
	}
	return len(cmds) > 0
}

// copyFor returns the copy of a workshop for a batch about these contributions, or false when
// it does not know them all (or is resting after a stale check).
func (s *seenRows) copyFor(workshop int64, targets []int64) (record.Workshop, map[int64]seenTarget, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := s.ws[workshop]
	if sw == nil {
		return record.Workshop{}, nil, false
	}
	if sw.skip > 0 {
		sw.skip--
		return record.Workshop{}, nil, false
	}
	out := make(map[int64]seenTarget, len(targets))
	for _, id := range targets {
		t, ok := sw.targets[id]
		if !ok {
			return record.Workshop{}, nil, false
		}
		out[id] = t
	}
	return sw.w, out, true
}

// committed records the workshop row as a batch left it, and the contributions it read
// (with their row version) if any.
func (s *seenRows) committed(w record.Workshop, read []seenRead) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws == nil || len(s.ws) >= maxSeenWorkshops && s.ws[w.ID] == nil {
		s.ws = map[int64]*seenWorkshop{}
	}
	sw := s.ws[w.ID]
	if sw == nil || len(sw.targets)+len(read) > maxSeenTargets {
		sw = &seenWorkshop{targets: map[int64]seenTarget{}}
		s.ws[w.ID] = sw
	}
	sw.w = w
	for _, r := range read {
		sw.targets[r.id] = r.seenTarget
	}
}

// stale makes the next batches of a workshop run the ordinary way.
func (s *seenRows) stale(workshop int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sw := s.ws[workshop]; sw != nil && !s.noRest {
		sw.skip = skipAfterStale
	}
}

// forget drops the copy of a workshop.
func (s *seenRows) forget(workshop int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ws, workshop)
}

// seenRead is a contribution read by the first message of a batch.
type seenRead struct {
	id int64
	seenTarget
}

// runOnCopy tries a batch of votes in one round trip. ok is false when the batch must run the
// ordinary way: not only votes, the copy does not know a contribution, a rule wanted the
// database, or the commit failed (the copy was stale, an id was used before, the connection
// broke: the ordinary way sorts these out). readRecords tells it to read the command records.
func (e *Engine) runOnCopy(ctx context.Context, workshop int64, cmds []Command, fn func(ctx context.Context, b *batch) error) (b *batch, ok, readRecords bool) {
	if !onlyVotes(cmds) {
		return nil, false, false
	}
	targets := voteTargetIDs(cmds)
	w, seen, ok := e.seen.copyFor(workshop, targets)
	if !ok || !w.Phase.Valid() {
		return nil, false, false
	}
	b = e.newBatch(len(cmds))
	b.w = w
	if err := b.parseState(); err != nil {
		return nil, false, false
	}
	b.voteTargets = make(map[int64]*record.Contribution, len(seen))
	for id, t := range seen {
		if t.xmin == "" {
			b.voteTargets[id] = nil
		} else {
			c := t.c
			b.voteTargets[id] = &c
		}
	}
	if err := fn(ctx, b); err != nil {
		return nil, false, false // errOffline, or a rule's error: the ordinary way tells
	}
	if len(b.stored) == 0 {
		return nil, false, false // nothing accepted: no UPDATE of the workshop row to check in
	}
	b.check = checkCondition(w, seen)
	writes, err := b.writes()
	if err != nil {
		return nil, false, false
	}
	tx, err := e.journal.Begin(ctx, journal.Opening{Workshop: workshop, Later: true})
	if err != nil {
		return nil, false, false
	}
	if err := tx.Commit(ctx, writes); err != nil {
		if errors.Is(err, journal.ErrStale) {
			e.seen.stale(workshop)
		}
		return nil, false, errors.Is(err, journal.ErrCommandIDUsed)
	}
	e.seen.committed(b.w, nil)
	return b, true, false
}

// checkCondition is the condition on the workshop row that the UPDATE of a batch applied to
// the copy carries (journal.WorkshopRow.Check): true if the copy is what the database holds
// (see the top of this file); if not, the journal fails the whole statement, with the writes
// of its WITH clauses, and the transaction with it. The UPDATE is a statement
// after the lock, so its snapshot sees what the previous holder committed. Everything in it
// is a number, a hex digest or a valid phase name.
func checkCondition(w record.Workshop, seen map[int64]seenTarget) string {
	id := strconv.FormatInt(w.ID, 10)
	sum := sha256.Sum256([]byte(w.State))
	q := make([]byte, 0, 512)
	q = append(q, "last_seq = "...)
	q = strconv.AppendInt(q, w.LastSeq, 10)
	q = append(q, " AND phase = '"...)
	q = append(q, w.Phase...)
	q = append(q, "' AND sha256(convert_to(state, 'UTF8')) = decode('"...)
	q = hex.AppendEncode(q, sum[:])
	q = append(q, "', 'hex')"...)
	var present, absent, xmins []byte
	for cid, t := range seen {
		if t.xmin == "" {
			absent = appendList(absent, strconv.FormatInt(cid, 10))
			continue
		}
		present = appendList(present, strconv.FormatInt(cid, 10))
		xmins = appendList(xmins, t.xmin)
	}
	if len(present) > 0 {
		q = fmt.Appendf(q, "\n AND NOT EXISTS (SELECT FROM unnest('{%s}'::bigint[], '{%s}'::text[]) AS e(id, x)"+
			" LEFT JOIN contributions AS c ON c.id = e.id AND c.workshop_id = %s"+
			" WHERE c.id IS NULL OR c.xmin::text <> e.x)", present, xmins, id)
	}
	if len(absent) > 0 {
		q = fmt.Appendf(q, "\n AND NOT EXISTS (SELECT FROM contributions WHERE workshop_id = %s AND id = ANY('{%s}'::bigint[]))", id, absent)
	}
	return string(q)
}

func appendList(l []byte, s string) []byte {
	if len(l) > 0 {
		l = append(l, ',')
	}
	return append(l, s...)
}
