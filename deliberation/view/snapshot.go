package view

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// SnapshotState is the state a viewer starts from (docs/protocol-commands.md, "Snapshot").
// It holds only what this viewer may see, shaped like the data of the events that follow.
type SnapshotState struct {
	Workshop      WorkshopView       `json:"workshop"`
	You           YouView            `json:"you"`
	Contributions []ContributionView `json:"contributions"`
	Comments      []CommentView      `json:"comments"`
	Tallies       []TallyItem        `json:"tallies"`    // null while results are hidden (except moderators)
	MyVotes       map[int64]int      `json:"myVotes"`    // contribution id → value, current methods only
	MyDotsLeft    *int               `json:"myDotsLeft"` // null unless the current phase votes by dots
	RoomCounts    []RoomCountView    `json:"roomCounts"` // null while results are hidden (except moderators)
	Pinned        []int64            `json:"pinned"`

	// Groups, agenda, rounds, synthesis and plenary (snapshot_groups.go).
	SnapshotGroups
}

// YouView is the viewer as the snapshot tells them.
type YouView struct {
	Participant int64       `json:"participant"`
	Moderator   bool        `json:"moderator"`
	Group       int64       `json:"group"`
	Role        record.Role `json:"role"`
	// Mine lists the contributions this viewer wrote, so that a person can still edit or
	// withdraw them from another phone (the public events do not say who wrote what).
	Mine []int64 `json:"mine"`
	// Rapporteur: the viewer reports for their group (marks its outputs, posts for its table).
	Rapporteur bool `json:"rapporteur"`
}

// Viewer is who a snapshot is for: what the engine's Actor says of them in this workshop.
type Viewer struct {
	Participant int64
	Role        record.Role
	Moderator   bool
	Group       int64 // their break-out group, 0 for none
}

// BuildSnapshot reads the state of workshop w as viewer may see it at now, inside the caller's
// read transaction tx.
func BuildSnapshot(ctx context.Context, tx bun.IDB, w *record.Workshop, viewer Viewer, now time.Time) (*SnapshotState, error) {
	st, err := ParseLiveState(w.State)
	if err != nil {
		return nil, err
	}
	s, err := snapshotContributions(ctx, tx, w, &st, viewer)
	if err != nil {
		return nil, err
	}
	s.Workshop = NewWorkshopView(w, &st, now)
	if err := extendSnapshot(ctx, &Reader{DB: tx, Workshop: w, State: &st}, viewer, now, s); err != nil {
		return nil, err
	}
	return s, nil
}

// snapshotContributions fills what the snapshot says of the contributions: those the viewer
// may see, their comments, tallies, room counts and the viewer's own votes.
func snapshotContributions(ctx context.Context, tx bun.IDB, w *record.Workshop, st *LiveState, viewer Viewer) (*SnapshotState, error) {
	s := &SnapshotState{
		You:           YouView{Participant: viewer.Participant, Moderator: viewer.Moderator, Group: viewer.Group, Role: viewer.Role, Mine: []int64{}},
		Contributions: []ContributionView{}, Comments: []CommentView{}, MyVotes: map[int64]int{}, Pinned: []int64{},
	}
	// Filtered in SQL as canSee does, so that a participant's snapshot does not read what
	// they may not see.
	var cs []record.Contribution
	q := tx.NewSelect().Model(&cs).Where("workshop_id = ?", w.ID).Order("id")
	if !viewer.Moderator {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.WhereGroup(" OR ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("status = ?", record.StatusVisible).Where("(group_id IS NULL OR group_id = ?)", viewer.Group)
			}).WhereGroup(" OR ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("status = ?", record.StatusPending).Where("author_id = ?", viewer.Participant)
			})
		})
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: snapshot contributions: %w", err)
	}
	var links []record.ContributionLink
	err := tx.NewSelect().Model(&links).
		Join("JOIN contributions AS c ON c.id = contribution_link.from_id").
		Where("c.workshop_id = ?", w.ID).Order("contribution_link.from_id", "contribution_link.to_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: snapshot links: %w", err)
	}
	var comments []record.Comment
	if err := tx.NewSelect().Model(&comments).Where("workshop_id = ? AND status = ?", w.ID, record.StatusVisible).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: snapshot comments: %w", err)
	}

	linksOf := map[int64][]int64{}
	for _, l := range links {
		linksOf[l.FromID] = append(linksOf[l.FromID], l.ToID)
	}
	byID := map[int64]*record.Contribution{}
	var authorIDs, visibleIDs []int64
	for i := range cs {
		c := &cs[i]
		byID[c.ID] = c
		if c.AuthorID != nil {
			authorIDs = append(authorIDs, *c.AuthorID)
			if *c.AuthorID == viewer.Participant {
				s.You.Mine = append(s.You.Mine, c.ID)
			}
		}
		if c.Status == record.StatusVisible {
			visibleIDs = append(visibleIDs, c.ID)
		}
	}
	var shownComments []*record.Comment
	for i := range comments {
		if c, ok := byID[comments[i].ContributionID]; ok && c.Status == record.StatusVisible {
			shownComments = append(shownComments, &comments[i])
			if comments[i].AuthorID != nil {
				authorIDs = append(authorIDs, *comments[i].AuthorID)
			}
		}
	}
	authors, err := LoadAuthors(ctx, tx, authorIDs)
	if err != nil {
		return nil, err
	}
	infoOf := func(id *int64) Author {
		if id == nil {
			return Author{}
		}
		return authors[*id]
	}
	translations, err := LoadTranslations(ctx, tx, w.ID, 0)
	if err != nil {
		return nil, err
	}
	mode := st.IdentityMode()
	for i := range cs {
		c := &cs[i]
		v := NewContributionView(c, linksOf[c.ID], infoOf(c.AuthorID), mode, viewer.Moderator)
		v.Translations = translations[c.ID]
		s.Contributions = append(s.Contributions, v)
		if c.Pinned && c.Status == record.StatusVisible {
			s.Pinned = append(s.Pinned, c.ID)
		}
	}
	for _, cm := range shownComments {
		s.Comments = append(s.Comments, NewCommentView(cm, infoOf(cm.AuthorID), mode, viewer.Moderator))
	}

	if !st.ResultsHidden || viewer.Moderator {
		items, _, err := ComputeTallies(ctx, tx, w.ID, st, visibleIDs)
		if err != nil {
			return nil, err
		}
		s.Tallies = append([]TallyItem{}, items...)
		if s.RoomCounts, err = snapshotRoomCounts(ctx, tx, w.ID, byID); err != nil {
			return nil, err
		}
	}
	if err := snapshotVotes(ctx, tx, w, st, viewer, byID, s); err != nil {
		return nil, err
	}
	return s, nil
}

func snapshotRoomCounts(ctx context.Context, tx bun.IDB, workshop int64, byID map[int64]*record.Contribution) ([]RoomCountView, error) {
	var rows []record.RoomCount
	if err := tx.NewSelect().Model(&rows).Where("workshop_id = ?", workshop).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: snapshot room counts: %w", err)
	}
	out := []RoomCountView{}
	for i := range rows {
		if c, ok := byID[rows[i].ContributionID]; ok && c.Status == record.StatusVisible {
			out = append(out, NewRoomCountView(&rows[i]))
		}
	}
	return out, nil
}

// snapshotVotes fills the viewer's own votes (those that count under the current methods)
// and, when the current phase votes by dots, how many dots they have left (counted as
// dotsUsed does: dots on a contribution the viewer no longer sees, a hidden one, still count).
func snapshotVotes(ctx context.Context, tx bun.IDB, w *record.Workshop, st *LiveState, viewer Viewer, byID map[int64]*record.Contribution, s *SnapshotState) error {
	var votes []struct {
		ContributionID int64
		Method         record.VoteMethod
		Value          int
		Phase          record.Phase
	}
	err := tx.NewSelect().Model((*record.Vote)(nil)).ColumnExpr("vote.contribution_id, vote.method, vote.value, c.phase").
		Join("JOIN contributions AS c ON c.id = vote.contribution_id").
		Where("vote.workshop_id = ? AND vote.participant_id = ?", w.ID, viewer.Participant).Scan(ctx, &votes)
	if err != nil {
		return fmt.Errorf("store: snapshot votes: %w", err)
	}
	used := 0
	for _, v := range votes {
		if v.Phase == w.Phase && v.Method == record.MethodDots {
			used += v.Value
		}
		if c, ok := byID[v.ContributionID]; ok && c.Status == record.StatusVisible && v.Method == st.VoteSettingsFor(c.Phase).Method {
			s.MyVotes[c.ID] = v.Value
		}
	}
	if set := st.VoteSettingsFor(w.Phase); set.Method == record.MethodDots && w.Phase.Open() {
		left := max(0, set.Budget-used)
		s.MyDotsLeft = &left
	}
	return nil
}
