package i18n_test

import (
	"sort"
	"testing"

	"github.com/assises/assises/frontend"
	"github.com/assises/assises/i18n"
)

// TestCatalogsComplete keeps Dutch and English in step with French: a key added in one
// language only would show French to a Dutch speaker without anyone noticing.
func TestCatalogsComplete(t *testing.T) {
	c, err := i18n.Load(frontend.Catalogs, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	fr := c.Keys("fr")
	sort.Strings(fr)
	for _, lang := range []string{"nl", "en"} {
		have := map[string]bool{}
		for _, k := range c.Keys(lang) {
			have[k] = true
		}
		for _, k := range fr {
			if !have[k] {
				t.Errorf("%s.json lacks %q", lang, k)
			}
			delete(have, k)
		}
		for k := range have {
			t.Errorf("%s.json has %q, which fr.json lacks", lang, k)
		}
	}
}

func TestNormaliseAndAcceptLanguage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nl-BE", "nl"}, {"EN", "en"}, {"de", "fr"}, {"", "fr"}, {"fr_BE", "fr"},
	}
	for _, tt := range tests {
		if got := i18n.Normalise(tt.in); got != tt.want {
			t.Errorf("Normalise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	accept := []struct{ in, want string }{
		{"nl-BE,nl;q=0.9,fr;q=0.8", "nl"},
		{"de-DE,en;q=0.5", "en"},
		{"de-DE", "fr"},
		{"fr-BE,en;q=0.5", "fr"},
	}
	for _, tt := range accept {
		if got := i18n.FromAcceptLanguage(tt.in); got != tt.want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFallback(t *testing.T) {
	c, err := i18n.Load(frontend.Catalogs, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("nl", "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key: got %q, want the key itself", got)
	}
	if got := c.T("xx", "phase.diagnostic"); got != "Diagnostic" {
		t.Errorf("unknown language: got %q, want the French text", got)
	}
	if got := c.T("nl", "phase.diagnostic"); got != "Diagnose" {
		t.Errorf("nl: got %q, want Diagnose", got)
	}
}
