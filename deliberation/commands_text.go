package deliberation

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text limits, in runes after cleaning.
const (
	MaxBodyRunes     = 1000 // a contribution or a comment
	MaxLabelRunes    = 120  // onBehalfOf, a room count's label
	MaxQuestionRunes = 300  // the moderator's question for a phase
	MaxStepRunes     = 200  // each of who, how and when of an implementation step
	MaxReasonRunes   = 200  // why a moderator hid a contribution
)

// textKind says how a text may look once cleaned.
type textKind int

const (
	multiLine  textKind = iota // newlines and tabs kept (bodies, questions)
	singleLine                 // whitespace runs become one space (labels, who/how/when)
)

// cleanText normalises a text a person typed and checks it against a limit. It
//   - turns CRLF and CR into LF and normalises to NFC, so that limits count what people see;
//   - strips bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make
//     a text display differently from what it says ("Trojan Source");
//   - refuses other control characters (only newline and tab are kept in multi-line texts);
//   - trims surrounding white space.
//
// It returns the cleaned text, or a refusal: empty (when required), too_long, invalid_args.
func cleanText(s string, limit int, kind textKind, required bool) (string, refusal) {
	if !utf8.ValidString(s) { // encoding/json already replaces bad bytes; be safe for other callers
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	// A cheap guard before the work below: even after stripping, a text this long cannot fit.
	if len(s) > limit*4*4 {
		return "", refuse(CodeTooLong, "text too long")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case isBidiControl(r):
			continue
		case r == '\n' || r == '\t':
			if kind == singleLine {
				r = ' '
			}
		case unicode.IsControl(r):
			return "", refuse(CodeInvalidArgs, "control characters are not allowed")
		}
		b.WriteRune(r)
	}
	out := norm.NFC.String(b.String())
	if kind == singleLine {
		out = strings.Join(strings.Fields(out), " ")
	}
	out = strings.TrimSpace(out)
	if out == "" && required {
		return "", refuse(CodeEmpty, "text is empty")
	}
	if utf8.RuneCountInString(out) > limit {
		return "", refuse(CodeTooLong, "text too long")
	}
	return out, refusal{}
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
