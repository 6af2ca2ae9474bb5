package deliberation

import (
	"context"
	"fmt"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Rules for votes. Who voted what goes to the voter only (vote.recorded, audience
// person:<id>); everyone else learns tallies, coalesced by Flush (DESIGN invariant 7).

// Dots limits the moderator may choose.
const (
	MaxDotsBudget = 20
)

// voteRecorded is the voter's own acknowledgement of their vote. Value is null when cleared;
// DotsLeft is set under the dots method.
type voteRecorded struct {
	Contribution int64             `json:"contribution"`
	Value        *int              `json:"value"`
	Method       record.VoteMethod `json:"method"`
	DotsLeft     *int              `json:"dotsLeft,omitempty"`
}

// voteTarget checks that the actor may vote on a contribution now: not an observer, in an
// open phase, on a visible contribution of the current phase.
func (b *batch) voteTarget(ctx context.Context, a Actor, id int64) (*record.Contribution, refusal, error) {
	switch {
	case !mayContribute(a):
		return nil, refuse(CodeNotAllowed, "observers may not vote"), nil
	case !b.w.Phase.Open():
		return nil, refuse(CodePhaseClosed, "voting is not open"), nil
	}
	c, r, err := b.target(ctx, a, id, "")
	if c == nil {
		return nil, r, err
	}
	if c.Phase != b.w.Phase {
		return nil, refuse(CodePhaseClosed, "its phase is over"), nil
	}
	return c, refusal{}, nil
}

// dotsUsed is how many dots a person has put on the contributions of a phase, except one.
// Dots on hidden contributions still count (they come back if it is restored); withdrawn
// contributions lose their votes, which gives the dots back. It runs inside the batch's
// transaction, after the workshop lock, so concurrent commands cannot both spend the last dot.
func (b *batch) dotsUsed(ctx context.Context, participant int64, phase record.Phase, except int64) (int, error) {
	if err := b.writeVotes(ctx); err != nil { // the sum must see this batch's earlier votes
		return 0, err
	}
	var used int
	err := b.tx.NewSelect().Model((*record.Vote)(nil)).ColumnExpr("coalesce(sum(vote.value), 0)").
		Join("JOIN contributions AS c ON c.id = vote.contribution_id").
		Where("vote.workshop_id = ? AND vote.participant_id = ? AND vote.method = ? AND c.phase = ? AND vote.contribution_id <> ?",
			b.w.ID, participant, record.MethodDots, phase, except).
		Scan(ctx, &used)
	if err != nil {
		return 0, fmt.Errorf("store: dots used: %w", err)
	}
	return used, nil
}

func cmdVoteSet(ctx context.Context, b *batch, a Actor, args *voteArgs) (refusal, error) {
	if args.Value == nil {
		return refuse(CodeInvalidArgs, "value is required"), nil
	}
	c, r, err := b.voteTarget(ctx, a, args.Contribution)
	if c == nil {
		return r, err
	}
	set := b.st.VoteSettingsFor(c.Phase)
	v := *args.Value
	var dotsLeft *int
	switch set.Method {
	case record.MethodSupport:
		if v != 0 && v != 1 {
			return refuse(CodeInvalidArgs, "support: value must be 0 or 1"), nil
		}
	case record.MethodAgree:
		if v < -1 || v > 1 {
			return refuse(CodeInvalidArgs, "agree: value must be -1, 0 or 1"), nil
		}
	case record.MethodDots:
		if v < 0 {
			return refuse(CodeInvalidArgs, "dots: value must not be negative"), nil
		}
		if v > set.MaxPerItem {
			return refuse(CodeOverItemMax, "more dots than allowed on one item"), nil
		}
		used, err := b.dotsUsed(ctx, a.Participant, c.Phase, c.ID)
		if err != nil {
			return refusal{}, err
		}
		if used+v > set.Budget {
			return refuse(CodeOverBudget, "not enough dots left"), nil
		}
		left := set.Budget - used - v
		dotsLeft = &left
	}
	// Under support and dots, 0 means no vote: the row goes, so that counts stay row counts.
	// Under agree, 0 is "neutral", a vote.
	// The row is written with the batch's other votes (votes_batch.go).
	if v == 0 && set.Method != record.MethodAgree {
		b.deleteVote(c.ID, a.Participant)
	} else {
		b.setVote(journal.Vote{ContributionID: c.ID, ParticipantID: a.Participant, WorkshopID: b.w.ID,
			Method: string(set.Method), Value: v, UpdatedAt: b.now})
	}
	b.emit("vote.recorded", AudiencePerson(a.Participant),
		voteRecorded{Contribution: c.ID, Value: &v, Method: set.Method, DotsLeft: dotsLeft})
	b.laterTally(c.ID)
	return refusal{}, nil
}

func cmdVoteClear(ctx context.Context, b *batch, a Actor, args *voteClearArgs) (refusal, error) {
	c, r, err := b.voteTarget(ctx, a, args.Contribution)
	if c == nil {
		return r, err
	}
	b.deleteVote(c.ID, a.Participant)
	set := b.st.VoteSettingsFor(c.Phase)
	ev := voteRecorded{Contribution: c.ID, Method: set.Method}
	if set.Method == record.MethodDots {
		used, err := b.dotsUsed(ctx, a.Participant, c.Phase, c.ID)
		if err != nil {
			return refusal{}, err
		}
		left := max(0, set.Budget-used)
		ev.DotsLeft = &left
	}
	b.emit("vote.recorded", AudiencePerson(a.Participant), ev)
	b.laterTally(c.ID)
	return refusal{}, nil
}

// methodChanged is the vote.method.changed event. Reset says that the votes of the phase
// were cleared: clients drop the voter's own votes of that phase.
type methodChanged struct {
	Phase record.Phase `json:"phase"`
	view.VoteSettings
	Reset bool `json:"reset"`
}

func cmdVoteMethodSet(ctx context.Context, b *batch, _ Actor, args *methodArgs) (refusal, error) {
	if !args.Phase.Valid() || !args.Phase.Open() {
		return refuse(CodeBadPhase, "votes happen in diagnostic, recommendations or implementation"), nil
	}
	if !args.Method.Valid() {
		return refuse(CodeInvalidArgs, "method must be support, agree or dots"), nil
	}
	set := view.VoteSettings{Method: args.Method}
	if args.Method == record.MethodDots {
		if args.MaxPerItem == 0 {
			args.MaxPerItem = args.Budget
		}
		if args.Budget < 1 || args.Budget > MaxDotsBudget || args.MaxPerItem < 1 || args.MaxPerItem > args.Budget {
			return refuse(CodeInvalidArgs, "dots: budget 1 to 20, maxPerItem 1 to budget"), nil
		}
		set.Budget, set.MaxPerItem = args.Budget, args.MaxPerItem
	} else if args.Budget != 0 || args.MaxPerItem != 0 {
		return refuse(CodeInvalidArgs, "budget and maxPerItem are for dots"), nil
	}

	reset := false
	if b.st.VoteSettingsFor(args.Phase) != set {
		// New rules mean a new vote: votes cast under the old ones could break the new budget
		// or mean something else, so they are cleared and the room votes again.
		res, err := b.tx.NewDelete().Model((*record.Vote)(nil)).
			Where("workshop_id = ? AND contribution_id IN (?)", b.w.ID,
				b.tx.NewSelect().Model((*record.Contribution)(nil)).Column("id").
					Where("workshop_id = ? AND phase = ?", b.w.ID, args.Phase)).
			Exec(ctx)
		if err != nil {
			return refusal{}, fmt.Errorf("store: reset votes: %w", err)
		}
		n, _ := res.RowsAffected()
		reset = n > 0
	}
	if b.st.VoteMethods == nil {
		b.st.VoteMethods = map[record.Phase]view.VoteSettings{}
	}
	b.st.VoteMethods[args.Phase], b.dirty = set, true
	b.emit("vote.method.changed", AudienceAll, methodChanged{Phase: args.Phase, VoteSettings: set, Reset: reset})

	var ids []int64
	err := b.tx.NewSelect().Model((*record.Contribution)(nil)).Column("id").
		Where("workshop_id = ? AND phase = ? AND status = ?", b.w.ID, args.Phase, record.StatusVisible).Order("id").Scan(ctx, &ids)
	if err != nil {
		return refusal{}, fmt.Errorf("store: phase contributions: %w", err)
	}
	b.laterTally(ids...)
	return refusal{}, nil
}
