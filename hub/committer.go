package hub

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"time"
)

var errNotContiguous = errors.New("hub: events are not contiguous")

// committer is the room's single writer. It drains the command inbox into
// Backend.Execute batches (group commit), runs coalesced Flushes and wake-up ticks
// between them, reads the log when another node moved the workshop on, and hands every
// result to the room in seq order. Being one goroutine, it keeps commands in order and
// commits strictly sequential.
type committer struct {
	r      *room
	handed int64 // last seq handed to the room: the next delivery starts at handed+1

	deferred map[string]struct{}
	flush    coalescer
	flushT   *time.Timer
	flushC   <-chan time.Time // nil when no flush is scheduled

	// With a FlushPreparer: the keys of the flush being prepared (nil: none), and where
	// its preparation arrives.
	preparer   FlushPreparer
	preparing  []string
	prepared   chan preparedFlush
	prepCancel context.CancelFunc // ends the preparation (finish)
	prepDone   chan struct{}      // closed when the preparation's goroutine returns
	wakeAt     time.Time
	wakeT      *time.Timer
	wakeC      <-chan time.Time

	// With Config.Ticks: whether this node held the workshop's lease at the last check,
	// and when to check again.
	leased bool
	leaseT *time.Timer
	leaseC <-chan time.Time
	// due, with Config.Ticks and a DueReader Backend: follow-ups are the lease holder's
	// (only it flushes them; the others cue it).
	due DueReader
}

// dueKey stands, among the deferred keys, for "whatever the database says is due"
// (DueReader): the holder reads it when the flush runs, so that many cues make one read.
const dueKey = "\x00due"

func (r *room) commit(lastSeq int64, wakeAt time.Time) {
	defer close(r.commitDone)
	k := &committer{
		r:        r,
		handed:   lastSeq,
		deferred: make(map[string]struct{}),
		flush:    coalescer{interval: r.h.cfg.CoalesceInterval},
	}
	defer k.stopTimers()
	if p, ok := r.h.cfg.Backend.(FlushPreparer); ok {
		k.preparer, k.prepared = p, make(chan preparedFlush, 1)
	}
	k.scheduleWake(wakeAt)
	if r.h.cfg.Ticks != nil {
		k.leaseC = arm(&k.leaseT, 0)
		defer k.releaseLease()
		k.due, _ = r.h.cfg.Backend.(DueReader)
	}
	for {
		select {
		case <-r.stopCommit:
			k.finish()
			return
		default:
		}
		select {
		case <-r.stopCommit:
			k.finish()
			return
		case req := <-r.inbox:
			k.execute(k.batch(req))
		case <-r.cue:
			k.catchUp()
		case <-k.flushC:
			k.flushC = nil
			k.startFlush()
		case pf := <-k.prepared:
			k.finishFlush(pf)
		case <-k.wakeC:
			k.wakeC, k.wakeAt = nil, time.Time{}
			if k.r.h.cfg.Ticks == nil || k.leased {
				k.runFlush(true)
			}
		case <-k.leaseC:
			k.checkLease()
		}
	}
}

// checkLease asks whether this node runs the workshop's ticks. A node that just took the
// lease runs a tick at once: the tick does what fell due while nobody held it, and its
// result says when the next one is due, which this node may never have heard (the timer
// was started through another node).
func (k *committer) checkLease() {
	// Bounded by the retry period: the commits of the room wait while it runs.
	ctx, cancel := context.WithTimeout(k.r.h.hardCtx, max(k.r.h.cfg.TickRetry, time.Second))
	held := k.r.h.cfg.Ticks.Holds(ctx, k.r.id)
	cancel()
	took, lost := held && !k.leased, !held && k.leased
	k.leased = held
	k.leaseC = arm(&k.leaseT, k.r.h.cfg.TickRetry)
	if lost && k.due != nil {
		clear(k.deferred) // still due in the database: the next holder reads them
	}
	if took {
		k.runFlush(true)
		if k.due != nil {
			k.addDeferred([]string{dueKey}) // what the others made due while nobody held it
		}
	}
}

func (k *committer) releaseLease() {
	if !k.leased {
		return
	}
	ctx, cancel := k.ctx()
	defer cancel()
	k.r.h.cfg.Ticks.Release(ctx, k.r.id)
}

// batch takes first and whatever else is already waiting, up to MaxBatch.
func (k *committer) batch(first cmdReq) []cmdReq {
	b := []cmdReq{first}
	for len(b) < k.r.h.cfg.MaxBatch {
		select {
		case req := <-k.r.inbox:
			b = append(b, req)
		default:
			return b
		}
	}
	return b
}

func (k *committer) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(k.r.h.hardCtx, callWait)
}

// execute commits one batch. On error nothing was committed, so every command of the
// batch is refused "unavailable" (try again): never a false ack.
func (k *committer) execute(batch []cmdReq) {
	h, r := k.r.h, k.r
	cmds := make([]Command, len(batch))
	for i, req := range batch {
		cmds[i] = req.cmd
	}
	ctx, cancel := k.ctx()
	defer cancel()
	res, err := h.cfg.Backend.Execute(ctx, r.id, cmds)
	outs := make([]sentOutcome, len(batch))
	for i, req := range batch {
		outs[i] = sentOutcome{c: req.c, out: Outcome{CommandID: req.cmd.ID, Code: CodeUnavailable}, at: req.at, reply: req.reply}
	}
	if err != nil {
		h.log.Error("hub: execute", slog.Int64("workshop", r.id), slog.Int("commands", len(cmds)), slog.Any("err", err))
		for _, req := range batch {
			h.cfg.Observer.Command(req.cmd.Name, CodeUnavailable)
		}
		k.hand(delivery{outcomes: outs})
		return
	}
	h.stats.commits.Add(1)
	h.stats.commands.Add(int64(len(cmds)))
	h.cfg.Observer.Committed(len(cmds))
	if len(res.Outcomes) != len(batch) {
		h.log.Error("hub: execute: outcome count", slog.Int64("workshop", r.id),
			slog.Int("commands", len(cmds)), slog.Int("outcomes", len(res.Outcomes)))
	}
	for i := range min(len(res.Outcomes), len(batch)) {
		o := res.Outcomes[i]
		o.CommandID = batch[i].cmd.ID // the client matches on the id it sent
		outs[i].out = o
	}
	for i, req := range batch {
		h.cfg.Observer.Command(req.cmd.Name, outs[i].out.Code)
	}
	k.handResult(ctx, res, outs)
}

// preparedFlush is a preparation that finished: its keys and the commit it prepared
// (nil when it failed).
type preparedFlush struct {
	keys   []string
	commit PreparedFlush
}

// startFlush flushes the deferred keys: with a FlushPreparer, it prepares the flush in
// the background while commands go on committing, and finishFlush commits it.
func (k *committer) startFlush() {
	if k.preparer == nil {
		k.runFlush(false)
		return
	}
	if k.preparing != nil || len(k.deferred) == 0 {
		return // finishFlush arms the next flush for what arrives meanwhile
	}
	keys := k.takeDeferred()
	if len(keys) == 0 {
		return
	}
	k.preparing = keys
	ws, h := k.r.id, k.r.h
	ctx, cancel := k.ctx()
	done := make(chan struct{})
	k.prepCancel, k.prepDone = cancel, done
	go func() {
		defer close(done)
		defer cancel()
		commit, err := k.preparer.PrepareFlush(ctx, ws, keys)
		if err != nil {
			h.log.Warn("hub: prepare flush", slog.Int64("workshop", ws), slog.Any("err", err))
			commit = nil
		}
		k.prepared <- preparedFlush{keys: keys, commit: commit} // room for one: never blocks
	}()
}

// finishFlush commits a prepared flush (without its preparation if that failed).
func (k *committer) finishFlush(pf preparedFlush) {
	h, r := k.r.h, k.r
	k.preparing = nil
	ctx, cancel := k.ctx()
	defer cancel()
	var res Result
	var err error
	if pf.commit != nil {
		res, err = pf.commit(ctx)
	} else {
		res, err = h.cfg.Backend.Flush(ctx, r.id, pf.keys)
	}
	if err != nil {
		h.log.Error("hub: flush", slog.Int64("workshop", r.id), slog.Any("err", err))
		k.addDeferred(pf.keys) // try again after the interval
		return
	}
	h.stats.commits.Add(1)
	k.handResult(ctx, res, nil)
	k.armFlush() // keys that came while it was prepared
}

// takeDeferred empties the deferred keys and returns them, sorted, dueKey replaced by the
// keys the database has due.
func (k *committer) takeDeferred() []string {
	if _, ok := k.deferred[dueKey]; ok {
		delete(k.deferred, dueKey)
		ctx, cancel := k.ctx()
		keys, err := k.due.DueKeys(ctx, k.r.id)
		cancel()
		if err != nil {
			// Still due in the database: the next cue or sweep reads them again.
			k.r.h.log.Warn("hub: read follow-ups due", slog.Int64("workshop", k.r.id), slog.Any("err", err))
		}
		for _, key := range keys {
			k.deferred[key] = struct{}{}
		}
	}
	keys := slices.Sorted(maps.Keys(k.deferred))
	clear(k.deferred)
	k.flush.last = time.Now()
	return keys
}

// runFlush runs Backend.Flush for the deferred keys, or for "tick".
func (k *committer) runFlush(tick bool) {
	h, r := k.r.h, k.r
	var keys []string
	if tick {
		keys = []string{"tick"}
	} else {
		if len(k.deferred) == 0 {
			return
		}
		if keys = k.takeDeferred(); len(keys) == 0 {
			return
		}
	}
	ctx, cancel := k.ctx()
	defer cancel()
	res, err := h.cfg.Backend.Flush(ctx, r.id, keys)
	if err != nil {
		h.log.Error("hub: flush", slog.Int64("workshop", r.id), slog.Any("err", err))
		if tick {
			k.scheduleWake(h.cfg.Now().Add(max(time.Second, h.cfg.CoalesceInterval)))
		} else {
			k.addDeferred(keys) // try again after the interval
		}
		return
	}
	h.stats.commits.Add(1)
	k.handResult(ctx, res, nil)
}

func (k *committer) handResult(ctx context.Context, res Result, outs []sentOutcome) {
	if k.due == nil || k.leased {
		k.addDeferred(res.Deferred)
	} else if len(res.Deferred) > 0 {
		// Due in the database with this commit: the lease holder flushes them.
		if err := k.r.h.cfg.Bus.Publish(ctx, Cue{Kind: CueDue, Workshop: k.r.id}); err != nil {
			k.r.h.log.Warn("hub: publish", slog.Int64("workshop", k.r.id), slog.Any("err", err))
		}
	}
	k.scheduleWake(res.WakeAt)
	k.handEvents(ctx, res.Events, outs)
	if len(res.Events) > 0 {
		// One cue per committed batch, never per command (NOTIFY takes a global lock).
		last := res.Events[len(res.Events)-1].Seq
		if err := k.r.h.cfg.Bus.Publish(ctx, Cue{Kind: CueCommitted, Workshop: k.r.id, Seq: last}); err != nil {
			k.r.h.log.Warn("hub: publish", slog.Int64("workshop", k.r.id), slog.Any("err", err))
		}
	}
}

// handEvents makes evs contiguous with what the room already has (reading the gap from
// the log when another node committed in between), loads viewers if memberships
// changed, and hands the lot to the room.
func (k *committer) handEvents(ctx context.Context, evs []Event, outs []sentOutcome) {
	h, r := k.r.h, k.r
	for len(evs) > 0 && evs[0].Seq <= k.handed {
		evs = evs[1:]
	}
	d := delivery{outcomes: outs}
	if len(evs) > 0 {
		if evs[0].Seq > k.handed+1 {
			gap, err := k.readLog(ctx, k.handed, evs[0].Seq-1)
			if err != nil {
				k.reset(err, evs[len(evs)-1].Seq)
				return
			}
			evs = append(gap, evs...)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].Seq != evs[i-1].Seq+1 {
				k.reset(errNotContiguous, evs[len(evs)-1].Seq)
				return
			}
		}
		if slices.ContainsFunc(evs, func(ev Event) bool { return ev.ReloadViewers }) {
			gen := h.viewerGen.Add(1)
			vs, err := h.cfg.Backend.Viewers(ctx, r.id)
			if err != nil {
				// Routing with stale memberships could leak group events: start over.
				k.reset(err, evs[len(evs)-1].Seq)
				return
			}
			if vs == nil {
				vs = map[int64]Viewer{}
			}
			d.viewers, d.viewersGen = vs, gen
		}
		d.events = evs
		d.committed = time.Now()
		k.handed = evs[len(evs)-1].Seq
	}
	if len(d.events) == 0 && len(d.outcomes) == 0 {
		return
	}
	k.hand(d)
}

// readLog reads (after, upto] with a few quick retries: a failed gap read costs every
// member its connection.
func (k *committer) readLog(ctx context.Context, after, upto int64) ([]Event, error) {
	var err error
	pause := retryPause
	for range 3 {
		var evs []Event
		if evs, err = readLog(ctx, k.r.h.cfg.Backend, k.r.id, after, upto); err == nil {
			return evs, nil
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return nil, err
		}
		pause *= 2
	}
	return nil, err
}

// catchUp reads what other nodes committed, after a bus cue.
func (k *committer) catchUp() {
	ctx, cancel := k.ctx()
	defer cancel()
	force := k.r.rechecking.Swap(false)
	if due := k.r.dueHeard.Swap(false); k.due != nil && k.leased && (due || force) {
		// A recheck too: a lost CueDue leaves tallies due that only this node flushes.
		k.addDeferred([]string{dueKey})
	}
	if force && k.epochChanged(ctx) {
		// Its history was rewritten while the bus was deaf: drop it like a ResetLog would.
		k.r.h.resetLocal(k.r.id)
		return
	}
	for force || k.r.notified.Load() > k.handed {
		page, err := k.r.h.cfg.Backend.EventsAfter(ctx, k.r.id, k.handed, logPage)
		if err != nil {
			// The next cue or commit retries; nothing was promised to anyone.
			k.r.h.log.Warn("hub: read log", slog.Int64("workshop", k.r.id), slog.Any("err", err))
			if force {
				k.r.rechecking.Store(true) // the next cue reads again
			}
			return
		}
		if len(page) == 0 {
			return // a cue ahead of the log (or of this node's view of it)
		}
		k.handEvents(ctx, page, nil)
		force = len(page) == logPage // a full page: there may be more
	}
}

// epochChanged reports whether the log's epoch is no longer the one the room opened with
// (false when the Backend cannot say, or fails to: the next recheck asks again).
func (k *committer) epochChanged(ctx context.Context) bool {
	er, ok := k.r.h.cfg.Backend.(EpochReader)
	if !ok {
		return false
	}
	epoch, err := er.LogEpoch(ctx, k.r.id)
	if err != nil {
		k.r.h.log.Warn("hub: read log epoch", slog.Int64("workshop", k.r.id), slog.Any("err", err))
		return false
	}
	return epoch != k.r.epoch
}

// reset hands the room a reset: members are closed and will resume from the log.
func (k *committer) reset(err error, to int64) {
	k.r.h.log.Error("hub: lost track of the log", slog.Int64("workshop", k.r.id), slog.Any("err", err))
	k.handed = max(k.handed, to)
	k.hand(delivery{reset: true, resetTo: k.handed})
}

func (k *committer) hand(d delivery) {
	select {
	case k.r.deliveries <- d:
	case <-k.r.done:
	}
}

// addDeferred adds coalescing keys; the flush runs at most once per CoalesceInterval in a
// small room, once per PresenceInterval in a room of a thousand connections (presence.go):
// a tally costs a write per member, and in a large room those writes were most of the CPU a
// vote cost (docs/performance.md).
func (k *committer) addDeferred(keys []string) {
	if len(keys) == 0 || (k.due != nil && !k.leased) {
		return // not the lease holder's: still due in the database, for the holder
	}
	for _, key := range keys {
		k.deferred[key] = struct{}{}
	}
	k.armFlush()
}

// armFlush schedules a flush of the deferred keys, unless one is scheduled or prepared.
func (k *committer) armFlush() {
	if k.flushC != nil || k.preparing != nil || len(k.deferred) == 0 {
		return
	}
	k.flushC = arm(&k.flushT, k.flushDelay(time.Now()))
}

// flushDelay is how long from now until the next flush may run, at the pace of the room's
// audience.
func (k *committer) flushDelay(now time.Time) time.Duration {
	k.flush.interval = broadcastInterval(&k.r.h.cfg, int(k.r.audience.Load()))
	return k.flush.delay(now)
}

// scheduleWake keeps the earliest requested wake-up; a zero time requests nothing.
func (k *committer) scheduleWake(at time.Time) {
	if at.IsZero() || (!k.wakeAt.IsZero() && !at.Before(k.wakeAt)) {
		return
	}
	k.wakeAt = at
	k.wakeC = arm(&k.wakeT, max(0, at.Sub(k.r.h.cfg.Now())))
}

// finish refuses what is still queued (the clients will resend after reconnecting) and
// runs a last flush so that coalesced follow-ups are not left behind.
func (k *committer) finish() {
	var outs []sentOutcome
	for {
		select {
		case req := <-k.r.inbox:
			outs = append(outs, sentOutcome{c: req.c, out: Outcome{CommandID: req.cmd.ID, Code: CodeShuttingDown}, at: req.at, reply: req.reply})
			k.r.h.cfg.Observer.Command(req.cmd.Name, CodeShuttingDown)
			continue
		default:
		}
		break
	}
	if len(outs) > 0 {
		k.hand(delivery{outcomes: outs})
	}
	// A preparation still running is cancelled (its result lands in a buffer nobody
	// reads): its keys are flushed here with the others, the plain way.
	if k.preparing != nil {
		k.prepCancel()
		<-k.prepDone
	}
	for _, key := range k.preparing {
		k.deferred[key] = struct{}{}
	}
	k.preparing = nil
	k.runFlush(false)
}

func (k *committer) stopTimers() {
	for _, t := range []*time.Timer{k.flushT, k.wakeT, k.leaseT} {
		if t != nil {
			t.Stop()
		}
	}
}
