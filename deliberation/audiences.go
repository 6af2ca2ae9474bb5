package deliberation

import (
	"context"
	"fmt"
	"strings"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Who receives which event: the table of events and the audience kinds each may go to
// (EventAudiences, checked by every emit), and the batch's helpers that send a contribution's
// events to the audience that may see it under the room's identity mode.

// Reach is the set of audience kinds an event may be sent to.
type Reach uint8

// The audience kinds, as bits of a Reach.
const (
	ReachAll        Reach = 1 << iota // everyone in the workshop
	ReachModerators                   // the moderators
	ReachGroup                        // one break-out group (and the moderators: the hub's job)
	ReachPerson                       // one participant
)

// kindNames are the words the table in docs/protocol-commands.md uses, in its order.
var kindNames = []struct {
	r    Reach
	name string
}{{ReachAll, "all"}, {ReachModerators, "moderators"}, {ReachGroup, "group"}, {ReachPerson, "person"}}

// String lists the kinds, "all, group".
func (r Reach) String() string {
	var names []string
	for _, k := range kindNames {
		if r&k.r != 0 {
			names = append(names, k.name)
		}
	}
	return strings.Join(names, ", ")
}

// reachOf is the kind of one audience string ("all", "moderators", "group:3", "person:7").
func reachOf(audience string) Reach {
	switch {
	case audience == AudienceAll:
		return ReachAll
	case audience == AudienceModerators:
		return ReachModerators
	case strings.HasPrefix(audience, "group:"):
		return ReachGroup
	case strings.HasPrefix(audience, "person:"):
		return ReachPerson
	}
	return 0
}

// EventAudience is one row of the table of events: its name, the audience kinds it may be
// sent to, and who that means, in the words of docs/protocol-commands.md.
type EventAudience struct {
	Name  string
	Reach Reach
	Who   string
}

// EventAudiences is who may receive each event. It is the one list: the engine refuses to emit
// an event that is not in it or to an audience kind its row does not allow (the batch fails,
// nothing is sent), docs/protocol-commands.md prints it (a test compares them), and a test
// over real sockets drives every event and checks who received it.
var EventAudiences = []EventAudience{
	{"phase.changed", ReachAll, "everyone"},
	{"question.changed", ReachAll, "everyone"},
	{"timer.changed", ReachAll, "everyone"},
	{"posting.changed", ReachAll, "everyone"},
	{"joinpanel.changed", ReachAll, "everyone"},
	{"premoderation.changed", ReachAll, "everyone"},
	{"results.changed", ReachAll, "everyone"},
	{"vote.method.changed", ReachAll, "everyone"},
	{"identity.changed", ReachAll | ReachGroup, "everyone, and each group its own labels"},
	{"groups.changed", ReachAll, "everyone"},
	{"groups.members", ReachModerators, "moderators"},
	{"groups.progress", ReachAll, "everyone"},
	{"group.rapporteur", ReachPerson, "the rapporteur named or unnamed"},
	{"checkin.changed", ReachModerators | ReachPerson, "moderators, and the person checked in"},
	{"agenda.changed", ReachAll, "everyone"},
	{"agenda.timing", ReachModerators, "moderators"},
	{"rounds.changed", ReachAll, "everyone"},
	{"contribution.posted", ReachAll | ReachGroup | ReachModerators | ReachPerson, "its public audience (its group, or everyone); while pending, moderators and its author"},
	{"contribution.restored", ReachAll | ReachGroup | ReachModerators | ReachPerson, "as contribution.posted"},
	{"contribution.attributed", ReachModerators, "moderators"},
	{"contribution.updated", ReachAll | ReachGroup | ReachModerators | ReachPerson, "those who know the contribution: its public audience; while pending, moderators and its author; once hidden, merged or withdrawn, moderators"},
	{"contribution.withdrawn", ReachAll | ReachGroup | ReachModerators | ReachPerson, "as contribution.updated"},
	{"contribution.hidden", ReachAll | ReachGroup | ReachModerators | ReachPerson, "as contribution.updated"},
	{"contribution.hidden.reason", ReachModerators, "moderators"},
	{"contribution.pinned", ReachAll | ReachGroup | ReachModerators | ReachPerson, "as contribution.updated"},
	{"contribution.marked", ReachAll | ReachGroup | ReachModerators | ReachPerson, "as contribution.updated"},
	{"contribution.provenance", ReachAll | ReachGroup | ReachModerators | ReachPerson, "as contribution.updated"},
	{"contribution.translated", ReachAll | ReachGroup | ReachModerators | ReachPerson, "as contribution.updated"},
	{"contribution.merged", ReachAll | ReachGroup, "the target's public audience; everyone when the merged items had different ones"},
	{"contribution.promoted", ReachAll, "everyone"},
	{"comment.posted", ReachAll | ReachGroup, "the contribution's public audience"},
	{"comment.attributed", ReachModerators, "moderators"},
	{"vote.recorded", ReachPerson, "the voter only"},
	{"tally.updated", ReachAll | ReachGroup | ReachModerators, "everyone, and each group its own items; moderators only while results are hidden"},
	{"roomcount.recorded", ReachAll | ReachGroup | ReachModerators, "its public audience; moderators while results are hidden"},
	{"plenary.opened", ReachAll, "everyone"},
	{"plenary.ballot", ReachPerson, "the voter only"},
	{"plenary.tally", ReachAll | ReachModerators, "everyone; moderators only while results are hidden"},
	{"plenary.closed", ReachAll, "everyone"},
}

// reachByName indexes EventAudiences.
var reachByName = func() map[string]Reach {
	m := make(map[string]Reach, len(EventAudiences))
	for _, e := range EventAudiences {
		if _, dup := m[e.Name]; dup {
			panic("deliberation: event " + e.Name + " has two rows in EventAudiences")
		}
		m[e.Name] = e.Reach
	}
	return m
}()

// checkAudience says why an event may not go to an audience, or nil.
func checkAudience(name, audience string) error {
	reach, ok := reachByName[name]
	if !ok {
		return fmt.Errorf("%w: event %s has no row in EventAudiences", errRuleBug, name)
	}
	if k := reachOf(audience); k == 0 || reach&k == 0 {
		return fmt.Errorf("%w: event %s sent to %q, its row allows %s", errRuleBug, name, audience, reach)
	}
	return nil
}

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
