package door_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

// TestOpenJoinChecksInDuringTheSession: a phone that joins an open session from the
// projector's QR while it runs is checked in by the join itself (its own checkin.self), and
// the moderator console's count moves at once; a phone that joins the day before is not
// (the hours rule of checkin.self holds), and keeps the "Je suis là" button for the day.
func TestOpenJoinChecksInDuringTheSession(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		ctx := context.Background()
		now := s.Workshop(t, "Plénière")
		tomorrow := s.Workshop(t, "Plénière de demain")
		tomorrow.StartsAt, tomorrow.EndsAt = tomorrow.StartsAt.Add(26*time.Hour), tomorrow.EndsAt.Add(26*time.Hour)
		for _, w := range []*record.Workshop{now, tomorrow} {
			w.Access = "open"
			if err := process.UpdateWorkshop(ctx, s.DB, w); err != nil {
				t.Fatal(err)
			}
		}
		console := s.Connect(t, s.Join(t, "Mona", "Animation", record.RoleModerator, now), now)

		tests := []struct {
			name    string
			w       *record.Workshop
			present bool
		}{
			{"during the session", now, true},
			{"the day before", tomorrow, false},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				jar, _ := cookiejar.New(nil)
				phone := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
					return http.ErrUseLastResponse
				}}
				qr := s.Server.URL + "/j/" + tc.w.Code
				pseudonym := fmt.Sprintf("Passant %d", i)
				resp, _ := sitetest.PostForm(t, phone, s.Server.URL+"/join/open", url.Values{"csrf": {sitetest.FormToken(t, phone, qr)}, "code": {tc.w.Code}, "pseudonym": {pseudonym}})
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("open join: got %d, want 303", resp.StatusCode)
				}
				who := sitetest.ParticipantNamed(t, s.DB, pseudonym)
				var reg record.Registration
				if err := s.DB.NewSelect().Model(&reg).Where("workshop_id = ? AND participant_id = ?", tc.w.ID, who).Scan(ctx); err != nil {
					t.Fatal(err)
				}
				if (reg.CheckedInAt != nil) != tc.present {
					t.Fatalf("checked in: got %v, want %v", reg.CheckedInAt != nil, tc.present)
				}
				if tc.present {
					if _, d := awaitCheckin(t, console, "the console", who, true); d.CheckedIn == nil || *d.CheckedIn != 1 {
						t.Errorf("console after the open join: got %+v, want 1 present", d)
					}
				}
			})
		}
	})
}
