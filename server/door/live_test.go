package door_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

type checkinData struct {
	Participant int64 `json:"participant"`
	Present     bool  `json:"present"`
	CheckedIn   *int  `json:"checkedIn"`
}

// awaitCheckin waits (a bounded time) for the checkin.changed event about who, present or not,
// and returns it.
func awaitCheckin(t *testing.T, c *liveclient.Client, who string, participant int64, present bool) (liveclient.Message, checkinData) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d checkinData
	m, err := c.WaitEvent(ctx, func(m liveclient.Message) bool {
		var x checkinData
		return m.Name == "checkin.changed" && json.Unmarshal(m.Data, &x) == nil && x.Participant == participant && x.Present == present
	})
	if err != nil {
		t.Fatalf("%s got no checkin.changed for %d (present %v): %v", who, participant, present, err)
	}
	if err := json.Unmarshal(m.Data, &d); err != nil {
		t.Fatal(err)
	}
	return m, d
}

// TestDoorCheckInReachesTheRoom: what the door records (a name ticked, a card scanned, a
// walk-in, an arrival taken back) reaches the moderator console at once with the room's new
// count, and the person checked in on their own phone, through the log (commit before the
// door's answer); other participants receive nothing of it.
func TestDoorCheckInReachesTheRoom(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		ctx := context.Background()
		w := s.Workshop(t, "Accueil")
		console := s.Connect(t, s.Join(t, "Mona", "Animation", record.RoleModerator, w), w)
		keeper := s.Join(t, "Karl", "Accueil", record.RoleModerator, w)
		ana := s.Join(t, "Ana", "CPAS", record.RoleParticipant, w)
		ben := s.Join(t, "Ben", "Syndicat", record.RoleParticipant, w)
		anaPhone := s.Connect(t, ana, w)
		benPhone := s.Connect(t, ben, w)
		door := fmt.Sprintf("%s/w/%d/door", s.Server.URL, w.ID)
		desk := s.Browser(t, &keeper)
		csrf := sitetest.FormToken(t, desk, door)

		// answered checks the door's answer came after the commit: the arrival is in the
		// registrations and its event in the log when the page answers.
		answered := func(step string, resp *http.Response, participant int64, present bool) {
			t.Helper()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: got %d, want 303", step, resp.StatusCode)
			}
			var reg record.Registration
			if err := s.DB.NewSelect().Model(&reg).Where("workshop_id = ? AND participant_id = ?", w.ID, participant).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if (reg.CheckedInAt != nil) != present {
				t.Fatalf("%s: checked in %v when the door answered, want %v", step, reg.CheckedInAt != nil, present)
			}
			n, err := s.DB.NewSelect().Model((*record.StoredEvent)(nil)).
				Where("workshop_id = ? AND name = ? AND audience = ?", w.ID, "checkin.changed", deliberation.AudiencePerson(participant)).Count(ctx)
			if err != nil || n == 0 {
				t.Fatalf("%s: no checkin.changed in the log when the door answered (%d, %v)", step, n, err)
			}
		}

		// By name.
		resp, _ := sitetest.PostForm(t, desk, door+"/checkin", url.Values{"csrf": {csrf}, "participant": {fmt.Sprint(ana.Participant.ID)}})
		answered("check-in by name", resp, ana.Participant.ID, true)
		if _, d := awaitCheckin(t, console, "the console", ana.Participant.ID, true); d.CheckedIn == nil || *d.CheckedIn != 1 {
			t.Errorf("console after Ana's arrival: got %+v, want 1 present", d)
		}
		if _, d := awaitCheckin(t, anaPhone, "Ana's phone", ana.Participant.ID, true); d.CheckedIn != nil {
			t.Errorf("Ana's phone got the room's count %d, want only her own arrival", *d.CheckedIn)
		}

		// By scanning Ben's card.
		card, _, err := people.CreateInvitation(ctx, s.DB, ben.Participant.ID, &w.ID, time.Hour, false)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ = sitetest.PostForm(t, desk, door+"/scan", url.Values{"csrf": {csrf}, "token": {s.Server.URL + "/i/" + card}})
		answered("scan", resp, ben.Participant.ID, true)
		if _, d := awaitCheckin(t, console, "the console", ben.Participant.ID, true); d.CheckedIn == nil || *d.CheckedIn != 2 {
			t.Errorf("console after Ben's card: got %+v, want 2 present", d)
		}

		// A walk-in.
		resp, _ = sitetest.PostForm(t, desk, door+"/walkin", url.Values{"csrf": {csrf}, "displayName": {"Chloé"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("walk-in: got %d, want 303", resp.StatusCode)
		}
		chloe := sitetest.ParticipantNamed(t, s.DB, "Chloé")
		answered("walk-in", resp, chloe, true)
		if _, d := awaitCheckin(t, console, "the console", chloe, true); d.CheckedIn == nil || *d.CheckedIn != 3 {
			t.Errorf("console after the walk-in: got %+v, want 3 present", d)
		}

		// Taken back.
		resp, _ = sitetest.PostForm(t, desk, door+"/checkin", url.Values{"csrf": {csrf}, "participant": {fmt.Sprint(ana.Participant.ID)}, "undo": {"1"}})
		answered("undo", resp, ana.Participant.ID, false)
		if _, d := awaitCheckin(t, console, "the console", ana.Participant.ID, false); d.CheckedIn == nil || *d.CheckedIn != 2 {
			t.Errorf("console after the undo: got %+v, want 2 present", d)
		}
		awaitCheckin(t, anaPhone, "Ana's phone", ana.Participant.ID, false)

		// Ben's phone got his own arrival and nothing of the others'.
		awaitCheckin(t, benPhone, "Ben's phone", ben.Participant.ID, true)
		barrier := stack.MustDo(t, console, "phase.set", map[string]any{"phase": "diagnostic"})
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := benPhone.WaitSeq(wctx, barrier.Seq); err != nil {
			t.Fatal(err)
		}
		for _, m := range benPhone.Events() {
			var d checkinData
			if m.Name == "checkin.changed" && (json.Unmarshal(m.Data, &d) != nil || d.Participant != ben.Participant.ID || d.CheckedIn != nil) {
				t.Errorf("Ben's phone received another person's check-in or the room's count: %s", m.Data)
			}
		}
	})
}
