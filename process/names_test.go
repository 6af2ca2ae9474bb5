package process_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/assises/assises/process"
)

func TestSlug(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"title", "Assises du Logement et du Travail social", "assises-du-logement-et-du-travail-social"},
		{"accents, spaces and punctuation", "  Journées des Missions Locales 2024 ! ", "journees-des-missions-locales-2024"},
		{"typographic apostrophe", "CPAS d’Anderlecht", "cpas-d-anderlecht"},
		{"ligature and quotes", "Œuvre — à « faire »", "uvre-a-faire"},
		{"nothing left", "!!!", ""},
		{"cut at sixty", strings.Repeat("abc ", 40), strings.TrimRight(strings.Repeat("abc-", 15), "-")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := process.Slug(tt.in); got != tt.want {
				t.Errorf("Slug(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLanguages(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"three", "fr,nl,en", []string{"fr", "nl", "en"}},
		{"spaces and empty items", " nl , ,fr ", []string{"nl", "fr"}},
		{"none", "", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := process.Languages(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Languages(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
