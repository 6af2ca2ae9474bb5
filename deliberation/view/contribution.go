package view

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/seal"
	"github.com/assises/assises/record"
)

// Author is what the room may ever show of a person: a display name and an organisation.
// Email, phone and the service-user flag are never loaded here, so no event or snapshot can
// carry them (DESIGN invariant 9).
type Author struct {
	Name string
	Org  string
}

// LoadAuthors reads the labels of some participants. An erased person has no row in people
// any more: only their organisation (if kept) remains.
func LoadAuthors(ctx context.Context, db bun.IDB, ids []int64) (map[int64]Author, error) {
	out := make(map[int64]Author, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID          int64
		DisplayName sql.NullString
		OrgName     sql.NullString
		DataKey     *string
		OrgID       *int64
		OrgKey      *string
	}
	err := db.NewSelect().TableExpr("participants AS p").
		ColumnExpr("p.id AS id, pe.display_name AS display_name, o.name AS org_name, pk.data_key AS data_key").
		ColumnExpr("o.id AS org_id, okey.org_key AS org_key").
		Join("LEFT JOIN people AS pe ON pe.participant_id = p.id").
		Join("LEFT JOIN person_keys AS pk ON pk.participant_id = p.id").
		Join("LEFT JOIN organisations AS o ON o.id = p.organisation_id").
		Join("LEFT JOIN organisation_keys AS okey ON okey.organisation_id = o.id").
		Where("p.id IN (?)", bun.In(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: load authors: %w", err)
	}
	for _, r := range rows {
		// The name is sealed with the person's key (internal/seal).
		name, err := seal.OpenWith(r.DataKey, r.ID, seal.FieldDisplayName, r.DisplayName.String)
		if err != nil {
			return nil, fmt.Errorf("store: load authors: %w", err)
		}
		// So is the organisation's, with the organisation's key (people.EnsureOrganisation).
		org := ""
		if r.OrgID != nil {
			if org, err = seal.OpenWith(r.OrgKey, *r.OrgID, seal.FieldOrganisation, r.OrgName.String); err != nil {
				return nil, fmt.Errorf("store: load authors: %w", err)
			}
		}
		out[r.ID] = Author{Name: name, Org: org}
	}
	return out, nil
}

// Label is how an author is shown under a mode. A contribution typed on behalf of a table
// shows that label, never the typist. An empty label means "anonymous": clients translate it.
func Label(mode IdentityMode, info Author, onBehalfOf string) string {
	if onBehalfOf != "" {
		return onBehalfOf
	}
	switch mode {
	case IdentityFull:
		switch {
		case info.Name != "" && info.Org != "":
			return info.Name + " (" + info.Org + ")"
		case info.Name != "":
			return info.Name
		}
		return info.Org
	case IdentityOrganisation:
		return info.Org
	}
	return ""
}

// ContributionView is a contribution as events and snapshots carry it. AuthorID and
// HiddenReason are filled only in data for moderators.
type ContributionView struct {
	ID           int64         `json:"id"`
	Kind         record.Kind   `json:"kind"`
	Phase        record.Phase  `json:"phase"`
	Body         string        `json:"body"`
	Parent       *int64        `json:"parent"`
	Links        []int64       `json:"links"`
	Who          string        `json:"who,omitempty"`
	How          string        `json:"how,omitempty"`
	When         string        `json:"when,omitempty"`
	Author       string        `json:"author"`
	AuthorID     *int64        `json:"authorId,omitempty"`
	OnBehalfOf   bool          `json:"onBehalfOf,omitempty"` // the label is a table's, not a person's
	Group        *int64        `json:"group"`
	Status       record.Status `json:"status"`
	Pinned       bool          `json:"pinned"`
	Version      int           `json:"version"`
	MergedInto   *int64        `json:"mergedInto,omitempty"`
	HiddenReason string        `json:"hiddenReason,omitempty"`
	CreatedAt    int64         `json:"createdAt"` // Unix ms
	UpdatedAt    int64         `json:"updatedAt"` // Unix ms

	// Lang is the language it was written in; Translations are a moderator's, by language
	// (the author's text stays in Body).
	Lang         string            `json:"lang,omitempty"`
	Translations map[string]string `json:"translations,omitempty"`
}

// NewContributionView is contribution c under identity mode: author labels and, for
// moderators, the author's id and the reason it was hidden.
func NewContributionView(c *record.Contribution, links []int64, info Author, mode IdentityMode, forModerators bool) ContributionView {
	if links == nil {
		links = []int64{}
	}
	v := ContributionView{
		ID: c.ID, Kind: c.Kind, Phase: c.Phase, Body: c.Body, Lang: c.Lang, Parent: c.ParentID, Links: links,
		Who: c.Who, How: c.How, When: c.WhenText,
		OnBehalfOf: c.OnBehalfOf != "", Group: c.GroupID, Status: c.Status, Pinned: c.Pinned,
		Version: c.Version, MergedInto: c.MergedInto,
		CreatedAt: c.CreatedAt.UnixMilli(), UpdatedAt: c.UpdatedAt.UnixMilli(),
	}
	v.Author, v.AuthorID = authorFor(info, mode, c.OnBehalfOf, c.AuthorID, forModerators)
	if forModerators {
		v.HiddenReason = c.HiddenReason
	}
	return v
}

// authorFor is the author's label and id as a reader sees them: moderators are told who wrote
// it unless the identity mode seals it; others, and sealed rooms, get the mode's label alone.
func authorFor(info Author, mode IdentityMode, onBehalfOf string, authorID *int64, forModerators bool) (string, *int64) {
	if forModerators && mode.ModeratorsSeeAuthors() {
		return Label(IdentityFull, info, onBehalfOf), authorID
	}
	return Label(mode, info, onBehalfOf), nil
}

// CommentView is a comment as events and snapshots carry it.
type CommentView struct {
	ID           int64  `json:"id"`
	Contribution int64  `json:"contribution"`
	Body         string `json:"body"`
	Author       string `json:"author"`
	AuthorID     *int64 `json:"authorId,omitempty"` // moderators only
	CreatedAt    int64  `json:"createdAt"`
}

// NewCommentView is comment c under identity mode (the author's id for moderators).
func NewCommentView(c *record.Comment, info Author, mode IdentityMode, forModerators bool) CommentView {
	v := CommentView{ID: c.ID, Contribution: c.ContributionID, Body: c.Body, CreatedAt: c.CreatedAt.UnixMilli()}
	v.Author, v.AuthorID = authorFor(info, mode, "", c.AuthorID, forModerators)
	return v
}

// RoomCountView is a room count as events and snapshots carry it.
type RoomCountView struct {
	ID           int64  `json:"id"`
	Contribution int64  `json:"contribution"`
	Label        string `json:"label"`
	Yes          int    `json:"yes"`
	Neutral      int    `json:"neutral"`
	No           int    `json:"no"`
	CreatedAt    int64  `json:"createdAt"`
}

// NewRoomCountView is a room count as events and snapshots carry it.
func NewRoomCountView(rc *record.RoomCount) RoomCountView {
	return RoomCountView{ID: rc.ID, Contribution: rc.ContributionID, Label: rc.Label, Yes: rc.YesCount,
		Neutral: rc.NeutralCount, No: rc.NoCount, CreatedAt: rc.CreatedAt.UnixMilli()}
}

// LoadTranslations reads translations, id → language → text: of one contribution, or of a
// whole workshop when contribution is 0.
func LoadTranslations(ctx context.Context, db bun.IDB, workshop, contribution int64) (map[int64]map[string]string, error) {
	out := map[int64]map[string]string{}
	var rows []record.Translation
	q := db.NewSelect().Model(&rows).Order("translation.contribution_id", "translation.lang")
	if contribution != 0 {
		q = q.Where("translation.contribution_id = ?", contribution)
	} else {
		q = q.Join("JOIN contributions AS c ON c.id = translation.contribution_id").Where("c.workshop_id = ?", workshop)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: load translations: %w", err)
	}
	for _, t := range rows {
		if out[t.ContributionID] == nil {
			out[t.ContributionID] = map[string]string{}
		}
		out[t.ContributionID][t.Lang] = t.Body
	}
	return out, nil
}
