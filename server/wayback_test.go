package server_test

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

	"github.com/assises/assises/record"

	"github.com/uptrace/bun"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/storage/storagetest"
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
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		s := newSite(t, db)
		f := newRegFixture(t, db)
		page := s.srv.URL + "/p/" + f.proc.Slug
		c := s.client(t)
		v := url.Values{"csrf": {formToken(t, c, page)}, "displayName": {"Samira"}, "language": {"nl"}, "session": {fmt.Sprint(f.small.ID)}}
		resp, body := postForm(t, c, page+"/register", v)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/p/assises/registered?lang=nl" {
			t.Fatalf("registration: got %d to %q, want 303 to the result page in her language", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = get(t, c, s.srv.URL+resp.Header.Get("Location"))
		code, link := codeShown.FindStringSubmatch(body), linkShown.FindStringSubmatch(body)
		if resp.StatusCode != 200 || code == nil || link == nil || !strings.Contains(body, `class="way-qr" src="data:image/svg`) ||
			!strings.Contains(body, "Bewaar deze code") || !strings.Contains(body, "Plaats bevestigd") || !strings.Contains(body, s.srv.URL+"/code") {
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
			target, _ := url.Parse(s.srv.URL + "/p/assises/registered")
			target, _ = target.Parse(html.UnescapeString(h[1]))
			resp, again := get(t, c, target.String())
			if resp.StatusCode != 200 || !strings.Contains(again, `<html lang="`+h[2]+`"`) || !strings.Contains(again, code[1]) || !strings.Contains(again, link[1]) {
				t.Errorf("switch to %s (%s): got %d, want the same way back in that language", h[2], h[1], resp.StatusCode)
			}
		}
		// Without the cookie (another browser, or an hour later) the page says how to come back.
		resp, gone := get(t, s.client(t), s.srv.URL+"/p/assises/registered")
		if resp.StatusCode != 404 || strings.Contains(gone, code[1]) || !strings.Contains(gone, `href="/code`) {
			t.Errorf("result page without its cookie: got %d, want 404 pointing to /code", resp.StatusCode)
		}

		// A fresh browser types the code (lower case, spaces) and lands on "my sessions".
		phone := s.client(t)
		typed := strings.ToLower(strings.ReplaceAll(code[1], "-", " "))
		resp, _ = postForm(t, phone, s.srv.URL+"/code", url.Values{"csrf": {formToken(t, phone, s.srv.URL+"/code")}, "code": {typed}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
			t.Fatalf("code: got %d to %q, want 303 to /me", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, mine := get(t, phone, s.srv.URL+"/me?lang=fr")
		if resp.StatusCode != 200 || !strings.Contains(mine, "Atelier emploi") || !strings.Contains(mine, "Place confirmée") {
			t.Fatalf("my sessions after the code: got %d, want her confirmed place", resp.StatusCode)
		}

		// Wrong codes are refused with a plain reason, then limited per address.
		robot := s.client(t)
		tok := formToken(t, robot, s.srv.URL+"/code")
		resp, refused := postForm(t, robot, s.srv.URL+"/code", url.Values{"csrf": {tok}, "code": {"OOO-III-LLLL"}})
		if resp.StatusCode != 400 || !strings.Contains(refused, "Ce n&#39;est pas un code") || !strings.Contains(refused, `value="OOO-III-LLLL"`) {
			t.Errorf("a code with look-alikes: got %d, want 400 naming the problem and keeping what was typed", resp.StatusCode)
		}
		limited := 0
		for i := range 25 {
			resp, _ := postForm(t, robot, s.srv.URL+"/code", url.Values{"csrf": {tok}, "code": {people.FormatCode(people.NewCode())}})
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
		if resp, _ := postForm(t, robot, s.srv.URL+"/code", url.Values{"csrf": {tok}, "code": {code[1]}}); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the right code from a limited address: got %d, want 429", resp.StatusCode)
		}

		secret := link[1][strings.LastIndex(link[1], "/")+1:]
		logs := s.logs.String()
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
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		f := newRegFixture(t, db)
		now := time.Now().UTC().Truncate(time.Minute) // the same day, whatever the hour
		today := &record.Workshop{ProcessID: f.proc.ID, Title: "Atelier du jour", StartsAt: now, EndsAt: now.Add(3 * time.Hour), Place: "Rue Haute 1, Bruxelles", Capacity: 1}
		if err := process.CreateWorkshop(ctx, db, today); err != nil {
			t.Fatal(err)
		}
		ana := f.person(t, db, "Ana", "A", nil)
		ben := f.person(t, db, "Ben", "B", nil)
		cleo := f.person(t, db, "Cleo", "C", nil)
		for _, p := range []*record.Participant{ana, ben, cleo} {
			if _, err := people.Register(ctx, db, p.ID, []int64{today.ID}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		anaPhone, cleoPhone := s.signInAs(t, ana.ID, nil), s.signInAs(t, cleo.ID, nil)
		_, mine := get(t, anaPhone, s.srv.URL+"/me")
		if !strings.Contains(mine, fmt.Sprintf(`class="button big enter" href="/w/%d"`, today.ID)) || !strings.Contains(mine, "Entrer dans la séance") ||
			!strings.Contains(mine, "openstreetmap.org/search?query=Rue&#43;Haute&#43;1%2C&#43;Bruxelles") {
			t.Errorf("Ana's sessions on the day: want the way in and the way there:\n%s", mine)
		}
		_, theirs := get(t, cleoPhone, s.srv.URL+"/me?lang=en")
		if !strings.Contains(theirs, "On the waiting list. — no. 2") || strings.Contains(theirs, `class="button big enter"`) || !strings.Contains(theirs, "Leave the waiting list") {
			t.Errorf("Cleo's sessions: want her place in line (2), no way in, and a way off the list:\n%s", theirs)
		}
		cancel := url.Values{"workshop": {fmt.Sprint(today.ID)}, "csrf": {formToken(t, anaPhone, s.srv.URL+"/me")}}
		if resp, _ := postForm(t, anaPhone, s.srv.URL+"/me/cancel", cancel); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("Ana cancels: got %d, want 303", resp.StatusCode)
		}
		if got := registration(t, db, today.ID, ben.ID).Status; got != record.RegistrationConfirmed {
			t.Errorf("Ben after Ana cancelled: %s, want confirmed", got)
		}
		_, theirs = get(t, cleoPhone, s.srv.URL+"/me?lang=en")
		if !strings.Contains(theirs, "On the waiting list. — no. 1") {
			t.Errorf("Cleo after the promotion: want first in line")
		}
	})
}

// TestOverlapOnTheForm: two sessions at the same time are refused with their names; under
// the "warn" rule the form offers to confirm, and the confirmation registers both.
func TestOverlapOnTheForm(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		f := newRegFixture(t, db)
		twin := &record.Workshop{ProcessID: f.proc.ID, Title: "Atelier jumeau", StartsAt: f.open.StartsAt.Add(time.Hour), EndsAt: f.open.EndsAt, Place: "COOP"}
		if err := process.CreateWorkshop(ctx, db, twin); err != nil {
			t.Fatal(err)
		}
		page := s.srv.URL + "/p/" + f.proc.Slug
		c := s.client(t)
		v := url.Values{"csrf": {formToken(t, c, page)}, "displayName": {"Léon"}, "language": {"fr"}, "session": {fmt.Sprint(f.open.ID), fmt.Sprint(twin.ID)}}
		resp, body := postForm(t, c, page+"/register", v)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Ces séances ont lieu en même temps\u00a0: «\u00a0Atelier logement\u00a0» et «\u00a0Atelier jumeau\u00a0»") ||
			!strings.Contains(body, "choisissez-en une") || strings.Contains(body, `name="acceptOverlap"`) {
			t.Fatalf("refused overlap: got %d, want 409 naming both sessions, with no way to force it", resp.StatusCode)
		}
		// The switch on this answer to a POST leads to the process's page, not to a 404.
		for _, h := range langHrefs.FindAllStringSubmatch(body, -1) {
			if !strings.HasPrefix(html.UnescapeString(h[1]), "/p/assises?lang=") {
				t.Errorf("language switch on the refused form: %q, want the process page", h[1])
			}
			if resp, _ := get(t, c, s.srv.URL+html.UnescapeString(h[1])); resp.StatusCode != 200 {
				t.Errorf("language switch %s: got %d", h[1], resp.StatusCode)
			}
		}
		f.proc.OverlapRule = people.OverlapWarn
		if _, err := db.NewUpdate().Model(f.proc).Column("overlap_rule").WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
		resp, body = postForm(t, c, page+"/register?lang=fr", v) // the switch above left English
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `name="acceptOverlap"`) || !strings.Contains(body, "Attention") {
			t.Fatalf("warned overlap: got %d, want 409 with a box to confirm:\n%s", resp.StatusCode, body)
		}
		v.Set("acceptOverlap", "1")
		resp, body = register(t, c, page+"/register?lang=fr", v)
		if resp.StatusCode != 200 || strings.Count(body, "Place confirmée") != 2 {
			t.Fatalf("confirmed overlap: got %d, want two places", resp.StatusCode)
		}
	})
}

// TestCardsSheetsAndGroups: the cards come on sheets of 8, or 4 large ones; each carries a
// code that signs its holder in, and, once groups are made, the person's colour group.
func TestCardsSheetsAndGroups(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		f := newRegFixture(t, db)
		var first *record.Participant
		for i := range 9 {
			p := f.person(t, db, fmt.Sprintf("Personne %d", i+1), "", nil, f.open)
			if first == nil {
				first = p
			}
		}
		green := &record.Group{WorkshopID: f.open.ID, Position: 1, Name: "Vert", Colour: "#009E73", CreatedAt: time.Now()}
		if _, err := db.NewInsert().Model(green).Returning("id").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.NewInsert().Model(&record.GroupMember{WorkshopID: f.open.ID, ParticipantID: first.ID, GroupID: green.ID}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		org, _ := s.organiserDesk(t)
		u := fmt.Sprintf("%s/organise/processes/%d/cards?workshop=%d", s.srv.URL, f.proc.ID, f.open.ID)
		for _, c := range []struct {
			query         string
			sheets, first int
		}{{"", 2, 8}, {"&size=large", 3, 4}} {
			_, body := get(t, org, u+c.query)
			sheets := strings.Split(body, `<section class="sheet">`)[1:]
			if len(sheets) != c.sheets || strings.Count(sheets[0], `class="invitecard"`) != c.first {
				t.Errorf("cards%s: %d sheets, %d cards on the first; want %d and %d", c.query, len(sheets), strings.Count(sheets[0], `class="invitecard"`), c.sheets, c.first)
			}
			if n := strings.Count(body, "Groupe Vert"); n != 1 || !strings.Contains(body, `<img src="data:image/svg`) {
				t.Errorf("cards%s: the group shows %d times, want once with its colour dot", c.query, n)
			}
		}
		_, body := get(t, org, u)
		codes := regexp.MustCompile(`class="ic-code">[^<]*<strong translate="no">([A-Z0-9-]{12})</strong>`).FindAllStringSubmatch(body, -1)
		if len(codes) != 9 {
			t.Fatalf("codes on the cards: got %d, want 9", len(codes))
		}
		phone := s.client(t)
		resp, _ := postForm(t, phone, s.srv.URL+"/code", url.Values{"csrf": {formToken(t, phone, s.srv.URL+"/code")}, "code": {codes[0][1]}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/w/%d", f.open.ID) {
			t.Errorf("a card's code: got %d to %q, want its session", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}
