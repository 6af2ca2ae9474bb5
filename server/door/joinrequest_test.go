package door_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/server/sitetest"
)

var waitNumber = regexp.MustCompile(`class="joinnumber"[^>]*>(\d{3})<`)

// TestJoinFromAnyPhone: a registered person without their personal link types the session
// code and their name on a borrowed phone; the door sees the request, says who it is, and the
// phone is signed in as that person and lands in the session. A code alone signs nobody in.
func TestJoinFromAnyPhone(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		f := sitetest.NewFixture(t, s.DB)
		zoe := f.Person(t, s.DB, "Zoé Verhulst", "Maison de quartier", nil, f.Open)
		door, _, doorCSRF := s.ModeratorAt(t, f, f.Open)

		phone := s.Client(t)
		token := sitetest.FormToken(t, phone, s.Server.URL+"/join")
		code := strings.ToLower(f.Open.Code[:4]) + " " + f.Open.Code[4:]

		// A wrong code and a finished session's code get the same answer.
		_, wrong := sitetest.PostForm(t, phone, s.Server.URL+"/join/request", url.Values{"csrf": {token}, "code": {"ZZZZZZZZ"}, "name": {"Zoé"}})
		_, closed := sitetest.PostForm(t, phone, s.Server.URL+"/join/request", url.Values{"csrf": {token}, "code": {f.Past.Code}, "name": {"Zoé"}})
		if !strings.Contains(wrong, "Ce code ne correspond") || stripValues(wrong) != stripValues(closed) {
			t.Fatalf("wrong and closed codes must answer alike")
		}
		// Without the form token, nothing is recorded.
		if resp, _ := sitetest.PostForm(t, phone, s.Server.URL+"/join/request", url.Values{"code": {code}, "name": {"Zoé"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("no CSRF token: got %d, want 403", resp.StatusCode)
		}
		countJoins(t, s.DB, 0)

		resp, _ := sitetest.PostForm(t, phone, s.Server.URL+"/join/request", url.Values{"csrf": {token}, "code": {code}, "name": {"zoe verhulst"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/join/wait" {
			t.Fatalf("request: got %d to %q, want 303 to /join/wait", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page := sitetest.Get(t, phone, s.Server.URL+"/join/wait")
		m := waitNumber.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("the waiting page shows no number")
		}
		if status := joinStatus(t, phone, s.Server.URL); status["status"] != "pending" {
			t.Fatalf("status before the door: %v", status)
		}
		if resp, _ := sitetest.Get(t, phone, s.Server.URL+"/api/me"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the phone is signed in before the door let it in: %d", resp.StatusCode)
		}

		// The door lists the phone with its number and suggests Zoé (accents and case ignored).
		doorURL := fmt.Sprintf("%s/w/%d/door", s.Server.URL, f.Open.ID)
		_, doorPage := sitetest.Get(t, door, doorURL)
		if !strings.Contains(doorPage, ">"+m[1]+"<") || !regexp.MustCompile(fmt.Sprintf(`<option value="%d" selected>`, zoe.ID)).MatchString(doorPage) {
			t.Fatalf("the door does not show request %s with Zoé suggested", m[1])
		}
		reqID := pendingJoinID(t, s.DB, f.Open.ID)
		// A participant (not a moderator) may not let phones in.
		outsider := s.SignInAs(t, zoe.ID, nil)
		if resp, _ := sitetest.PostForm(t, outsider, fmt.Sprintf("%s/door/joins/%d", doorURL[:strings.LastIndex(doorURL, "/door")], reqID),
			url.Values{"csrf": {doorCSRF}, "participant": {fmt.Sprint(zoe.ID)}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a participant approved a join: %d", resp.StatusCode)
		}
		resp, _ = sitetest.PostForm(t, door, fmt.Sprintf("%s/joins/%d", doorURL, reqID), url.Values{"csrf": {doorCSRF}, "participant": {fmt.Sprint(zoe.ID)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: got %d, want 303", resp.StatusCode)
		}
		status := joinStatus(t, phone, s.Server.URL)
		if status["status"] != "approved" || status["location"] != fmt.Sprintf("/w/%d", f.Open.ID) {
			t.Fatalf("status after the door: %v", status)
		}
		_, me := sitetest.Get(t, phone, s.Server.URL+"/api/me")
		if !strings.Contains(me, fmt.Sprintf(`"participant":%d`, zoe.ID)) {
			t.Fatalf("the phone is not signed in as Zoé: %s", me)
		}
		countJoins(t, s.DB, 0) // settled and claimed: the name typed is gone

		// A refused request sends the phone back with a plain explanation, signed in as nobody.
		other := s.Client(t)
		tok := sitetest.FormToken(t, other, s.Server.URL+"/join")
		sitetest.PostForm(t, other, s.Server.URL+"/join/request", url.Values{"csrf": {tok}, "code": {f.Open.Code}, "name": {"Quelqu'un"}})
		sitetest.PostForm(t, door, fmt.Sprintf("%s/joins/%d", doorURL, pendingJoinID(t, s.DB, f.Open.ID)), url.Values{"csrf": {doorCSRF}, "refuse": {"1"}})
		if status := joinStatus(t, other, s.Server.URL); status["status"] != "refused" || !strings.HasPrefix(status["location"], "/join") {
			t.Fatalf("status after a refusal: %v", status)
		}
		if resp, _ := sitetest.Get(t, other, s.Server.URL+"/api/me"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a refused phone is signed in: %d", resp.StatusCode)
		}
		if strings.Contains(s.Logs.String(), "Quelqu'un") || strings.Contains(s.Logs.String(), "zoe verhulst") {
			t.Fatal("a typed name reached the logs")
		}
	})
}

// TestJoinCodeGuessesAreThrottled: wrong codes from one address are stopped after a few tries.
func TestJoinCodeGuessesAreThrottled(t *testing.T) {
	s := sitetest.OnSQLite(t)
	c := s.Client(t)
	tok := sitetest.FormToken(t, c, s.Server.URL+"/join")
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		resp, _ := sitetest.PostForm(t, c, s.Server.URL+"/join/request", url.Values{"csrf": {tok}, "code": {fmt.Sprintf("GUESS%03d", i)}, "name": {"X"}})
		limited = resp.StatusCode == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("40 wrong codes from one address were never throttled")
	}
}

func joinStatus(t *testing.T, c *http.Client, base string) map[string]string {
	t.Helper()
	_, body := sitetest.Get(t, c, base+"/join/status")
	var out map[string]string
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("status: %v in %q", err, body)
	}
	return out
}

func pendingJoinID(t *testing.T, db *bun.DB, workshop int64) int64 {
	t.Helper()
	var id int64
	err := db.NewSelect().Model((*people.JoinRequest)(nil)).Column("id").
		Where("workshop_id = ? AND status = ?", workshop, people.JoinPending).Order("id").Limit(1).Scan(context.Background(), &id)
	if err != nil {
		t.Fatalf("no pending join request: %v", err)
	}
	return id
}

func countJoins(t *testing.T, db *bun.DB, want int) {
	t.Helper()
	n, err := db.NewSelect().Model((*people.JoinRequest)(nil)).Count(context.Background())
	if err != nil || int(n) != want {
		t.Fatalf("join requests: %d (%v), want %d", n, err, want)
	}
}

// stripValues removes what differs legitimately between two renderings of a form (tokens).
func stripValues(s string) string {
	return regexp.MustCompile(`value="[^"]*"`).ReplaceAllString(s, `value=""`)
}
