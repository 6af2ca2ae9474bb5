package register_test

import (
	"context"
	"fmt"
	"html"
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

var (
	codeShown = regexp.MustCompile(`class="way-code" translate="no">([A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{4})<`)
	linkShown = regexp.MustCompile(`class="way-link" href="([^"]+/i/[A-Za-z0-9_-]{43})"`)
	langHrefs = regexp.MustCompile(`<a href="([^"]*)" lang="(fr|nl|en)" hreflang`)
)

// TestWayBack: a registration without email hands a link, a code and a QR on a page of its
// own (Post/Redirect/Get) whose language switch works; the code typed on /code by another
// browser opens "my sessions", where the status shows; wrong codes are limited; the page
// ends with its cookie; nothing secret reaches the logs.
func TestWayBack(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		f := sitetest.NewFixture(t, s.DB)
		page := s.Server.URL + "/p/" + f.Proc.Slug
		c := s.Client(t)
		v := url.Values{"csrf": {sitetest.FormToken(t, c, page)}, "displayName": {"Samira"}, "language": {"nl"}, "session": {fmt.Sprint(f.Small.ID)}}
		resp, body := sitetest.PostForm(t, c, page+"/register", v)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/p/assises/registered?lang=nl" {
			t.Fatalf("registration: got %d to %q, want 303 to the result page in her language", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = sitetest.Get(t, c, s.Server.URL+resp.Header.Get("Location"))
		code, link := codeShown.FindStringSubmatch(body), linkShown.FindStringSubmatch(body)
		if resp.StatusCode != 200 || code == nil || link == nil || !strings.Contains(body, `class="way-qr" src="data:image/svg`) ||
			!strings.Contains(body, "Bewaar deze code") || !strings.Contains(body, "Plaats bevestigd") || !strings.Contains(body, s.Server.URL+"/code") {
			t.Fatalf("result page: got %d, want the code, the link, the QR and what to do with them, in Dutch:\n%s", resp.StatusCode, body)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("result page with a personal link: Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
		}
		// The language switch of the result page shows the same link and code in French.
		hrefs := langHrefs.FindAllStringSubmatch(body, -1)
		if len(hrefs) != 3 {
			t.Fatalf("language links: got %d, want 3", len(hrefs))
		}
		for _, h := range hrefs {
			target, _ := url.Parse(s.Server.URL + "/p/assises/registered")
			target, _ = target.Parse(html.UnescapeString(h[1]))
			resp, again := sitetest.Get(t, c, target.String())
			if resp.StatusCode != 200 || !strings.Contains(again, `<html lang="`+h[2]+`"`) || !strings.Contains(again, code[1]) || !strings.Contains(again, link[1]) {
				t.Errorf("switch to %s (%s): got %d, want the same way back in that language", h[2], h[1], resp.StatusCode)
			}
		}
		// Without the cookie (another browser, or an hour later) the page says how to come back.
		resp, gone := sitetest.Get(t, s.Client(t), s.Server.URL+"/p/assises/registered")
		if resp.StatusCode != 404 || strings.Contains(gone, code[1]) || !strings.Contains(gone, `href="/code`) {
			t.Errorf("result page without its cookie: got %d, want 404 pointing to /code", resp.StatusCode)
		}

		// A fresh browser types the code (lower case, spaces) and lands on "my sessions".
		phone := s.Client(t)
		typed := strings.ToLower(strings.ReplaceAll(code[1], "-", " "))
		resp, _ = sitetest.PostForm(t, phone, s.Server.URL+"/code", url.Values{"csrf": {sitetest.FormToken(t, phone, s.Server.URL+"/code")}, "code": {typed}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
			t.Fatalf("code: got %d to %q, want 303 to /me", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, mine := sitetest.Get(t, phone, s.Server.URL+"/me?lang=fr")
		if resp.StatusCode != 200 || !strings.Contains(mine, "Atelier emploi") || !strings.Contains(mine, "Place confirmée") {
			t.Fatalf("my sessions after the code: got %d, want her confirmed place", resp.StatusCode)
		}

		// Wrong codes are refused with a plain reason, then limited per address.
		robot := s.Client(t)
		tok := sitetest.FormToken(t, robot, s.Server.URL+"/code")
		resp, refused := sitetest.PostForm(t, robot, s.Server.URL+"/code", url.Values{"csrf": {tok}, "code": {"OOO-III-LLLL"}})
		if resp.StatusCode != 400 || !strings.Contains(refused, "Ce n&#39;est pas un code") || !strings.Contains(refused, `value="OOO-III-LLLL"`) {
			t.Errorf("a code with look-alikes: got %d, want 400 naming the problem and keeping what was typed", resp.StatusCode)
		}
		limited := 0
		for i := range 25 {
			resp, _ := sitetest.PostForm(t, robot, s.Server.URL+"/code", url.Values{"csrf": {tok}, "code": {people.FormatCode(people.NewCode())}})
			if resp.StatusCode == http.StatusTooManyRequests {
				limited = i + 1
				break
			}
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("a wrong code: got %d, want 404", resp.StatusCode)
			}
		}
		if limited == 0 || limited > 21 {
			t.Errorf("wrong codes: limited at try %d, want by the 21st", limited)
		}
		// The limit holds for the right code too, from that address; another address is free.
		if resp, _ := sitetest.PostForm(t, robot, s.Server.URL+"/code", url.Values{"csrf": {tok}, "code": {code[1]}}); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the right code from a limited address: got %d, want 429", resp.StatusCode)
		}

		secret := link[1][strings.LastIndex(link[1], "/")+1:]
		logs := s.Logs.String()
		for _, leak := range []string{secret, code[1], strings.ReplaceAll(code[1], "-", ""), typed, "Samira"} {
			if strings.Contains(logs, leak) {
				t.Errorf("the logs contain %q", leak)
			}
		}
	})
}

// TestMySessionsOnTheDay: on the day of a confirmed session "my sessions" shows the way in;
// a person waiting sees their place in line; giving a place back promotes the first waiting.
func TestMySessionsOnTheDay(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		now := time.Now().UTC().Truncate(time.Minute) // the same day, whatever the hour
		today := &record.Workshop{ProcessID: f.Proc.ID, Title: "Atelier du jour", StartsAt: now, EndsAt: now.Add(3 * time.Hour), Place: "Rue Haute 1, Bruxelles", Capacity: 1}
		if err := process.CreateWorkshop(ctx, s.DB, today); err != nil {
			t.Fatal(err)
		}
		ana := f.Person(t, s.DB, "Ana", "A", nil)
		ben := f.Person(t, s.DB, "Ben", "B", nil)
		cleo := f.Person(t, s.DB, "Cleo", "C", nil)
		for _, p := range []*record.Participant{ana, ben, cleo} {
			if _, err := people.Register(ctx, s.DB, p.ID, []int64{today.ID}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		anaPhone, cleoPhone := s.SignInAs(t, ana.ID, nil), s.SignInAs(t, cleo.ID, nil)
		_, mine := sitetest.Get(t, anaPhone, s.Server.URL+"/me")
		if !strings.Contains(mine, fmt.Sprintf(`class="button big enter" href="/w/%d"`, today.ID)) || !strings.Contains(mine, "Entrer dans la séance") ||
			!strings.Contains(mine, "openstreetmap.org/search?query=Rue&#43;Haute&#43;1%2C&#43;Bruxelles") {
			t.Errorf("Ana's sessions on the day: want the way in and the way there:\n%s", mine)
		}
		_, theirs := sitetest.Get(t, cleoPhone, s.Server.URL+"/me?lang=en")
		if !strings.Contains(theirs, "On the waiting list. — no. 2") || strings.Contains(theirs, `class="button big enter"`) || !strings.Contains(theirs, "Leave the waiting list") {
			t.Errorf("Cleo's sessions: want her place in line (2), no way in, and a way off the list:\n%s", theirs)
		}
		cancel := url.Values{"workshop": {fmt.Sprint(today.ID)}, "csrf": {sitetest.FormToken(t, anaPhone, s.Server.URL+"/me")}}
		if resp, _ := sitetest.PostForm(t, anaPhone, s.Server.URL+"/me/cancel", cancel); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("Ana cancels: got %d, want 303", resp.StatusCode)
		}
		if got := sitetest.Registration(t, s.DB, today.ID, ben.ID).Status; got != record.RegistrationConfirmed {
			t.Errorf("Ben after Ana cancelled: %s, want confirmed", got)
		}
		_, theirs = sitetest.Get(t, cleoPhone, s.Server.URL+"/me?lang=en")
		if !strings.Contains(theirs, "On the waiting list. — no. 1") {
			t.Errorf("Cleo after the promotion: want first in line")
		}
	})
}

// TestOverlapOnTheForm: two sessions at the same time are refused with their names; under
// the "warn" rule the form offers to confirm, and the confirmation registers both.
func TestOverlapOnTheForm(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		ctx := context.Background()
		f := sitetest.NewFixture(t, s.DB)
		twin := &record.Workshop{ProcessID: f.Proc.ID, Title: "Atelier jumeau", StartsAt: f.Open.StartsAt.Add(time.Hour), EndsAt: f.Open.EndsAt, Place: "COOP"}
		if err := process.CreateWorkshop(ctx, s.DB, twin); err != nil {
			t.Fatal(err)
		}
		page := s.Server.URL + "/p/" + f.Proc.Slug
		c := s.Client(t)
		v := url.Values{"csrf": {sitetest.FormToken(t, c, page)}, "displayName": {"Léon"}, "language": {"fr"}, "session": {fmt.Sprint(f.Open.ID), fmt.Sprint(twin.ID)}}
		resp, body := sitetest.PostForm(t, c, page+"/register", v)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Ces séances ont lieu en même temps\u00a0: «\u00a0Atelier logement\u00a0» et «\u00a0Atelier jumeau\u00a0»") ||
			!strings.Contains(body, "choisissez-en une") || strings.Contains(body, `name="acceptOverlap"`) {
			t.Fatalf("refused overlap: got %d, want 409 naming both sessions, with no way to force it", resp.StatusCode)
		}
		// The switch on this answer to a POST leads to the process's page, not to a 404.
		for _, h := range langHrefs.FindAllStringSubmatch(body, -1) {
			if !strings.HasPrefix(html.UnescapeString(h[1]), "/p/assises?lang=") {
				t.Errorf("language switch on the refused form: %q, want the process page", h[1])
			}
			if resp, _ := sitetest.Get(t, c, s.Server.URL+html.UnescapeString(h[1])); resp.StatusCode != 200 {
				t.Errorf("language switch %s: got %d", h[1], resp.StatusCode)
			}
		}
		f.Proc.OverlapRule = people.OverlapWarn
		if _, err := s.DB.NewUpdate().Model(f.Proc).Column("overlap_rule").WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
		resp, body = sitetest.PostForm(t, c, page+"/register?lang=fr", v) // the switch above left English
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `name="acceptOverlap"`) || !strings.Contains(body, "Attention") {
			t.Fatalf("warned overlap: got %d, want 409 with a box to confirm:\n%s", resp.StatusCode, body)
		}
		v.Set("acceptOverlap", "1")
		resp, body = sitetest.Register(t, c, page+"/register?lang=fr", v)
		if resp.StatusCode != 200 || strings.Count(body, "Place confirmée") != 2 {
			t.Fatalf("confirmed overlap: got %d, want two places", resp.StatusCode)
		}
	})
}
