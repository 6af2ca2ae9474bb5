package deliberation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Rules for what participants say: contributions and comments.

// maxLinks bounds the findings one recommendation may answer.
const maxLinks = 20

// mayContribute: observers and the follow-up committee watch; they do not post or vote.
func mayContribute(a Actor) bool { return a.Moderator || a.Role == record.RoleParticipant }

func kindAllowed(p record.Phase, k record.Kind) bool {
	for _, allowed := range record.KindsFor(p) {
		if allowed == k {
			return true
		}
	}
	return false
}

func validKind(k record.Kind) bool {
	return k == record.KindFinding || k == record.KindSolution || k == record.KindRecommendation || k == record.KindStep
}

// target loads a visible contribution the actor may refer to (a parent, a link, what a comment
// or a vote is about). kind, when not empty, is the kind it must have.
func (b *batch) target(ctx context.Context, a Actor, id int64, kind record.Kind) (*record.Contribution, refusal, error) {
	c, r, err := b.visibleTo(ctx, a, id)
	if c == nil || err != nil {
		return nil, r, err
	}
	switch {
	case c.Status == record.StatusMerged:
		return nil, refuse(CodeAlreadyMerged, "contribution was merged"), nil
	case c.Status != record.StatusVisible:
		return nil, refuse(CodeBadState, "contribution is not visible"), nil
	case kind != "" && c.Kind != kind:
		return nil, refuse(CodeInvalidArgs, "contribution must be a "+string(kind)), nil
	}
	return c, refusal{}, nil
}

// isRapporteur: a group's rapporteur may post on behalf of the group's table.
func (b *batch) isRapporteur(ctx context.Context, participant int64) (bool, error) {
	var rapporteur bool
	err := b.tx.NewSelect().Model((*record.GroupMember)(nil)).Column("rapporteur").
		Where("workshop_id = ? AND participant_id = ?", b.w.ID, participant).Scan(ctx, &rapporteur)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: rapporteur: %w", err)
	}
	return rapporteur, nil
}

// stepFields cleans who/how/when, which only implementation steps have.
func stepFields(kind record.Kind, who, how, when string) ([3]string, refusal) {
	var out [3]string
	for i, s := range []string{who, how, when} {
		if kind != record.KindStep {
			if s != "" {
				return out, refuse(CodeInvalidArgs, "who, how and when are for implementation steps")
			}
			continue
		}
		clean, r := cleanText(s, MaxStepRunes, singleLine, false)
		if !r.ok() {
			return out, r
		}
		out[i] = clean
	}
	return out, refusal{}
}

func cmdPost(ctx context.Context, b *batch, a Actor, args *postArgs) (refusal, error) {
	switch {
	case !mayContribute(a):
		return refuse(CodeNotAllowed, "observers may not post"), nil
	case !validKind(args.Kind):
		return refuse(CodeInvalidArgs, "unknown kind"), nil
	case !kindAllowed(b.w.Phase, args.Kind):
		return refuse(CodePhaseClosed, "this kind is not open in the current phase"), nil
	case b.st.PostingLocked && !a.Moderator:
		return refuse(CodePostingLocked, "posting is locked"), nil
	}
	body, r := cleanText(args.Body, MaxBodyRunes, multiLine, true)
	if !r.ok() {
		return r, nil
	}
	step, r := stepFields(args.Kind, args.Who, args.How, args.When)
	if !r.ok() {
		return r, nil
	}
	onBehalf, r := cleanText(args.OnBehalfOf, MaxLabelRunes, singleLine, false)
	if !r.ok() {
		return r, nil
	}
	lang, r := postLang(a, args.Lang)
	if !r.ok() {
		return r, nil
	}
	if onBehalf != "" && !a.Moderator {
		ok, err := b.isRapporteur(ctx, a.Participant)
		if err != nil {
			return refusal{}, err
		}
		if !ok {
			return refuse(CodeNotAllowed, "only moderators and rapporteurs post on behalf of others"), nil
		}
	}
	parent, r, err := b.postParent(ctx, a, args)
	if !r.ok() || err != nil {
		return r, err
	}
	links, r, err := b.postLinks(ctx, a, args)
	if !r.ok() || err != nil {
		return r, err
	}

	author := a.Participant
	c := &record.Contribution{
		WorkshopID: b.w.ID, AuthorID: &author, OnBehalfOf: onBehalf, Kind: args.Kind, Phase: b.w.Phase,
		Body: body, Lang: lang, ParentID: parent, Who: step[0], How: step[1], WhenText: step[2],
		Status: record.StatusVisible, Version: 1, CreatedAt: b.now, UpdatedAt: b.now,
	}
	if b.st.Premoderation && !a.Moderator {
		c.Status = record.StatusPending
	}
	if b.st.GroupsOn && a.Group != 0 {
		group := a.Group
		c.GroupID = &group
	}
	if _, err := b.tx.NewInsert().Model(c).Returning("id").Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: create contribution: %w", err)
	}
	if len(links) > 0 {
		rows := make([]record.ContributionLink, len(links))
		for i, to := range links {
			rows[i] = record.ContributionLink{FromID: c.ID, ToID: to}
		}
		if _, err := b.tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return refusal{}, fmt.Errorf("store: link contribution: %w", err)
		}
	}
	return refusal{}, b.emitContribution(ctx, "contribution.posted", c, links)
}

// postParent checks the parent a kind needs: a solution path may answer a finding; an
// implementation step must belong to a recommendation; the others have none.
func (b *batch) postParent(ctx context.Context, a Actor, args *postArgs) (*int64, refusal, error) {
	var want record.Kind
	switch args.Kind {
	case record.KindSolution:
		want = record.KindFinding
	case record.KindStep:
		if args.Parent == nil {
			return nil, refuse(CodeInvalidArgs, "a step needs its recommendation as parent"), nil
		}
		want = record.KindRecommendation
	}
	if args.Parent == nil {
		return nil, refusal{}, nil
	}
	if want == "" {
		return nil, refuse(CodeInvalidArgs, "this kind has no parent"), nil
	}
	p, r, err := b.target(ctx, a, *args.Parent, want)
	if p == nil {
		return nil, r, err
	}
	return &p.ID, refusal{}, nil
}

// postLinks checks the findings a recommendation answers: all of this workshop, visible.
func (b *batch) postLinks(ctx context.Context, a Actor, args *postArgs) ([]int64, refusal, error) {
	if len(args.Links) == 0 {
		return nil, refusal{}, nil
	}
	if args.Kind != record.KindRecommendation {
		return nil, refuse(CodeInvalidArgs, "only recommendations have links"), nil
	}
	if len(args.Links) > maxLinks {
		return nil, refuse(CodeInvalidArgs, "too many links"), nil
	}
	var links []int64
	seen := map[int64]bool{}
	for _, id := range args.Links {
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, r, err := b.target(ctx, a, id, record.KindFinding); !r.ok() || err != nil {
			return nil, r, err
		}
		links = append(links, id)
	}
	return links, refusal{}, nil
}

// contributionUpdate is the contribution.updated event: the new text, never the author.
type contributionUpdate struct {
	ID                int64  `json:"id"`
	Body              string `json:"body"`
	Who               string `json:"who,omitempty"`
	How               string `json:"how,omitempty"`
	When              string `json:"when,omitempty"`
	Version           int    `json:"version"`
	EditedByModerator bool   `json:"editedByModerator"`
	UpdatedAt         int64  `json:"updatedAt"`
	// TranslationsDropped: the edit deleted the contribution's translations (they would say
	// something else); clients forget theirs.
	TranslationsDropped bool `json:"translationsDropped,omitempty"`
}

func isAuthor(a Actor, c *record.Contribution) bool {
	return c.AuthorID != nil && *c.AuthorID == a.Participant
}

func cmdEdit(ctx context.Context, b *batch, a Actor, args *editArgs) (refusal, error) {
	c, r, err := b.visibleTo(ctx, a, args.ID)
	if c == nil {
		return r, err
	}
	own := isAuthor(a, c)
	switch {
	case !own && !a.Moderator:
		return refuse(CodeNotOwner, "only the author may edit"), nil
	case c.Status == record.StatusMerged:
		return refuse(CodeAlreadyMerged, "contribution was merged"), nil
	case c.Status == record.StatusWithdrawn:
		return refuse(CodeBadState, "contribution was withdrawn"), nil
	case !a.Moderator && c.Phase != b.w.Phase:
		return refuse(CodePhaseClosed, "its phase is over"), nil
	case !a.Moderator && b.st.PostingLocked:
		return refuse(CodePostingLocked, "posting is locked"), nil
	}
	body, r := cleanText(args.Body, MaxBodyRunes, multiLine, true)
	if !r.ok() {
		return r, nil
	}
	keep := func(p *string, old string) string {
		if p == nil {
			return old
		}
		return *p
	}
	step, r := stepFields(c.Kind, keep(args.Who, c.Who), keep(args.How, c.How), keep(args.When, c.WhenText))
	if !r.ok() {
		return r, nil
	}

	editor := a.Participant
	rev := &record.Revision{ContributionID: c.ID, EditorID: &editor, Version: c.Version, Body: c.Body,
		Who: c.Who, How: c.How, WhenText: c.WhenText, CreatedAt: b.now}
	if _, err := b.tx.NewInsert().Model(rev).Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: save revision: %w", err)
	}
	bodyChanged := body != c.Body
	c.Body, c.Who, c.How, c.WhenText = body, step[0], step[1], step[2]
	c.Version++
	if err := b.updateContribution(ctx, c, "body", "who", "how", "when_text", "version"); err != nil {
		return refusal{}, err
	}
	dropped := false
	if bodyChanged {
		if dropped, err = b.dropTranslations(ctx, c.ID); err != nil {
			return refusal{}, err
		}
	}
	b.emitAbout(c, "contribution.updated", contributionUpdate{
		ID: c.ID, Body: c.Body, Who: c.Who, How: c.How, When: c.WhenText, Version: c.Version,
		EditedByModerator: a.Moderator && !own, UpdatedAt: c.UpdatedAt.UnixMilli(), TranslationsDropped: dropped,
	})
	return refusal{}, nil
}

func cmdWithdraw(ctx context.Context, b *batch, a Actor, args *idArgs) (refusal, error) {
	c, r, err := b.visibleTo(ctx, a, args.ID)
	if c == nil {
		return r, err
	}
	switch {
	case !isAuthor(a, c):
		return refuse(CodeNotOwner, "only the author may withdraw"), nil
	case c.Status == record.StatusMerged:
		return refuse(CodeAlreadyMerged, "contribution was merged"), nil
	case c.Status != record.StatusVisible && c.Status != record.StatusPending:
		return refuse(CodeBadState, "contribution cannot be withdrawn"), nil
	case c.Phase != b.w.Phase || !b.w.Phase.Open():
		return refuse(CodePhaseClosed, "its phase is over"), nil
	}
	b.emitAbout(c, "contribution.withdrawn", map[string]int64{"id": c.ID})
	c.Status, c.Pinned = record.StatusWithdrawn, false
	if err := b.updateContribution(ctx, c, "status", "pinned"); err != nil {
		return refusal{}, err
	}
	// Withdrawal is final, so its votes go: voters get their dots back.
	if _, err := b.tx.NewDelete().Model((*record.Vote)(nil)).Where("contribution_id = ?", c.ID).Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: withdraw votes: %w", err)
	}
	b.laterTally(c.ID)
	return refusal{}, nil
}

func cmdComment(ctx context.Context, b *batch, a Actor, args *commentArgs) (refusal, error) {
	switch {
	case !mayContribute(a):
		return refuse(CodeNotAllowed, "observers may not comment"), nil
	case !b.w.Phase.Open():
		return refuse(CodePhaseClosed, "the session is not open"), nil
	case b.st.PostingLocked && !a.Moderator:
		return refuse(CodePostingLocked, "posting is locked"), nil
	}
	c, r, err := b.target(ctx, a, args.Contribution, "")
	if c == nil {
		return r, err
	}
	body, r := cleanText(args.Body, MaxBodyRunes, multiLine, true)
	if !r.ok() {
		return r, nil
	}
	author := a.Participant
	cm := &record.Comment{WorkshopID: b.w.ID, ContributionID: c.ID, AuthorID: &author, Body: body,
		Status: record.StatusVisible, CreatedAt: b.now}
	if _, err := b.tx.NewInsert().Model(cm).Returning("id").Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: create comment: %w", err)
	}
	info, err := b.author(ctx, cm.AuthorID)
	if err != nil {
		return refusal{}, err
	}
	b.emit("comment.posted", publicAudience(c), view.NewCommentView(cm, info, b.st.IdentityMode(), false))
	if b.st.IdentityMode().ModeratorsSeeAuthors() {
		b.emit("comment.attributed", AudienceModerators,
			attribution{ID: cm.ID, AuthorID: cm.AuthorID, Author: view.Label(view.IdentityFull, info, "")})
	}
	return refusal{}, nil
}
