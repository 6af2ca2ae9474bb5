package notebook

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/assises/assises/record"
)

// Clean makes a text safe to put in any format: valid UTF-8 in NFC, without bidirectional
// overrides and isolates (a text must read as it is stored: "Trojan Source"), without
// zero-width format characters that could hide words, and without control characters other
// than newlines and tabs. The live engine cleans what people type the same way; the notebook
// cleans again because organisers' texts and older rows reach it by other paths.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r':
			b.WriteByte('\n')
		case unicode.IsControl(r), isBidi(r), unicode.Is(unicode.Cf, r) && r != '\u00AD':
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// isBidi: embeddings, overrides, isolates and marks (U+200E/F, U+061C).
func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// mdEscaper escapes every character that means something in CommonMark or GitHub Markdown
// inline text, and the HTML that Markdown would pass through, so that a contribution reads as
// text: no link, no image, no emphasis, no raw HTML, no table cell break.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `{`, `\{`, `}`, `\}`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `(`, `\(`, `)`, `\)`, `#`, `\#`, `|`, `\|`, `!`, `\!`, `~`, `\~`,
	`&`, `\&`, `$`, `\$`, `^`, `\^`,
)

// Markdown escapes a text for a Markdown paragraph or list item. Line starts that would make
// a heading, a list, a quote, a rule or a numbered list are escaped too, and line breaks are
// kept as hard breaks within the paragraph.
func Markdown(s string) string {
	lines := strings.Split(Clean(s), "\n")
	out := lines[:0]
	for _, line := range lines {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			continue // a blank line would end the list item or paragraph
		}
		line = mdEscaper.Replace(line)
		line = escapeLineStart(line)
		out = append(out, line)
	}
	// Two spaces before a newline is the portable hard break.
	return strings.Join(out, "  \n")
}

// escapeLineStart escapes what only matters at the start of a line: "- item", "+ item",
// "1. item", "1) item", "=== " (setext heading), and leading spaces (code block).
func escapeLineStart(line string) string {
	line = strings.TrimLeft(line, " \t")
	if line == "" {
		return line
	}
	switch line[0] {
	case '-', '+', '=':
		return `\` + line
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i < len(line) && (line[i] == '.' || line[i] == ')') {
		return line[:i] + `\` + line[i:]
	}
	return line
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func notFound(what string, err error) error {
	if isNoRows(err) {
		return fmt.Errorf("notebook: %s: %w", what, record.ErrNotFound)
	}
	return fmt.Errorf("notebook: %s: %w", what, err)
}
