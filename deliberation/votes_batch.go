package deliberation

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// Votes are the bulk of a live session's commands: a room of thousands voting sends
// thousands of vote.set per second, which the hub hands to Execute in batches of up to a
// few hundred. Each vote used to cost two statements (load its contribution, upsert its
// row); on PostgreSQL those round trips, not the rules, bounded the room. So within one
// batch:
//
//   - the contributions voted on are loaded once (voteTargets, all in one query when the
//     batch begins) while consecutive commands are votes, which never change a contribution;
//   - vote rows are written as one multi-row upsert and one delete per contribution
//     (pendingVotes), just before anything that could read votes: another kind of
//     command, a dots budget check, or the commit, where they go in the same round trip
//     as the events, the command records and the workshop row.
//
// Either way the transaction sees the same rows as if each vote had been written at once.

// voteKey names one person's vote on one contribution.
type voteKey struct{ contribution, participant int64 }

// pendingVotes holds the last write of the batch to each vote, in first-write order.
type pendingVotes struct {
	last  map[voteKey]pendingVote
	order []voteKey
}

// pendingVote is an upsert of vote, or a delete when gone is set.
type pendingVote struct {
	vote Vote
	gone bool
}

func (p *pendingVotes) put(k voteKey, v pendingVote) {
	if p.last == nil {
		p.last = map[voteKey]pendingVote{}
	}
	if _, ok := p.last[k]; !ok {
		p.order = append(p.order, k)
	}
	p.last[k] = v
}

// setVote records a vote row to write before the next read of votes.
func (b *batch) setVote(v Vote) {
	b.votes.put(voteKey{v.ContributionID, v.ParticipantID}, pendingVote{vote: v})
}

// deleteVote records that a person's vote on a contribution is gone.
func (b *batch) deleteVote(contribution, participant int64) {
	b.votes.put(voteKey{contribution, participant}, pendingVote{gone: true})
}

// writeVotes writes the pending vote rows now (before something reads votes).
func (b *batch) writeVotes() error {
	var w writeSet
	if err := b.addVotes(&w); err != nil || len(w) == 0 {
		return err
	}
	if _, err := b.tx.ExecContext(b.ctx, string(w.script(b.pg))); err != nil {
		return fmt.Errorf("store: write votes: %w", err)
	}
	return nil
}

// addVotes adds the statements that write the pending vote rows to w and forgets them: one
// upsert for those set, and the deletes of those gone (one statement on PostgreSQL, one per
// contribution on SQLite). Keys are distinct, so no statement touches a row twice
// (PostgreSQL refuses that in one INSERT … ON CONFLICT), and no row is both upserted and
// deleted (on PostgreSQL both may run in one statement, see writeSet.script).
func (b *batch) addVotes(w *writeSet) error {
	p := &b.votes
	if len(p.order) == 0 {
		return nil
	}
	var set []Vote
	var gone []voteKey
	for _, k := range p.order {
		if v := p.last[k]; v.gone {
			gone = append(gone, k)
		} else {
			set = append(set, v.vote)
		}
	}
	clear(p.last)
	p.order = p.order[:0]
	if len(set) > 0 {
		var st statement
		if b.pg {
			st = pgUpsertVotes(b.tx, set)
		} else {
			st = b.tx.NewInsert().Model(&set).
				On("CONFLICT (contribution_id, participant_id) DO UPDATE").
				Set("method = EXCLUDED.method, value = EXCLUDED.value, updated_at = EXCLUDED.updated_at")
		}
		if err := w.add(st); err != nil {
			return fmt.Errorf("store: set votes: %w", err)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	if b.pg {
		if err := w.add(pgDeleteVotes(b.tx, gone)); err != nil {
			return fmt.Errorf("store: delete votes: %w", err)
		}
		return nil
	}
	byItem := map[int64][]int64{}
	for _, k := range gone {
		byItem[k.contribution] = append(byItem[k.contribution], k.participant)
	}
	for _, c := range slices.Sorted(maps.Keys(byItem)) {
		err := w.add(b.tx.NewDelete().Model((*Vote)(nil)).
			Where("contribution_id = ? AND participant_id IN (?)", c, bun.In(byItem[c])))
		if err != nil {
			return fmt.Errorf("store: delete votes: %w", err)
		}
	}
	return nil
}

// statement is a bun query that can be formatted, to be sent with others in one Exec.
type statement interface {
	AppendQuery(gen schema.QueryGen, b []byte) ([]byte, error)
	DB() *bun.DB
}

// appendStatement formats st after q, separated by a semicolon. Several statements in one
// Exec are one round trip to PostgreSQL instead of one each (bun formats the arguments
// into the text, so nothing is left for the driver to bind).
func appendStatement(q []byte, st statement) ([]byte, error) {
	if len(q) > 0 {
		q = append(q, ";\n"...)
	}
	return st.AppendQuery(st.DB().QueryGen(), q)
}

// writeSet is the formatted statements that write a batch, to be sent in one round trip.
type writeSet [][]byte

func (w *writeSet) add(st statement) error {
	q, err := st.AppendQuery(st.DB().QueryGen(), nil)
	if err == nil {
		*w = append(*w, q)
	}
	return err
}

// script joins the statements. SQLite gets them one after the other. PostgreSQL gets one
// statement, the others running as its data-modifying WITH clauses: one parse, plan and
// executor start instead of one each (about a sixth of the write of a batch of 16 votes).
// Such clauses all see the snapshot the statement started with, not each other's rows: the
// statements of a batch write distinct rows and none reads what another writes, so that is
// the same; foreign keys are checked at the end of the statement, once all rows are in.
func (w writeSet) script(pg bool) []byte {
	if len(w) == 0 {
		return nil
	}
	n := 0
	for _, s := range w {
		n += len(s) + 16
	}
	q := make([]byte, 0, n)
	if !pg {
		for i, s := range w {
			if i > 0 {
				q = append(q, ";\n"...)
			}
			q = append(q, s...)
		}
		return q
	}
	for i, s := range w[:len(w)-1] {
		if i == 0 {
			q = append(q, "WITH "...)
		} else {
			q = append(q, ",\n"...)
		}
		q = append(q, 'w')
		q = strconv.AppendInt(q, int64(i), 10)
		q = append(q, " AS (\n"...)
		q = append(q, s...)
		q = append(q, "\n)"...)
	}
	if len(w) > 1 {
		q = append(q, '\n')
	}
	return append(q, w[len(w)-1]...)
}

// prefetchVoteTargets loads, in one query, the contributions the votes of a batch are
// about, for the votes at the head of the batch (see beforeCommand). On PostgreSQL, beginPG
// reads them with the workshop row instead.
func (b *batch) prefetchVoteTargets(cmds []Command) error {
	ids := voteTargetIDs(cmds)
	if len(ids) == 0 {
		return nil
	}
	var cs []Contribution
	if err := b.tx.NewSelect().Model(&cs).Where("workshop_id = ? AND id IN (?)", b.w.ID, bun.In(ids)).Scan(b.ctx); err != nil {
		return fmt.Errorf("store: vote targets: %w", err)
	}
	b.setVoteTargets(ids, cs)
	return nil
}

// voteTargetIDs lists the contributions the votes of a batch are about, once each. Arguments
// that do not decode are left to the rule, which refuses them.
func voteTargetIDs(cmds []Command) []int64 {
	var ids []int64
	var seen map[int64]bool
	for _, c := range cmds {
		if c.Name != "vote.set" && c.Name != "vote.clear" {
			continue
		}
		var a struct {
			Contribution int64 `json:"contribution"`
		}
		if json.Unmarshal(c.Args, &a) != nil || a.Contribution <= 0 || seen[a.Contribution] {
			continue
		}
		if seen == nil {
			seen = map[int64]bool{}
		}
		seen[a.Contribution] = true
		ids = append(ids, a.Contribution)
	}
	return ids
}

// setVoteTargets keeps the contributions loaded for the votes of the batch: cs are those of
// ids that belong to the workshop; the others are remembered as absent.
func (b *batch) setVoteTargets(ids []int64, cs []Contribution) {
	b.voteTargets = make(map[int64]*Contribution, len(ids))
	for _, id := range ids {
		b.voteTargets[id] = nil // not in this workshop: a vote on it is refused
	}
	for i := range cs {
		b.voteTargets[cs[i].ID] = &cs[i]
	}
}

// beforeCommand prepares the batch for the next command: votes may keep the loaded
// contributions and pending rows; any other command may read votes or change
// contributions, so the rows are written and the contributions forgotten first.
func (b *batch) beforeCommand(name string) error {
	vote := name == "vote.set" || name == "vote.clear"
	b.cacheTargets = vote
	if vote {
		return nil
	}
	clear(b.voteTargets)
	return b.writeVotes()
}

// cachedContribution is batch.contribution for the votes of a batch (see beforeCommand).
func (b *batch) cachedContribution(id int64) (*Contribution, bool, error) {
	if c, ok := b.voteTargets[id]; ok {
		return c, c != nil, nil
	}
	c, ok, err := b.loadContribution(id)
	if err != nil {
		return nil, false, err
	}
	if b.voteTargets == nil {
		b.voteTargets = map[int64]*Contribution{}
	}
	b.voteTargets[id] = c // nil when not found: a second vote on it is refused alike
	return c, ok, nil
}
