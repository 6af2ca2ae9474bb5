// Package view is what a workshop's room sees, as the live engine (package deliberation)
// shows it: the live state kept in workshops.state (phase settings, timer, agenda, rounds,
// groups), the views that events and snapshots carry (contributions, comments and their
// author labels, tallies, room counts, groups and their progress, the agenda, timed rounds,
// provenance, plenary votes and their rule), the reads that build them from the database,
// and the snapshot a viewer starts from. It decides nothing and writes nothing: the engine's
// rules do, inside their batch, and emit these views. Events and snapshots are built by the
// same reads (Reader), so a phone that resumes sees what a phone that stayed saw.
package view

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/assises/assises/record"
)

// IdentityMode is how the room labels the authors of contributions and comments. Moderators
// see full labels in every mode but sealed; the other modes apply to everyone else.
type IdentityMode string

// Identity modes.
const (
	IdentityFull         IdentityMode = "full"         // display name and organisation
	IdentityOrganisation IdentityMode = "organisation" // organisation only
	IdentityAnonymous    IdentityMode = "anonymous"    // no label at all
	// IdentitySealed labels nobody, not even for moderators: their feed carries no name and
	// no author id. A room cannot leave it, so what was said under it stays sealed.
	IdentitySealed IdentityMode = "sealed"
)

// DefaultIdentity is the mode of a workshop whose moderator has not chosen one. Some
// participants fear that what they say could be used against them (docs/privacy.md), so a room
// starts anonymous and the moderator opts into names.
const DefaultIdentity = IdentityAnonymous

// Valid reports whether m is a known mode.
func (m IdentityMode) Valid() bool {
	return m == IdentityFull || m == IdentityOrganisation || m == IdentityAnonymous || m == IdentitySealed
}

// ModeratorsSeeAuthors reports whether moderators are told who wrote what under mode m.
func (m IdentityMode) ModeratorsSeeAuthors() bool { return m != IdentitySealed }

// VoteSettings is how people vote in one phase. Budget and MaxPerItem apply to dots only.
type VoteSettings struct {
	Method     record.VoteMethod `json:"method"`
	Budget     int               `json:"budget,omitempty"`
	MaxPerItem int               `json:"maxPerItem,omitempty"`
}

// Timer is the moderator's countdown, kept as a deadline on the server's clock so that a phone
// with a wrong clock still shows the right time (DESIGN invariant 8). While it runs, EndsAt is
// the deadline in Unix milliseconds; while paused, RemainingMs is what is left and EndsAt is 0.
// A reset timer is the zero value.
type Timer struct {
	Running     bool  `json:"running"`
	EndsAt      int64 `json:"endsAt"`
	RemainingMs int64 `json:"remainingMs"`
	DurationMs  int64 `json:"durationMs"`
	Expired     bool  `json:"expired,omitempty"` // set by the "tick" follow-up once EndsAt has passed
}

// MaxTimerMs bounds a countdown (4 hours: longer than any session of the seeds).
const MaxTimerMs = 4 * 60 * 60 * 1000

// view is the timer as events and snapshots carry it: RemainingMs is computed for a running
// timer, so that a client which only shows a duration is right at the moment of the event.
func (t Timer) At(now time.Time) Timer {
	if t.Running {
		t.RemainingMs = max(0, t.EndsAt-now.UnixMilli())
	}
	return t
}

// LiveState is the live settings of a workshop, stored as JSON in workshops.state next to
// workshops.phase (which stays a column, so that lists can filter on it). Every field's zero
// value is the default, so "{}" is a fresh workshop.
type LiveState struct {
	// Questions is the question the moderator puts to the room, per phase.
	Questions map[record.Phase]string `json:"questions,omitempty"`
	// QuestionTexts is the same question in the process's other languages: phase → language →
	// text (Questions keeps the main language's).
	QuestionTexts map[record.Phase]map[string]string `json:"questionTexts,omitempty"`
	Timer         Timer                              `json:"timer"`
	// PostingLocked stops participants (not moderators) from posting and commenting.
	PostingLocked bool `json:"postingLocked"`
	// Premoderation holds participants' new contributions in the moderators' queue.
	Premoderation bool `json:"premoderation"`
	// ResultsHidden sends tallies and room counts to moderators only.
	ResultsHidden bool `json:"resultsHidden"`
	// Identity is how authors are labelled; "" means DefaultIdentity.
	Identity IdentityMode `json:"identity,omitempty"`
	// VoteMethods per phase; a phase not listed votes by DefaultVoteSettings.
	VoteMethods map[record.Phase]VoteSettings `json:"voteMethods,omitempty"`
	// GroupsOn sends what members of a break-out group post to their group only.
	GroupsOn bool `json:"groupsOn"`
	// Groups are the break-out groups of the current split, in order (groups.split). Groups of
	// earlier splits keep their rows (their contributions stay theirs) but are not listed.
	Groups []int64 `json:"groups,omitempty"`
	// Agenda is where the session stands in its timetable (agenda.next, agenda.goto).
	Agenda *AgendaState `json:"agenda,omitempty"`
	// Rounds is a plan of timed rounds (rounds.start) that the timer's ticks advance.
	Rounds *RoundsState `json:"rounds,omitempty"`
	// PhaseSince is when the current phase began (Unix ms; 0 before the first change): the
	// projector shows how to join in large during a phase's first minutes.
	PhaseSince int64 `json:"phaseSince,omitempty"`
	// JoinHidden is the moderator's choice to fold the projector's join panel (joinpanel.set).
	JoinHidden bool `json:"joinHidden,omitempty"`
}

// ParseLiveState reads workshops.state; an empty column is a fresh workshop.
func ParseLiveState(s string) (LiveState, error) {
	var st LiveState
	if s == "" {
		return st, nil
	}
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return LiveState{}, fmt.Errorf("deliberation: workshop state: %w", err)
	}
	return st, nil
}

// IdentityMode returns the effective identity mode.
func (s *LiveState) IdentityMode() IdentityMode {
	if s.Identity.Valid() {
		return s.Identity
	}
	return DefaultIdentity
}

// VoteSettingsFor returns how people vote in phase p.
func (s *LiveState) VoteSettingsFor(p record.Phase) VoteSettings {
	if v, ok := s.VoteMethods[p]; ok && v.Method.Valid() {
		return v
	}
	return DefaultVoteSettings(p)
}

// DefaultVoteSettings is how a phase votes until the moderator chooses. Findings, solution
// paths and implementation steps gather support: the room says which matter most. A
// recommendation goes to elected officials, who need to know how far the room stands behind
// it, so that phase asks agree / neutral / disagree.
func DefaultVoteSettings(p record.Phase) VoteSettings {
	if p == record.PhaseRecommendations {
		return VoteSettings{Method: record.MethodAgree}
	}
	return VoteSettings{Method: record.MethodSupport}
}

// WakeAt is when the engine wants a "tick" follow-up: the deadline of a running timer that
// has not been marked expired yet (a timed round ends there too), or the planned end of the
// current agenda item, whichever comes first.
func (s *LiveState) WakeAt() time.Time {
	var at int64
	if s.Timer.Running && !s.Timer.Expired && s.Timer.EndsAt > 0 {
		at = s.Timer.EndsAt
	}
	if a := s.Agenda; a != nil && a.PlannedEndsAt > 0 && !a.Overdue && (at == 0 || a.PlannedEndsAt < at) {
		at = a.PlannedEndsAt
	}
	if at == 0 {
		return time.Time{}
	}
	return time.UnixMilli(at).UTC()
}

// WorkshopView is the workshop part of a snapshot.
type WorkshopView struct {
	ID       int64                   `json:"id"`
	Title    string                  `json:"title"`
	Code     string                  `json:"code"`
	Phase    record.Phase            `json:"phase"`
	Question map[record.Phase]string `json:"question"`
	// QuestionTexts: the question in the process's other languages (phase → language → text).
	QuestionTexts map[record.Phase]map[string]string `json:"questionTexts"`
	// TitleTexts: the session's title in the process's other languages.
	TitleTexts    map[string]string             `json:"titleTexts,omitempty"`
	Timer         Timer                         `json:"timer"`
	PostingLocked bool                          `json:"postingLocked"`
	Premoderation bool                          `json:"premoderation"`
	ResultsHidden bool                          `json:"resultsHidden"`
	Identity      IdentityMode                  `json:"identity"`
	VoteMethods   map[record.Phase]VoteSettings `json:"voteMethods"`
	GroupsOn      bool                          `json:"groupsOn"`
	PhaseSince    int64                         `json:"phaseSince,omitempty"`
	JoinHidden    bool                          `json:"joinHidden,omitempty"`
}

// NewWorkshopView is the workshop part of a snapshot: w with its live state st at now.
func NewWorkshopView(w *record.Workshop, st *LiveState, now time.Time) WorkshopView {
	q := map[record.Phase]string{}
	for p, text := range st.Questions {
		q[p] = text
	}
	qt := map[record.Phase]map[string]string{}
	for p, texts := range st.QuestionTexts {
		qt[p] = texts
	}
	tt := w.Translations.Field("title")
	vm := map[record.Phase]VoteSettings{}
	for _, p := range []record.Phase{record.PhaseDiagnostic, record.PhaseRecommendations, record.PhaseImplementation} {
		vm[p] = st.VoteSettingsFor(p)
	}
	return WorkshopView{
		ID: w.ID, Title: w.Title, Code: w.Code, Phase: w.Phase, Question: q, QuestionTexts: qt, TitleTexts: tt,
		Timer: st.Timer.At(now), PostingLocked: st.PostingLocked, Premoderation: st.Premoderation,
		ResultsHidden: st.ResultsHidden, Identity: st.IdentityMode(), VoteMethods: vm, GroupsOn: st.GroupsOn,
		PhaseSince: st.PhaseSince, JoinHidden: st.JoinHidden,
	}
}

// AgendaState is the current agenda item, kept in workshops.state. Times are Unix ms of the
// server's clock.
type AgendaState struct {
	Item          int64 `json:"item"`
	StartedAt     int64 `json:"startedAt"`
	PlannedEndsAt int64 `json:"plannedEndsAt"` // 0: the item has no planned duration
	// Overdue is set once the planned end has passed (the "tick" that says so ran), so the
	// moderators are told once.
	Overdue bool          `json:"overdue,omitempty"`
	Log     []AgendaEntry `json:"log,omitempty"` // the items done, oldest first
}

// AgendaEntry is one item as it really ran.
type AgendaEntry struct {
	Item      int64 `json:"item"`
	StartedAt int64 `json:"startedAt"`
	EndedAt   int64 `json:"endedAt"`
	PlannedMs int64 `json:"plannedMs"`
}

// RoundStep is one round of a cycle: a key the clients translate when they know it
// ("presentation", "questions", "advice") and show as typed otherwise.
type RoundStep struct {
	Key     string `json:"key"`
	Seconds int64  `json:"seconds"`
}

// RoundsState is a running plan, kept in workshops.state. Index counts rounds over all the
// repetitions (case i, step j is Index = i·len(Steps) + j).
type RoundsState struct {
	Steps     []RoundStep `json:"steps"`
	Repeat    int         `json:"repeat"`
	Index     int         `json:"index"`
	StartedAt int64       `json:"startedAt"` // when the current round started (Unix ms)
	Finished  bool        `json:"finished,omitempty"`
}

// Total is the number of rounds of the plan, over all its repetitions.
func (r *RoundsState) Total() int { return len(r.Steps) * r.Repeat }

// DurationMs is how long round index lasts, in milliseconds.
func (r *RoundsState) DurationMs(index int) int64 { return r.Steps[index%len(r.Steps)].Seconds * 1000 }
