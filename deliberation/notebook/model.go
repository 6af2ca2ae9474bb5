package notebook

import "time"

// SchemaID names the shape of Notebook as open data; it changes when a field changes meaning.
// docs/notebook-schema.md documents it, schema.json describes it, TestOpenDataMatchesSchema
// keeps the three in step.
const SchemaID = "https://assises.brussels/schema/notebook/v1"

// Notebook is a compiled process: everything a reader sees, and nothing about who said or
// voted what. It is the JSON snapshot a published version stores and the open-data JSON.
// Every renderer (HTML, Markdown, PDF, CSV) reads only this.
type Notebook struct {
	Schema      string     `json:"schema"`
	Version     int        `json:"version"`     // 0 for a draft
	PublishedAt *time.Time `json:"publishedAt"` // nil for a draft
	Language    string     `json:"language"`    // the language of this rendering: labels and translated texts
	// MainLanguage is the language the organisers' texts were written in: a text not yet
	// translated into Language is given in it, and its field is listed in an untranslated list.
	MainLanguage string     `json:"mainLanguage,omitempty"`
	Languages    []string   `json:"languages,omitempty"`   // every language of the version, main first
	Process      ProcessRef `json:"process"`               //
	Cover        Cover      `json:"cover"`                 //
	Method       Method     `json:"method"`                //
	Themes       []Theme    `json:"themes"`                //
	Annex        []Session  `json:"annex"`                 // every session with every contribution
	Ranking      string     `json:"ranking"`               // the ranking rule, as RankingRule names it
	Generator    string     `json:"generator,omitempty"`   // the program that compiled it
	Attribution  string     `json:"attribution,omitempty"` // the licence of the open data
}

// ProcessRef names the process.
type ProcessRef struct {
	Slug         string   `json:"slug"`
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	Untranslated []string `json:"untranslated,omitempty"` // fields given in the main language
}

// Cover holds the figures of the cover page: counts only.
type Cover struct {
	From          *time.Time `json:"from"` // the first session's start
	To            *time.Time `json:"to"`   // the last session's end
	Sessions      int        `json:"sessions"`
	Participants  int        `json:"participants"`
	Organisations int        `json:"organisations"`
	// OpenParticipants joined an open session under a pseudonym without registering; they are
	// not in Participants (nor their organisations: they give none).
	OpenParticipants int `json:"openParticipants,omitempty"`
}

// Method summarises how the process worked: what the method text of the notebook needs.
type Method struct {
	Themes       int           `json:"themes"`
	Sessions     int           `json:"sessions"`
	VoteMethods  []string      `json:"voteMethods"`  // the vote methods used, sorted
	Groups       bool          `json:"groups"`       // some sessions worked in break-out groups
	PlenaryRules []PlenaryRule `json:"plenaryRules"` // the adoption rules of the plenary votes in the body, each once
}

// Theme is one theme with its diagnostic and its recommendations.
type Theme struct {
	Ref             string           `json:"ref"` // T1, T2… in notebook order
	Title           string           `json:"title"`
	Why             string           `json:"why"`
	Introduction    string           `json:"introduction"` // written by the organisers
	Conclusion      string           `json:"conclusion"`   // written by the organisers
	Sessions        []SessionRef     `json:"sessions"`
	Findings        []Finding        `json:"findings"`
	OtherSolutions  []Item           `json:"otherSolutions"` // solution paths that answer no finding
	Recommendations []Recommendation `json:"recommendations"`
	Untranslated    []string         `json:"untranslated,omitempty"` // fields given in the main language
}

// SessionRef is a session of a theme as the cover of the theme lists it.
type SessionRef struct {
	Title    string    `json:"title"`
	StartsAt time.Time `json:"startsAt"`
	EndsAt   time.Time `json:"endsAt"`
	Place    string    `json:"place"`
}

// Item is what every contribution in the body of the notebook has.
type Item struct {
	Ref      string         `json:"ref"`      // F1.2, R1.3, S1.2.1…: stable within a version
	ID       int64          `json:"id"`       // the contribution's id (the follow-up refers to it)
	Annex    string         `json:"annex"`    // where its original text and tally are in the annex (A17)
	Session  string         `json:"session"`  // the title of the session it comes from
	Text     string         `json:"text"`     // as published: the organisers' rewording, if any
	Reworded bool           `json:"reworded"` // the text differs from what was said (see the annex)
	Support  Support        `json:"support"`
	Plenary  *PlenaryResult `json:"plenary"` // the plenary vote on it, when there was one (any kind)
	// Untranslated lists the fields (text; who, how, when for a step) given in the main
	// language because the editorial team has not translated them yet.
	Untranslated []string `json:"untranslated,omitempty"`
}

// Finding is a "constat" with the solution paths that answer it.
type Finding struct {
	Item
	Solutions []Item `json:"solutions"`
}

// Recommendation is a recommendation to elected officials, with its figures and its steps.
type Recommendation struct {
	Item
	Rank       int         `json:"rank"`       // by the ranking rule, 1 first, within the theme
	Moved      bool        `json:"moved"`      // the organisers placed it elsewhere than its rank
	Breadth    Breadth     `json:"breadth"`    //
	Dissent    *float64    `json:"dissent"`    // share that disagreed (agree method), else null
	Flags      []string    `json:"flags"`      // see the Flag constants
	FlagGroup  string      `json:"flagGroup"`  // the group, when FlagOneGroup is set
	Answers    []string    `json:"answers"`    // refs of the findings it answers
	Steps      []Step      `json:"steps"`      //
	RoomCounts []RoomCount `json:"roomCounts"` // shows of hands, never added to the tally
}

// items calls visit with each item of the theme in notebook order: each finding then its
// solution paths, the other solution paths, each recommendation then its steps; rec is the
// recommendation when the item is one, else nil.
func (t *Theme) items(visit func(it *Item, rec *Recommendation)) {
	for i := range t.Findings {
		f := &t.Findings[i]
		visit(&f.Item, nil)
		for j := range f.Solutions {
			visit(&f.Solutions[j], nil)
		}
	}
	for j := range t.OtherSolutions {
		visit(&t.OtherSolutions[j], nil)
	}
	for i := range t.Recommendations {
		r := &t.Recommendations[i]
		visit(&r.Item, r)
		for j := range r.Steps {
			visit(&r.Steps[j].Item, nil)
		}
	}
}

// Step is an implementation step: who acts, how, when.
type Step struct {
	Item
	Who  string `json:"who"`
	How  string `json:"how"`
	When string `json:"when"`
}

// Support is the online tally of a contribution under its phase's vote method.
type Support struct {
	Method     string `json:"method"`     // support, agree or dots
	Votes      int    `json:"votes"`      // votes cast
	Supporters int    `json:"supporters"` // people who voted for it (value > 0)
	Score      int    `json:"score"`      // support: supporters; agree: agree − disagree; dots: dots
	Agree      int    `json:"agree"`
	Neutral    int    `json:"neutral"`
	Disagree   int    `json:"disagree"`
	Dots       int    `json:"dots"`
}

// Breadth is how widely a contribution is backed.
type Breadth struct {
	Organisations int `json:"organisations"` // distinct organisations of the supporters (see RankingRule)
	Groups        int `json:"groups"`        // distinct break-out groups of the supporters
}

// RoomCount is a count taken in the room for one item.
type RoomCount struct {
	Label   string `json:"label"`
	Yes     int    `json:"yes"`
	Neutral int    `json:"neutral"`
	No      int    `json:"no"`
}

// PlenaryResult is the result of a plenary vote on an item of the body (a finding, a solution
// path, a recommendation or a step), with the rule it was held under. The compiler takes it
// from Options.Plenary; see PlenarySource.
type PlenaryResult struct {
	Label    string      `json:"label"`    // e.g. the session and the day of the vote
	For      int         `json:"for"`      //
	Against  int         `json:"against"`  //
	Abstain  int         `json:"abstain"`  //
	Eligible int         `json:"eligible"` // the people who could vote (participants present); 0: not known
	Rule     PlenaryRule `json:"rule"`     //
	Outcome  string      `json:"outcome"`  // adopted, rejected or not_decided
	Reason   string      `json:"reason"`   // tie, threshold (rejected); no_ballot, quorum, abstained (not decided); "" otherwise
	Adopted  *bool       `json:"adopted"`  // true, false, or null when the vote decided nothing
}

// PlenaryRule is the adoption rule a plenary vote was held under: adopted when "for" is more
// than "against" and reaches Threshold of the votes cast (for + against; abstentions do not
// count), provided at least Quorum people voted (abstentions count). A tie is never adopted.
type PlenaryRule struct {
	Quorum    int    `json:"quorum"`    // 0: none
	Threshold string `json:"threshold"` // "1/2": a majority of the votes cast
}

// Plenary outcomes (PlenaryResult.Outcome).
const (
	OutcomeAdopted    = "adopted"
	OutcomeRejected   = "rejected"
	OutcomeNotDecided = "not_decided"
)

// Session is one session of the annex: every contribution said there, with its tally.
type Session struct {
	Title         string            `json:"title"`
	Theme         string            `json:"theme"` // the theme's ref, "" for a session without theme
	StartsAt      time.Time         `json:"startsAt"`
	Contributions []AnnexEntry      `json:"contributions"`
	Groups        []string          `json:"groups"`  // the break-out groups' names, in order
	Methods       map[string]string `json:"methods"` // phase → vote method
}

// AnnexEntry is one contribution as it was said (moderated abuse, withdrawn and pending
// contributions are left out), anonymised: no author, no "on behalf of".
type AnnexEntry struct {
	Ref        string         `json:"ref"` // A1, A2… across the notebook
	Kind       string         `json:"kind"`
	Phase      string         `json:"phase"`
	Text       string         `json:"text"`
	Lang       string         `json:"lang"` // the language its author wrote in; "" when not known
	Who        string         `json:"who"`
	How        string         `json:"how"`
	When       string         `json:"when"`
	Parent     string         `json:"parent"`     // the annex ref of its finding or recommendation
	Links      []string       `json:"links"`      // annex refs of the findings a recommendation answers
	Status     string         `json:"status"`     // visible or merged
	MergedInto string         `json:"mergedInto"` // the annex ref it was merged into
	Group      string         `json:"group"`      // the break-out group it was posted in
	Edited     bool           `json:"edited"`     // its author edited it during the session
	InNotebook string         `json:"inNotebook"` // its ref in the body, "" when not there (excluded…)
	Support    Support        `json:"support"`
	RoomCounts []RoomCount    `json:"roomCounts"`
	Plenary    *PlenaryResult `json:"plenary"` // its plenary vote, even when the body leaves it out
}

// Flags on a recommendation.
const (
	// FlagProfessionalsOnly: every supporter came as a professional, none as a service user,
	// although service users voted in that phase.
	FlagProfessionalsOnly = "professionals_only"
	// FlagServiceUsersOnly: the other way round.
	FlagServiceUsersOnly = "service_users_only"
	// FlagOneGroup: every supporter sat in one break-out group although several groups voted.
	FlagOneGroup = "one_group"
	// FlagOneOrganisation: every supporter came from one organisation.
	FlagOneOrganisation = "one_organisation"
	// FlagContested: under the agree method, at least MinContestedVotes votes and at least as
	// many disagreed as agreed.
	FlagContested = "contested"
)
