package deliberation

import (
	"context"
	"fmt"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Group outputs and the synthesis in plenary (the Missions Locales' days: working groups produce findings and
// demands, "présentés par des rapporteurs", then a first synthesis, then a vote). A group's
// rapporteur marks its outputs; the moderator brings them to the plenary (promote), merges
// what several groups said alike, and the provenance says which groups said it.

// refs is what a contribution's provenance is: what is stored, plus its own group if it is
// still in one and not listed.
func (b *batch) refs(ctx context.Context, c *record.Contribution) ([]view.Provenance, error) {
	stored, err := view.ProvenanceOf(ctx, b.tx, b.w.ID, []int64{c.ID})
	if err != nil {
		return nil, err
	}
	list := stored[c.ID]
	if c.GroupID == nil {
		return list, nil
	}
	for _, p := range list {
		if p.GroupID != nil && *p.GroupID == *c.GroupID {
			return list, nil
		}
	}
	g := new(record.Group)
	if err := b.tx.NewSelect().Model(g).Where("id = ?", *c.GroupID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: provenance group: %w", err)
	}
	id, src := g.ID, c.ID
	return append(list, view.Provenance{GroupID: &id, GroupName: g.Name, GroupColour: g.Colour, SourceID: &src}), nil
}

// setProvenance replaces a contribution's provenance (one row per group, in order).
func (b *batch) setProvenance(ctx context.Context, c *record.Contribution, list []view.Provenance) error {
	if _, err := b.tx.NewDelete().Model((*view.Provenance)(nil)).Where("contribution_id = ?", c.ID).Exec(ctx); err != nil {
		return fmt.Errorf("store: provenance: %w", err)
	}
	if len(list) == 0 {
		return nil
	}
	rows := make([]view.Provenance, len(list))
	for i, p := range list {
		p.ContributionID, p.Position, p.WorkshopID = c.ID, i+1, b.w.ID
		rows[i] = p
	}
	if _, err := b.tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("store: provenance: %w", err)
	}
	return nil
}

// mergeProvenance is called by contribution.merge: the target now says what its sources said,
// so it carries their groups too (each group once).
func (b *batch) mergeProvenance(ctx context.Context, target *record.Contribution, sources []*record.Contribution) error {
	list, err := b.refs(ctx, target)
	if err != nil {
		return err
	}
	n := len(list)
	seen := map[string]bool{}
	key := func(p view.Provenance) string {
		if p.GroupID != nil {
			return fmt.Sprint("id:", *p.GroupID)
		}
		return "name:" + p.GroupName + p.GroupColour
	}
	for _, p := range list {
		seen[key(p)] = true
	}
	for _, s := range sources {
		more, err := b.refs(ctx, s)
		if err != nil {
			return err
		}
		for _, p := range more {
			if !seen[key(p)] {
				seen[key(p)] = true
				list = append(list, p)
			}
		}
	}
	// Nothing to say when no group is involved, or when the target is still in its own group
	// and nothing came from another group.
	if len(list) == 0 || target.GroupID != nil && len(list) == n {
		return nil
	}
	if err := b.setProvenance(ctx, target, list); err != nil {
		return err
	}
	b.emitAbout(target, "contribution.provenance", map[string]any{"id": target.ID, "groups": view.GroupRefs(list)})
	return nil
}

type markArgs struct {
	ID     int64
	Output *bool
}

// cmdMark marks (or unmarks) a contribution as an output of its group: its group's rapporteur
// or a moderator may.
func cmdMark(ctx context.Context, b *batch, a Actor, args *markArgs) (refusal, error) {
	if args.Output == nil {
		return refuse(CodeInvalidArgs, "output is required"), nil
	}
	c, r, err := b.visibleTo(ctx, a, args.ID)
	if c == nil {
		return r, err
	}
	if c.Status != record.StatusVisible {
		return refuse(CodeBadState, "only visible contributions are outputs"), nil
	}
	if !a.Moderator {
		if c.GroupID == nil || *c.GroupID != a.Group {
			return refuse(CodeNotAllowed, "rapporteurs mark their own group's contributions"), nil
		}
		ok, err := b.isRapporteur(ctx, a.Participant)
		if err != nil {
			return refusal{}, err
		}
		if !ok {
			return refuse(CodeNotAllowed, "only the group's rapporteur or a moderator marks outputs"), nil
		}
	}
	if *args.Output {
		by := a.Participant
		_, err = b.tx.NewInsert().Model(&view.ContributionOutput{ContributionID: c.ID, WorkshopID: b.w.ID, MarkedBy: &by, CreatedAt: b.now}).
			On("CONFLICT (contribution_id) DO NOTHING").Exec(ctx)
	} else {
		_, err = b.tx.NewDelete().Model((*view.ContributionOutput)(nil)).Where("contribution_id = ?", c.ID).Exec(ctx)
	}
	if err != nil {
		return refusal{}, fmt.Errorf("store: mark output: %w", err)
	}
	b.emitAbout(c, "contribution.marked", map[string]any{"id": c.ID, "output": *args.Output})
	if c.GroupID != nil {
		b.later(progressKey)
	}
	return refusal{}, nil
}

type promoteArgs struct {
	Contributions []int64
	Outputs       bool // every marked output still in a group
}

// maxPromote bounds one promotion (a plenary takes the outputs of a dozen groups at most).
const maxPromote = 200

// cmdPromote brings group contributions to the plenary: they leave their group (and become
// visible to everyone, with their comments and votes) and keep the group as provenance.
func cmdPromote(ctx context.Context, b *batch, _ Actor, args *promoteArgs) (refusal, error) {
	ids := args.Contributions
	if args.Outputs {
		var outs []int64
		err := b.tx.NewSelect().TableExpr("contribution_outputs AS o").Column("o.contribution_id").
			Join("JOIN contributions AS c ON c.id = o.contribution_id").
			Where("o.workshop_id = ? AND c.group_id IS NOT NULL AND c.status = ?", b.w.ID, record.StatusVisible).
			Order("o.contribution_id").Scan(ctx, &outs)
		if err != nil {
			return refusal{}, fmt.Errorf("store: outputs: %w", err)
		}
		ids = append(ids, outs...)
	}
	if len(ids) == 0 && args.Outputs {
		return refuse(CodeBadState, "no group output to promote"), nil
	}
	if len(ids) == 0 || len(ids) > maxPromote {
		return refuse(CodeInvalidArgs, "contributions must list 1 to 200 ids"), nil
	}
	var cs []*record.Contribution
	for _, id := range distinctIDs(ids) {
		c, r, err := b.visibleListed(ctx, id, "promoted")
		if c == nil {
			return r, err
		}
		if c.GroupID == nil {
			return refuse(CodeBadState, "contribution is already in the plenary"), nil
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		if err := b.promote(ctx, c); err != nil {
			return refusal{}, err
		}
	}
	b.later(progressKey)
	return refusal{}, nil
}

// visibleListed loads one contribution of a moderator's list (promote, open plenary votes): one
// the moderator may act on, and visible. verb ends the refusal of one that is hidden or
// withdrawn: "only visible contributions are <verb>".
func (b *batch) visibleListed(ctx context.Context, id int64, verb string) (*record.Contribution, refusal, error) {
	c, r, err := b.moderated(ctx, id)
	if c == nil {
		return nil, r, err
	}
	switch {
	case c.Status == record.StatusMerged:
		return nil, refuse(CodeAlreadyMerged, "contribution was merged"), nil
	case c.Status != record.StatusVisible:
		return nil, refuse(CodeBadState, "only visible contributions are "+verb), nil
	}
	return c, refusal{}, nil
}

// distinctIDs returns ids without repeats, each where it first stands.
func distinctIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (b *batch) promote(ctx context.Context, c *record.Contribution) error {
	list, err := b.refs(ctx, c)
	if err != nil {
		return err
	}
	if err := b.setProvenance(ctx, c, list); err != nil {
		return err
	}
	c.GroupID = nil
	if err := b.updateContribution(ctx, c, "group_id"); err != nil {
		return err
	}
	links, err := b.links(ctx, c.ID)
	if err != nil {
		return err
	}
	// Everyone gets the whole contribution (clients upsert by id), then its comments, which
	// were the group's until now.
	if err := b.emitContribution(ctx, "contribution.posted", c, links); err != nil {
		return err
	}
	var cms []record.Comment
	if err := b.tx.NewSelect().Model(&cms).Where("contribution_id = ? AND status = ?", c.ID, record.StatusVisible).Order("id").Scan(ctx); err != nil {
		return fmt.Errorf("store: promote comments: %w", err)
	}
	for i := range cms {
		info, err := b.author(ctx, cms[i].AuthorID)
		if err != nil {
			return err
		}
		b.emit("comment.posted", AudienceAll, view.NewCommentView(&cms[i], info, b.st.IdentityMode(), false))
	}
	output, err := b.tx.NewSelect().Model((*view.ContributionOutput)(nil)).Where("contribution_id = ?", c.ID).Exists(ctx)
	if err != nil {
		return fmt.Errorf("store: promote: %w", err)
	}
	b.emit("contribution.promoted", AudienceAll, map[string]any{"id": c.ID, "groups": view.GroupRefs(list), "output": output})
	b.laterTally(c.ID)
	return nil
}
