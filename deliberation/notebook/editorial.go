package notebook

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// The editorial layer: what organisers change before publishing. It never touches the
// contributions themselves: a rewording is stored beside the original, which stays in the
// annex and in the history. Every change appends a row to notebook_edits.

// ItemEdit is the organisers' changes to one contribution. A nil text means "as said".
type ItemEdit struct {
	bun.BaseModel `bun:"table:notebook_items"`

	ProcessID      int64 `bun:",pk"`
	ContributionID int64 `bun:",pk"`
	Body           *string
	Who            *string
	How            *string
	WhenText       *string `bun:"when_text"`
	Excluded       bool
	Position       *int
	UpdatedAt      time.Time
}

// ThemeText is the organisers' introduction and conclusion of a theme.
type ThemeText struct {
	bun.BaseModel `bun:"table:notebook_theme_texts"`

	ProcessID    int64 `bun:",pk"`
	ThemeID      int64 `bun:",pk"`
	Introduction string
	Conclusion   string
	UpdatedAt    time.Time
}

// Edit is one tracked editorial change.
type Edit struct {
	bun.BaseModel `bun:"table:notebook_edits"`

	ID             int64 `bun:",pk,autoincrement"`
	ProcessID      int64
	EditorID       *int64
	Action         string
	ContributionID *int64
	ThemeID        *int64
	BeforeText     string
	AfterText      string
	CreatedAt      time.Time
}

// Editorial actions, as notebook_edits.action records them.
const (
	ActionReword       = "reword"
	ActionExclude      = "exclude"
	ActionInclude      = "include"
	ActionReorder      = "reorder"
	ActionIntroduction = "introduction"
	ActionConclusion   = "conclusion"
	ActionPublish      = "publish"
)

// Limits on what organisers write.
const (
	MaxEditRunes  = 2000 // a reworded contribution
	MaxThemeRunes = 8000 // an introduction or a conclusion
)

// ErrInvalid is a refusal of an editorial change: the wrong kind of contribution, a text too
// long, an order that does not list the theme's items.
var ErrInvalid = errors.New("invalid editorial change")

// Rewording is a new text for a contribution; nil fields are left as they are and an empty
// string goes back to what was said. Who, How and When apply to implementation steps only.
type Rewording struct {
	Body, Who, How, When *string
}

func loadEditorial(ctx context.Context, db bun.IDB, processID int64) (map[int64]ItemEdit, map[int64]ThemeText, error) {
	var items []ItemEdit
	if err := db.NewSelect().Model(&items).Where("process_id = ?", processID).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("notebook: load editorial items: %w", err)
	}
	var texts []ThemeText
	if err := db.NewSelect().Model(&texts).Where("process_id = ?", processID).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("notebook: load theme texts: %w", err)
	}
	im := make(map[int64]ItemEdit, len(items))
	for _, it := range items {
		im[it.ContributionID] = it
	}
	tm := make(map[int64]ThemeText, len(texts))
	for _, t := range texts {
		tm[t.ThemeID] = t
	}
	return im, tm, nil
}

// processContribution loads a contribution and checks that it belongs to the process.
func processContribution(ctx context.Context, db bun.IDB, processID, id int64) (*record.Contribution, error) {
	c := new(record.Contribution)
	err := db.NewSelect().Model(c).Join("JOIN workshops AS w ON w.id = contribution.workshop_id").
		Where("contribution.id = ? AND w.process_id = ?", id, processID).Scan(ctx)
	if err != nil {
		return nil, notFound("contribution", err)
	}
	return c, nil
}

// currentItem returns the editorial row of a contribution, or a fresh one.
func currentItem(ctx context.Context, tx bun.Tx, processID, id int64) (ItemEdit, error) {
	it := ItemEdit{ProcessID: processID, ContributionID: id}
	err := tx.NewSelect().Model(&it).WherePK().Scan(ctx)
	if err != nil && !isNoRows(err) {
		return it, fmt.Errorf("notebook: load item: %w", err)
	}
	return it, nil
}

func saveItem(ctx context.Context, tx bun.Tx, it *ItemEdit, now time.Time) error {
	it.UpdatedAt = now
	_, err := tx.NewInsert().Model(it).On("CONFLICT (process_id, contribution_id) DO UPDATE").
		Set("body = EXCLUDED.body, who = EXCLUDED.who, how = EXCLUDED.how, when_text = EXCLUDED.when_text").
		Set("excluded = EXCLUDED.excluded, position = EXCLUDED.position, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("notebook: save item: %w", err)
	}
	return nil
}

func logEdit(ctx context.Context, tx bun.Tx, e *Edit) error {
	if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("notebook: log edit: %w", err)
	}
	return nil
}

// Reword stores a new text for a contribution of the process (the original is kept) and
// records the change, before and after.
func Reword(ctx context.Context, db bun.IDB, processID, editor, contributionID int64, rw Rewording, now time.Time) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		c, err := processContribution(ctx, tx, processID, contributionID)
		if err != nil {
			return err
		}
		if c.Kind != record.KindStep && (rw.Who != nil || rw.How != nil || rw.When != nil) {
			return fmt.Errorf("%w: who, how and when belong to implementation steps", ErrInvalid)
		}
		it, err := currentItem(ctx, tx, processID, contributionID)
		if err != nil {
			return err
		}
		before := describeStep(orText(it.Body, c.Body), orText(it.Who, c.Who), orText(it.How, c.How), orText(it.WhenText, c.WhenText), c.Kind)
		for _, f := range []struct {
			in       *string
			dst      **string
			original string
			limit    int
		}{{rw.Body, &it.Body, c.Body, MaxEditRunes}, {rw.Who, &it.Who, c.Who, 200}, {rw.How, &it.How, c.How, 200}, {rw.When, &it.WhenText, c.WhenText, 200}} {
			if f.in == nil {
				continue
			}
			text := strings.TrimSpace(Clean(*f.in))
			if utf8.RuneCountInString(text) > f.limit {
				return fmt.Errorf("%w: text too long", ErrInvalid)
			}
			if text == "" || text == f.original {
				*f.dst = nil // back to what was said
			} else {
				*f.dst = &text
			}
		}
		after := describeStep(orText(it.Body, c.Body), orText(it.Who, c.Who), orText(it.How, c.How), orText(it.WhenText, c.WhenText), c.Kind)
		if after == before {
			return nil
		}
		if err := saveItem(ctx, tx, &it, now); err != nil {
			return err
		}
		return logEdit(ctx, tx, &Edit{ProcessID: processID, EditorID: &editor, Action: ActionReword,
			ContributionID: &contributionID, BeforeText: before, AfterText: after, CreatedAt: now})
	})
}

// describeStep writes a contribution's text for the history; a step shows its who/how/when.
func describeStep(body, who, how, when string, kind record.Kind) string {
	if kind != record.KindStep {
		return body
	}
	return fmt.Sprintf("%s\n— %s | %s | %s", body, who, how, when)
}

func orText(p *string, original string) string {
	if p != nil {
		return *p
	}
	return original
}

// SetExcluded leaves a contribution out of the body of the notebook (it stays in the annex),
// or brings it back.
func SetExcluded(ctx context.Context, db bun.IDB, processID, editor, contributionID int64, excluded bool, now time.Time) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := processContribution(ctx, tx, processID, contributionID); err != nil {
			return err
		}
		it, err := currentItem(ctx, tx, processID, contributionID)
		if err != nil || it.Excluded == excluded {
			return err
		}
		it.Excluded = excluded
		if err := saveItem(ctx, tx, &it, now); err != nil {
			return err
		}
		action := ActionInclude
		if excluded {
			action = ActionExclude
		}
		return logEdit(ctx, tx, &Edit{ProcessID: processID, EditorID: &editor, Action: action,
			ContributionID: &contributionID, CreatedAt: now})
	})
}

// Reorder places the findings or recommendations of a theme in the order given; items not
// listed follow in their computed order. An empty list goes back to the computed order.
func Reorder(ctx context.Context, db bun.IDB, processID, editor, themeID int64, kind record.Kind, ids []int64, now time.Time) error {
	if kind != record.KindFinding && kind != record.KindRecommendation {
		return fmt.Errorf("%w: only findings and recommendations are ordered", ErrInvalid)
	}
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var all []record.Contribution
		err := tx.NewSelect().Model(&all).Join("JOIN workshops AS w ON w.id = contribution.workshop_id").
			Where("w.process_id = ? AND w.theme_id = ? AND contribution.kind = ?", processID, themeID, kind).
			Order("contribution.id").Scan(ctx)
		if err != nil {
			return fmt.Errorf("notebook: reorder: %w", err)
		}
		inTheme := map[int64]bool{}
		for _, c := range all {
			inTheme[c.ID] = true
		}
		pos := map[int64]int{}
		for i, id := range ids {
			if !inTheme[id] || pos[id] != 0 {
				return fmt.Errorf("%w: %d is not a %s of this theme, or is listed twice", ErrInvalid, id, kind)
			}
			pos[id] = i + 1
		}
		var before, after []string
		for _, c := range all {
			it, err := currentItem(ctx, tx, processID, c.ID)
			if err != nil {
				return err
			}
			if it.Position != nil {
				before = append(before, fmt.Sprintf("%d:%d", *it.Position, c.ID))
			}
			var want *int
			if p := pos[c.ID]; p != 0 {
				want = &p
				after = append(after, fmt.Sprintf("%d:%d", p, c.ID))
			}
			if (it.Position == nil) == (want == nil) && (want == nil || *it.Position == *want) {
				continue
			}
			it.Position = want
			if err := saveItem(ctx, tx, &it, now); err != nil {
				return err
			}
		}
		if strings.Join(before, ",") == strings.Join(after, ",") {
			return nil
		}
		return logEdit(ctx, tx, &Edit{ProcessID: processID, EditorID: &editor, Action: ActionReorder, ThemeID: &themeID,
			BeforeText: string(kind) + " " + strings.Join(before, ","), AfterText: string(kind) + " " + strings.Join(after, ","), CreatedAt: now})
	})
}

// SetThemeTexts saves a theme's introduction and conclusion (nil: unchanged).
func SetThemeTexts(ctx context.Context, db bun.IDB, processID, editor, themeID int64, intro, conclusion *string, now time.Time) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		th, err := process.GetTheme(ctx, tx, themeID)
		if err != nil {
			return err
		}
		if th.ProcessID != processID {
			return fmt.Errorf("notebook: theme %d: %w", themeID, record.ErrNotFound)
		}
		cur := ThemeText{ProcessID: processID, ThemeID: themeID}
		if err := tx.NewSelect().Model(&cur).WherePK().Scan(ctx); err != nil && !isNoRows(err) {
			return fmt.Errorf("notebook: load theme texts: %w", err)
		}
		next := cur
		for _, f := range []struct {
			in     *string
			dst    *string
			action string
		}{{intro, &next.Introduction, ActionIntroduction}, {conclusion, &next.Conclusion, ActionConclusion}} {
			if f.in == nil {
				continue
			}
			text := strings.TrimSpace(Clean(*f.in))
			if utf8.RuneCountInString(text) > MaxThemeRunes {
				return fmt.Errorf("%w: text too long", ErrInvalid)
			}
			if text == *f.dst {
				continue
			}
			if err := logEdit(ctx, tx, &Edit{ProcessID: processID, EditorID: &editor, Action: f.action, ThemeID: &themeID,
				BeforeText: *f.dst, AfterText: text, CreatedAt: now}); err != nil {
				return err
			}
			*f.dst = text
		}
		if next == cur {
			return nil
		}
		next.UpdatedAt = now
		_, err = tx.NewInsert().Model(&next).On("CONFLICT (process_id, theme_id) DO UPDATE").
			Set("introduction = EXCLUDED.introduction, conclusion = EXCLUDED.conclusion, updated_at = EXCLUDED.updated_at").Exec(ctx)
		if err != nil {
			return fmt.Errorf("notebook: save theme texts: %w", err)
		}
		return nil
	})
}

// EditRow is one line of the editorial history as organisers see it. Editor is the display
// name of the organiser (organisers see each other's names), "#id" once erased.
type EditRow struct {
	Edit
	Editor string
}

// Edits returns the editorial history of a process, newest first.
func Edits(ctx context.Context, db bun.IDB, processID int64, limit int) ([]EditRow, error) {
	var rows []Edit
	err := db.NewSelect().Model(&rows).Where("process_id = ?", processID).Order("id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("notebook: list edits: %w", err)
	}
	names := map[int64]string{}
	var ids []int64
	for _, r := range rows {
		if r.EditorID != nil {
			ids = append(ids, *r.EditorID)
		}
	}
	if len(ids) > 0 {
		var err error
		if names, err = people.DisplayNames(ctx, db, ids); err != nil {
			return nil, fmt.Errorf("notebook: editors: %w", err)
		}
	}
	out := make([]EditRow, len(rows))
	for i, r := range rows {
		out[i] = EditRow{Edit: r}
		if r.EditorID != nil {
			out[i].Editor = names[*r.EditorID]
			if out[i].Editor == "" {
				out[i].Editor = "#" + strconv.FormatInt(*r.EditorID, 10)
			}
		}
	}
	return out, nil
}
