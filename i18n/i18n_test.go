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

func TestNormalise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nl-BE", "nl"}, {"EN", "en"}, {"de", "fr"}, {"", "fr"}, {"fr_BE", "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := i18n.Normalise(tt.in); got != tt.want {
				t.Errorf("Normalise(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"q-values in order", "nl;q=0.9, fr;q=0.8", "nl"},
		{"a low q-value first", "en;q=0.1, fr", "fr"},
		{"q-values out of order", "nl;q=0.2, en;q=0.8", "en"},
		{"a region", "nl-BE,nl;q=0.9,fr;q=0.8", "nl"},
		{"unsupported first", "de-DE,en;q=0.5", "en"},
		{"nothing supported", "de-DE", "fr"},
		{"French with a region", "fr-BE,en;q=0.5", "fr"},
		{"upper case", "EN", "en"},
		{"refused with q=0", "en;q=0, nl;q=0.3", "nl"},
		{"wildcard", "*", "fr"},
		{"empty", "", "fr"},
		{"garbage", ";;;,q=x", "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := i18n.FromAcceptLanguage(tt.in); got != tt.want {
				t.Errorf("FromAcceptLanguage(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
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
