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
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/sitetest"
)

type scanAnswer struct {
	Result      string `json:"result"`
	Participant int64  `json:"participant"`
	Name        string `json:"name"`
	Message     string `json:"message"`
}

// TestSignInAndDoorScanTokens tries every kind of link on the sign-in route and on the door's
// scanner: only a good one works, and scanning never signs the moderator's phone in as the
// card's holder nor uses up the link.
func TestSignInAndDoorScanTokens(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		mod, modP, csrf := s.ModeratorAt(t, f, f.Open)
		ana := f.Person(t, s.DB, "Ana", "CPAS", nil, f.Open)
		ben := f.Person(t, s.DB, "Ben", "Syndicat", nil)
		if err := people.AddRegistration(ctx, s.DB, f.Open, ben.ID, record.RegistrationWaiting); err != nil {
			t.Fatal(err)
		}
		other := &record.Process{Slug: "other", Title: "Other", Capacity: 10}
		if err := process.Create(ctx, s.DB, other); err != nil {
			t.Fatal(err)
		}
		stranger, err := people.CreateParticipant(ctx, s.DB, people.NewParticipant{ProcessID: &other.ID, Role: record.RoleParticipant, Person: people.Person{DisplayName: "Stranger"}})
		if err != nil {
			t.Fatal(err)
		}
		link := func(p int64, ttl time.Duration, singleUse bool) string {
			tok, _, err := people.CreateInvitation(ctx, s.DB, p, nil, ttl, singleUse)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		good := link(ana.ID, time.Hour, true)
		expired := link(ana.ID, -time.Minute, false)
		revoked := link(ben.ID, time.Hour, false)
		if err := people.RevokeInvitations(ctx, s.DB, ben.ID); err != nil {
			t.Fatal(err)
		}
		waiting := link(ben.ID, time.Hour, false)
		forged := people.NewToken()
		foreign := link(stranger.ID, time.Hour, false)

		scan := func(t *testing.T, token string) scanAnswer {
			t.Helper()
			v := url.Values{"token": {s.Server.URL + "/i/" + token}}
			resp, body := sitetest.PostForm(t, mod, fmt.Sprintf("%s/w/%d/door/scan", s.Server.URL, f.Open.ID), v, "X-CSRF-Token", csrf, "Accept", "application/json")
			if resp.StatusCode != 200 {
				t.Fatalf("scan: got %d %s", resp.StatusCode, body)
			}
			if len(resp.Cookies()) != 0 {
				t.Fatalf("scanning a card set cookies %v on the moderator's phone", resp.Cookies())
			}
			var a scanAnswer
			if err := json.Unmarshal([]byte(body), &a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		for _, tt := range []struct {
			name, token, want string
		}{
			{"expired", expired, "invalid"}, {"revoked", revoked, "invalid"}, {"forged", forged, "invalid"},
			{"another process", foreign, "invalid"}, {"waiting", waiting, "waiting"},
			{"good", good, "checked_in"}, {"good again", good, "already"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				a := scan(t, tt.token)
				if a.Result != tt.want || a.Message == "" {
					t.Errorf("scan %s: got %+v, want %s", tt.name, a, tt.want)
				}
				if tt.want == "invalid" && (a.Name != "" || a.Participant != 0) {
					t.Errorf("scan %s: an invalid card reveals %+v", tt.name, a)
				}
			})
		}
		if reg := sitetest.Registration(t, s.DB, f.Open.ID, ana.ID); reg.CheckedInAt == nil {
			t.Errorf("Ana is not checked in after the scan")
		}
		var me struct{ Participant int64 }
		sitetest.Call(t, mod, "GET", s.Server.URL+"/api/me", "", nil, &me)
		if me.Participant != modP.ID {
			t.Fatalf("after scanning, the moderator's phone is signed in as %d, want %d", me.Participant, modP.ID)
		}
		// Without the token, or from a participant, the scanner refuses.
		if resp, _ := sitetest.PostForm(t, mod, fmt.Sprintf("%s/w/%d/door/scan", s.Server.URL, f.Open.ID), url.Values{"token": {good}}, "Accept", "application/json"); resp.StatusCode != 403 {
			t.Errorf("scan without CSRF token: got %d, want 403", resp.StatusCode)
		}
		anaPhone := s.SignInAs(t, ana.ID, nil)
		if resp, _ := sitetest.Get(t, anaPhone, fmt.Sprintf("%s/w/%d/door", s.Server.URL, f.Open.ID)); resp.StatusCode != 403 {
			t.Errorf("a participant at the door page: got %d, want 403", resp.StatusCode)
		}
		if resp, _ := sitetest.Get(t, s.Client(t), fmt.Sprintf("%s/w/%d/door", s.Server.URL, f.Open.ID)); resp.StatusCode != 401 {
			t.Errorf("signed out at the door page: got %d, want 401", resp.StatusCode)
		}

		// The single-use link was only read at the door: it still signs Ana in, once.
		for _, tt := range []struct {
			name, token string
			want        int
		}{{"good", good, 303}, {"good twice", good, 404}, {"expired", expired, 404}, {"revoked", revoked, 404}, {"forged", forged, 404}, {"not base64", "%00%0A", 404}} {
			t.Run(tt.name, func(t *testing.T) {
				if resp, _ := sitetest.Get(t, s.Client(t), s.Server.URL+"/i/"+tt.token); resp.StatusCode != tt.want {
					t.Errorf("sign in with the %s link: got %d, want %d", tt.name, resp.StatusCode, tt.want)
				}
			})
		}

		// The pasted-link form (no JavaScript) checks in and comes back to the door.
		resp, _ := sitetest.PostForm(t, mod, fmt.Sprintf("%s/w/%d/door/scan", s.Server.URL, f.Open.ID), url.Values{"csrf": {csrf}, "token": {waiting}})
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("pasted link of someone waiting: got %d, want 409 with the door page", resp.StatusCode)
		}
		if strings.Contains(s.Logs.String(), good) || strings.Contains(s.Logs.String(), waiting) {
			t.Error("a token reached the logs")
		}
	})
}

var (
	walkinLink = regexp.MustCompile(`<p class="linktext" translate="no">([^<]+)</p>`)
	walkinCode = regexp.MustCompile(`<strong class="way-code" translate="no">([^<]+)</strong>`)
)

// TestDoorSearchAndWalkIn: the moderator finds a person by a part of their name (without
// accents) and checks them in or back out; a walk-in gets a place although the session is
// full, is checked in, and their QR code's link signs their own phone in to the session.
func TestDoorSearchAndWalkIn(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		f := sitetest.NewFixture(t, s.DB)
		zoe := f.Person(t, s.DB, "Zoé Lambert", "Maison de quartier", nil, f.Small)
		f.Person(t, s.DB, "Omar", "CPAS", nil, f.Small)
		mod, modP, csrf := s.ModeratorAt(t, f, f.Small)
		door := fmt.Sprintf("%s/w/%d/door", s.Server.URL, f.Small.ID)

		_, body := sitetest.Get(t, mod, door+"?q=zoe")
		if !strings.Contains(body, "Zoé Lambert") || strings.Contains(body, "Omar") {
			t.Fatalf("search for zoe: want Zoé Lambert and not Omar")
		}
		checkin := url.Values{"csrf": {csrf}, "participant": {fmt.Sprint(zoe.ID)}, "q": {"zoe"}}
		resp, _ := sitetest.PostForm(t, mod, door+"/checkin", checkin)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=") {
			t.Fatalf("check in: got %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if sitetest.Registration(t, s.DB, f.Small.ID, zoe.ID).CheckedInAt == nil {
			t.Fatal("Zoé is not checked in")
		}
		_, body = sitetest.Get(t, mod, s.Server.URL+resp.Header.Get("Location"))
		if !strings.Contains(body, "Zoé Lambert</strong> est enregistré·e comme présent·e") || !strings.Contains(body, "<strong>1</strong> / 2") {
			t.Errorf("door page after check-in: want the confirmation and 1 / 2 present")
		}
		checkin.Set("undo", "1")
		if resp, _ := sitetest.PostForm(t, mod, door+"/checkin", checkin); resp.StatusCode != http.StatusSeeOther || sitetest.Registration(t, s.DB, f.Small.ID, zoe.ID).CheckedInAt != nil {
			t.Errorf("undo check-in: got %d, still checked in", resp.StatusCode)
		}
		if resp, _ := sitetest.PostForm(t, mod, door+"/checkin", url.Values{"participant": {fmt.Sprint(zoe.ID)}}); resp.StatusCode != 403 {
			t.Errorf("check-in without token: got %d, want 403", resp.StatusCode)
		}

		// Walk-ins.
		if resp, body := sitetest.PostForm(t, mod, door+"/walkin", url.Values{"csrf": {csrf}, "displayName": {" "}, "organisation": {"Quartier"}}); resp.StatusCode != 400 || !strings.Contains(body, `value="Quartier"`) {
			t.Errorf("walk-in without a name: got %d, want 400 keeping the organisation", resp.StatusCode)
		}
		if resp, _ := sitetest.PostForm(t, mod, door+"/walkin", url.Values{"displayName": {"Sans jeton"}}); resp.StatusCode != 403 {
			t.Errorf("walk-in without token: got %d, want 403", resp.StatusCode)
		}
		resp, _ = sitetest.PostForm(t, mod, door+"/walkin", url.Values{"csrf": {csrf}, "displayName": {"Karim"}, "organisation": {"Quartier"}, "serviceUser": {"1"}})
		karim := sitetest.ParticipantNamed(t, s.DB, "Karim")
		walkinPage := fmt.Sprintf("/w/%d/door/walkin/%d", f.Small.ID, karim)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != walkinPage {
			t.Fatalf("walk-in: got %d %q, want 303 to %s (Post/Redirect/Get)", resp.StatusCode, resp.Header.Get("Location"), walkinPage)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name != "assises_walkin" || ck.Path != walkinPage || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.MaxAge <= 0 || ck.MaxAge > 3600 {
				t.Errorf("walk-in answer sets cookie %+v; want only the walk-in's page cookie, HttpOnly, Strict, short-lived", ck)
			}
		}
		if strings.Contains(resp.Header.Get("Location"), "/i/") {
			t.Errorf("the walk-in's link is in the redirect's address")
		}
		resp, body = sitetest.Get(t, mod, s.Server.URL+walkinPage)
		if resp.StatusCode != 200 || !strings.Contains(body, `src="data:image/svg&#43;xml;base64,`) {
			t.Fatalf("walk-in page: got %d, want the QR page", resp.StatusCode)
		}
		m := walkinLink.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("walk-in page shows no link")
		}
		code := walkinCode.FindStringSubmatch(body)
		if code == nil {
			t.Fatal("walk-in page shows no personal code")
		}
		// The language switch and a reload show the same link and code again.
		for _, lang := range []string{"nl", "en", "fr"} {
			resp, again := sitetest.Get(t, mod, s.Server.URL+walkinPage+"?lang="+lang)
			if resp.StatusCode != 200 || !strings.Contains(again, m[1]) || !strings.Contains(again, code[1]) || !strings.Contains(again, `lang="`+lang+`"`) {
				t.Errorf("walk-in page in %s: got %d, want the same link and code in that language", lang, resp.StatusCode)
			}
		}
		// Nobody else sees them: another door keeper of the session, or the same one without
		// the cookie (another phone), gets a page that says how to get a new link.
		other, _, _ := s.ModeratorAt(t, f, f.Small)
		for name, c := range map[string]*http.Client{"another door keeper": other, "no cookie": s.SignInAs(t, modP.ID, nil)} {
			resp, page := sitetest.Get(t, c, s.Server.URL+walkinPage)
			if resp.StatusCode != http.StatusNotFound || strings.Contains(page, m[1]) || strings.Contains(page, code[1]) {
				t.Errorf("%s: got %d, want 404 without the link or the code", name, resp.StatusCode)
			}
		}
		// The cookie belongs to Karim's page: another person's number shows nothing.
		if resp, page := sitetest.Get(t, mod, fmt.Sprintf("%s/w/%d/door/walkin/%d", s.Server.URL, f.Small.ID, zoe.ID)); resp.StatusCode != http.StatusNotFound || strings.Contains(page, m[1]) {
			t.Errorf("walk-in page of another person: got %d, want 404", resp.StatusCode)
		}
		reg := sitetest.Registration(t, s.DB, f.Small.ID, karim)
		if reg.Status != "confirmed" || reg.CheckedInAt == nil {
			t.Errorf("walk-in registration: %+v, want confirmed and checked in although the session was full", reg)
		}
		if person, _ := people.GetPerson(context.Background(), s.DB, karim); person == nil || !person.ServiceUser {
			t.Errorf("walk-in service user not kept")
		}
		phone := s.Client(t)
		resp, _ = sitetest.Get(t, phone, m[1])
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/w/%d", f.Small.ID) {
			t.Fatalf("walk-in's link: got %d %q, want 303 to the session", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := sitetest.Get(t, phone, fmt.Sprintf("%s/w/%d", s.Server.URL, f.Small.ID)); resp.StatusCode != 200 {
			t.Errorf("walk-in's phone in the session: got %d, want 200", resp.StatusCode)
		}
		var me struct{ Participant int64 }
		sitetest.Call(t, mod, "GET", s.Server.URL+"/api/me", "", nil, &me)
		if me.Participant != modP.ID {
			t.Errorf("moderator's phone signed in as %d after a walk-in, want %d", me.Participant, modP.ID)
		}
		// The door, the walk-in's page and the public page keep to the CSP.
		sitetest.NoInline(t, "walk-in page", body)
		for _, u := range []string{door, s.Server.URL + "/p/" + f.Proc.Slug} {
			_, page := sitetest.Get(t, mod, u)
			sitetest.NoInline(t, u, page)
		}
	})
}
