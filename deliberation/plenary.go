package deliberation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// The plenary vote (the Missions Locales' days: "votes et débats" on the white paper): the moderator opens a vote on
// contributions that reached the plenary (findings, recommendations, steps), stating its rule
// (view/plenary.go); each participant chooses adopt, reject or abstain (and may change their
// mind until it closes); closing stores the result, which the notebook reads with
// PlenaryResults. Who chose what goes to the voter only, like votes.

// plenaryKeyPrefix is the follow-up that emits a plenary tally ("plenary:<contribution>").
const plenaryKeyPrefix = "plenary:"

// maxPlenaryOpen bounds one plenary.open (a white paper has a few dozen recommendations).
const maxPlenaryOpen = 100

// emitPlenaryTallies is the plenary:<id> follow-up: one plenary.tally for a burst of ballots,
// to everyone (moderators only while results are hidden).
func (b *batch) emitPlenaryTallies(ctx context.Context, contributions []int64) error {
	items, err := view.PlenaryTallies(ctx, b.reader(), contributions)
	if err != nil || len(items) == 0 {
		return err
	}
	aud := AudienceAll
	if b.st.ResultsHidden {
		aud = AudienceModerators
	}
	b.emit("plenary.tally", aud, map[string]any{"items": items})
	return nil
}

type plenaryListArgs struct{ Contributions []int64 }

type plenaryOpenArgs struct {
	Contributions []int64
	Quorum        *int
	Threshold     *string
}

// cmdPlenaryOpen opens a vote on each contribution listed: visible ones of the plenary (a
// group's contribution is promoted first), under the rule given (a majority of the votes cast
// by default). Opening a closed vote again starts it afresh; an open one keeps its rule.
func cmdPlenaryOpen(ctx context.Context, b *batch, _ Actor, args *plenaryOpenArgs) (refusal, error) {
	if len(args.Contributions) == 0 || len(args.Contributions) > maxPlenaryOpen {
		return refuse(CodeInvalidArgs, "contributions must list 1 to 100 ids"), nil
	}
	quorum, num, den, problem := view.CheckRule(args.Quorum, args.Threshold)
	if problem != "" {
		return refuse(CodeInvalidArgs, problem), nil
	}
	rule := view.RuleFor(quorum, num, den)
	var ids []int64
	for _, id := range distinctIDs(args.Contributions) {
		c, r, err := b.visibleListed(ctx, id, "voted")
		if c == nil {
			return r, err
		}
		if c.GroupID != nil {
			return refuse(CodeBadState, "promote the group's contribution to the plenary first"), nil
		}
		it, err := b.plenaryItem(ctx, id)
		if err != nil {
			return refusal{}, err
		}
		if it != nil && it.Status == "open" {
			return refuse(CodeBadState, "a plenary vote is already open on it: its rule cannot change until it closes"), nil
		}
		ids = append(ids, id)
	}
	opened := make([]plenaryOpened, 0, len(ids))
	for _, id := range ids {
		it := &view.PlenaryItem{WorkshopID: b.w.ID, ContributionID: id, Status: "open", OpenedAt: b.now,
			Quorum: quorum, ThresholdNum: num, ThresholdDen: den}
		_, err := b.tx.NewInsert().Model(it).On("CONFLICT (contribution_id) DO UPDATE").
			Set("status = EXCLUDED.status, opened_at = EXCLUDED.opened_at, closed_at = NULL").
			Set("quorum = EXCLUDED.quorum, threshold_num = EXCLUDED.threshold_num, threshold_den = EXCLUDED.threshold_den").
			Set("adopt = 0, reject = 0, abstain = 0, voters = 0, eligible = 0, outcome = '', reason = ''").
			Returning("id").Exec(ctx)
		if err != nil {
			return refusal{}, fmt.Errorf("store: open plenary vote: %w", err)
		}
		if _, err := b.tx.NewDelete().Model((*view.PlenaryBallot)(nil)).Where("item_id = ?", it.ID).Exec(ctx); err != nil {
			return refusal{}, fmt.Errorf("store: open plenary vote: %w", err)
		}
		opened = append(opened, plenaryOpened{Contribution: id, OpenedAt: b.now.UnixMilli(), Rule: rule})
		b.later(plenaryKeyPrefix + strconv.FormatInt(id, 10))
	}
	b.emit("plenary.opened", AudienceAll, map[string]any{"items": opened})
	return refusal{}, nil
}

// plenaryOpened is an item of plenary.opened.
type plenaryOpened struct {
	Contribution int64            `json:"contribution"`
	OpenedAt     int64            `json:"openedAt"`
	Rule         view.PlenaryRule `json:"rule"`
}

// plenaryItem loads the plenary item of a contribution of this workshop, or nil.
func (b *batch) plenaryItem(ctx context.Context, contribution int64) (*view.PlenaryItem, error) {
	it := new(view.PlenaryItem)
	err := b.tx.NewSelect().Model(it).Where("workshop_id = ? AND contribution_id = ?", b.w.ID, contribution).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: plenary item: %w", err)
	}
	return it, nil
}

type plenaryVoteArgs struct {
	Contribution int64
	Choice       string
}

// cmdPlenaryVote records a participant's choice. Moderators steer the plenary and observers
// watch: neither votes.
func cmdPlenaryVote(ctx context.Context, b *batch, a Actor, args *plenaryVoteArgs) (refusal, error) {
	if a.Moderator || a.Role != record.RoleParticipant {
		return refuse(CodeNotAllowed, "only participants vote in plenary"), nil
	}
	if args.Choice != view.ChoiceAdopt && args.Choice != view.ChoiceReject && args.Choice != view.ChoiceAbstain {
		return refuse(CodeInvalidArgs, "choice must be adopt, reject or abstain"), nil
	}
	c, r, err := b.target(ctx, a, args.Contribution, "")
	if c == nil {
		return r, err
	}
	it, err := b.plenaryItem(ctx, c.ID)
	if err != nil {
		return refusal{}, err
	}
	if it == nil {
		return refuse(CodeNotFound, "no plenary vote on this contribution"), nil
	}
	if it.Status != "open" {
		return refuse(CodeBadState, "the plenary vote is closed"), nil
	}
	ballot := &view.PlenaryBallot{ItemID: it.ID, ParticipantID: a.Participant, WorkshopID: b.w.ID, Choice: args.Choice, UpdatedAt: b.now}
	_, err = b.tx.NewInsert().Model(ballot).On("CONFLICT (item_id, participant_id) DO UPDATE").
		Set("choice = EXCLUDED.choice, updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return refusal{}, fmt.Errorf("store: plenary ballot: %w", err)
	}
	b.emit("plenary.ballot", AudiencePerson(a.Participant), map[string]any{"contribution": c.ID, "choice": args.Choice})
	b.later(plenaryKeyPrefix + strconv.FormatInt(c.ID, 10))
	return refusal{}, nil
}

// cmdPlenaryClose closes the votes listed (every open one when the list is empty) and stores
// their results. The result is announced to everyone, even while live tallies are hidden:
// a plenary's decision is public.
func cmdPlenaryClose(ctx context.Context, b *batch, _ Actor, args *plenaryListArgs) (refusal, error) {
	if len(args.Contributions) > maxPlenaryOpen {
		return refuse(CodeInvalidArgs, "contributions must list at most 100 ids"), nil
	}
	ids := args.Contributions
	if len(ids) == 0 {
		err := b.tx.NewSelect().Model((*view.PlenaryItem)(nil)).Column("contribution_id").
			Where("workshop_id = ? AND status = ?", b.w.ID, "open").Order("contribution_id").Scan(ctx, &ids)
		if err != nil {
			return refusal{}, fmt.Errorf("store: open plenary votes: %w", err)
		}
		if len(ids) == 0 {
			return refuse(CodeBadState, "no plenary vote is open"), nil
		}
	}
	for _, id := range ids {
		it, err := b.plenaryItem(ctx, id)
		if err != nil {
			return refusal{}, err
		}
		if it == nil {
			return refuse(CodeNotFound, "no plenary vote on this contribution"), nil
		}
		if it.Status != "open" {
			return refuse(CodeBadState, "the plenary vote is already closed"), nil
		}
	}
	tallies, err := view.PlenaryTallies(ctx, b.reader(), ids)
	if err != nil {
		return refusal{}, err
	}
	for i := range tallies {
		t := &tallies[i]
		num, den, _ := view.ParseThreshold(t.Rule.Threshold)
		t.Open, t.ClosedAt = false, b.now.UnixMilli()
		t.Outcome, t.Reason = view.PlenaryOutcome(t.Adopt, t.Reject, t.Abstain, t.Rule.Quorum, num, den)
		_, err := b.tx.NewUpdate().Model((*view.PlenaryItem)(nil)).
			Set("status = ?, closed_at = ?, adopt = ?, reject = ?, abstain = ?, voters = ?, eligible = ?, outcome = ?, reason = ?",
				"closed", b.now, t.Adopt, t.Reject, t.Abstain, t.Voters, t.Eligible, t.Outcome, t.Reason).
			Where("workshop_id = ? AND contribution_id = ?", b.w.ID, t.Contribution).Exec(ctx)
		if err != nil {
			return refusal{}, fmt.Errorf("store: close plenary vote: %w", err)
		}
	}
	b.emit("plenary.closed", AudienceAll, map[string]any{"items": tallies})
	return refusal{}, nil
}

// laterOpenPlenary asks for the tallies of every open plenary vote (results revealed).
func (b *batch) laterOpenPlenary(ctx context.Context) error {
	var ids []int64
	err := b.tx.NewSelect().Model((*view.PlenaryItem)(nil)).Column("contribution_id").
		Where("workshop_id = ? AND status = ?", b.w.ID, "open").Order("contribution_id").Scan(ctx, &ids)
	if err != nil {
		return fmt.Errorf("store: open plenary votes: %w", err)
	}
	for _, id := range ids {
		b.later(plenaryKeyPrefix + strconv.FormatInt(id, 10))
	}
	return nil
}
