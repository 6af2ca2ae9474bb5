package deliberation

import (
	"context"
	"fmt"
	"sort"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Rules for the moderator's steering of the session: phase, question, timer and settings.
// Each validates everything first, then changes state and emits: a refusal leaves no trace.

func cmdPhaseSet(ctx context.Context, b *batch, _ Actor, args *phaseArgs) (refusal, error) {
	if !args.Phase.Valid() {
		return refuse(CodeBadPhase, "unknown phase"), nil
	}
	b.changePhase(args.Phase)
	return refusal{}, nil
}

// phaseChange is the phase.changed event.
type phaseChange struct {
	Phase    record.Phase `json:"phase"`
	Previous record.Phase `json:"previous"`
	Since    int64        `json:"since"` // Unix ms
}

// changePhase moves the workshop to phase p and says so to everyone.
func (b *batch) changePhase(p record.Phase) {
	previous := b.w.Phase
	b.w.Phase, b.st.PhaseSince, b.dirty = p, b.now.UnixMilli(), true
	b.emit("phase.changed", AudienceAll, phaseChange{Phase: p, Previous: previous, Since: b.st.PhaseSince})
}

// cmdJoinPanelSet folds or unfolds the projector's panel on how to join; the projector folds
// it by itself after a phase's first minutes anyway.
func cmdJoinPanelSet(_ context.Context, b *batch, _ Actor, args *hiddenArgs) (refusal, error) {
	if args.Hidden == nil {
		return refuse(CodeInvalidArgs, "hidden is required"), nil
	}
	b.st.JoinHidden, b.dirty = *args.Hidden, true
	b.emit("joinpanel.changed", AudienceAll, map[string]bool{"hidden": *args.Hidden})
	return refusal{}, nil
}

func cmdQuestionSet(ctx context.Context, b *batch, _ Actor, args *questionArgs) (refusal, error) {
	if !args.Phase.Valid() {
		return refuse(CodeBadPhase, "unknown phase"), nil
	}
	text, r := cleanText(args.Text, MaxQuestionRunes, multiLine, false)
	if !r.ok() {
		return r, nil
	}
	if len(args.Texts) > maxQuestionLanguages {
		return refuse(CodeInvalidArgs, "too many languages"), nil
	}
	texts := map[string]string{}
	for lang, t := range args.Texts {
		if !validLanguageCode(lang) {
			return refuse(CodeInvalidArgs, "unknown language"), nil
		}
		t, r := cleanText(t, MaxQuestionRunes, multiLine, false)
		if !r.ok() {
			return r, nil
		}
		if t != "" && text != "" { // a translation of no question is no question
			texts[lang] = t
		}
	}
	if b.st.Questions == nil {
		b.st.Questions = map[record.Phase]string{}
	}
	if b.st.QuestionTexts == nil {
		b.st.QuestionTexts = map[record.Phase]map[string]string{}
	}
	if text == "" {
		delete(b.st.Questions, args.Phase)
	} else {
		b.st.Questions[args.Phase] = text
	}
	if len(texts) == 0 {
		delete(b.st.QuestionTexts, args.Phase)
	} else {
		b.st.QuestionTexts[args.Phase] = texts
	}
	b.dirty = true
	b.emit("question.changed", AudienceAll, map[string]any{"phase": args.Phase, "text": text, "texts": texts})
	return refusal{}, nil
}

// maxQuestionLanguages bounds the translations of one question (a process has at most three
// languages; a little room for more).
const maxQuestionLanguages = 5

// validLanguageCode accepts a short lowercase language code ("fr", "nl", "en"): the engine
// stores what the moderator's page sends and each phone picks its own.
func validLanguageCode(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func checkSeconds(s int64) refusal {
	if s < 1 || s*1000 > view.MaxTimerMs {
		return refuse(CodeInvalidArgs, "seconds must be 1 to 14400")
	}
	return refusal{}
}

func (b *batch) timerChanged() {
	b.dirty = true
	b.emit("timer.changed", AudienceAll, b.st.Timer.At(b.now))
}

func cmdTimerStart(ctx context.Context, b *batch, _ Actor, args *secondsArgs) (refusal, error) {
	if r := checkSeconds(args.Seconds); !r.ok() {
		return r, nil
	}
	ms := args.Seconds * 1000
	b.cancelRounds() // the moderator takes the timer in hand
	b.st.Timer = view.Timer{Running: true, EndsAt: b.now.UnixMilli() + ms, DurationMs: ms}
	b.timerChanged()
	return refusal{}, nil
}

// Pausing a paused timer, or resuming a running one, is accepted and changes nothing: two
// moderators pressing the same button at once should not see an error.
func cmdTimerPause(ctx context.Context, b *batch, _ Actor, _ *noArgs) (refusal, error) {
	t := &b.st.Timer
	if t.Running {
		t.RemainingMs = max(0, t.EndsAt-b.now.UnixMilli())
		t.Running, t.EndsAt = false, 0
	}
	b.timerChanged()
	return refusal{}, nil
}

func cmdTimerResume(ctx context.Context, b *batch, _ Actor, _ *noArgs) (refusal, error) {
	t := &b.st.Timer
	if !t.Running && t.RemainingMs > 0 {
		t.Running, t.EndsAt, t.RemainingMs, t.Expired = true, b.now.UnixMilli()+t.RemainingMs, 0, false
	}
	b.timerChanged()
	return refusal{}, nil
}

func cmdTimerExtend(ctx context.Context, b *batch, _ Actor, args *secondsArgs) (refusal, error) {
	if r := checkSeconds(args.Seconds); !r.ok() {
		return r, nil
	}
	ms := args.Seconds * 1000
	t := b.st.Timer
	if t.Running {
		// An expired timer restarts from now rather than from a deadline already past.
		t.EndsAt = max(t.EndsAt, b.now.UnixMilli()) + ms
		t.Expired = false
		if t.EndsAt-b.now.UnixMilli() > view.MaxTimerMs {
			return refuse(CodeInvalidArgs, "a timer cannot run more than 4 hours"), nil
		}
	} else {
		t.RemainingMs += ms
		if t.RemainingMs > view.MaxTimerMs {
			return refuse(CodeInvalidArgs, "a timer cannot run more than 4 hours"), nil
		}
	}
	t.DurationMs += ms
	b.st.Timer = t
	b.timerChanged()
	return refusal{}, nil
}

func cmdTimerReset(ctx context.Context, b *batch, _ Actor, _ *noArgs) (refusal, error) {
	b.cancelRounds()
	b.st.Timer = view.Timer{}
	b.timerChanged()
	return refusal{}, nil
}

// tick marks a running timer whose deadline has passed as expired, once, so that a projector
// that missed the moment still shows "time is up" and the hub stops waking up.
func (b *batch) tick() {
	t := &b.st.Timer
	if t.Running && !t.Expired && t.EndsAt > 0 && b.now.UnixMilli() >= t.EndsAt {
		t.Expired = true
		b.timerChanged()
	}
}

func cmdPostingSet(ctx context.Context, b *batch, _ Actor, args *lockedArgs) (refusal, error) {
	if args.Locked == nil {
		return refuse(CodeInvalidArgs, "locked is required"), nil
	}
	b.st.PostingLocked, b.dirty = *args.Locked, true
	b.emit("posting.changed", AudienceAll, map[string]bool{"locked": *args.Locked})
	return refusal{}, nil
}

func cmdPremoderationSet(ctx context.Context, b *batch, _ Actor, args *onArgs) (refusal, error) {
	if args.On == nil {
		return refuse(CodeInvalidArgs, "on is required"), nil
	}
	// Turning pre-moderation off leaves the queue as it is: the moderator still decides on
	// what was held.
	b.st.Premoderation, b.dirty = *args.On, true
	b.emit("premoderation.changed", AudienceAll, map[string]bool{"on": *args.On})
	return refusal{}, nil
}

func cmdGroupsSet(ctx context.Context, b *batch, _ Actor, args *onArgs) (refusal, error) {
	if args.On == nil {
		return refuse(CodeInvalidArgs, "on is required"), nil
	}
	b.st.GroupsOn, b.dirty = *args.On, true
	return refusal{}, b.emitGroupsChanged(ctx, "set")
}

func cmdResultsSet(ctx context.Context, b *batch, _ Actor, args *hiddenArgs) (refusal, error) {
	if args.Hidden == nil {
		return refuse(CodeInvalidArgs, "hidden is required"), nil
	}
	b.st.ResultsHidden, b.dirty = *args.Hidden, true
	if *args.Hidden {
		b.emit("results.changed", AudienceAll, map[string]any{"hidden": true})
		return refusal{}, nil
	}
	counts, err := b.roomCounts(ctx)
	if err != nil {
		return refusal{}, err
	}
	b.emit("results.changed", AudienceAll, map[string]any{"hidden": false, "roomCounts": counts})
	// On reveal, everyone gets the current tallies at once rather than waiting for a vote.
	ids, err := b.visibleContributionIDs(ctx)
	if err != nil {
		return refusal{}, err
	}
	if err := b.emitTallies(ctx, ids); err != nil {
		return refusal{}, err
	}
	return refusal{}, b.laterOpenPlenary(ctx)
}

// identityChange is the identity.changed event: the new labels of what the audience already
// shows, so that clients relabel without a new snapshot. Moderator clients keep full labels.
type identityChange struct {
	Mode           view.IdentityMode `json:"mode"`
	Authors        map[int64]string  `json:"authors"`
	CommentAuthors map[int64]string  `json:"commentAuthors"`
}

func cmdIdentitySet(ctx context.Context, b *batch, _ Actor, args *identityArgs) (refusal, error) {
	if !args.Mode.Valid() {
		return refuse(CodeInvalidArgs, "mode must be full, organisation, anonymous or sealed"), nil
	}
	if b.st.IdentityMode() == view.IdentitySealed && args.Mode != view.IdentitySealed {
		// People wrote believing nobody would ever see their name: that promise is kept.
		return refuse(CodeBadState, "names are sealed for this session"), nil
	}
	b.st.Identity, b.dirty = args.Mode, true

	var cs []record.Contribution
	err := b.tx.NewSelect().Model(&cs).Column("id", "author_id", "on_behalf_of", "group_id").
		Where("workshop_id = ? AND status = ?", b.w.ID, record.StatusVisible).Order("id").Scan(ctx)
	if err != nil {
		return refusal{}, fmt.Errorf("store: identity labels: %w", err)
	}
	var cms []record.Comment
	err = b.tx.NewSelect().Model(&cms).Column("id", "contribution_id", "author_id").
		Where("workshop_id = ? AND status = ?", b.w.ID, record.StatusVisible).Order("id").Scan(ctx)
	if err != nil {
		return refusal{}, fmt.Errorf("store: identity labels: %w", err)
	}
	var ids []int64
	for _, c := range cs {
		if c.AuthorID != nil {
			ids = append(ids, *c.AuthorID)
		}
	}
	for _, c := range cms {
		if c.AuthorID != nil {
			ids = append(ids, *c.AuthorID)
		}
	}
	authors, err := view.LoadAuthors(ctx, b.tx, ids)
	if err != nil {
		return refusal{}, err
	}
	infoOf := func(id *int64) view.Author {
		if id == nil {
			return view.Author{}
		}
		return authors[*id]
	}
	// One event per audience, so that a group's labels stay in the group.
	changes := map[string]*identityChange{}
	change := func(aud string) *identityChange {
		if changes[aud] == nil {
			changes[aud] = &identityChange{Mode: args.Mode, Authors: map[int64]string{}, CommentAuthors: map[int64]string{}}
		}
		return changes[aud]
	}
	change(AudienceAll)
	audienceOf := map[int64]string{}
	for i := range cs {
		aud := publicAudience(&cs[i])
		audienceOf[cs[i].ID] = aud
		change(aud).Authors[cs[i].ID] = view.Label(args.Mode, infoOf(cs[i].AuthorID), cs[i].OnBehalfOf)
	}
	for _, c := range cms {
		if aud, ok := audienceOf[c.ContributionID]; ok {
			change(aud).CommentAuthors[c.ID] = view.Label(args.Mode, infoOf(c.AuthorID), "")
		}
	}
	auds := make([]string, 0, len(changes))
	for aud := range changes {
		if aud != AudienceAll {
			auds = append(auds, aud)
		}
	}
	sort.Strings(auds)
	for _, aud := range append([]string{AudienceAll}, auds...) {
		b.emit("identity.changed", aud, changes[aud])
	}
	if args.Mode == view.IdentitySealed {
		// The console's lists of who is present and in which group lose their names too,
		// groups or not: a console keeps the last list it was sent.
		return refusal{}, b.emitMembers(ctx, nil)
	}
	return refusal{}, nil
}
