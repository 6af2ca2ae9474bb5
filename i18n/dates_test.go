package i18n_test

import (
	"testing"
	"time"

	"github.com/assises/assises/i18n"
)

func TestFormatSession(t *testing.T) {
	start := time.Date(2023, 11, 16, 13, 0, 0, 0, time.UTC)
	end := time.Date(2023, 11, 16, 16, 30, 0, 0, time.UTC)
	tests := []struct{ lang, want string }{
		{"fr", "jeudi 16 novembre 2023, 13h00–16h30"},
		{"nl", "donderdag 16 november 2023, 13.00–16.30"},
		{"en", "Thursday 16 November 2023, 13:00–16:30"},
		{"de", "jeudi 16 novembre 2023, 13h00–16h30"}, // French when the language is unknown
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if got := i18n.FormatSession(tt.lang, start, end); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatDate(t *testing.T) {
	day := time.Date(2024, 2, 3, 9, 30, 0, 0, time.UTC)
	tests := []struct{ lang, want string }{
		{"fr", "3 février 2024"}, {"nl", "3 februari 2024"}, {"en", "3 February 2024"}, {"", "3 février 2024"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if got := i18n.FormatDate(tt.lang, day); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
