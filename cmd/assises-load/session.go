package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/assises/assises/internal/liveclient"
)

// registry is what the room has produced so far, as the moderator's connection sees it:
// the visible contributions of each phase, which the participants then comment and vote on,
// and of each kind, which later posts take as parents or links.
type registry struct {
	mu      sync.Mutex
	byPhase map[string][]int64
	byKind  map[string][]int64
}

func (g *registry) add(data []byte) {
	var c struct {
		ID     int64  `json:"id"`
		Kind   string `json:"kind"`
		Phase  string `json:"phase"`
		Status string `json:"status"`
	}
	if json.Unmarshal(data, &c) != nil || c.Status != "visible" {
		return
	}
	g.mu.Lock()
	g.byPhase[c.Phase] = append(g.byPhase[c.Phase], c.ID)
	g.byKind[c.Kind] = append(g.byKind[c.Kind], c.ID)
	g.mu.Unlock()
}

// pick returns a random visible contribution of a phase, 0 when there is none yet.
func (g *registry) pick(phase string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return pickOne(g.byPhase[phase])
}

// pickKind returns a random visible contribution of a kind, 0 when there is none yet.
func (g *registry) pickKind(kind string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return pickOne(g.byKind[kind])
}

func pickOne(ids []int64) int64 {
	if len(ids) == 0 {
		return 0
	}
	return ids[rand.IntN(len(ids))]
}

// Texts a session is made of (the themes of the Assises du Logement et du Travail social).
var findings = []string{
	"Les délais d'attente au CPAS sont trop longs",
	"Les logements sociaux manquent pour les familles monoparentales",
	"Les usagers ne comprennent pas les courriers administratifs",
	"Le numérique exclut les personnes de plus de 45 ans",
	"Les travailleurs sociaux changent trop souvent d'interlocuteur",
}

var recommendations = []string{
	"Créer un guichet unique logement et travail social par commune",
	"Financer des écrivains publics dans chaque antenne",
	"Garantir un accompagnement humain pour toute démarche en ligne",
}

// session: a realistic session at a chosen scale. The moderator walks the three phases
// with a timer each; participants post, comment and vote on what the room produced.
func (r *run) session(ctx context.Context) error {
	if r.cfg.shards > 1 {
		return fmt.Errorf("the session scenario runs as one generator process")
	}
	reg := &registry{byPhase: map[string][]int64{}, byKind: map[string][]int64{}}
	r.mod.onData = func(name string, data []byte) {
		if name == "contribution.posted" {
			reg.add(data)
		}
	}
	if _, err := r.prepareVoting(ctx, 0); err != nil {
		return err
	}
	live, err := r.connectParticipants(ctx)
	if err != nil {
		return err
	}
	r.beginMeasure()
	per := r.cfg.duration / 3
	postRate := r.cfg.postRate
	if postRate <= 0 {
		postRate = max(0.2, float64(len(live))/100) // one post per participant every 100 s
	}
	total := r.cfg.rate + postRate*1.5 // votes, posts, and half as many comments as posts
	for _, phase := range []string{"diagnostic", "recommendations", "implementation"} {
		if err := r.openPhase(ctx, phase, per, reg); err != nil {
			return err
		}
		r.schedule(ctx, total, per, func(i int64, sched time.Time) {
			c := live[rand.IntN(len(live))]
			x := rand.Float64() * total
			switch {
			case x < r.cfg.rate:
				id := reg.pick(phase)
				if id == 0 {
					return
				}
				r.st.votesSent.Add(1)
				args := `{"contribution":` + strconv.FormatInt(id, 10) + `,"value":` + strconv.Itoa(rand.IntN(2)) + `}`
				c.send(liveclient.NewCommandID(), "vote.set", []byte(args), sched, voteCmd)
			case x < r.cfg.rate+postRate:
				if args := postArgs(phase, i, reg); args != nil {
					c.send(liveclient.NewCommandID(), "contribution.post", args, sched, otherCmd)
				}
			default:
				id := reg.pick(phase)
				if id == 0 {
					return
				}
				args, _ := json.Marshal(map[string]any{"contribution": id, "body": fmt.Sprintf("Chez nous aussi (%d)", i)})
				c.send(liveclient.NewCommandID(), "comment.post", args, sched, otherCmd)
			}
		})
	}
	r.drain(ctx, live)
	r.endMeasure()
	r.fillVotes()
	conns := append(live, r.mod)
	seq, err := r.marker(ctx, conns)
	if err != nil {
		return err
	}
	r.rep.Events = audit(conns, seq)
	return nil
}

// openPhase is the moderator's turn: the phase, its question, a timer, and a first item
// so that the room has something to vote on at once.
func (r *run) openPhase(ctx context.Context, phase string, d time.Duration, reg *registry) error {
	steps := []struct {
		name string
		args any
	}{
		{"phase.set", map[string]any{"phase": phase}},
		{"timer.start", map[string]any{"seconds": max(1, int(d.Seconds()))}},
	}
	for _, s := range steps {
		if _, err := r.mod.do(ctx, s.name, s.args); err != nil {
			return err
		}
	}
	args := postArgs(phase, 0, reg)
	if args == nil {
		return nil
	}
	var m map[string]any
	json.Unmarshal(args, &m)
	_, err := r.mod.do(ctx, "contribution.post", m)
	return err
}

// postArgs makes a contribution of the kind the phase takes; nil when it needs a parent
// that does not exist yet.
func postArgs(phase string, i int64, reg *registry) []byte {
	var m map[string]any
	switch phase {
	case "diagnostic":
		m = map[string]any{"kind": "finding", "body": fmt.Sprintf("%s (%d)", findings[i%int64(len(findings))], i)}
		if i%3 == 1 {
			if parent := reg.pickKind("finding"); parent != 0 {
				m = map[string]any{"kind": "solution", "parent": parent, "body": fmt.Sprintf("Une piste de solution (%d)", i)}
			}
		}
	case "recommendations":
		m = map[string]any{"kind": "recommendation", "body": fmt.Sprintf("%s (%d)", recommendations[i%int64(len(recommendations))], i)}
		if f := reg.pickKind("finding"); f != 0 {
			m["links"] = []int64{f}
		}
	case "implementation":
		parent := reg.pickKind("recommendation")
		if parent == 0 {
			return nil
		}
		m = map[string]any{"kind": "step", "parent": parent, "body": fmt.Sprintf("Former les agents d'accueil (%d)", i),
			"who": "La Région", "how": "Des formations", "when": "2027"}
	}
	b, _ := json.Marshal(m)
	return b
}
