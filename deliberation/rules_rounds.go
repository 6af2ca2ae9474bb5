package deliberation

import "context"

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

func (r *RoundsState) total() int { return len(r.Steps) * r.Repeat }

func (r *RoundsState) ms(index int) int64 { return r.Steps[index%len(r.Steps)].Seconds * 1000 }

// RoundsView is the rounds.changed event and the snapshot's "rounds": the plan and where it
// stands. EndsAt is the current round's deadline on the server's clock (the timer's endsAt
// while it runs; 0 while paused).
type RoundsView struct {
	Active    bool        `json:"active"`
	Finished  bool        `json:"finished"`
	Steps     []RoundStep `json:"steps"`
	Repeat    int         `json:"repeat"`
	Index     int         `json:"index"`
	Total     int         `json:"total"`
	Case      int         `json:"case"` // 1-based repetition ("case 2 of 3")
	Step      int         `json:"step"` // 0-based position in Steps
	Key       string      `json:"key"`
	StartedAt int64       `json:"startedAt"`
	EndsAt    int64       `json:"endsAt"`
	Skipped   int         `json:"skipped,omitempty"` // rounds that ended unseen (the server was late)
}

func newRoundsView(r *RoundsState, t Timer) RoundsView {
	if r == nil {
		return RoundsView{Steps: []RoundStep{}}
	}
	v := RoundsView{Active: !r.Finished, Finished: r.Finished, Steps: r.Steps, Repeat: r.Repeat, Index: r.Index,
		Total: r.total(), Case: r.Index/len(r.Steps) + 1, Step: r.Index % len(r.Steps),
		Key: r.Steps[r.Index%len(r.Steps)].Key, StartedAt: r.StartedAt}
	if t.Running {
		v.EndsAt = t.EndsAt
	}
	return v
}

type roundsArgs struct {
	Steps  []RoundStep
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
	steps := make([]RoundStep, len(args.Steps))
	for i, s := range args.Steps {
		key, r := cleanText(s.Key, maxRoundKey, singleLine, true)
		if !r.ok() {
			return r, nil
		}
		if r := checkSeconds(s.Seconds); !r.ok() {
			return r, nil
		}
		steps[i] = RoundStep{Key: key, Seconds: s.Seconds}
	}
	now := b.now.UnixMilli()
	b.st.Rounds = &RoundsState{Steps: steps, Repeat: args.Repeat, StartedAt: now}
	ms := b.st.Rounds.ms(0)
	b.st.Timer = Timer{Running: true, EndsAt: now + ms, DurationMs: ms}
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
	if r.Index+1 >= r.total() {
		r.Finished = true
		b.st.Timer = Timer{}
	} else {
		r.Index++
		r.StartedAt = now
		ms := r.ms(r.Index)
		b.st.Timer = Timer{Running: true, EndsAt: now + ms, DurationMs: ms}
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
	b.st.Timer = Timer{}
	b.timerChanged()
	return refusal{}, nil
}

func (b *batch) roundsChanged(skipped int) {
	v := newRoundsView(b.st.Rounds, b.st.Timer)
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
	b.emit("rounds.changed", AudienceAll, newRoundsView(nil, Timer{}))
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
	for next < r.total() && now >= end+r.ms(next) {
		end += r.ms(next)
		next++
	}
	skipped := next - r.Index - 1
	if next >= r.total() {
		// The plan is over: the timer is cleared, as rounds.next does, rather than left
		// showing "time's up" on every screen until someone resets it.
		r.Index, r.Finished = r.total()-1, true
		*t = Timer{}
		b.roundsChanged(skipped)
		b.timerChanged()
		return
	}
	r.Index, r.StartedAt = next, end
	*t = Timer{Running: true, EndsAt: end + r.ms(next), DurationMs: r.ms(next)}
	b.roundsChanged(skipped)
	b.timerChanged()
}
