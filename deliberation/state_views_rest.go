package deliberation

import (
	"context"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// author returns the label information of a participant, cached for the batch.
func (b *batch) author(ctx context.Context, id *int64) (view.Author, error) {
	if id == nil {
		return view.Author{}, nil
	}
	if info, ok := b.authors[*id]; ok {
		return info, nil
	}
	m, err := view.LoadAuthors(ctx, b.tx, []int64{*id})
	if err != nil {
		return view.Author{}, err
	}
	b.authors[*id] = m[*id]
	return m[*id], nil
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
		all, err := view.LoadTranslations(ctx, b.tx, b.w.ID, c.ID)
		if err != nil {
			return err
		}
		translations = all[c.ID]
	}
	shown := func(forModerators bool) view.ContributionView {
		v := view.NewContributionView(c, links, info, b.st.IdentityMode(), forModerators)
		v.Translations = translations
		return v
	}
	mode := b.st.IdentityMode()
	if c.GroupID != nil {
		b.later(progressKey) // the projector's counts per group
	}
	if c.Status == record.StatusPending {
		b.emit(name, AudienceModerators, shown(true))
		if c.AuthorID != nil {
			b.emit(name, AudiencePerson(*c.AuthorID), shown(false))
		}
		return nil
	}
	b.emit(name, publicAudience(c), shown(false))
	if mode.ModeratorsSeeAuthors() {
		b.emit("contribution.attributed", AudienceModerators,
			attribution{ID: c.ID, AuthorID: c.AuthorID, Author: view.Label(view.IdentityFull, info, c.OnBehalfOf)})
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
