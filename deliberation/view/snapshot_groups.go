package view

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// SnapshotGroups is the part of a snapshot about break-out groups, the agenda, timed rounds,
// the synthesis and the plenary vote (docs/protocol-commands.md, "Snapshot").
type SnapshotGroups struct {
	Groups       []GroupView     `json:"groups"`   // the current split: colours and sizes
	Progress     []GroupProgress `json:"progress"` // counts per group, for the projector
	GroupMembers *GroupsMembers  `json:"groupMembers,omitempty"`
	Agenda       *AgendaView     `json:"agenda"`
	Rounds       RoundsView      `json:"rounds"`
	// Outputs: the contributions listed that a rapporteur marked as their group's output.
	Outputs []int64 `json:"outputs"`
	// Provenance: for the contributions listed that came from groups, which groups said them.
	Provenance map[int64][]GroupRef `json:"provenance"`
	Plenary    []PlenaryTally       `json:"plenary"`
	MyPlenary  map[int64]string     `json:"myPlenary"` // the viewer's choices on open votes
}

// extendSnapshot fills SnapshotGroups (and you.rapporteur) for one viewer, inside the
// snapshot's read transaction.
func extendSnapshot(ctx context.Context, r *Reader, viewer Viewer, now time.Time, s *SnapshotState) error {
	var err error
	g := &s.SnapshotGroups
	if g.Groups, err = GroupViews(ctx, r); err != nil {
		return err
	}
	if g.Progress, err = ProgressOf(ctx, r); err != nil {
		return err
	}
	if viewer.Moderator {
		if g.GroupMembers, err = MembersOf(ctx, r); err != nil {
			return err
		}
	}
	if viewer.Group != 0 {
		s.You.Rapporteur, err = r.DB.NewSelect().Model((*record.GroupMember)(nil)).
			Where("workshop_id = ? AND participant_id = ? AND group_id = ? AND rapporteur", r.Workshop.ID, viewer.Participant, viewer.Group).Exists(ctx)
		if err != nil {
			return fmt.Errorf("store: snapshot rapporteur: %w", err)
		}
	}
	items, err := record.ListAgenda(ctx, r.DB, r.Workshop.ID)
	if err != nil {
		return err
	}
	g.Agenda = newAgendaView(r.Workshop, r.State, items, viewer.Moderator, now)
	g.Rounds = NewRoundsView(r.State.Rounds, r.State.Timer)

	// What follows is about the contributions this viewer was given, and only those.
	listed := make([]int64, 0, len(s.Contributions))
	visible := map[int64]bool{}
	for _, c := range s.Contributions {
		listed = append(listed, c.ID)
		visible[c.ID] = c.Status == record.StatusVisible
	}
	g.Outputs, g.Provenance, g.Plenary, g.MyPlenary = []int64{}, map[int64][]GroupRef{}, []PlenaryTally{}, map[int64]string{}
	if len(listed) == 0 {
		return nil
	}
	err = r.DB.NewSelect().Model((*ContributionOutput)(nil)).Column("contribution_id").
		Where("workshop_id = ? AND contribution_id IN (?)", r.Workshop.ID, bun.In(listed)).Order("contribution_id").Scan(ctx, &g.Outputs)
	if err != nil {
		return fmt.Errorf("store: snapshot outputs: %w", err)
	}
	prov, err := ProvenanceOf(ctx, r.DB, r.Workshop.ID, listed)
	if err != nil {
		return err
	}
	for id, list := range prov {
		g.Provenance[id] = GroupRefs(list)
	}
	var voted []int64
	for _, id := range listed {
		if visible[id] || viewer.Moderator {
			voted = append(voted, id)
		}
	}
	tallies, err := PlenaryTallies(ctx, r, voted)
	if err != nil {
		return err
	}
	for _, t := range tallies {
		if t.Open && r.State.ResultsHidden && !viewer.Moderator {
			t = PlenaryTally{Contribution: t.Contribution, Open: true, OpenedAt: t.OpenedAt, Hidden: true}
		}
		g.Plenary = append(g.Plenary, t)
	}
	var mine []struct {
		ContributionID int64
		Choice         string
	}
	err = r.DB.NewSelect().TableExpr("plenary_ballots AS pb").ColumnExpr("pi.contribution_id, pb.choice").
		Join("JOIN plenary_items AS pi ON pi.id = pb.item_id").
		Where("pb.workshop_id = ? AND pb.participant_id = ? AND pi.status = ?", r.Workshop.ID, viewer.Participant, "open").
		Scan(ctx, &mine)
	if err != nil {
		return fmt.Errorf("store: snapshot plenary ballots: %w", err)
	}
	for _, m := range mine {
		g.MyPlenary[m.ContributionID] = m.Choice
	}
	return nil
}
