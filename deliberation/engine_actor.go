package deliberation

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Actor returns who a participant is in a workshop, or ErrForbidden when they may not join it.
// The rules, kept simple:
//   - erased participants, unknown ids and participants of another process may not join;
//   - platform organisers (no process) and the process's organisers and moderators join as
//     moderators, and so does anyone appointed moderator of this workshop (workshop_roles);
//   - observers and the follow-up committee join to watch (they may not post or vote);
//   - participants join when the process is open, or, when it requires an invitation, when
//     they hold a confirmed registration (not the waiting list) or a role in this workshop.
//
// ErrNotFound is returned when the workshop does not exist.
func (e *Engine) Actor(ctx context.Context, workshop, participant int64) (Actor, error) {
	w, err := GetWorkshop(ctx, e.db, workshop)
	if err != nil {
		return Actor{}, err
	}
	actors, err := e.actors(ctx, w, []int64{participant})
	if err != nil {
		return Actor{}, err
	}
	a, ok := actors[participant]
	if !ok {
		return Actor{}, ErrForbidden
	}
	return a, nil
}

// Actors returns the actor of everyone who may be in a workshop: the participants of its
// process who pass the rules of Actor, and the platform organisers. The hub calls it after an
// event with ReloadViewers and closes the connection of anyone missing from the map, so the map
// must hold everyone who may stay, not only those with a group or a workshop role (a registered
// participant left out of the groups, a process moderator, must not be disconnected).
func (e *Engine) Actors(ctx context.Context, workshop int64) (map[int64]Actor, error) {
	w, err := GetWorkshop(ctx, e.db, workshop)
	if err != nil {
		return nil, err
	}
	var ids []int64
	err = e.db.NewSelect().Model((*Participant)(nil)).Column("id").
		Where("erased_at IS NULL").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("process_id = ?", w.ProcessID).WhereOr("process_id IS NULL AND role = ?", RoleOrganiser)
		}).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: workshop members: %w", err)
	}
	return e.actors(ctx, w, ids)
}

// actors applies the rules of Actor to some participants, with one query per table.
func (e *Engine) actors(ctx context.Context, w *Workshop, ids []int64) (map[int64]Actor, error) {
	out := map[int64]Actor{}
	if len(ids) == 0 {
		return out, nil
	}
	process, err := GetProcess(ctx, e.db, w.ProcessID)
	if err != nil {
		return nil, err
	}
	var ps []Participant
	if err := e.db.NewSelect().Model(&ps).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: actors: %w", err)
	}
	var roles []WorkshopRole
	if err := e.db.NewSelect().Model(&roles).Where("workshop_id = ? AND participant_id IN (?)", w.ID, bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: actors: %w", err)
	}
	var members []GroupMember
	if err := e.db.NewSelect().Model(&members).Where("workshop_id = ? AND participant_id IN (?)", w.ID, bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: actors: %w", err)
	}
	var registered []int64
	err = e.db.NewSelect().Model((*Registration)(nil)).Column("participant_id").
		Where("workshop_id = ? AND status = ? AND participant_id IN (?)", w.ID, RegistrationConfirmed, bun.In(ids)).Scan(ctx, &registered)
	if err != nil {
		return nil, fmt.Errorf("store: actors: %w", err)
	}
	var langs []struct {
		ParticipantID int64
		Language      string
	}
	err = e.db.NewSelect().Model((*Person)(nil)).Column("participant_id", "language").
		Where("participant_id IN (?)", bun.In(ids)).Scan(ctx, &langs)
	if err != nil {
		return nil, fmt.Errorf("store: actors: %w", err)
	}

	role := map[int64]Role{}
	for _, r := range roles {
		role[r.ParticipantID] = r.Role
	}
	group := map[int64]int64{}
	for _, m := range members {
		group[m.ParticipantID] = m.GroupID
	}
	confirmed := map[int64]bool{}
	for _, id := range registered {
		confirmed[id] = true
	}
	language := map[int64]string{}
	for _, l := range langs {
		language[l.ParticipantID] = l.Language
	}
	for _, p := range ps {
		if p.ErasedAt != nil {
			continue
		}
		if p.ProcessID == nil && p.Role != RoleOrganiser || p.ProcessID != nil && *p.ProcessID != w.ProcessID {
			continue
		}
		wr, hasRole := role[p.ID]
		a := Actor{Participant: p.ID, Role: p.Role, Group: group[p.ID], Language: language[p.ID]}
		if a.Language == "" {
			a.Language = "fr"
		}
		a.Moderator = p.Role == RoleOrganiser || p.Role == RoleModerator || wr == RoleModerator
		if p.Role == RoleParticipant && !a.Moderator && process.InvitationRequired && !confirmed[p.ID] && !hasRole {
			continue
		}
		out[p.ID] = a
	}
	return out, nil
}
