package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/assises/assises/server/sitetest"
)

// Every page of the interface keeps to the Content-Security-Policy: scripts come from files,

// never inline; no style attributes.

func TestLivePagesHaveNoInlineScriptOrStyle(t *testing.T) {
	s := sitetest.OnSQLite(t)
	w := s.SessionUnderWay(t)
	c, _ := s.OrganiserDesk(t)
	for _, path := range []string{"/", "/organise", "/join", fmt.Sprintf("/w/%d", w.ID), fmt.Sprintf("/w/%d/moderate", w.ID), fmt.Sprintf("/w/%d/projector", w.ID)} {
		for _, lang := range []string{"fr", "nl", "en"} {
			resp, body := sitetest.Get(t, c, s.Server.URL+path+"?lang="+lang)
			if resp.StatusCode != 200 {
				t.Errorf("%s in %s: got %d, want 200", path, lang, resp.StatusCode)
			}
			sitetest.NoInline(t, path+" in "+lang, body)
			if strings.Contains(body, "ui.") && regexp.MustCompile(`>ui\.[a-z.]+<`).MatchString(body) {
				t.Errorf("%s in %s: an untranslated key is shown", path, lang)
			}
		}
	}
}

func TestTextsForScripts(t *testing.T) {
	s := sitetest.OnSQLite(t)
	c := s.Client(t)
	for lang, want := range map[string]string{"fr": "Envoyer", "nl": "Versturen", "en": "Send"} {
		resp, body := sitetest.Get(t, c, s.Server.URL+"/i18n/"+lang+".json")
		var texts map[string]string
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &texts) != nil || texts["ui.compose.send"] != want {
			t.Errorf("%s texts: got %d, ui.compose.send %q, want %q", lang, resp.StatusCode, texts["ui.compose.send"], want)
		}
		if texts["phase.diagnostic"] == "" {
			t.Errorf("%s texts lack the phase names", lang)
		}
	}
	for _, bad := range []string{"/i18n/de.json", "/i18n/fr", "/i18n/..%2Ffr.json"} {
		t.Run(bad, func(t *testing.T) {
			if resp, _ := sitetest.Get(t, c, s.Server.URL+bad); resp.StatusCode != 404 {
				t.Errorf("%s: got %d, want 404", bad, resp.StatusCode)
			}
		})
	}
}

// TestLivePagesHaveNoTestHooks: a server configured as production configures it marks no live
// page for the browser tests, and the product's scripts expose their state (window.assises)
// only on a page so marked (assises serve -test-hooks, which the browser tests pass).
func TestLivePagesHaveNoTestHooks(t *testing.T) {
	s := sitetest.OnSQLite(t)
	w := s.SessionUnderWay(t)
	c, _ := s.OrganiserDesk(t)
	for _, path := range []string{fmt.Sprintf("/w/%d", w.ID), fmt.Sprintf("/w/%d/moderate", w.ID), fmt.Sprintf("/w/%d/projector", w.ID)} {
		resp, body := sitetest.Get(t, c, s.Server.URL+path)
		if resp.StatusCode != 200 || !strings.Contains(body, `id="live"`) {
			t.Fatalf("%s: got %d, want the live page", path, resp.StatusCode)
		}
		if strings.Contains(body, "data-test-hooks") {
			t.Errorf("%s is marked for the browser tests on a production server", path)
		}
	}
	files, err := filepath.Glob("../frontend/static/js/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "window.assises") && !strings.Contains(line, "if (d.testHooks !== undefined) window.assises =") {
				t.Errorf("%s:%d uses window.assises outside the test-hooks guard: %s", filepath.Base(f), i+1, strings.TrimSpace(line))
			}
		}
	}
}
