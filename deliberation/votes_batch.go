package deliberation

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

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
	q, err := b.appendVotes(nil)
	if err != nil || len(q) == 0 {
		return err
	}
	if _, err := b.tx.ExecContext(b.ctx, string(q)); err != nil {
		return fmt.Errorf("store: write votes: %w", err)
	}
	return nil
}

// appendVotes appends the statements that write the pending vote rows to q and forgets
// them: one upsert for those set, one delete per contribution for those gone. Keys are
// distinct, so no statement touches a row twice (PostgreSQL refuses that in one INSERT …
// ON CONFLICT).
func (b *batch) appendVotes(q []byte) ([]byte, error) {
	p := &b.votes
	if len(p.order) == 0 {
		return q, nil
	}
	var set []Vote
	gone := map[int64][]int64{}
	for _, k := range p.order {
		v := p.last[k]
		if v.gone {
			gone[k.contribution] = append(gone[k.contribution], k.participant)
		} else {
			set = append(set, v.vote)
		}
	}
	clear(p.last)
	p.order = p.order[:0]
	var err error
	if len(set) > 0 {
		q, err = appendStatement(q, b.tx.NewInsert().Model(&set).
			On("CONFLICT (contribution_id, participant_id) DO UPDATE").
			Set("method = EXCLUDED.method, value = EXCLUDED.value, updated_at = EXCLUDED.updated_at"))
		if err != nil {
			return nil, fmt.Errorf("store: set votes: %w", err)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(gone)) {
		q, err = appendStatement(q, b.tx.NewDelete().Model((*Vote)(nil)).
			Where("contribution_id = ? AND participant_id IN (?)", c, bun.In(gone[c])))
		if err != nil {
			return nil, fmt.Errorf("store: delete votes: %w", err)
		}
	}
	return q, nil
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

// prefetchVoteTargets loads, in one query, the contributions the votes of a batch are
// about, for the votes at the head of the batch (see beforeCommand). Arguments that do not
// decode are left to the rule, which refuses them.
func (b *batch) prefetchVoteTargets(cmds []Command) error {
	var ids []int64
	seen := map[int64]bool{}
	for _, c := range cmds {
		if c.Name != "vote.set" && c.Name != "vote.clear" {
			continue
		}
		var a struct {
			Contribution int64 `json:"contribution"`
		}
		if json.Unmarshal(c.Args, &a) == nil && a.Contribution > 0 && !seen[a.Contribution] {
			seen[a.Contribution] = true
			ids = append(ids, a.Contribution)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var cs []Contribution
	if err := b.tx.NewSelect().Model(&cs).Where("workshop_id = ? AND id IN (?)", b.w.ID, bun.In(ids)).Scan(b.ctx); err != nil {
		return fmt.Errorf("store: vote targets: %w", err)
	}
	b.voteTargets = make(map[int64]*Contribution, len(ids))
	for _, id := range ids {
		b.voteTargets[id] = nil // not in this workshop: a vote on it is refused
	}
	for i := range cs {
		b.voteTargets[cs[i].ID] = &cs[i]
	}
	return nil
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
