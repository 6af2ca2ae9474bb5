package door

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
)

// doorCheck records at the door that a person arrived (present) or did not after all: the
// same checkin.set command the moderator console sends, run through the session's live room
// by the door keeper (by). So the console's list, the room's count of who is present and the
// person's own phone learn of it at once (checkin.changed, to the moderators and to the
// person), and the door's page answers only after the commit. A person without a confirmed
// place gives people.ErrNotConfirmed. A server without live rooms writes the check-in alone.
func (h *Door) doorCheck(ctx context.Context, ws *record.Workshop, by, who int64, present bool) error {
	if h.Hub == nil {
		if present {
			return people.CheckIn(ctx, h.DB, ws, who, h.Now(), false)
		}
		return people.UndoCheckIn(ctx, h.DB, ws.ID, who)
	}
	args, err := json.Marshal(map[string]any{"participant": who, "present": present})
	if err != nil {
		return err
	}
	out, err := h.Hub.Submit(ctx, ws.ID, by, hub.Command{ID: uuid.NewString(), Name: "checkin.set", Args: args})
	if err != nil {
		return fmt.Errorf("door: check in: %w", err)
	}
	switch out.Code {
	case "":
		return nil
	case deliberation.CodeNotFound:
		return fmt.Errorf("door: check in: %w", people.ErrNotConfirmed)
	}
	// busy, unavailable, shutting_down: nothing the door can mend. It is logged, and sending the
	// form again is safe (checking in twice keeps the first time).
	return fmt.Errorf("door: check in refused: %s (%s)", out.Code, out.Message)
}

// selfCheck is a person's own "Je suis là" (checkin.self) sent for them through the live
// room: the engine applies its rule on the session's hours.
func (h *Door) selfCheck(ctx context.Context, ws *record.Workshop, who int64) error {
	if h.Hub == nil {
		return people.CheckIn(ctx, h.DB, ws, who, h.Now(), false)
	}
	out, err := h.Hub.Submit(ctx, ws.ID, who, hub.Command{ID: uuid.NewString(), Name: "checkin.self", Args: json.RawMessage("{}")})
	if err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	if out.Code != "" {
		return fmt.Errorf("check in refused: %s (%s)", out.Code, out.Message)
	}
	return nil
}
