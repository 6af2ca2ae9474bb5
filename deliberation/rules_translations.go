package deliberation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/record"
)

// Rules for the languages of what people say: a contribution keeps the language its author
// wrote in, and a moderator may add a translation into another language, shown beside it.

// langRefusal names the languages, so that a client sending another one learns what works.
var langRefusal = refuse(CodeInvalidArgs, "unknown language: use one of "+strings.Join(i18n.Languages, ", "))

// postLang is the language of a new contribution: the one its author chose, or else the
// language of their interface as the server knows it.
func postLang(a Actor, chosen string) (string, refusal) {
	if chosen == "" {
		if slices.Contains(i18n.Languages, a.Language) {
			return a.Language, refusal{}
		}
		return "", refusal{}
	}
	if !slices.Contains(i18n.Languages, chosen) {
		return "", langRefusal
	}
	return chosen, refusal{}
}

// translationEvent is the contribution.translated event: a body "" means the translation into
// that language was removed.
type translationEvent struct {
	ID   int64  `json:"id"`
	Lang string `json:"lang"`
	Body string `json:"body"`
}

func cmdTranslate(ctx context.Context, b *batch, _ Actor, args *translateArgs) (refusal, error) {
	c, r, err := b.moderated(ctx, args.ID)
	if c == nil {
		return r, err
	}
	body, r := cleanText(args.Body, MaxBodyRunes, multiLine, false)
	switch {
	case !slices.Contains(i18n.Languages, args.Lang):
		return langRefusal, nil
	case args.Lang == c.Lang:
		return refuse(CodeInvalidArgs, "a translation must be into another language than the contribution's"), nil
	case !r.ok():
		return r, nil
	case c.Status == record.StatusMerged:
		return refuse(CodeAlreadyMerged, "contribution was merged"), nil
	case c.Status == record.StatusWithdrawn:
		return refuse(CodeBadState, "contribution was withdrawn"), nil
	}
	if _, err := b.tx.NewDelete().Model((*record.Translation)(nil)).
		Where("contribution_id = ? AND lang = ?", c.ID, args.Lang).Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: replace translation: %w", err)
	}
	if body != "" {
		tr := &record.Translation{ContributionID: c.ID, Lang: args.Lang, Body: body, CreatedAt: b.now}
		if _, err := b.tx.NewInsert().Model(tr).Exec(ctx); err != nil {
			return refusal{}, fmt.Errorf("store: save translation: %w", err)
		}
	}
	b.emitAbout(c, "contribution.translated", translationEvent{ID: c.ID, Lang: args.Lang, Body: body})
	return refusal{}, nil
}

// dropTranslations deletes the translations of a contribution whose text changed: they would
// say something else. It reports whether there were any.
func (b *batch) dropTranslations(ctx context.Context, id int64) (bool, error) {
	res, err := b.tx.NewDelete().Model((*record.Translation)(nil)).Where("contribution_id = ?", id).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("store: drop translations: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: drop translations: %w", err)
	}
	return n > 0, nil
}
