package view

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
)

// TallyItem is the online result of one contribution under its phase's current method. Votes
// cast under another method (before the moderator changed it) and votes on contributions that
// are not visible do not count. Room counts are never added in.
type TallyItem struct {
	Contribution int64             `json:"contribution"`
	Method       record.VoteMethod `json:"method"`
	Count        int               `json:"count"`    // votes counted
	Sum          int               `json:"sum"`      // support: supporters; agree: agree − disagree; dots: dots
	Agree        int               `json:"agree"`    // agree only
	Neutral      int               `json:"neutral"`  // agree only
	Disagree     int               `json:"disagree"` // agree only
	Dots         int               `json:"dots"`     // dots only
	Voters       int               `json:"voters"`   // people who voted on it
	// The breadth of support: how many organisations, and how many break-out groups of the
	// current split, the people who voted for it (a positive vote) come from. Counts only:
	// who voted stays unsaid.
	Organisations int `json:"organisations"`
	Groups        int `json:"groups"`
}

// TallyEvent is the data of tally.updated.
type TallyEvent struct {
	Items   []TallyItem `json:"items"`
	Turnout *Turnout    `json:"turnout,omitempty"`
}

// Turnout: of the people who may vote — participants with a confirmed registration, not
// erased, not moderators of this workshop (nor organisers or process moderators, whose role is
// not participant); observers never vote — how many there are (Participants), and how many
// participants who are not moderators here voted in the current phase (Voters). A moderator's
// vote (on behalf of a table) counts in the tally, not here.
type Turnout struct {
	Voters       int `json:"voters"`
	Participants int `json:"participants"`
}

// TallyTarget is what a tally needs to know of a contribution.
type TallyTarget struct {
	ID      int64
	Phase   record.Phase
	Status  record.Status
	GroupID *int64
}

// ComputeTallies aggregates the votes of some contributions of a workshop (ids of other
// workshops are ignored) and returns their items in id order, with the contributions.
func ComputeTallies(ctx context.Context, db bun.IDB, workshop int64, st *LiveState, ids []int64) ([]TallyItem, []TallyTarget, error) {
	items, targets, _, err := ReadTallies(ctx, db, workshop, st, ids, "")
	return items, targets, err
}

// The reads of a tally in one statement, because each round trip to PostgreSQL inside the
// locked transaction costs a wake-up of its backend (with 10,000 votes, though, the two scans
// of the votes cost more: BenchmarkFlushTallyRoom). The contributions asked for are joined with the aggregates of their
// votes: one row per method voted under, or one row of NULLs when there is no vote. The two
// turnout counts are uncorrelated scalar subqueries, which SQLite and PostgreSQL evaluate
// once, not once per row.
//
// The aggregate is MATERIALIZED (PostgreSQL 12, SQLite 3.35): otherwise PostgreSQL inlines it,
// and while the statistics of a growing room are stale (a few contributions estimated as one)
// it plans a nested loop that runs the aggregate of all the votes again for each contribution:
// 15 ms instead of 6 for 10,000 votes.
const (
	tallyHeadSQL = `WITH a AS MATERIALIZED (
	SELECT v.contribution_id, v.method, count(*) AS n, coalesce(sum(v.value), 0) AS total,
		coalesce(sum(CASE WHEN v.value > 0 THEN 1 ELSE 0 END), 0) AS pos,
		coalesce(sum(CASE WHEN v.value = 0 THEN 1 ELSE 0 END), 0) AS zero,
		coalesce(sum(CASE WHEN v.value < 0 THEN 1 ELSE 0 END), 0) AS neg,
		count(DISTINCT CASE WHEN v.value > 0 THEN p.organisation_id END) AS orgs,
		count(DISTINCT CASE WHEN v.value > 0 THEN gm.group_id END) AS grps
	FROM votes AS v
	JOIN participants AS p ON p.id = v.participant_id
	LEFT JOIN group_members AS gm ON gm.workshop_id = v.workshop_id AND gm.participant_id = v.participant_id
	WHERE v.workshop_id = ? AND v.contribution_id IN (?)
	GROUP BY v.contribution_id, v.method
)
SELECT c.id, c.phase, c.status, c.group_id, coalesce(a.method, '') AS method,
	coalesce(a.n, 0) AS n, coalesce(a.total, 0) AS total,
	coalesce(a.pos, 0) AS pos, coalesce(a.zero, 0) AS zero, coalesce(a.neg, 0) AS neg,
	coalesce(a.orgs, 0) AS orgs, coalesce(a.grps, 0) AS grps,
	`
	tallyTailSQL = `
FROM contributions AS c
LEFT JOIN a ON a.contribution_id = c.id
WHERE c.workshop_id = ? AND c.id IN (?)
ORDER BY c.id, a.method`

	// The turnout: of the people who may vote (see turnout), those who voted in the phase
	// under its current method on visible contributions. Those who may not vote are few (the
	// workshop's moderators, the process's staff): the votes are filtered by those two short
	// lists, uncorrelated, so that nothing is looked up once per vote.
	tallyTurnoutSQL = `(SELECT count(DISTINCT v.participant_id) FROM votes AS v
		JOIN contributions AS vc ON vc.id = v.contribution_id
		WHERE v.workshop_id = ? AND v.method = ? AND vc.phase = ? AND vc.status = ?
			AND v.participant_id NOT IN (SELECT vw.participant_id FROM workshop_roles AS vw
				WHERE vw.workshop_id = ? AND vw.role = 'moderator')
			AND v.participant_id NOT IN (SELECT vp.id FROM participants AS vp
				WHERE vp.role <> 'participant' AND (vp.process_id IS NULL
					OR vp.process_id = (SELECT vs.process_id FROM workshops AS vs WHERE vs.id = ?)))) AS voters,
	(SELECT count(*) FROM registrations AS r
		JOIN participants AS p ON p.id = r.participant_id AND p.role = 'participant' AND p.erased_at IS NULL
		WHERE r.workshop_id = ? AND r.status = ? AND NOT EXISTS (SELECT 1 FROM workshop_roles AS w
			WHERE w.workshop_id = r.workshop_id AND w.participant_id = r.participant_id AND w.role = 'moderator')) AS participants`

	tallySQL            = tallyHeadSQL + "0 AS voters, 0 AS participants" + tallyTailSQL
	tallyWithTurnoutSQL = tallyHeadSQL + tallyTurnoutSQL + tallyTailSQL
)

// tallyRow is a row of the tally statement.
type tallyRow struct {
	ID           int64
	Phase        record.Phase
	Status       record.Status
	GroupID      *int64
	Method       record.VoteMethod // empty: no vote
	N            int
	Total        int
	Pos          int
	Zero         int
	Neg          int
	Orgs         int
	Grps         int
	Voters       int
	Participants int
}

// ReadTallies is ComputeTallies in one statement, with the turnout of turnoutPhase, the
// workshop's phase, when it is an open phase (nil otherwise, when turnoutPhase is empty, and
// when no contribution was found).
func ReadTallies(ctx context.Context, db bun.IDB, workshop int64, st *LiveState, ids []int64, turnoutPhase record.Phase) ([]TallyItem, []TallyTarget, *Turnout, error) {
	if len(ids) == 0 {
		return nil, nil, nil, nil
	}
	withTurnout := turnoutPhase != "" && turnoutPhase.Open()
	q := db.NewRaw(tallySQL, workshop, bun.In(ids), workshop, bun.In(ids))
	if withTurnout {
		method := st.VoteSettingsFor(turnoutPhase).Method
		q = db.NewRaw(tallyWithTurnoutSQL, workshop, bun.In(ids),
			workshop, method, turnoutPhase, record.StatusVisible, workshop, workshop,
			workshop, record.RegistrationConfirmed,
			workshop, bun.In(ids))
	}
	var rows []tallyRow
	err := q.Scan(ctx, &rows)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("store: tally: %w", err)
	}
	var (
		items   []TallyItem
		targets []TallyTarget
	)
	for _, r := range rows {
		n := len(targets)
		if n == 0 || targets[n-1].ID != r.ID {
			targets = append(targets, TallyTarget{ID: r.ID, Phase: r.Phase, Status: r.Status, GroupID: r.GroupID})
			items = append(items, TallyItem{Contribution: r.ID, Method: st.VoteSettingsFor(r.Phase).Method})
		}
		// Of the rows of a contribution, only the one of its phase's current method counts.
		item := &items[len(items)-1]
		if r.Status != record.StatusVisible || r.Method != item.Method {
			continue
		}
		item.Count, item.Sum, item.Voters = r.N, r.Total, r.N
		item.Organisations, item.Groups = r.Orgs, r.Grps
		switch item.Method {
		case record.MethodAgree:
			item.Agree, item.Neutral, item.Disagree = r.Pos, r.Zero, r.Neg
		case record.MethodDots:
			item.Dots = r.Total
		}
	}
	var to *Turnout
	if withTurnout && len(rows) > 0 {
		to = &Turnout{Voters: rows[0].Voters, Participants: rows[0].Participants}
	}
	return items, targets, to, nil
}
