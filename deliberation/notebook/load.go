package notebook

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// source is everything Compile reads from the database, loaded once.
type source struct {
	process       *record.Process
	themes        []record.Theme
	workshops     []record.Workshop
	states        map[int64]view.LiveState // by workshop
	groups        map[int64]record.Group   // by id
	workshopGroup map[int64][]record.Group // by workshop, in order
	contributions []record.Contribution    // visible and merged, by id
	links         map[int64][]int64        // recommendation → findings
	support       map[int64]supportRow     // by contribution, under its phase's method
	rooms         map[roomKey]roomRow      // who voted in a phase of a session
	roomCounts    map[int64][]record.RoomCount
	items         map[int64]ItemEdit  // the editorial layer, by contribution
	themeTexts    map[int64]ThemeText // by theme
	translations  translations        // the editorial team's translations
	participants  int
	organisations int
	open          int // people who only joined an open session (see Cover.OpenParticipants)
}

// supportRow is the aggregate of the votes on one contribution under one method. The
// service-user columns are counts: no person's status ever leaves the database.
type supportRow struct {
	ContributionID int64
	Method         string
	Votes          int
	Total          int
	Pos            int // supporters: value > 0
	Zero           int
	Neg            int
	Orgs           int   // distinct organisations among supporters
	Unaffiliated   int   // supporters without an organisation
	Groups         int   // distinct break-out groups among supporters
	NoGroup        int   // supporters in no group
	OneGroup       int64 // the smallest group id among supporters (the group, when Groups = 1)
	PosSU          int   // supporters who came as service users
	PosUnknown     int   // supporters whose personal data is gone (erased)
}

type roomKey struct {
	workshop int64
	phase    string
	method   string
}

// roomRow is who voted in one phase of one session: counts only.
type roomRow struct {
	WorkshopID int64
	Phase      string
	Method     string
	Voters     int
	SU         int // voters who came as service users
	Pro        int // voters who did not
	Groups     int
}

func load(ctx context.Context, db bun.IDB, processID int64) (*source, error) {
	s := &source{
		states: map[int64]view.LiveState{}, groups: map[int64]record.Group{},
		workshopGroup: map[int64][]record.Group{}, links: map[int64][]int64{},
		support: map[int64]supportRow{}, rooms: map[roomKey]roomRow{}, roomCounts: map[int64][]record.RoomCount{},
	}
	var err error
	if s.process, err = record.GetProcess(ctx, db, processID); err != nil {
		return nil, err
	}
	if s.themes, err = process.ListThemes(ctx, db, processID); err != nil {
		return nil, err
	}
	if s.workshops, err = process.ListWorkshops(ctx, db, processID); err != nil {
		return nil, err
	}
	if s.items, s.themeTexts, err = loadEditorial(ctx, db, processID); err != nil {
		return nil, err
	}
	if s.translations, err = loadTranslations(ctx, db, processID); err != nil {
		return nil, err
	}
	if err := s.loadCounts(ctx, db); err != nil {
		return nil, err
	}
	if len(s.workshops) == 0 {
		return s, nil
	}
	ids := make([]int64, len(s.workshops))
	for i, w := range s.workshops {
		ids[i] = w.ID
		st, err := view.ParseLiveState(w.State)
		if err != nil {
			return nil, err
		}
		s.states[w.ID] = st
	}
	var groups []record.Group
	if err := db.NewSelect().Model(&groups).Where("workshop_id IN (?)", bun.In(ids)).Order("workshop_id", "position", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("notebook: load groups: %w", err)
	}
	for _, g := range groups {
		s.groups[g.ID] = g
		s.workshopGroup[g.WorkshopID] = append(s.workshopGroup[g.WorkshopID], g)
	}
	err = db.NewSelect().Model(&s.contributions).Where("workshop_id IN (?)", bun.In(ids)).
		Where("status IN (?)", bun.In([]record.Status{record.StatusVisible, record.StatusMerged})).
		Order("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("notebook: load contributions: %w", err)
	}
	var links []record.ContributionLink
	err = db.NewSelect().Model(&links).Join("JOIN contributions AS c ON c.id = contribution_link.from_id").
		Where("c.workshop_id IN (?)", bun.In(ids)).Order("from_id", "to_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("notebook: load links: %w", err)
	}
	for _, l := range links {
		s.links[l.FromID] = append(s.links[l.FromID], l.ToID)
	}
	var counts []record.RoomCount
	if err := db.NewSelect().Model(&counts).Where("workshop_id IN (?)", bun.In(ids)).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("notebook: load room counts: %w", err)
	}
	for _, c := range counts {
		s.roomCounts[c.ContributionID] = append(s.roomCounts[c.ContributionID], c)
	}
	if err := s.loadSupport(ctx, db, ids); err != nil {
		return nil, err
	}
	return s, s.loadRooms(ctx, db, ids)
}

// votesFrom is the join every vote aggregate uses: the voter's organisation, their group in
// that session, and (left joined, so erased people still count as votes) their personal data.
func votesFrom(q *bun.SelectQuery) *bun.SelectQuery {
	return q.TableExpr("votes AS v").
		Join("JOIN participants AS pa ON pa.id = v.participant_id").
		Join("LEFT JOIN group_members AS gm ON gm.workshop_id = v.workshop_id AND gm.participant_id = v.participant_id").
		Join("LEFT JOIN people AS pe ON pe.participant_id = v.participant_id")
}

// loadSupport aggregates the votes of every contribution, per method. Only COUNT and SUM
// reach Go: the compiler never sees who voted, nor any one person's service-user status.
func (s *source) loadSupport(ctx context.Context, db bun.IDB, workshops []int64) error {
	var rows []supportRow
	err := votesFrom(db.NewSelect()).
		ColumnExpr("v.contribution_id, v.method, count(*) AS votes, coalesce(sum(v.value), 0) AS total").
		ColumnExpr("coalesce(sum(CASE WHEN v.value > 0 THEN 1 ELSE 0 END), 0) AS pos").
		ColumnExpr("coalesce(sum(CASE WHEN v.value = 0 THEN 1 ELSE 0 END), 0) AS zero").
		ColumnExpr("coalesce(sum(CASE WHEN v.value < 0 THEN 1 ELSE 0 END), 0) AS neg").
		ColumnExpr("count(DISTINCT CASE WHEN v.value > 0 THEN pa.organisation_id END) AS orgs").
		ColumnExpr("coalesce(sum(CASE WHEN v.value > 0 AND pa.organisation_id IS NULL THEN 1 ELSE 0 END), 0) AS unaffiliated").
		ColumnExpr("count(DISTINCT CASE WHEN v.value > 0 THEN gm.group_id END) AS groups").
		ColumnExpr("coalesce(sum(CASE WHEN v.value > 0 AND gm.group_id IS NULL THEN 1 ELSE 0 END), 0) AS no_group").
		ColumnExpr("coalesce(min(CASE WHEN v.value > 0 THEN gm.group_id END), 0) AS one_group").
		ColumnExpr("coalesce(sum(CASE WHEN v.value > 0 AND pe.service_user = ? THEN 1 ELSE 0 END), 0) AS pos_su", true).
		ColumnExpr("coalesce(sum(CASE WHEN v.value > 0 AND pe.participant_id IS NULL THEN 1 ELSE 0 END), 0) AS pos_unknown").
		Where("v.workshop_id IN (?)", bun.In(workshops)).
		GroupExpr("v.contribution_id, v.method").Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("notebook: load support: %w", err)
	}
	method := map[int64]string{}
	for _, c := range s.contributions {
		st := s.states[c.WorkshopID]
		method[c.ID] = string(st.VoteSettingsFor(c.Phase).Method)
	}
	for _, r := range rows {
		// Votes cast under another method, before the moderator changed it, do not count:
		// the rule of the live tally (view.ComputeTallies).
		if m, ok := method[r.ContributionID]; ok && m == r.Method {
			s.support[r.ContributionID] = r
		}
	}
	return nil
}

// loadRooms counts, per phase of each session, who voted at all: a flag says "one side only"
// only when the other side was there to vote.
func (s *source) loadRooms(ctx context.Context, db bun.IDB, workshops []int64) error {
	var rows []roomRow
	err := votesFrom(db.NewSelect()).
		Join("JOIN contributions AS c ON c.id = v.contribution_id").
		ColumnExpr("c.workshop_id, c.phase, v.method, count(DISTINCT v.participant_id) AS voters").
		ColumnExpr("count(DISTINCT CASE WHEN pe.service_user = ? THEN v.participant_id END) AS su", true).
		ColumnExpr("count(DISTINCT CASE WHEN pe.service_user = ? THEN v.participant_id END) AS pro", false).
		ColumnExpr("count(DISTINCT gm.group_id) AS groups").
		Where("v.workshop_id IN (?) AND c.status = ?", bun.In(workshops), record.StatusVisible).
		GroupExpr("c.workshop_id, c.phase, v.method").Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("notebook: load rooms: %w", err)
	}
	for _, r := range rows {
		s.rooms[roomKey{r.WorkshopID, r.Phase, r.Method}] = r
	}
	return nil
}

// loadCounts counts the people who took part (registered, contributed or voted; erased
// people too: they took part) and their organisations.
func (s *source) loadCounts(ctx context.Context, db bun.IDB) error {
	var out struct {
		People int
		Orgs   int
		Open   int
	}
	// Someone who joined an open session under a pseudonym holds a place marked open_join and
	// no other: they are counted apart.
	err := db.NewSelect().TableExpr("participants AS pa").
		ColumnExpr("count(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 FROM registrations AS o WHERE o.participant_id = pa.id AND o.open_join) THEN pa.id END) AS people").
		ColumnExpr("count(DISTINCT pa.organisation_id) AS orgs").
		ColumnExpr("count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM registrations AS o WHERE o.participant_id = pa.id AND o.open_join) THEN pa.id END) AS open").
		Where("pa.process_id = ? AND pa.role IN (?)", s.process.ID,
			bun.In([]record.Role{record.RoleParticipant, record.RoleModerator})).
		Where("EXISTS (SELECT 1 FROM registrations AS r WHERE r.participant_id = pa.id AND r.status = ?)"+
			" OR EXISTS (SELECT 1 FROM contributions AS c WHERE c.author_id = pa.id)"+
			" OR EXISTS (SELECT 1 FROM votes AS v WHERE v.participant_id = pa.id)", record.RegistrationConfirmed).
		Scan(ctx, &out)
	if err != nil {
		return fmt.Errorf("notebook: count participants: %w", err)
	}
	s.participants, s.organisations, s.open = out.People, out.Orgs, out.Open
	return nil
}
