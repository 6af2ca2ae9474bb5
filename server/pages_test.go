package server_test

import (
	"encoding/json"
	"fmt"
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
