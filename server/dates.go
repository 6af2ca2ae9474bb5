package server

import (
	"time"

	"github.com/assises/assises/i18n"
)

// formatSession writes a session's date and hours the way each language says them, in
// Brussels time: "jeudi 16 novembre 2023, 13h00–16h30".
func formatSession(lang string, start, end time.Time) string {
	return i18n.FormatSession(lang, start.In(brussels), end.In(brussels))
}
