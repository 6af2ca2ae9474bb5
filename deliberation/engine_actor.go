package deliberation

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/record"
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
	w, err := record.GetWorkshop(ctx, e.db, workshop)
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
	w, err := record.GetWorkshop(ctx, e.db, workshop)
	if err != nil {
		return nil, err
	}
	var ids []int64
	err = e.db.NewSelect().Model((*record.Participant)(nil)).Column("id").
		Where("erased_at IS NULL").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("process_id = ?", w.ProcessID).WhereOr("process_id IS NULL AND role = ?", record.RoleOrganiser)
		}).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: workshop members: %w", err)
	}
	return e.actors(ctx, w, ids)
}

// actorRow is a participant with what the rules of Actor need about them in one workshop.
type actorRow struct {
	ID           int64
	ProcessID    *int64
	Role         record.Role
	ErasedAt     *time.Time
	Language     *string
	WorkshopRole *record.Role // their role in workshop_roles, if any
	GroupID      *int64       // their break-out group in this workshop, if any
	Registered   *int64       // set when they hold a confirmed registration
}

// actors applies the rules of Actor to some participants. Everything about them is read in
// one query: a join is one round trip where a query per table was five, and a reconnection
// storm (ten thousand joins at once) is made of these.
func (e *Engine) actors(ctx context.Context, w *record.Workshop, ids []int64) (map[int64]Actor, error) {
	out := map[int64]Actor{}
	if len(ids) == 0 {
		return out, nil
	}
	process, err := record.GetProcess(ctx, e.db, w.ProcessID)
	if err != nil {
		return nil, err
	}
	var rows []actorRow
	err = e.db.NewSelect().TableExpr("participants AS p").
		ColumnExpr("p.id, p.process_id, p.role, p.erased_at, pe.language").
		ColumnExpr("wr.role AS workshop_role, gm.group_id, r.participant_id AS registered").
		Join("LEFT JOIN people AS pe ON pe.participant_id = p.id").
		Join("LEFT JOIN workshop_roles AS wr ON wr.participant_id = p.id AND wr.workshop_id = ?", w.ID).
		Join("LEFT JOIN group_members AS gm ON gm.participant_id = p.id AND gm.workshop_id = ?", w.ID).
		Join("LEFT JOIN registrations AS r ON r.participant_id = p.id AND r.workshop_id = ? AND r.status = ?",
			w.ID, record.RegistrationConfirmed).
		Where("p.id IN (?)", bun.In(ids)).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: actors: %w", err)
	}
	for _, p := range rows {
		if p.ErasedAt != nil {
			continue
		}
		if p.ProcessID == nil && p.Role != record.RoleOrganiser || p.ProcessID != nil && *p.ProcessID != w.ProcessID {
			continue
		}
		a := Actor{Participant: p.ID, Role: p.Role, Language: "fr"}
		if p.GroupID != nil {
			a.Group = *p.GroupID
		}
		if p.Language != nil && *p.Language != "" {
			a.Language = *p.Language
		}
		hasRole := p.WorkshopRole != nil
		a.Moderator = p.Role == record.RoleOrganiser || p.Role == record.RoleModerator || hasRole && *p.WorkshopRole == record.RoleModerator
		if p.Role == record.RoleParticipant && !a.Moderator && w.AccessMode(process) == record.AccessInvitation && p.Registered == nil && !hasRole {
			continue
		}
		out[p.ID] = a
	}
	return out, nil
}
