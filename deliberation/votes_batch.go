package deliberation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/record"
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

// pendingVotes holds the last write of the batch to each vote, in first-write order.
type pendingVotes struct {
	last  map[journal.VoteKey]pendingVote
	order []journal.VoteKey
}

// pendingVote is an upsert of vote, or a delete when gone is set.
type pendingVote struct {
	vote journal.Vote
	gone bool
}

func (p *pendingVotes) put(k journal.VoteKey, v pendingVote) {
	if p.last == nil {
		p.last = map[journal.VoteKey]pendingVote{}
	}
	if _, ok := p.last[k]; !ok {
		p.order = append(p.order, k)
	}
	p.last[k] = v
}

// setVote records a vote row to write before the next read of votes.
func (b *batch) setVote(v journal.Vote) {
	b.votes.put(journal.VoteKey{Contribution: v.ContributionID, Participant: v.ParticipantID}, pendingVote{vote: v})
}

// deleteVote records that a person's vote on a contribution is gone.
func (b *batch) deleteVote(contribution, participant int64) {
	b.votes.put(journal.VoteKey{Contribution: contribution, Participant: participant}, pendingVote{gone: true})
}

// writeVotes writes the pending vote rows now (before something reads votes).
func (b *batch) writeVotes(ctx context.Context) error {
	if b.jtx == nil {
		return errOffline
	}
	w := journal.Writes{Workshop: b.w.ID}
	if b.takeVotes(&w); len(w.Votes) == 0 && len(w.Gone) == 0 {
		return nil
	}
	if err := b.jtx.Write(ctx, &w); err != nil {
		return fmt.Errorf("store: write votes: %w", err)
	}
	return nil
}

// takeVotes moves the pending vote rows to w: those set, and those gone. Keys are distinct,
// so no statement touches a row twice and no row is both upserted and deleted.
func (b *batch) takeVotes(w *journal.Writes) {
	p := &b.votes
	for _, k := range p.order {
		if v := p.last[k]; v.gone {
			w.Gone = append(w.Gone, k)
		} else {
			w.Votes = append(w.Votes, v.vote)
		}
	}
	clear(p.last)
	p.order = p.order[:0]
}

// prefetchVoteTargets loads, in one query, the contributions the votes of a batch are about
// (ids, from voteTargetIDs), for the votes at the head of the batch (see beforeCommand). On
// PostgreSQL, the first read of the batch (engine_lock.go) reads them with the workshop row.
func (b *batch) prefetchVoteTargets(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var cs []record.Contribution
	if err := b.tx.NewSelect().Model(&cs).Where("workshop_id = ? AND id IN (?)", b.w.ID, bun.In(ids)).Scan(ctx); err != nil {
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
func (b *batch) setVoteTargets(ids []int64, cs []record.Contribution) {
	b.voteTargets = make(map[int64]*record.Contribution, len(ids))
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
func (b *batch) beforeCommand(ctx context.Context, name string) error {
	vote := name == "vote.set" || name == "vote.clear"
	b.cacheTargets = vote
	if vote {
		return nil
	}
	clear(b.voteTargets)
	return b.writeVotes(ctx)
}

// cachedContribution is batch.contribution for the votes of a batch (see beforeCommand).
func (b *batch) cachedContribution(ctx context.Context, id int64) (*record.Contribution, bool, error) {
	if c, ok := b.voteTargets[id]; ok {
		return c, c != nil, nil
	}
	c, ok, err := b.loadContribution(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if b.voteTargets == nil {
		b.voteTargets = map[int64]*record.Contribution{}
	}
	b.voteTargets[id] = c // nil when not found: a second vote on it is refused alike
	return c, ok, nil
}
