package notebook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// The follow-up committee's record: what became of each recommendation once the notebook was
// handed over. Each status change or note is a new row; nothing is updated, so the history
// is the table itself, and the current status is the latest row.

// Status is where a recommendation stands with the officials.
type Status string

// Statuses, in the order a recommendation usually goes through them.
const (
	StatusSubmitted     Status = "submitted"
	StatusConsideration Status = "under_consideration"
	StatusAccepted      Status = "accepted"
	StatusInProgress    Status = "in_progress"
	StatusImplemented   Status = "implemented"
	StatusRejected      Status = "rejected"
)

// Statuses lists every status in order.
var Statuses = []Status{StatusSubmitted, StatusConsideration, StatusAccepted, StatusInProgress, StatusImplemented, StatusRejected}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if s == x {
			return true
		}
	}
	return false
}

// MaxNoteRunes bounds a committee note.
const MaxNoteRunes = 2000

// FollowUp is one entry of the record.
type FollowUp struct {
	bun.BaseModel `bun:"table:followup_entries"`

	ID             int64 `bun:",pk,autoincrement"`
	ProcessID      int64
	ContributionID int64
	Status         Status
	Note           string
	AuthorID       *int64 // a committee member or organiser; never shown to the public
	CreatedAt      time.Time
}

// RecordFollowUp adds a status (and a note) to a recommendation of the process's latest
// published version: the committee follows what was handed over, nothing else.
func RecordFollowUp(ctx context.Context, db bun.IDB, processID, author, contributionID int64, status Status, note string, now time.Time) (*FollowUp, error) {
	if !status.Valid() {
		return nil, fmt.Errorf("%w: unknown status %q", ErrInvalid, status)
	}
	note = strings.TrimSpace(Clean(note))
	if utf8.RuneCountInString(note) > MaxNoteRunes {
		return nil, fmt.Errorf("%w: note too long", ErrInvalid)
	}
	_, nb, err := latestNotebook(ctx, db, processID)
	if err != nil {
		return nil, err
	}
	if _, ok := recommendationsByID(nb)[contributionID]; !ok {
		return nil, fmt.Errorf("notebook: recommendation %d is not in the published notebook: %w", contributionID, record.ErrNotFound)
	}
	e := &FollowUp{ProcessID: processID, ContributionID: contributionID, Status: status, Note: note, AuthorID: &author,
		CreatedAt: now.UTC().Truncate(time.Millisecond)}
	if _, err := db.NewInsert().Model(e).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("notebook: record follow-up: %w", err)
	}
	return e, nil
}

// latestNotebook is the process's latest published version and its notebook: what the
// follow-up tracks (ErrNotFound before the first publication).
func latestNotebook(ctx context.Context, db bun.IDB, processID int64) (*Version, *Notebook, error) {
	v, err := LatestVersion(ctx, db, processID)
	if err != nil {
		return nil, nil, err
	}
	nb, err := v.Notebook()
	if err != nil {
		return nil, nil, err
	}
	return v, nb, nil
}

func recommendationsByID(nb *Notebook) map[int64]*Recommendation {
	out := map[int64]*Recommendation{}
	for i := range nb.Themes {
		for j := range nb.Themes[i].Recommendations {
			r := &nb.Themes[i].Recommendations[j]
			out[r.ID] = r
		}
	}
	return out
}

// FollowUpEntry is one dated line of a recommendation's history, as the public sees it.
type FollowUpEntry struct {
	Status Status    `json:"status"`
	Note   string    `json:"note"`
	At     time.Time `json:"at"`
}

// Tracked is a recommendation of the published notebook with its follow-up.
type Tracked struct {
	Theme string `json:"theme"`
	// Untranslated lists what is given in the main language: "theme" (its title), "text".
	Untranslated []string        `json:"untranslated,omitempty"`
	Ref          string          `json:"ref"`
	ID           int64           `json:"id"`
	Text         string          `json:"text"`
	Status       Status          `json:"status"` // the latest; submitted when nothing was recorded yet
	Since        *time.Time      `json:"since"`  // when the latest status was recorded
	History      []FollowUpEntry `json:"history"`
}

// Board is the follow-up of one process: the recommendations of its latest published
// version, in notebook order, each with its status and dated history (oldest first).
type Board struct {
	Version      int       `json:"version"`
	Language     string    `json:"language"`     // the language of the texts: the reader's, when the version has it
	MainLanguage string    `json:"mainLanguage"` // the language of texts not translated
	Languages    []string  `json:"languages"`    // the version's languages, main first
	Items        []Tracked `json:"items"`
}

// FollowUpBoard gathers the follow-up of a process, its texts in lang when the latest
// published version has that language, else in its main language ("" asks for the main). It
// needs a published version (ErrNotFound otherwise).
func FollowUpBoard(ctx context.Context, db bun.IDB, processID int64, lang string) (*Board, error) {
	v, err := LatestVersion(ctx, db, processID)
	if err != nil {
		return nil, err
	}
	if lang != "" && v.HasLanguage(lang) {
		if v, err = InLanguage(ctx, db, v, lang); err != nil {
			return nil, err
		}
	}
	nb, err := v.Notebook()
	if err != nil {
		return nil, err
	}
	main := nb.MainLanguage
	if main == "" {
		main = nb.Language
	}
	var rows []FollowUp
	if err := db.NewSelect().Model(&rows).Where("process_id = ?", processID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("notebook: follow-up: %w", err)
	}
	byRec := map[int64][]FollowUp{}
	for _, r := range rows {
		byRec[r.ContributionID] = append(byRec[r.ContributionID], r)
	}
	b := &Board{Version: v.Number, Language: nb.Language, MainLanguage: main, Languages: v.LanguageList(), Items: []Tracked{}}
	for _, t := range nb.Themes {
		for _, r := range t.Recommendations {
			tr := Tracked{Theme: t.Title, Ref: r.Ref, ID: r.ID, Text: r.Text, Status: StatusSubmitted, History: []FollowUpEntry{}}
			if slices.Contains(t.Untranslated, "title") {
				tr.Untranslated = append(tr.Untranslated, "theme")
			}
			if slices.Contains(r.Untranslated, "text") {
				tr.Untranslated = append(tr.Untranslated, "text")
			}
			for _, e := range byRec[r.ID] {
				tr.History = append(tr.History, FollowUpEntry{Status: e.Status, Note: e.Note, At: e.CreatedAt.UTC()})
				at := e.CreatedAt.UTC()
				tr.Status, tr.Since = e.Status, &at
			}
			b.Items = append(b.Items, tr)
		}
	}
	return b, nil
}
