package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// hist is an HDR histogram of microseconds, sharded by connection so that thousands of
// reader goroutines do not queue on one lock.
type hist struct {
	shards [32]struct {
		mu sync.Mutex
		h  *hdrhistogram.Histogram
	}
}

// histMax is the largest value kept (10 minutes in µs); larger values are clamped, so a
// pathological latency still shows as "max".
const histMax = int64(600e6)

func newHist() *hist {
	h := &hist{}
	for i := range h.shards {
		h.shards[i].h = hdrhistogram.New(1, histMax, 3)
	}
	return h
}

func (h *hist) record(shard int, us int64) {
	us = min(max(us, 1), histMax)
	s := &h.shards[shard%len(h.shards)]
	s.mu.Lock()
	s.h.RecordValue(us)
	s.mu.Unlock()
}

// merged returns one histogram of every shard.
func (h *hist) merged() *hdrhistogram.Histogram {
	out := hdrhistogram.New(1, histMax, 3)
	for i := range h.shards {
		s := &h.shards[i]
		s.mu.Lock()
		out.Merge(s.h)
		s.mu.Unlock()
	}
	return out
}

// stats are the counters and histograms of one run.
type stats struct {
	measuring atomic.Bool // fan-out latencies are recorded only during the measured phase

	connect *hist // dial → welcome and snapshot (or dial → resumed, in reconnect)
	ack     *hist // scheduled send → ack, votes only
	// The three legs of a vote's ack, to tell where its latency goes: the generator late
	// on its schedule, the server (socket write → the ack's serverTime, stamped when the
	// hub encodes it), the way back (serverTime → receipt: the socket and this process
	// reading it). serverTime is in ms, so the two last legs are ±1 ms each.
	ackLate, ackServer, ackWire *hist
	fanout                      *hist // hub fan-out start (event "serverTime") → receipt, whole-room events
	// commitToReceipt is the same from the start of the commit (event "at"): fan-out plus
	// the transaction that produced the event.
	commitToReceipt *hist
	pong            *hist // ping → pong
	resume          *hist // drop → caught up (reconnect)

	events, snapshots, dups           atomic.Int64
	presence                          atomic.Int64 // presence messages received
	badFrames, errorFrames            atomic.Int64
	sendErrors, connectErrors         atomic.Int64
	votesSent, votesAcked, votesOther atomic.Int64

	mu       sync.Mutex
	rejects  map[string]int64 // refusal code → count, every command
	accepted map[string]int64 // command name → accepted, commands other than votes

	lastAnswer atomic.Int64 // Unix µs of the last ack or reject of the load
	tallyBytes atomic.Int64 // the largest tally frame received, header included (-baseline)
}

// noteTally keeps the size of the largest tally frame, payload plus the server's header.
func (s *stats) noteTally(payload int) {
	n := int64(payload + 2)
	if payload >= 126 {
		n += 2
	}
	for {
		old := s.tallyBytes.Load()
		if n <= old || s.tallyBytes.CompareAndSwap(old, n) {
			return
		}
	}
}

func newStats() *stats {
	return &stats{connect: newHist(), ack: newHist(), ackLate: newHist(), ackServer: newHist(), ackWire: newHist(), fanout: newHist(), commitToReceipt: newHist(), pong: newHist(), resume: newHist(),
		rejects: map[string]int64{}, accepted: map[string]int64{}}
}

// ackParts records the legs of an acknowledged vote; serverUs is the ack's serverTime.
func (s *stats) ackParts(shard int, c sentCmd, serverUs, nowUs int64) {
	sent := c.sent.UnixMicro()
	s.ackLate.record(shard, sent-c.sched.UnixMicro())
	s.ackServer.record(shard, serverUs-sent)
	s.ackWire.record(shard, nowUs-serverUs)
}

func (s *stats) outcome(shard int, c sentCmd, code string, us int64) {
	s.lastAnswer.Store(time.Now().UnixMicro())
	vote := c.kind == voteCmd
	if code != "" {
		s.mu.Lock()
		s.rejects[code]++
		s.mu.Unlock()
		if vote {
			s.votesOther.Add(1)
		}
		return
	}
	s.ack.record(shard, us)
	if vote {
		s.votesAcked.Add(1)
		return
	}
	s.mu.Lock()
	s.accepted[c.name]++
	s.mu.Unlock()
}
