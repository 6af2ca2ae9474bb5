package deliberation

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/seal"
)

// authorInfo is what the room may ever show of a person: a display name and an organisation.
// Email, phone and the service-user flag are never loaded here, so no event or snapshot can
// carry them (DESIGN invariant 9).
type authorInfo struct {
	Name string
	Org  string
}

// loadAuthors reads the labels of some participants. An erased person has no row in people
// any more: only their organisation (if kept) remains.
func loadAuthors(ctx context.Context, db bun.IDB, ids []int64) (map[int64]authorInfo, error) {
	out := make(map[int64]authorInfo, len(ids))
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
		out[r.ID] = authorInfo{Name: name, Org: org}
	}
	return out, nil
}

// label is how an author is shown under a mode. A contribution typed on behalf of a table
// shows that label, never the typist. An empty label means "anonymous": clients translate it.
func label(mode IdentityMode, info authorInfo, onBehalfOf string) string {
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

// author returns the label information of a participant, cached for the batch.
func (b *batch) author(ctx context.Context, id *int64) (authorInfo, error) {
	if id == nil {
		return authorInfo{}, nil
	}
	if info, ok := b.authors[*id]; ok {
		return info, nil
	}
	m, err := loadAuthors(ctx, b.tx, []int64{*id})
	if err != nil {
		return authorInfo{}, err
	}
	b.authors[*id] = m[*id]
	return m[*id], nil
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

func newContributionView(c *record.Contribution, links []int64, info authorInfo, mode IdentityMode, forModerators bool) ContributionView {
	if links == nil {
		links = []int64{}
	}
	v := ContributionView{
		ID: c.ID, Kind: c.Kind, Phase: c.Phase, Body: c.Body, Lang: c.Lang, Parent: c.ParentID, Links: links,
		Who: c.Who, How: c.How, When: c.WhenText, Author: label(mode, info, c.OnBehalfOf),
		OnBehalfOf: c.OnBehalfOf != "", Group: c.GroupID, Status: c.Status, Pinned: c.Pinned,
		Version: c.Version, MergedInto: c.MergedInto,
		CreatedAt: c.CreatedAt.UnixMilli(), UpdatedAt: c.UpdatedAt.UnixMilli(),
	}
	if forModerators {
		if mode.moderatorsSeeAuthors() {
			v.Author = label(IdentityFull, info, c.OnBehalfOf)
			v.AuthorID = c.AuthorID
		}
		v.HiddenReason = c.HiddenReason
	}
	return v
}

// attribution tells moderators who wrote something that went to a wider audience under the
// room's identity mode (moderators see full labels and the participant id, unless sealed).
type attribution struct {
	ID       int64  `json:"id"`
	AuthorID *int64 `json:"authorId"`
	Author   string `json:"author"`
}

// publicAudience is where a contribution's events go once it is visible: its group, if it was
// posted in a break-out group, else everyone.
func publicAudience(c *record.Contribution) string {
	if c.GroupID != nil {
		return AudienceGroup(*c.GroupID)
	}
	return AudienceAll
}

// emitContribution sends a contribution's full data (contribution.posted, .restored) to those
// who may see it: a pending one to moderators and its author; otherwise to its public
// audience under the identity mode, followed by the attribution for moderators.
func (b *batch) emitContribution(ctx context.Context, name string, c *record.Contribution, links []int64) error {
	info, err := b.author(ctx, c.AuthorID)
	if err != nil {
		return err
	}
	var translations map[string]string
	if name != "contribution.posted" { // a new contribution has none yet
		all, err := loadTranslations(ctx, b.tx, b.w.ID, c.ID)
		if err != nil {
			return err
		}
		translations = all[c.ID]
	}
	view := func(forModerators bool) ContributionView {
		v := newContributionView(c, links, info, b.st.IdentityMode(), forModerators)
		v.Translations = translations
		return v
	}
	mode := b.st.IdentityMode()
	if c.GroupID != nil {
		b.later(progressKey) // the projector's counts per group
	}
	if c.Status == record.StatusPending {
		b.emit(name, AudienceModerators, view(true))
		if c.AuthorID != nil {
			b.emit(name, AudiencePerson(*c.AuthorID), view(false))
		}
		return nil
	}
	b.emit(name, publicAudience(c), view(false))
	if mode.moderatorsSeeAuthors() {
		b.emit("contribution.attributed", AudienceModerators,
			attribution{ID: c.ID, AuthorID: c.AuthorID, Author: label(IdentityFull, info, c.OnBehalfOf)})
	}
	return nil
}

// emitAbout sends an event about a contribution to the audience that knows it, by its status
// at the time of the call: a visible one to its public audience; a pending one to moderators
// and its author; a hidden, merged or withdrawn one to moderators only.
func (b *batch) emitAbout(c *record.Contribution, name string, data any) {
	if c.GroupID != nil {
		b.later(progressKey) // the projector's counts per group
	}
	switch c.Status {
	case record.StatusVisible:
		b.emit(name, publicAudience(c), data)
	case record.StatusPending:
		b.emit(name, AudienceModerators, data)
		if c.AuthorID != nil {
			b.emit(name, AudiencePerson(*c.AuthorID), data)
		}
	default:
		b.emit(name, AudienceModerators, data)
	}
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

func newCommentView(c *record.Comment, info authorInfo, mode IdentityMode, forModerators bool) CommentView {
	v := CommentView{ID: c.ID, Contribution: c.ContributionID, Body: c.Body, Author: label(mode, info, ""),
		CreatedAt: c.CreatedAt.UnixMilli()}
	if forModerators && mode.moderatorsSeeAuthors() {
		v.Author = label(IdentityFull, info, "")
		v.AuthorID = c.AuthorID
	}
	return v
}
