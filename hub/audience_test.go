package hub

import (
	"fmt"
	"testing"
)

func TestParseAudience(t *testing.T) {
	tests := []struct {
		in      string
		want    Audience
		wantErr bool
	}{
		{"all", Audience{Kind: All}, false},
		{"moderators", Audience{Kind: Moderators}, false},
		{"group:12", Audience{Kind: Group, ID: 12}, false},
		{"person:34", Audience{Kind: Person, ID: 34}, false},
		{"", Audience{}, true},
		{"All", Audience{}, true},
		{"group:", Audience{}, true},
		{"group:0", Audience{}, true},
		{"group:-3", Audience{}, true},
		{"group:+3", Audience{}, true},
		{"group:1.5", Audience{}, true},
		{"person:99999999999999999999", Audience{}, true},
		{"team:3", Audience{}, true},
		{"group:3:4", Audience{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAudience(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseAudience(%q) error: got %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseAudience(%q): got %+v, want %+v", tt.in, got, tt.want)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String(): got %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestAudienceIncludes(t *testing.T) {
	alice := Viewer{Participant: 1, Role: "participant", Group: 5}
	bob := Viewer{Participant: 2, Role: "participant"}
	mod := Viewer{Participant: 3, Role: "moderator", Moderator: true}
	tests := []struct {
		aud  Audience
		v    Viewer
		want bool
	}{
		{Audience{Kind: All}, bob, true},
		{Audience{Kind: Moderators}, alice, false},
		{Audience{Kind: Moderators}, mod, true},
		{Audience{Kind: Group, ID: 5}, alice, true},
		{Audience{Kind: Group, ID: 6}, alice, false},
		{Audience{Kind: Group, ID: 5}, bob, false},
		{Audience{Kind: Group, ID: 5}, mod, true},
		{Audience{Kind: Group, ID: 0}, bob, false}, // group 0 is "no group", not a group
		{Audience{Kind: Person, ID: 1}, alice, true},
		{Audience{Kind: Person, ID: 1}, bob, false},
		// Who voted what is private, even from moderators.
		{Audience{Kind: Person, ID: 1}, mod, false},
		{Audience{Kind: AudienceKind(9)}, mod, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v to participant %d", tt.aud, tt.v.Participant), func(t *testing.T) {
			if got := tt.aud.Includes(tt.v); got != tt.want {
				t.Errorf("%v.Includes(%+v): got %v, want %v", tt.aud, tt.v, got, tt.want)
			}
		})
	}
}
