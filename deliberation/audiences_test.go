package deliberation

import (
	"os"
	"strings"
	"testing"
)

// audienceTable renders EventAudiences as the table docs/protocol-commands.md prints.
func audienceTable() string {
	var b strings.Builder
	b.WriteString("| event | audiences | who |\n|---|---|---|\n")
	for _, e := range EventAudiences {
		b.WriteString("| `" + e.Name + "` | " + e.Reach.String() + " | " + e.Who + " |\n")
	}
	return b.String()
}

// TestDocsPrintTheEventAudiences: the table of who receives each event in
// docs/protocol-commands.md is EventAudiences, row for row, so that the contract the clients
// read is the one the engine enforces.
func TestDocsPrintTheEventAudiences(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol-commands.md")
	if err != nil {
		t.Fatal(err)
	}
	want := audienceTable()
	if !strings.Contains(string(doc), want) {
		t.Errorf("docs/protocol-commands.md does not print EventAudiences; its section \"Who receives each event\" should hold:\n%s", want)
	}
}

// TestEmitRefusesAudiencesOutsideTheTable: an event without its row, or sent to a kind its row
// does not allow, is a rule bug; a row's own kinds are accepted.
func TestEmitRefusesAudiencesOutsideTheTable(t *testing.T) {
	cases := []struct {
		name, audience string
		ok             bool
	}{
		{"vote.recorded", AudiencePerson(7), true},
		{"vote.recorded", AudienceAll, false},
		{"vote.recorded", AudienceModerators, false},
		{"vote.recorded", AudienceGroup(3), false},
		{"comment.attributed", AudienceModerators, true},
		{"comment.attributed", AudienceAll, false},
		{"comment.attributed", AudienceGroup(3), false},
		{"comment.posted", AudienceGroup(3), true},
		{"comment.posted", AudiencePerson(7), false},
		{"plenary.ballot", AudienceAll, false},
		{"contribution.posted", AudiencePerson(7), true},
		{"no.such.event", AudienceAll, false},
		{"phase.changed", "everyone", false},
	}
	for _, c := range cases {
		t.Run(c.name+" to "+c.audience, func(t *testing.T) {
			err := checkAudience(c.name, c.audience)
			if (err == nil) != c.ok {
				t.Errorf("checkAudience(%s, %s): got %v, want ok=%v", c.name, c.audience, err, c.ok)
			}
		})
	}
}
