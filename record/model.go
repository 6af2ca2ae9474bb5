// Package record holds the things Assises keeps, as the rows the database stores them in:
// processes, themes, workshops and their agenda, participants, roles and registrations, groups,
// contributions, votes and the texts of each in several languages. The live engine, people and
// places, processes and the notebook all read and write them; this package decides nothing.
package record

import (
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
)

// ErrNotFound is returned by store functions when the thing asked for does not exist.
var ErrNotFound = errors.New("not found")

// Phase is where a workshop stands in the Assises scenario.
type Phase string

// The phases of a session, in order. Lobby is before the moderator opens the diagnostic.
const (
	PhaseLobby           Phase = "lobby"
	PhaseDiagnostic      Phase = "diagnostic"
	PhaseRecommendations Phase = "recommendations"
	PhaseImplementation  Phase = "implementation"
	PhaseClosed          Phase = "closed"
)

// Phases lists every phase in scenario order.
var Phases = []Phase{PhaseLobby, PhaseDiagnostic, PhaseRecommendations, PhaseImplementation, PhaseClosed}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool {
	for _, q := range Phases {
		if p == q {
			return true
		}
	}
	return false
}

// Open reports whether people speak and vote in phase p: nothing is said in the lobby or after
// the session is closed.
func (p Phase) Open() bool { return p != PhaseLobby && p != PhaseClosed }

// Kind is what a contribution is.
type Kind string

// Contribution kinds, by the phase that allows them.
const (
	KindFinding        Kind = "finding"        // diagnostic: a "constat"
	KindSolution       Kind = "solution"       // diagnostic: a "piste de solution"
	KindRecommendation Kind = "recommendation" // recommendations: to elected officials
	KindStep           Kind = "step"           // implementation: who, how, when
)

// KindsFor returns the contribution kinds a phase allows.
func KindsFor(p Phase) []Kind {
	switch p {
	case PhaseDiagnostic:
		return []Kind{KindFinding, KindSolution}
	case PhaseRecommendations:
		return []Kind{KindRecommendation}
	case PhaseImplementation:
		return []Kind{KindStep}
	}
	return nil
}

// Role is what a participant may do. Process-level roles live on Participant; a moderator may
// also be appointed for one workshop only (WorkshopRole).
type Role string

// Roles.
const (
	RoleOrganiser   Role = "organiser"
	RoleModerator   Role = "moderator"
	RoleParticipant Role = "participant"
	RoleObserver    Role = "observer"
	RoleCommittee   Role = "committee" // the follow-up committee
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOrganiser, RoleModerator, RoleParticipant, RoleObserver, RoleCommittee:
		return true
	}
	return false
}

// Status is the moderation state of a contribution or comment.
type Status string

// Statuses.
const (
	StatusVisible   Status = "visible"
	StatusPending   Status = "pending" // waiting in the moderator's queue (pre-moderation)
	StatusHidden    Status = "hidden"
	StatusMerged    Status = "merged"
	StatusWithdrawn Status = "withdrawn"
)

// Process is a whole deliberation ("Assises", "journées"): several themes and their sessions.
type Process struct {
	bun.BaseModel `bun:"table:processes"`

	ID                   int64 `bun:",pk,autoincrement"`
	Slug                 string
	Title                string
	Description          string
	Languages            string // comma-separated languages of its texts, the main one first (ContentLanguages)
	Capacity             int    // places per workshop, unless the workshop says otherwise
	PerOrgCap            int    // at most this many people of one organisation per workshop
	RegistrationDeadline *time.Time
	InvitationRequired   bool
	OverlapRule          string       // registering for two sessions at the same time: "refuse" (also when empty) or "warn"
	Translations         Translations `bun:",notnull"` // title and description in the other languages
	CreatedAt            time.Time
}

// Theme is one subject of a process, with the "why" that motivates it.
type Theme struct {
	bun.BaseModel `bun:"table:themes"`

	ID        int64 `bun:",pk,autoincrement"`
	ProcessID int64
	Position  int
	Title     string
	Why       string
	// Translations: title and why in the process's other languages.
	Translations Translations `bun:",notnull"`
}

// Workshop is one live session ("atelier") of a theme.
type Workshop struct {
	bun.BaseModel `bun:"table:workshops"`

	ID        int64 `bun:",pk,autoincrement"`
	ProcessID int64
	ThemeID   *int64
	Title     string
	StartsAt  time.Time
	EndsAt    time.Time
	Place     string
	Code      string // short code to join from any phone
	Capacity  int    // 0: the process's capacity
	Access    string // who may join: AccessInvitation, AccessRegistered, AccessOpen; "": the process decides
	Phase     Phase
	State     string // JSON of the live settings (see LiveState)
	LastSeq   int64  // the last event sequence number written for this workshop
	// Translations: title in the process's other languages.
	Translations Translations `bun:",notnull"`
	CreatedAt    time.Time
}

// Who may join a session, set by the organiser for each.
const (
	AccessInvitation = "invitation" // a confirmed place (or a role) in this session only
	AccessRegistered = "registered" // anyone registered in the process
	AccessOpen       = "open"       // anyone with the code or the projector's QR, under a pseudonym
)

// ValidAccess reports whether a is an access mode an organiser may set ("" follows the process).
func ValidAccess(a string) bool {
	return a == "" || a == AccessInvitation || a == AccessRegistered || a == AccessOpen
}

// AccessMode is who may join w: its own mode, or else the process's (invitation when the
// process requires one, registered otherwise).
func (w *Workshop) AccessMode(p *Process) string {
	if w.Access != "" {
		return w.Access
	}
	if p.InvitationRequired {
		return AccessInvitation
	}
	return AccessRegistered
}

// AgendaItem is one line of a workshop's timetable.
type AgendaItem struct {
	bun.BaseModel `bun:"table:agenda_items"`

	ID             int64 `bun:",pk,autoincrement"`
	WorkshopID     int64
	Position       int
	Kind           string // welcome, phase, break, case_study, conclusions…
	Title          string
	Phase          Phase // the phase this item drives, if any
	PlannedMinutes int
	Translations   Translations `bun:",notnull"` // title in the process's other languages
}

// Participant is a pseudonymous actor: what people said and voted refers to this id only.
// Who the person is lives in people.Person, which erasure deletes.
type Participant struct {
	bun.BaseModel `bun:"table:participants"`

	ID             int64  `bun:",pk,autoincrement"`
	ProcessID      *int64 // nil for platform organisers, who may run every process
	Role           Role
	OrganisationID *int64
	ErasedAt       *time.Time
	CreatedAt      time.Time
}

// WorkshopRole appoints a participant to a role in one workshop (a moderator, a rapporteur).
type WorkshopRole struct {
	bun.BaseModel `bun:"table:workshop_roles"`

	WorkshopID    int64 `bun:",pk"`
	ParticipantID int64 `bun:",pk"`
	Role          Role
}

// Registration statuses.
const (
	RegistrationConfirmed = "confirmed"
	RegistrationWaiting   = "waiting"
	RegistrationCancelled = "cancelled"
)

// Registration is a participant's place (or place on the waiting list) in a workshop.
type Registration struct {
	bun.BaseModel `bun:"table:registrations"`

	ID            int64 `bun:",pk,autoincrement"`
	ProcessID     int64
	WorkshopID    int64
	ParticipantID int64
	Status        string // confirmed, waiting, cancelled
	OpenJoin      bool   // the place was taken by joining an open session, not registered beforehand
	CheckedInAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Group is a break-out group of a workshop, known by its colour in the room.
type Group struct {
	bun.BaseModel `bun:"table:breakout_groups"`

	ID         int64 `bun:",pk,autoincrement"`
	WorkshopID int64
	Position   int
	Name       string
	Colour     string
	CreatedAt  time.Time
}

// GroupMember places a participant in one group of a workshop.
type GroupMember struct {
	bun.BaseModel `bun:"table:group_members"`

	WorkshopID    int64 `bun:",pk"`
	ParticipantID int64 `bun:",pk"`
	GroupID       int64
	Rapporteur    bool
}

// Contribution is something said in a workshop: a finding, a solution path, a recommendation
// or an implementation step.
type Contribution struct {
	bun.BaseModel `bun:"table:contributions"`

	ID           int64 `bun:",pk,autoincrement"`
	WorkshopID   int64
	AuthorID     *int64 // the participant who posted it (nil once unlinked)
	OnBehalfOf   string // a table or person a moderator typed this for; shown instead of the typist
	GroupID      *int64
	Kind         Kind
	Phase        Phase
	Body         string
	Lang         string // the language its author wrote in (Languages); "" when not known
	ParentID     *int64 // a step's recommendation, a solution path's finding
	Who          string // implementation steps: who acts
	How          string // implementation steps: how
	WhenText     string `bun:"when_text"` // implementation steps: when
	Status       Status
	HiddenReason string
	MergedInto   *int64
	Pinned       bool
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ContributionLink says that a contribution answers another (a recommendation answers findings).
type ContributionLink struct {
	bun.BaseModel `bun:"table:contribution_links"`

	FromID int64 `bun:",pk"`
	ToID   int64 `bun:",pk"`
}

// Translation is a moderator's translation of a contribution into another language.
type Translation struct {
	bun.BaseModel `bun:"table:contribution_translations"`

	ContributionID int64  `bun:",pk"`
	Lang           string `bun:",pk"`
	Body           string
	CreatedAt      time.Time
}

// Revision keeps an earlier text of an edited contribution.
type Revision struct {
	bun.BaseModel `bun:"table:contribution_revisions"`

	ID             int64 `bun:",pk,autoincrement"`
	ContributionID int64
	EditorID       *int64
	Version        int
	Body           string
	Who            string
	How            string
	WhenText       string `bun:"when_text"`
	CreatedAt      time.Time
}

// Comment is a remark on a contribution.
type Comment struct {
	bun.BaseModel `bun:"table:comments"`

	ID             int64 `bun:",pk,autoincrement"`
	WorkshopID     int64
	ContributionID int64
	AuthorID       *int64
	Body           string
	Status         Status
	CreatedAt      time.Time
}

// Vote is one participant's current vote on one contribution, under a method.
type Vote struct {
	bun.BaseModel `bun:"table:votes"`

	ContributionID int64 `bun:",pk"`
	ParticipantID  int64 `bun:",pk"`
	WorkshopID     int64
	Method         VoteMethod
	Value          int
	UpdatedAt      time.Time
}

// RoomCount is a count taken in the room (show of hands, paper ballots) for one item. It is
// shown beside the online tally, never added to it.
type RoomCount struct {
	bun.BaseModel `bun:"table:room_counts"`

	ID             int64 `bun:",pk,autoincrement"`
	WorkshopID     int64
	ContributionID int64
	Label          string
	YesCount       int
	NeutralCount   int
	NoCount        int
	RecordedBy     *int64
	CreatedAt      time.Time
}

// StoredEvent is an entry of a workshop's log, as the journal writes it.
type StoredEvent = journal.Event

// CommandRecord remembers the outcome of a command id, so that a resent command returns its
// first outcome and never applies twice (DESIGN invariant 4).
type CommandRecord = journal.Command

// VoteMethod is how people vote in a phase; the moderator picks it.
type VoteMethod string

// Vote methods.
const (
	MethodSupport VoteMethod = "support" // one click, toggles: value 1
	MethodAgree   VoteMethod = "agree"   // agree / neutral / disagree: value 1, 0 or -1, changeable
	MethodDots    VoteMethod = "dots"    // a budget of dots to spread: value = dots on the item
)

// Valid reports whether m is a known vote method.
func (m VoteMethod) Valid() bool {
	return m == MethodSupport || m == MethodAgree || m == MethodDots
}
