package deliberation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/assises/assises/deliberation/dispatch"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Rules for break-out groups (a Partner Day: "les participants sont dispatchés par groupes selon un
// code couleur… de sorte que tout le monde soit mélangé entre associations"): who is present,
// the check-in, the split, moves by hand, rapporteurs. Who is in which group is for the moderators; everyone
// else learns the groups' colours and sizes, and each person their own group (the hub's viewer
// message). Whether someone is a service user is read for the dispatcher only and never emitted.

// CodeNobodyPresent refuses a split when nobody is present (nor even registered).
const CodeNobodyPresent = "nobody_present"

// progressKey is the follow-up that emits groups.progress, coalesced like tallies.
const progressKey = "groups.progress"

// emitGroupsChanged tells everyone the groups (and makes the hub reload who is in which).
func (b *batch) emitGroupsChanged(ctx context.Context, reason string) error {
	views, err := view.GroupViews(ctx, b.reader())
	if err != nil {
		return err
	}
	b.emit("groups.changed", AudienceAll, map[string]any{"on": b.st.GroupsOn, "groups": views, "reason": reason})
	return nil
}

func (b *batch) emitMembers(ctx context.Context, split *view.SplitInfo) error {
	v, err := view.MembersOf(ctx, b.reader())
	if err != nil {
		return err
	}
	v.Split = split
	b.emit("groups.members", AudienceModerators, v)
	return nil
}

type splitArgs struct {
	Count       int
	Size        int
	OrgCap      int `json:"orgCap"`
	Seed        *uint64
	Rapporteurs bool
	On          *bool
}

// Limits of a split, by hand.
const (
	minGroupSize = 2
	maxGroupSize = 100
)

func cmdGroupsSplit(ctx context.Context, b *batch, _ Actor, args *splitArgs) (refusal, error) {
	switch {
	case (args.Count > 0) == (args.Size > 0) || args.Count < 0 || args.Size < 0:
		return refuse(CodeInvalidArgs, "give either count or size"), nil
	case args.Count > dispatch.MaxGroups:
		return refuse(CodeInvalidArgs, "count must be 1 to 64"), nil
	case args.Size > 0 && (args.Size < minGroupSize || args.Size > maxGroupSize):
		return refuse(CodeInvalidArgs, "size must be 2 to 100"), nil
	case args.OrgCap < 0 || args.OrgCap > 2:
		return refuse(CodeInvalidArgs, "orgCap must be 1 or 2"), nil
	}
	r := b.reader()
	roster, err := view.PresentRoster(ctx, r, true)
	if err != nil {
		return refusal{}, err
	}
	if len(roster) == 0 {
		return refuse(CodeNobodyPresent, "nobody is present or registered"), nil
	}
	old, err := view.Memberships(ctx, r)
	if err != nil {
		return refusal{}, err
	}
	wasRapporteur := map[int64]bool{}
	for _, m := range old {
		if m.Rapporteur {
			wasRapporteur[m.ParticipantID] = true
		}
	}
	seed := uint64(b.now.UnixMilli()) // a new mix each time, unless the moderator repeats a seed
	if args.Seed != nil {
		seed = *args.Seed
	}
	params := dispatch.Params{Groups: args.Count, Size: args.Size, OrgCap: args.OrgCap, Seed: seed, Rapporteurs: args.Rapporteurs}
	in := make([]dispatch.Member, len(roster))
	for i, p := range roster {
		in[i] = dispatch.Member{ID: p.ID, Org: p.OrgID.Int64, ServiceUser: p.ServiceUser.Bool, Candidate: wasRapporteur[p.ID]}
	}
	plan, err := dispatch.Split(in, params)
	if errors.Is(err, dispatch.ErrParams) {
		return refuse(CodeInvalidArgs, "invalid split"), nil
	}
	if err != nil {
		return refusal{}, err
	}

	if err := b.replaceGroups(ctx, plan); err != nil {
		return refusal{}, err
	}
	b.st.GroupsOn = args.On == nil || *args.On
	if err := b.emitGroupsChanged(ctx, "split"); err != nil {
		return refusal{}, err
	}
	if err := b.emitMembers(ctx, &view.SplitInfo{Seed: seed, OrgCap: max(1, args.OrgCap), OrgCapMet: plan.OrgCapMet, MaxPerOrg: plan.MaxPerOrg}); err != nil {
		return refusal{}, err
	}
	isRapporteur := map[int64]bool{}
	for i, g := range plan.Groups {
		if g.Rapporteur != 0 {
			isRapporteur[g.Rapporteur] = true
			b.emit("group.rapporteur", AudiencePerson(g.Rapporteur), map[string]any{"group": b.st.Groups[i], "rapporteur": true})
		}
	}
	for _, m := range old {
		if m.Rapporteur && !isRapporteur[m.ParticipantID] {
			b.emit("group.rapporteur", AudiencePerson(m.ParticipantID), map[string]any{"group": 0, "rapporteur": false})
		}
	}
	b.later(progressKey)
	return refusal{}, nil
}

// replaceGroups writes a plan: the memberships go, groups of earlier splits that nobody posted
// in go too (one with contributions keeps its row, so its contributions stay in their group
// rather than falling into the plenary), and the plan's groups are created.
func (b *batch) replaceGroups(ctx context.Context, plan dispatch.Plan) error {
	if _, err := b.tx.NewDelete().Model((*record.GroupMember)(nil)).Where("workshop_id = ?", b.w.ID).Exec(ctx); err != nil {
		return fmt.Errorf("store: clear groups: %w", err)
	}
	_, err := b.tx.NewDelete().TableExpr("breakout_groups").Where("workshop_id = ?", b.w.ID).
		Where("NOT EXISTS (SELECT 1 FROM contributions AS c WHERE c.group_id = breakout_groups.id)").Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: clear groups: %w", err)
	}
	gs := make([]record.Group, len(plan.Groups))
	for i := range gs {
		gs[i] = record.Group{WorkshopID: b.w.ID, Position: i + 1, Name: dispatch.Name(i), Colour: dispatch.Palette[i%len(dispatch.Palette)].Hex, CreatedAt: b.now}
	}
	if _, err := b.tx.NewInsert().Model(&gs).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("store: create groups: %w", err)
	}
	var rows []record.GroupMember
	b.st.Groups = make([]int64, len(gs))
	for i, g := range plan.Groups {
		b.st.Groups[i] = gs[i].ID
		for _, id := range g.Members {
			rows = append(rows, record.GroupMember{WorkshopID: b.w.ID, ParticipantID: id, GroupID: gs[i].ID, Rapporteur: id == g.Rapporteur})
		}
	}
	if _, err := b.tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("store: place people in groups: %w", err)
	}
	b.dirty = true
	return nil
}

type moveArgs struct {
	Participant int64
	Group       int64
}

// cmdGroupsMove puts one person in a group of the current split, or out of the groups (group
// 0). A rapporteur who changes group stops being one.
func cmdGroupsMove(ctx context.Context, b *batch, _ Actor, args *moveArgs) (refusal, error) {
	if args.Group != 0 && !slices.Contains(b.st.Groups, args.Group) {
		return refuse(CodeNotFound, "no such group in the current split"), nil
	}
	p := new(record.Participant)
	err := b.tx.NewSelect().Model(p).Where("id = ? AND process_id = ? AND erased_at IS NULL", args.Participant, b.w.ProcessID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || err == nil && p.Role != record.RoleParticipant {
		return refuse(CodeNotFound, "no such participant in this process"), nil
	}
	if err != nil {
		return refusal{}, fmt.Errorf("store: move: %w", err)
	}
	var old record.GroupMember
	err = b.tx.NewSelect().Model(&old).Where("workshop_id = ? AND participant_id = ?", b.w.ID, p.ID).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return refusal{}, fmt.Errorf("store: move: %w", err)
	}
	if _, err := b.tx.NewDelete().Model((*record.GroupMember)(nil)).Where("workshop_id = ? AND participant_id = ?", b.w.ID, p.ID).Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: move: %w", err)
	}
	if args.Group != 0 {
		m := &record.GroupMember{WorkshopID: b.w.ID, ParticipantID: p.ID, GroupID: args.Group, Rapporteur: old.Rapporteur && old.GroupID == args.Group}
		if _, err := b.tx.NewInsert().Model(m).Exec(ctx); err != nil {
			return refusal{}, fmt.Errorf("store: move: %w", err)
		}
	}
	if err := b.emitGroupsChanged(ctx, "move"); err != nil {
		return refusal{}, err
	}
	if err := b.emitMembers(ctx, nil); err != nil {
		return refusal{}, err
	}
	if old.Rapporteur && old.GroupID != args.Group {
		b.emit("group.rapporteur", AudiencePerson(p.ID), map[string]any{"group": args.Group, "rapporteur": false})
	}
	b.later(progressKey)
	return refusal{}, nil
}

type rapporteurArgs struct {
	Participant int64
	Rapporteur  *bool
}

// cmdGroupsRapporteur appoints (or stands down) a group's rapporteur: one per group, so a new
// one replaces the old.
func cmdGroupsRapporteur(ctx context.Context, b *batch, _ Actor, args *rapporteurArgs) (refusal, error) {
	if args.Rapporteur == nil {
		return refuse(CodeInvalidArgs, "rapporteur is required"), nil
	}
	var m record.GroupMember
	err := b.tx.NewSelect().Model(&m).Where("workshop_id = ? AND participant_id = ?", b.w.ID, args.Participant).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !slices.Contains(b.st.Groups, m.GroupID) {
		return refuse(CodeNotFound, "this person is in no group"), nil
	}
	if err != nil {
		return refusal{}, fmt.Errorf("store: rapporteur: %w", err)
	}
	if *args.Rapporteur {
		var others []int64
		err := b.tx.NewSelect().Model((*record.GroupMember)(nil)).Column("participant_id").
			Where("workshop_id = ? AND group_id = ? AND rapporteur AND participant_id <> ?", b.w.ID, m.GroupID, m.ParticipantID).
			Order("participant_id").Scan(ctx, &others)
		if err != nil {
			return refusal{}, fmt.Errorf("store: rapporteur: %w", err)
		}
		_, err = b.tx.NewUpdate().Model((*record.GroupMember)(nil)).Set("rapporteur = ?", false).
			Where("workshop_id = ? AND group_id = ?", b.w.ID, m.GroupID).Exec(ctx)
		if err != nil {
			return refusal{}, fmt.Errorf("store: rapporteur: %w", err)
		}
		for _, o := range others {
			b.emit("group.rapporteur", AudiencePerson(o), map[string]any{"group": m.GroupID, "rapporteur": false})
		}
	}
	_, err = b.tx.NewUpdate().Model((*record.GroupMember)(nil)).Set("rapporteur = ?", *args.Rapporteur).
		Where("workshop_id = ? AND participant_id = ?", b.w.ID, m.ParticipantID).Exec(ctx)
	if err != nil {
		return refusal{}, fmt.Errorf("store: rapporteur: %w", err)
	}
	b.emit("group.rapporteur", AudiencePerson(m.ParticipantID), map[string]any{"group": m.GroupID, "rapporteur": *args.Rapporteur})
	return refusal{}, b.emitMembers(ctx, nil)
}

func (b *batch) reader() *view.Reader { return &view.Reader{DB: b.tx, Workshop: &b.w, State: &b.st} }

// Check-in: who is present. Check-in means arrival: the welcome desk checks people in from the
// moderator console (checkin.set) or at the door; a participant's own "Je suis là" button
// (checkin.self) counts only on the day, within the session's hours (SelfCheckInWindow), so that
// a card or a personal link opened at home never marks anyone present. Present people are who
// groups.split dispatches and who a plenary vote's turnout counts.

// CodeOutsideHours refuses a checkin.self sent before the session opens or after it ends.
const CodeOutsideHours = "outside_hours"

// SelfCheckInOpens is how long before a session starts a person may say "I am here" themselves:
// people arrive early for the coffee; days before, they are not in the room.
const SelfCheckInOpens = time.Hour

// SelfCheckInWindow reports whether a participant may check themselves in to w at now: from
// SelfCheckInOpens before the start to the end of the session.
func SelfCheckInWindow(w *record.Workshop, now time.Time) bool {
	return !now.Before(w.StartsAt.Add(-SelfCheckInOpens)) && now.Before(w.EndsAt)
}

type checkinArgs struct {
	Participant int64
	Present     *bool
}

func cmdCheckinSet(ctx context.Context, b *batch, _ Actor, args *checkinArgs) (refusal, error) {
	if args.Present == nil {
		return refuse(CodeInvalidArgs, "present is required"), nil
	}
	return b.checkIn(ctx, args.Participant, *args.Present)
}

func cmdCheckinSelf(ctx context.Context, b *batch, a Actor, _ *noArgs) (refusal, error) {
	if a.Role != record.RoleParticipant {
		return refuse(CodeNotAllowed, "only participants check in"), nil
	}
	if !SelfCheckInWindow(&b.w, b.now) {
		return refuse(CodeOutsideHours, "one checks in on the day, from an hour before the session starts to its end"), nil
	}
	return b.checkIn(ctx, a.Participant, true)
}

func (b *batch) checkIn(ctx context.Context, participant int64, present bool) (refusal, error) {
	var reg record.Registration
	err := b.tx.NewSelect().Model(&reg).
		Where("workshop_id = ? AND participant_id = ? AND status = ?", b.w.ID, participant, record.RegistrationConfirmed).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return refuse(CodeNotFound, "no confirmed registration for this person in this session"), nil
	}
	if err != nil {
		return refusal{}, fmt.Errorf("store: check in: %w", err)
	}
	// Checking in again keeps the first time: it is when the person arrived.
	if present && reg.CheckedInAt == nil {
		now := b.now
		reg.CheckedInAt = &now
	} else if !present {
		reg.CheckedInAt = nil
	}
	reg.UpdatedAt = b.now
	if _, err := b.tx.NewUpdate().Model(&reg).Column("checked_in_at", "updated_at").WherePK().Exec(ctx); err != nil {
		return refusal{}, fmt.Errorf("store: check in: %w", err)
	}
	n, err := b.tx.NewSelect().Model((*record.Registration)(nil)).
		Where("workshop_id = ? AND status = ? AND checked_in_at IS NOT NULL", b.w.ID, record.RegistrationConfirmed).Count(ctx)
	if err != nil {
		return refusal{}, fmt.Errorf("store: check in: %w", err)
	}
	b.emit("checkin.changed", AudienceModerators, map[string]any{"participant": participant, "present": present, "checkedIn": n})
	b.emit("checkin.changed", AudiencePerson(participant), map[string]any{"participant": participant, "present": present})
	return refusal{}, nil
}

// emitProgress is the groups.progress follow-up, coalesced like tallies: one event for a burst
// of posts.
func (b *batch) emitProgress(ctx context.Context) error {
	p, err := view.ProgressOf(ctx, b.reader())
	if err != nil {
		return err
	}
	b.emit("groups.progress", AudienceAll, map[string]any{"groups": p})
	return nil
}
