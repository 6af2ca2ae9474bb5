package hub

import (
	"fmt"
	"strconv"
	"strings"
)

// AudienceKind says who may receive an event.
type AudienceKind uint8

// The audience kinds. The zero value is All so that an event without an explicit
// audience is public; the domain must choose a narrower one on purpose.
const (
	All AudienceKind = iota
	Moderators
	Group
	Person
)

// Audience is who an event is for: everyone, the moderators, one group (and the
// moderators), or one person.
type Audience struct {
	Kind AudienceKind
	ID   int64 // group or participant id; 0 for All and Moderators
}

// Viewer is what the hub needs to know about a participant to route events to them.
type Viewer struct {
	Participant int64
	Role        string
	Moderator   bool
	Group       int64 // 0 = none
	Language    string
}

// ParseAudience reads "all", "moderators", "group:12" or "person:34".
func ParseAudience(s string) (Audience, error) {
	switch s {
	case "all":
		return Audience{Kind: All}, nil
	case "moderators":
		return Audience{Kind: Moderators}, nil
	}
	kind, id, ok := strings.Cut(s, ":")
	if !ok {
		return Audience{}, fmt.Errorf("hub: parse audience %q: unknown form", s)
	}
	var k AudienceKind
	switch kind {
	case "group":
		k = Group
	case "person":
		k = Person
	default:
		return Audience{}, fmt.Errorf("hub: parse audience %q: unknown kind", s)
	}
	// ParseInt accepts "+12"; the canonical form is digits only, so refuse anything else.
	if id == "" || strings.TrimLeft(id, "0123456789") != "" {
		return Audience{}, fmt.Errorf("hub: parse audience %q: id must be a positive integer", s)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return Audience{}, fmt.Errorf("hub: parse audience %q: id must be a positive integer", s)
	}
	return Audience{Kind: k, ID: n}, nil
}

// String is the inverse of ParseAudience.
func (a Audience) String() string {
	switch a.Kind {
	case All:
		return "all"
	case Moderators:
		return "moderators"
	case Group:
		return "group:" + strconv.FormatInt(a.ID, 10)
	case Person:
		return "person:" + strconv.FormatInt(a.ID, 10)
	}
	return "audience(" + strconv.Itoa(int(a.Kind)) + ")"
}

// Includes reports whether v may receive an event for a. Moderators see their groups'
// events, but not another person's private events: who voted what is never shown to
// anyone else, moderators included. An unknown kind includes nobody (fail closed).
func (a Audience) Includes(v Viewer) bool {
	switch a.Kind {
	case All:
		return true
	case Moderators:
		return v.Moderator
	case Group:
		return (a.ID != 0 && v.Group == a.ID) || v.Moderator
	case Person:
		return a.ID != 0 && v.Participant == a.ID
	}
	return false
}
