package deliberation

import (
	"context"

	"github.com/assises/assises/deliberation/view"
)

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
