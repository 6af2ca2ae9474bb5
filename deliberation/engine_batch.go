package deliberation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// batch is one transaction of the engine: the locked workshop, its live state loaded once, and
// what the commands of the batch produce until commit.
type batch struct {
	ctx context.Context
	tx  bun.IDB // the transaction: a bun.Tx on SQLite, a pgConn inside BEGIN … COMMIT on PostgreSQL
	pg  bool
	now time.Time

	w     Workshop
	st    LiveState
	dirty bool // w.Phase or st changed: the workshop row is written at commit

	seen     map[string]CommandRecord // command ids already used: from the table and this batch
	records  []CommandRecord
	outcomes []Outcome
	events   []Event
	stored   []StoredEvent
	deferred []string
	deferSet map[string]bool
	authors  map[int64]authorInfo // label cache for this batch
	err      error                // sticky: an event that could not be encoded

	// Votes of the batch (votes_batch.go): rows written together, contributions loaded once.
	votes        pendingVotes
	voteTargets  map[int64]*Contribution
	cacheTargets bool // the current command is a vote: contribution() may use voteTargets

	prepared *PreparedFlush // FlushPrepared: tallies read before the lock (flush_prepared.go)

	read  []seenRead // PostgreSQL: the contributions the first message read, for e.seen
	check string     // PostgreSQL, one round trip: the condition the workshop's UPDATE checks
}

// errRuleBug aborts a batch when a rule broke its contract (it refused after emitting, or
// accepted without an event): the retry then reports the command as internal.
var errRuleBug = errors.New("deliberation: rule broke its contract")

// newBatch starts the batch of one transaction.
func (e *Engine) newBatch(ctx context.Context, tx bun.IDB) *batch {
	return &batch{ctx: ctx, tx: tx, pg: e.pg, now: e.now(), seen: map[string]CommandRecord{},
		deferSet: map[string]bool{}, authors: map[int64]authorInfo{}}
}

// begin locks the workshop row and loads what the batch needs once (SQLite; PostgreSQL takes
// the road of engine_pg.go). SQLite transactions are IMMEDIATE (storage.Open), so the writer
// lock is already held when the row is read; on PostgreSQL it would be SELECT … FOR UPDATE.
// Either way, batches of one workshop run one after the other, which is what makes sequence
// numbers gapless and budgets safe under concurrency.
func (e *Engine) begin(ctx context.Context, tx bun.IDB, workshop int64, cmds []Command) (*batch, error) {
	b := e.newBatch(ctx, tx)
	q := tx.NewSelect().Model(&b.w).Where("id = ?", workshop)
	if e.pg {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound("lock workshop", err)
	}
	if err := b.parseState(); err != nil {
		return nil, err
	}
	if err := b.loadRecords(cmds); err != nil {
		return nil, err
	}
	if err := b.prefetchVoteTargets(cmds); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *batch) parseState() error {
	st, err := ParseLiveState(b.w.State)
	if err != nil {
		return err
	}
	b.st = st
	return nil
}

// loadRecords reads the command records of the batch's ids (the ids already used).
func (b *batch) loadRecords(cmds []Command) error {
	ids := make([]string, 0, len(cmds))
	for _, c := range cmds {
		if c.ID != "" && len(c.ID) <= maxCommandIDLen {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var recs []CommandRecord
	err := b.tx.NewSelect().Model(&recs).Where("workshop_id = ? AND command_id IN (?)", b.w.ID, bun.In(ids)).Scan(b.ctx)
	if err != nil {
		return fmt.Errorf("store: load command records: %w", err)
	}
	for _, r := range recs {
		b.seen[r.CommandID] = r
	}
	return nil
}

// result is what Execute and Flush return once the batch has committed.
func (b *batch) result() Result {
	return Result{Outcomes: b.outcomes, Events: b.events, Deferred: b.deferred, WakeAt: b.st.wakeAt()}
}

// execute runs one command: idempotency first, then the rule, then its record.
func (b *batch) execute(c Command) error {
	out := Outcome{CommandID: c.ID}
	if c.ID == "" || len(c.ID) > maxCommandIDLen {
		out.Code, out.Message = CodeInvalidArgs, "command id must be 1 to 128 bytes"
		b.outcomes = append(b.outcomes, out)
		return nil
	}
	fp := fingerprintOf(c.Name, c.Args)
	if rec, ok := b.seen[c.ID]; ok {
		if rec.ParticipantID == c.Actor.Participant && rec.Fingerprint == fp {
			out.Seq, out.Code, out.Message = rec.Seq, rec.Code, "repeated command: first outcome"
		} else {
			out.Code, out.Message = CodeIDReused, "command id already used for another command"
		}
		b.outcomes = append(b.outcomes, out)
		return nil
	}
	r, err := b.apply(c)
	if err != nil {
		return err
	}
	rec := CommandRecord{WorkshopID: b.w.ID, CommandID: c.ID, ParticipantID: c.Actor.Participant,
		Fingerprint: fp, Code: r.Code, CreatedAt: b.now}
	if r.ok() {
		rec.Seq = b.w.LastSeq
	}
	b.seen[c.ID] = rec
	b.records = append(b.records, rec)
	out.Seq, out.Code, out.Message = rec.Seq, r.Code, r.Message
	b.outcomes = append(b.outcomes, out)
	return nil
}

func (b *batch) apply(c Command) (refusal, error) {
	s, ok := commandSpecs[c.Name]
	if !ok {
		return refuse(CodeUnknownCommand, "unknown command"), nil
	}
	if s.moderator && !c.Actor.Moderator {
		return refuse(CodeNotAllowed, "moderators only"), nil
	}
	args, r := s.decode(c.Args)
	if !r.ok() {
		return r, nil
	}
	if err := b.beforeCommand(c.Name); err != nil {
		return refusal{}, err
	}
	before, deferBefore, dirtyBefore := len(b.events), len(b.deferred), b.dirty
	r, err := s.apply(b, c.Actor, args)
	if err == nil {
		err = b.err
	}
	if err != nil {
		return refusal{}, err
	}
	if !r.ok() && (len(b.events) != before || len(b.deferred) != deferBefore || b.dirty != dirtyBefore) {
		return refusal{}, fmt.Errorf("%w: %s refused after writing", errRuleBug, c.Name)
	}
	if r.ok() && len(b.events) == before {
		return refusal{}, fmt.Errorf("%w: %s accepted without an event", errRuleBug, c.Name)
	}
	return r, nil
}

// emit appends an event with the next sequence number.
func (b *batch) emit(name, audience string, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		b.err = fmt.Errorf("deliberation: encode %s: %w", name, err)
		return
	}
	b.w.LastSeq++
	ev := Event{Seq: b.w.LastSeq, Name: name, Audience: audience, Data: raw, At: b.now, ReloadViewers: reloadsViewers(name)}
	b.events = append(b.events, ev)
	b.stored = append(b.stored, StoredEvent{WorkshopID: b.w.ID, Seq: ev.Seq, Name: name, Audience: audience,
		Payload: string(raw), CreatedAt: b.now})
}

// later asks for a coalesced follow-up (Result.Deferred).
func (b *batch) later(key string) {
	if !b.deferSet[key] {
		b.deferSet[key] = true
		b.deferred = append(b.deferred, key)
	}
}

func (b *batch) laterTally(ids ...int64) {
	for _, id := range ids {
		b.later(fmt.Sprintf("tally:%d", id))
	}
}

// commit writes what the batch produced (see writes) inside the transaction RunInTx then
// commits (SQLite; on PostgreSQL, runPG sends the writes and COMMIT together).
func (b *batch) commit() error {
	w, err := b.writes()
	if err != nil || len(w) == 0 {
		return err
	}
	if _, err := b.tx.ExecContext(b.ctx, string(w.script(b.pg))); err != nil {
		return fmt.Errorf("store: write batch: %w", err)
	}
	return nil
}

// writes formats the statements that write the batch: the command records, the pending votes,
// the events and the workshop row, to be sent in one round trip. On PostgreSQL each table's
// rows go as arrays (INSERT … SELECT FROM unnest, pgbulk.go): a few literals to parse instead
// of one per column and row. The command records come first: on PostgreSQL their primary key is
// what catches an id used before (runBatchPG).
func (b *batch) writes() (writeSet, error) {
	var w writeSet
	if len(b.records) > 0 {
		var st statement = b.tx.NewInsert().Model(&b.records)
		if b.pg {
			st = pgInsertCommands(b.tx, b.records)
		}
		if err := w.add(st); err != nil {
			return nil, fmt.Errorf("store: record commands: %w", err)
		}
	}
	if err := b.addVotes(&w); err != nil {
		return nil, err
	}
	if len(b.stored) > 0 {
		var st statement = b.tx.NewInsert().Model(&b.stored)
		if b.pg {
			st = pgInsertEvents(b.tx, b.stored)
		}
		if err := w.add(st); err != nil {
			return nil, fmt.Errorf("store: append events: %w", err)
		}
	}
	if len(b.stored) > 0 || b.dirty {
		state, err := json.Marshal(b.st)
		if err != nil {
			return nil, fmt.Errorf("deliberation: encode state: %w", err)
		}
		b.w.State = string(state)
		q := b.tx.NewUpdate().Model((*Workshop)(nil)).
			Set("last_seq = ?", b.w.LastSeq).Set("phase = ?", b.w.Phase).Set("state = ?", b.w.State).
			Where("id = ?", b.w.ID)
		if b.check != "" {
			q = q.Where(b.check)
		}
		err = w.add(q)
		if err != nil {
			return nil, fmt.Errorf("store: update workshop: %w", err)
		}
	}
	return w, nil
}

// contribution loads a contribution of this workshop. An id of another workshop is not found:
// that is the whole defence against someone trying ids (IDOR).
func (b *batch) contribution(id int64) (*Contribution, bool, error) {
	if b.cacheTargets {
		return b.cachedContribution(id)
	}
	return b.loadContribution(id)
}

func (b *batch) loadContribution(id int64) (*Contribution, bool, error) {
	c := new(Contribution)
	err := b.tx.NewSelect().Model(c).Where("id = ? AND workshop_id = ?", id, b.w.ID).Scan(b.ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get contribution: %w", err)
	}
	return c, true, nil
}

// visibleTo loads a contribution the actor may see (not_found otherwise, so that the answer
// does not tell a participant what exists behind a moderator's back).
func (b *batch) visibleTo(a Actor, id int64) (*Contribution, refusal, error) {
	c, ok, err := b.contribution(id)
	if err != nil {
		return nil, refusal{}, err
	}
	if !ok || !canSee(a, c) && !knowsGone(a, c) {
		return nil, refuse(CodeNotFound, "no such contribution in this workshop"), nil
	}
	return c, refusal{}, nil
}

// knowsGone: the viewer knows this contribution, which is gone from the room: their own, merged
// or withdrawn, or one merged in their sight (everyone who saw it got contribution.merged). The
// rules then answer with the specific code (already_merged, bad_state), which a client can act
// on, rather than not_found.
func knowsGone(a Actor, c *Contribution) bool {
	switch c.Status {
	case StatusMerged:
		return isAuthor(a, c) || c.GroupID == nil || *c.GroupID == a.Group
	case StatusWithdrawn:
		return isAuthor(a, c)
	}
	return false
}

// canSee says whether a viewer may see a contribution: moderators see everything; others see
// what is visible (in their group, if it was posted in a group) and their own pending posts.
func canSee(a Actor, c *Contribution) bool {
	if a.Moderator {
		return true
	}
	switch c.Status {
	case StatusVisible:
		return c.GroupID == nil || *c.GroupID == a.Group
	case StatusPending:
		return c.AuthorID != nil && *c.AuthorID == a.Participant
	}
	return false
}

func (b *batch) links(id int64) ([]int64, error) {
	var ids []int64
	err := b.tx.NewSelect().Model((*ContributionLink)(nil)).Column("to_id").Where("from_id = ?", id).Order("to_id").Scan(b.ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: contribution links: %w", err)
	}
	return ids, nil
}

// updateContribution writes some columns of a contribution (and its updated_at).
func (b *batch) updateContribution(c *Contribution, columns ...string) error {
	c.UpdatedAt = b.now
	columns = append(columns, "updated_at")
	if _, err := b.tx.NewUpdate().Model(c).Column(columns...).WherePK().Exec(b.ctx); err != nil {
		return fmt.Errorf("store: update contribution: %w", err)
	}
	return nil
}
