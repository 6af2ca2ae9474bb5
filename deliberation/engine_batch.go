package deliberation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// batch is one transaction of the engine: the locked workshop, its live state loaded once, and
// what the commands of the batch produce until commit.
type batch struct {
	tx  bun.IDB    // the transaction's reads (journal.Tx.DB); nil while the batch runs on a copy
	jtx journal.Tx // where the batch writes; nil while the batch runs on a copy
	now time.Time

	w     record.Workshop
	st    view.LiveState
	dirty bool // w.Phase or st changed: the workshop row is written at commit

	seen     map[string]record.CommandRecord // command ids already used: from the table and this batch
	records  []journal.Command
	outcomes []Outcome
	events   []Event
	stored   []journal.Event
	deferred []string
	deferSet map[string]bool
	due      []int64 // contributions whose tally is deferred: marked in tally_pending
	tallied  []int64 // contributions whose tally this batch emits: their marks go
	// talliedUpTo is the sequence number up to which the tallies emitted saw the votes.
	talliedUpTo int64
	authors     map[int64]view.Author // label cache for this batch
	err         error                 // sticky: an event that could not be encoded

	// Votes of the batch (votes_batch.go): rows written together, contributions loaded once.
	votes        pendingVotes
	voteTargets  map[int64]*record.Contribution
	cacheTargets bool // the current command is a vote: contribution() may use voteTargets

	prepared *PreparedFlush // FlushPrepared: tallies read before the lock (tally.go)

	read  []seenRead // PostgreSQL: the contributions the first message read, for e.seen
	check string     // PostgreSQL, on a copy: the condition the workshop's UPDATE checks

	e      *Engine
	ctx    context.Context // the batch's, for sealing stored payloads in emit
	epoch  int64           // the workshop's log epoch, read with its row (0: not drawn yet)
	logKey *journal.Key    // the key stored payloads are sealed with (log.go), once read
}

// errRuleBug aborts a batch when a rule broke its contract (it refused after emitting, or
// accepted without an event): the retry then reports the command as internal.
var errRuleBug = errors.New("deliberation: rule broke its contract")

// newBatch starts the batch of one transaction of n commands. What grows by one a command
// (its record, outcome, event and vote) is sized for n at once: growing them one append at a
// time was a fifth of the bytes a batch of votes allocated.
func (e *Engine) newBatch(n int) *batch {
	return &batch{e: e, ctx: context.Background(), now: e.now(), seen: make(map[string]record.CommandRecord, n),
		deferSet: map[string]bool{}, authors: map[int64]view.Author{},
		records: make([]journal.Command, 0, n), outcomes: make([]Outcome, 0, n),
		events: make([]Event, 0, n), stored: make([]journal.Event, 0, n),
		votes: pendingVotes{last: make(map[journal.VoteKey]pendingVote, n), order: make([]journal.VoteKey, 0, n)}}
}

// begin begins the batch's transaction in the journal, which locks the workshop's row, and
// loads what the batch needs once: the row, the contributions its votes are about, and, when
// readRecords, the records of its command ids. Either way, batches of one workshop run one
// after the other, which is what makes sequence numbers gapless and budgets safe under
// concurrency.
func (e *Engine) begin(ctx context.Context, workshop int64, cmds []Command, readRecords bool) (*batch, error) {
	b := e.newBatch(len(cmds))
	open := journal.Opening{Workshop: workshop}
	targets := voteTargetIDs(cmds)
	var found []lockedRow
	var ws []record.Workshop
	if e.pg {
		open.Read, open.ReadLocks = lockedSelect(e.db, workshop, targets)
		open.Scan = func(ctx context.Context, rows *sql.Rows) error { return e.db.ScanRows(ctx, rows, &found) }
	} else {
		open.Read = e.db.NewSelect().ColumnExpr(workshopSelectColumns(e.db)).TableExpr(`"workshops" AS w`).Where("w.id = ?", workshop)
		open.Scan = func(ctx context.Context, rows *sql.Rows) error { return e.db.ScanRows(ctx, rows, &found) }
	}
	tx, err := e.journal.Begin(ctx, open)
	if err != nil {
		return nil, record.NotFound("lock workshop", err)
	}
	b.jtx, b.tx, b.ctx = tx, tx.DB(), ctx
	for _, r := range found {
		ws = append(ws, r.W)
	}
	if len(ws) == 0 {
		tx.Rollback()
		return nil, record.NotFound("lock workshop", sql.ErrNoRows)
	}
	b.w, b.epoch = ws[0], found[0].LogEpoch
	b.readTargets(targets, found)
	err = b.parseState()
	if err == nil && readRecords {
		err = b.loadRecords(ctx, cmds)
	}
	if err == nil && !e.pg {
		err = b.prefetchVoteTargets(ctx, targets)
	}
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return b, nil
}

func (b *batch) parseState() error {
	st, err := view.ParseLiveState(b.w.State)
	if err != nil {
		return err
	}
	b.st = st
	return nil
}

// loadRecords reads the command records of the batch's ids (the ids already used).
func (b *batch) loadRecords(ctx context.Context, cmds []Command) error {
	ids := make([]string, 0, len(cmds))
	for _, c := range cmds {
		if c.ID != "" && len(c.ID) <= maxCommandIDLen {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var recs []journal.Command
	err := b.tx.NewSelect().Model(&recs).Where("workshop_id = ? AND command_id IN (?)", b.w.ID, bun.In(ids)).Scan(ctx)
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
	return Result{Outcomes: b.outcomes, Events: b.events, Deferred: b.deferred, WakeAt: b.st.WakeAt()}
}

// execute runs one command: idempotency first, then the rule, then its record.
func (b *batch) execute(ctx context.Context, c Command) error {
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
	r, err := b.apply(ctx, c)
	if err != nil {
		return err
	}
	rec := journal.Command{WorkshopID: b.w.ID, CommandID: c.ID, ParticipantID: c.Actor.Participant,
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

func (b *batch) apply(ctx context.Context, c Command) (refusal, error) {
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
	if err := b.beforeCommand(ctx, c.Name); err != nil {
		return refusal{}, err
	}
	before, deferBefore, dirtyBefore := len(b.events), len(b.deferred), b.dirty
	r, err := s.apply(ctx, b, c.Actor, args)
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
// An event without its row in EventAudiences, or sent to an audience its row does not allow,
// fails the batch: nothing is committed or sent (fail closed).
func (b *batch) emit(name, audience string, data any) {
	if err := checkAudience(name, audience); err != nil {
		b.err = err
		return
	}
	raw, err := json.Marshal(data)
	if err != nil {
		b.err = fmt.Errorf("deliberation: encode %s: %w", name, err)
		return
	}
	b.w.LastSeq++
	ev := Event{Seq: b.w.LastSeq, Name: name, Audience: audience, Data: raw, At: b.now, ReloadViewers: reloadsViewers(name)}
	b.events = append(b.events, ev)
	stored := journal.Event{WorkshopID: b.w.ID, Seq: ev.Seq, Name: name, Audience: audience,
		Payload: string(raw), CreatedAt: b.now}
	// What the room sends stays plain; what the log stores of a label is sealed.
	if err := b.sealStored(&stored); err != nil {
		b.err = err
		return
	}
	b.stored = append(b.stored, stored)
}

// later asks for a coalesced follow-up (Result.Deferred).
func (b *batch) later(key string) {
	if !b.deferSet[key] {
		b.deferSet[key] = true
		b.deferred = append(b.deferred, key)
	}
}

// laterTally defers the tallies of some contributions, and marks them due in the batch's own
// transaction: if the process dies before the tally event, the next start emits it (Open).
func (b *batch) laterTally(ids ...int64) {
	for _, id := range ids {
		key := "tally:" + strconv.FormatInt(id, 10)
		if !b.deferSet[key] {
			b.due = append(b.due, id)
		}
		b.later(key)
	}
}

// commit writes what the batch produced and commits.
func (b *batch) commit(ctx context.Context) error {
	w, err := b.writes()
	if err != nil {
		b.jtx.Rollback()
		return err
	}
	return b.jtx.Commit(ctx, w)
}

// writes is what the batch writes: the command records, the pending votes, the events, the
// tallies due and done, and the workshop row. The command records come first: on PostgreSQL
// their primary key is what catches an id used before (journal.ErrCommandIDUsed).
func (b *batch) writes() (*journal.Writes, error) {
	w := &journal.Writes{Workshop: b.w.ID, Commands: b.records, Events: b.stored, Due: b.due}
	b.takeVotes(w)
	for _, id := range b.tallied {
		if !slices.Contains(b.due, id) { // marked again by this batch: the mark stays
			w.Tallied = append(w.Tallied, id)
		}
	}
	w.TalliedUpTo = b.talliedUpTo
	if len(b.stored) > 0 || b.dirty {
		state, err := json.Marshal(b.st)
		if err != nil {
			return nil, fmt.Errorf("deliberation: encode state: %w", err)
		}
		b.w.State = string(state)
		w.Row = &journal.WorkshopRow{LastSeq: b.w.LastSeq, Phase: string(b.w.Phase), State: b.w.State, Check: b.check}
	}
	return w, nil
}

// contribution loads a contribution of this workshop. An id of another workshop is not found:
// that is the whole defence against someone trying ids (IDOR).
func (b *batch) contribution(ctx context.Context, id int64) (*record.Contribution, bool, error) {
	if b.cacheTargets {
		return b.cachedContribution(ctx, id)
	}
	return b.loadContribution(ctx, id)
}

func (b *batch) loadContribution(ctx context.Context, id int64) (*record.Contribution, bool, error) {
	if b.tx == nil {
		return nil, false, errOffline
	}
	c := new(record.Contribution)
	err := b.tx.NewSelect().Model(c).Where("id = ? AND workshop_id = ?", id, b.w.ID).Scan(ctx)
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
func (b *batch) visibleTo(ctx context.Context, a Actor, id int64) (*record.Contribution, refusal, error) {
	c, ok, err := b.contribution(ctx, id)
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
func knowsGone(a Actor, c *record.Contribution) bool {
	switch c.Status {
	case record.StatusMerged:
		return isAuthor(a, c) || c.GroupID == nil || *c.GroupID == a.Group
	case record.StatusWithdrawn:
		return isAuthor(a, c)
	}
	return false
}

// canSee says whether a viewer may see a contribution: moderators see everything; others see
// what is visible (in their group, if it was posted in a group) and their own pending posts.
func canSee(a Actor, c *record.Contribution) bool {
	if a.Moderator {
		return true
	}
	switch c.Status {
	case record.StatusVisible:
		return c.GroupID == nil || *c.GroupID == a.Group
	case record.StatusPending:
		return c.AuthorID != nil && *c.AuthorID == a.Participant
	}
	return false
}

func (b *batch) links(ctx context.Context, id int64) ([]int64, error) {
	var ids []int64
	err := b.tx.NewSelect().Model((*record.ContributionLink)(nil)).Column("to_id").Where("from_id = ?", id).Order("to_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: contribution links: %w", err)
	}
	return ids, nil
}

// updateContribution writes some columns of a contribution (and its updated_at).
func (b *batch) updateContribution(ctx context.Context, c *record.Contribution, columns ...string) error {
	c.UpdatedAt = b.now
	columns = append(columns, "updated_at")
	if _, err := b.tx.NewUpdate().Model(c).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("store: update contribution: %w", err)
	}
	return nil
}
