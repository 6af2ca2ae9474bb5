package deliberation

import (
	"fmt"
	"strings"
)

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
