package view

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/dispatch"
	"github.com/assises/assises/record"
)

// Reader is what the read helpers of groups, agenda and plenary need: a database handle,
// the workshop and its live state. A batch (inside its transaction) and a snapshot (inside its
// read transaction) both provide one, so events and snapshots are built by the same code.
type Reader struct {
	DB       bun.IDB
	Workshop *record.Workshop
	State    *LiveState
}

// GroupProgress is what the projector shows of a group at work: counts, never content.
type GroupProgress struct {
	Group         int64 `json:"group"`
	Members       int   `json:"members"`
	Contributions int   `json:"contributions"` // visible contributions posted in the group
	Outputs       int   `json:"outputs"`       // of which the rapporteur marked as outputs
}

// ProgressOf counts, for each group of the current split, its members, its visible
// contributions and its marked outputs.
func ProgressOf(ctx context.Context, r *Reader) ([]GroupProgress, error) {
	out := []GroupProgress{}
	if len(r.State.Groups) == 0 {
		return out, nil
	}
	type count struct {
		GroupID int64
		N       int
	}
	var mem, con, outp []count
	err := r.DB.NewSelect().Model((*record.GroupMember)(nil)).ColumnExpr("group_id, count(*) AS n").
		Where("workshop_id = ? AND group_id IN (?)", r.Workshop.ID, bun.In(r.State.Groups)).Group("group_id").Scan(ctx, &mem)
	if err != nil {
		return nil, fmt.Errorf("store: group progress: %w", err)
	}
	err = r.DB.NewSelect().Model((*record.Contribution)(nil)).ColumnExpr("group_id, count(*) AS n").
		Where("workshop_id = ? AND status = ? AND group_id IN (?)", r.Workshop.ID, record.StatusVisible, bun.In(r.State.Groups)).
		Group("group_id").Scan(ctx, &con)
	if err != nil {
		return nil, fmt.Errorf("store: group progress: %w", err)
	}
	err = r.DB.NewSelect().TableExpr("contribution_outputs AS o").ColumnExpr("c.group_id AS group_id, count(*) AS n").
		Join("JOIN contributions AS c ON c.id = o.contribution_id").
		Where("o.workshop_id = ? AND c.status = ? AND c.group_id IN (?)", r.Workshop.ID, record.StatusVisible, bun.In(r.State.Groups)).
		Group("c.group_id").Scan(ctx, &outp)
	if err != nil {
		return nil, fmt.Errorf("store: group progress: %w", err)
	}
	index := map[int64]int{}
	for i, id := range r.State.Groups {
		index[id] = i
		out = append(out, GroupProgress{Group: id})
	}
	for _, c := range mem {
		out[index[c.GroupID]].Members = c.N
	}
	for _, c := range con {
		out[index[c.GroupID]].Contributions = c.N
	}
	for _, c := range outp {
		out[index[c.GroupID]].Outputs = c.N
	}
	return out, nil
}

// GroupView is a group as everyone sees it: its colour, not its members.
type GroupView struct {
	ID       int64  `json:"id"`
	Position int    `json:"position"`
	Name     string `json:"name"` // "orange", "orange-2": the catalogs' groups.colour.<key> and the number
	dispatch.Colour
	Number int `json:"number"`
	Size   int `json:"size"`
}

func newGroupView(g *record.Group, size int) GroupView {
	c, n := dispatch.Lookup(g.Name)
	if c.Hex != g.Colour && g.Colour != "" { // a group made another way keeps its own colour
		c.Hex, c.Text = g.Colour, dispatch.TextOn(g.Colour)
	}
	return GroupView{ID: g.ID, Position: g.Position, Name: g.Name, Colour: c, Number: n, Size: size}
}

// MemberView is a person as the moderators' group lists show them.
type MemberView struct {
	Participant int64  `json:"participant"`
	Label       string `json:"label"`
}

// GroupMembersView is a group's membership, for moderators.
type GroupMembersView struct {
	ID         int64        `json:"id"`
	Members    []MemberView `json:"members"`
	Rapporteur int64        `json:"rapporteur"`
}

// SplitInfo tells the moderators how a split went.
type SplitInfo struct {
	Seed      uint64 `json:"seed"`
	OrgCap    int    `json:"orgCap"`
	OrgCapMet bool   `json:"orgCapMet"`
	MaxPerOrg int    `json:"maxPerOrg"`
}

// GroupsMembers is the moderators' view of the groups: who is in which, who is present and
// in none, and how the last split went.
type GroupsMembers struct {
	Groups     []GroupMembersView `json:"groups"`
	Unassigned []MemberView       `json:"unassigned"`
	Split      *SplitInfo         `json:"split,omitempty"`
}

// currentGroups returns the groups of the current split, in order.
func currentGroups(ctx context.Context, b *Reader) ([]record.Group, error) {
	var gs []record.Group
	if len(b.State.Groups) == 0 {
		return gs, nil
	}
	err := b.DB.NewSelect().Model(&gs).Where("workshop_id = ? AND id IN (?)", b.Workshop.ID, bun.In(b.State.Groups)).
		Order("position", "id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: current groups: %w", err)
	}
	return gs, nil
}

// Memberships returns the workshop's group memberships.
func Memberships(ctx context.Context, b *Reader) ([]record.GroupMember, error) {
	var ms []record.GroupMember
	if err := b.DB.NewSelect().Model(&ms).Where("workshop_id = ?", b.Workshop.ID).Order("group_id", "participant_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: group members: %w", err)
	}
	return ms, nil
}

// groupsAndMembers reads the groups of the current split, in order, and the workshop's
// memberships.
func groupsAndMembers(ctx context.Context, b *Reader) ([]record.Group, []record.GroupMember, error) {
	gs, err := currentGroups(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	ms, err := Memberships(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	return gs, ms, nil
}

// GroupViews returns the current groups with their sizes.
func GroupViews(ctx context.Context, b *Reader) ([]GroupView, error) {
	if len(b.State.Groups) == 0 {
		return []GroupView{}, nil
	}
	gs, ms, err := groupsAndMembers(ctx, b)
	if err != nil {
		return nil, err
	}
	size := map[int64]int{}
	for _, m := range ms {
		size[m.GroupID]++
	}
	views := make([]GroupView, len(gs))
	for i := range gs {
		views[i] = newGroupView(&gs[i], size[gs[i].ID])
	}
	return views, nil
}

// MembersOf builds the moderators' view of the groups.
func MembersOf(ctx context.Context, b *Reader) (*GroupsMembers, error) {
	gs, ms, err := groupsAndMembers(ctx, b)
	if err != nil {
		return nil, err
	}
	present, err := PresentRoster(ctx, b, false)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(ms)+len(present))
	for _, m := range ms {
		ids = append(ids, m.ParticipantID)
	}
	for _, p := range present {
		ids = append(ids, p.ID)
	}
	authors, err := LoadAuthors(ctx, b.DB, ids)
	if err != nil {
		return nil, err
	}
	view := func(id int64) MemberView {
		if !b.State.IdentityMode().ModeratorsSeeAuthors() {
			return MemberView{Participant: id} // sealed: the console numbers people, never names them
		}
		return MemberView{Participant: id, Label: Label(IdentityFull, authors[id], "")}
	}
	out := &GroupsMembers{Groups: make([]GroupMembersView, len(gs)), Unassigned: []MemberView{}}
	index := map[int64]int{}
	for i, g := range gs {
		out.Groups[i] = GroupMembersView{ID: g.ID, Members: []MemberView{}}
		index[g.ID] = i
	}
	placed := map[int64]bool{}
	for _, m := range ms {
		i, ok := index[m.GroupID]
		if !ok {
			continue
		}
		placed[m.ParticipantID] = true
		out.Groups[i].Members = append(out.Groups[i].Members, view(m.ParticipantID))
		if m.Rapporteur {
			out.Groups[i].Rapporteur = m.ParticipantID
		}
	}
	for _, p := range present {
		if !placed[p.ID] {
			out.Unassigned = append(out.Unassigned, view(p.ID))
		}
	}
	return out, nil
}

// RosterRow is a person present; ServiceUser is read for the dispatcher only.
type RosterRow struct {
	ID          int64
	OrgID       sql.NullInt64
	ServiceUser sql.NullBool
}

// PresentRoster returns the participants present in the workshop, by id. Present means checked
// in (at the welcome desk, checkin.set, or on their own phone, checkin.self); when nobody is
// checked in yet, every confirmed registration counts, so a session that does not use check-in
// still splits its room. Only participants count: moderators (of the process or appointed
// here), observers and erased people are never dispatched nor counted.
func PresentRoster(ctx context.Context, b *Reader, withServiceUser bool) ([]RosterRow, error) {
	base := func() *bun.SelectQuery {
		return b.DB.NewSelect().TableExpr("registrations AS r").
			Join("JOIN participants AS p ON p.id = r.participant_id").
			Where("r.workshop_id = ? AND r.status = ?", b.Workshop.ID, record.RegistrationConfirmed).
			Where("p.erased_at IS NULL AND p.role = ?", record.RoleParticipant).
			Where("NOT EXISTS (SELECT 1 FROM workshop_roles AS wr WHERE wr.workshop_id = r.workshop_id AND wr.participant_id = p.id AND wr.role = ?)", record.RoleModerator)
	}
	checkedIn, err := base().Where("r.checked_in_at IS NOT NULL").Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: roster: %w", err)
	}
	q := base().ColumnExpr("p.id AS id, p.organisation_id AS org_id").Order("p.id")
	if checkedIn > 0 {
		q = q.Where("r.checked_in_at IS NOT NULL")
	}
	if withServiceUser {
		q = q.Join("LEFT JOIN people AS pe ON pe.participant_id = p.id").ColumnExpr("pe.service_user AS service_user")
	}
	var rows []RosterRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("store: roster: %w", err)
	}
	return rows, nil
}

// ContributionOutput marks a contribution as one of its group's outputs.
type ContributionOutput struct {
	bun.BaseModel `bun:"table:contribution_outputs"`

	ContributionID int64 `bun:",pk"`
	WorkshopID     int64
	MarkedBy       *int64
	CreatedAt      time.Time
}

// Provenance is one group that said a contribution which reached the plenary. The group's
// name and colour are copied, so that it still reads after a new split deleted the group.
type Provenance struct {
	bun.BaseModel `bun:"table:contribution_provenance"`

	ContributionID int64 `bun:",pk"`
	Position       int   `bun:",pk"`
	WorkshopID     int64
	GroupID        *int64
	GroupName      string
	GroupColour    string
	SourceID       *int64 // the contribution the group said it in (the merged one, or itself)
}

// GroupRef is a group in a provenance, as events, snapshots and the notebook show it.
type GroupRef struct {
	Group  *int64 `json:"group"` // null once the group is gone
	Name   string `json:"name"`
	Key    string `json:"key"`
	Number int    `json:"number"`
	Colour string `json:"colour"`
	Source *int64 `json:"source"`
}

func newGroupRef(p *Provenance) GroupRef {
	c, n := dispatch.Lookup(p.GroupName)
	return GroupRef{Group: p.GroupID, Name: p.GroupName, Key: c.Key, Number: n, Colour: p.GroupColour, Source: p.SourceID}
}

// ProvenanceOf returns the stored provenance of some contributions, by contribution.
func ProvenanceOf(ctx context.Context, db bun.IDB, workshop int64, ids []int64) (map[int64][]Provenance, error) {
	out := map[int64][]Provenance{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Provenance
	err := db.NewSelect().Model(&rows).Where("workshop_id = ? AND contribution_id IN (?)", workshop, bun.In(ids)).
		Order("contribution_id", "position").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: provenance: %w", err)
	}
	for _, r := range rows {
		out[r.ContributionID] = append(out[r.ContributionID], r)
	}
	return out, nil
}

// GroupRefs is a provenance as events, snapshots and the notebook show it.
func GroupRefs(list []Provenance) []GroupRef {
	out := make([]GroupRef, len(list))
	for i := range list {
		out[i] = newGroupRef(&list[i])
	}
	return out
}
