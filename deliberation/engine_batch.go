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
	tx  bun.Tx
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
}

// errRuleBug aborts a batch when a rule broke its contract (it refused after emitting, or
// accepted without an event): the retry then reports the command as internal.
var errRuleBug = errors.New("deliberation: rule broke its contract")

// begin locks the workshop row and loads what the batch needs once. On PostgreSQL the lock is
// SELECT … FOR UPDATE; SQLite transactions are IMMEDIATE (storage.Open), so the writer lock is
// already held. Either way, batches of one workshop run one after the other, which is what
// makes sequence numbers gapless and budgets safe under concurrency.
func (e *Engine) begin(ctx context.Context, tx bun.Tx, workshop int64, cmds []Command) (*batch, error) {
	b := &batch{ctx: ctx, tx: tx, pg: e.pg, now: e.now(), seen: map[string]CommandRecord{},
		deferSet: map[string]bool{}, authors: map[int64]authorInfo{}}
	q := tx.NewSelect().Model(&b.w).Where("id = ?", workshop)
	if e.pg {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound("lock workshop", err)
	}
	st, err := ParseLiveState(b.w.State)
	if err != nil {
		return nil, err
	}
	b.st = st
	ids := make([]string, 0, len(cmds))
	for _, c := range cmds {
		if c.ID != "" && len(c.ID) <= maxCommandIDLen {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) > 0 {
		var recs []CommandRecord
		err := tx.NewSelect().Model(&recs).Where("workshop_id = ? AND command_id IN (?)", workshop, bun.In(ids)).Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: load command records: %w", err)
		}
		for _, r := range recs {
			b.seen[r.CommandID] = r
		}
	}
	if err := b.prefetchVoteTargets(cmds); err != nil {
		return nil, err
	}
	return b, nil
}

// execute runs one command: idempotency first, then the rule, then its record.
func (b *batch) execute(c Command) error {
	out := Outcome{CommandID: c.ID}
	if c.ID == "" || len(c.ID) > maxCommandIDLen {
		out.Code, out.Message = CodeInvalidArgs, "command id must be 1 to 128 bytes"
		b.outcomes = append(b.outcomes, out)
		return nil
	}
	fp := fingerprint(c.Name, c.Args)
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

// commit writes the pending votes, the events, the command records and the workshop row, in
// that order and in one round trip, inside the transaction RunInTx then commits.
func (b *batch) commit() error {
	q, err := b.appendVotes(nil)
	if err != nil {
		return err
	}
	if len(b.stored) > 0 {
		if q, err = appendStatement(q, b.tx.NewInsert().Model(&b.stored)); err != nil {
			return fmt.Errorf("store: append events: %w", err)
		}
	}
	if len(b.records) > 0 {
		if q, err = appendStatement(q, b.tx.NewInsert().Model(&b.records)); err != nil {
			return fmt.Errorf("store: record commands: %w", err)
		}
	}
	if len(b.stored) > 0 || b.dirty {
		state, err := json.Marshal(b.st)
		if err != nil {
			return fmt.Errorf("deliberation: encode state: %w", err)
		}
		q, err = appendStatement(q, b.tx.NewUpdate().Model((*Workshop)(nil)).
			Set("last_seq = ?", b.w.LastSeq).Set("phase = ?", b.w.Phase).Set("state = ?", string(state)).
			Where("id = ?", b.w.ID))
		if err != nil {
			return fmt.Errorf("store: update workshop: %w", err)
		}
	}
	if len(q) == 0 {
		return nil
	}
	if _, err := b.tx.ExecContext(b.ctx, string(q)); err != nil {
		return fmt.Errorf("store: write batch: %w", err)
	}
	return nil
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
	if !ok || !canSee(a, c) {
		return nil, refuse(CodeNotFound, "no such contribution in this workshop"), nil
	}
	return c, refusal{}, nil
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
