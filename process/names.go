package process

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/assises/assises/record"
)

// Slug turns a title into the last part of a process's public address:
// "Assises du Logement" → "assises-du-logement".
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

// Languages splits a process's language list ("fr,nl,en") into its codes, in order.
func Languages(list string) []string {
	return record.SplitLanguages(list)
}
