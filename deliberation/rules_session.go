package deliberation

import (
	"context"
	"fmt"
	"sort"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Rules for the moderator's steering of the session: phase, question, timer, timed rounds and settings.
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

// Timed rounds: the "10-10-10" of a Partner Day's case studies (10 minutes to present a case, 10 of
// questions, 10 of advice, then the next case). The moderator starts a plan; the workshop's
// timer counts each round down and the hub's "tick" at its deadline starts the next one, on the
// server's clock, so nobody has to watch the time. Pausing, resuming or extending the timer
// pauses, resumes or extends the current round; starting or resetting the timer by hand (or
// moving in the agenda) ends the plan.

// Limits of a plan of rounds.
const (
	maxRoundSteps  = 10
	maxRoundRepeat = 20
	maxRoundKey    = 40 // runes
)

type roundsArgs struct {
	Steps  []view.RoundStep
	Repeat int
}

func cmdRoundsStart(ctx context.Context, b *batch, _ Actor, args *roundsArgs) (refusal, error) {
	if len(args.Steps) == 0 || len(args.Steps) > maxRoundSteps {
		return refuse(CodeInvalidArgs, "steps must list 1 to 10 rounds"), nil
	}
	if args.Repeat == 0 {
		args.Repeat = 1
	}
	if args.Repeat < 1 || args.Repeat > maxRoundRepeat {
		return refuse(CodeInvalidArgs, "repeat must be 1 to 20"), nil
	}
	steps := make([]view.RoundStep, len(args.Steps))
	for i, s := range args.Steps {
		key, r := cleanText(s.Key, maxRoundKey, singleLine, true)
		if !r.ok() {
			return r, nil
		}
		if r := checkSeconds(s.Seconds); !r.ok() {
			return r, nil
		}
		steps[i] = view.RoundStep{Key: key, Seconds: s.Seconds}
	}
	now := b.now.UnixMilli()
	b.st.Rounds = &view.RoundsState{Steps: steps, Repeat: args.Repeat, StartedAt: now}
	ms := b.st.Rounds.DurationMs(0)
	b.st.Timer = view.Timer{Running: true, EndsAt: now + ms, DurationMs: ms}
	b.roundsChanged(0)
	b.timerChanged()
	return refusal{}, nil
}

// cmdRoundsNext ends the current round now (the group is done early) and starts the next;
// after the last one the plan is finished and the timer cleared.
func cmdRoundsNext(ctx context.Context, b *batch, _ Actor, _ *noArgs) (refusal, error) {
	r := b.st.Rounds
	if r == nil || r.Finished {
		return refuse(CodeBadState, "no rounds are running"), nil
	}
	now := b.now.UnixMilli()
	if r.Index+1 >= r.Total() {
		r.Finished = true
		b.st.Timer = view.Timer{}
	} else {
		r.Index++
		r.StartedAt = now
		ms := r.DurationMs(r.Index)
		b.st.Timer = view.Timer{Running: true, EndsAt: now + ms, DurationMs: ms}
	}
	b.roundsChanged(0)
	b.timerChanged()
	return refusal{}, nil
}

func cmdRoundsStop(ctx context.Context, b *batch, _ Actor, _ *noArgs) (refusal, error) {
	if b.st.Rounds == nil {
		return refuse(CodeBadState, "no rounds are running"), nil
	}
	b.cancelRounds()
	b.st.Timer = view.Timer{}
	b.timerChanged()
	return refusal{}, nil
}

func (b *batch) roundsChanged(skipped int) {
	v := view.NewRoundsView(b.st.Rounds, b.st.Timer)
	v.Skipped = skipped
	b.dirty = true
	b.emit("rounds.changed", AudienceAll, v)
}

// cancelRounds ends a plan because the moderator took the timer in hand.
func (b *batch) cancelRounds() {
	if b.st.Rounds == nil {
		return
	}
	b.st.Rounds, b.dirty = nil, true
	b.emit("rounds.changed", AudienceAll, view.NewRoundsView(nil, view.Timer{}))
}

// tickRounds runs before the timer's own tick: when the current round's deadline has passed,
// the next round starts at that deadline, not at the moment the tick runs, so a late tick
// never shifts the plan. Rounds that ended entirely before the tick are skipped (and counted).
// After the last round, the plan is finished and the timer cleared.
func (b *batch) tickRounds() {
	r, t := b.st.Rounds, &b.st.Timer
	now := b.now.UnixMilli()
	if r == nil || r.Finished || !t.Running || t.Expired || t.EndsAt == 0 || now < t.EndsAt {
		return
	}
	end, next := t.EndsAt, r.Index+1
	for next < r.Total() && now >= end+r.DurationMs(next) {
		end += r.DurationMs(next)
		next++
	}
	skipped := next - r.Index - 1
	if next >= r.Total() {
		// The plan is over: the timer is cleared, as rounds.next does, rather than left
		// showing "time's up" on every screen until someone resets it.
		r.Index, r.Finished = r.Total()-1, true
		*t = view.Timer{}
		b.roundsChanged(skipped)
		b.timerChanged()
		return
	}
	r.Index, r.StartedAt = next, end
	*t = view.Timer{Running: true, EndsAt: end + r.DurationMs(next), DurationMs: r.DurationMs(next)}
	b.roundsChanged(skipped)
	b.timerChanged()
}
