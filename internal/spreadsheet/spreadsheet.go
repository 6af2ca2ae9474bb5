// Package spreadsheet writes CSV files the way people open them: in a spreadsheet program on
// a Belgian French or Dutch computer, which reads a file as UTF-8 only after a byte-order mark
// and splits cells on semicolons (the comma is the decimal separator there). A comma-separated
// file is one query parameter away (?sep=,). Every cell that a spreadsheet would run as a
// formula is defused, because names and texts come from anyone.
package spreadsheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// BOM is the UTF-8 byte-order mark every file starts with.
const BOM = "\ufeff"

// DefaultSep is the separator when none is asked for.
const DefaultSep = ';'

// ErrBadSep: a separator other than ";" or ",".
var ErrBadSep = errors.New(`spreadsheet: sep must be ";" or ","`)

// ParseSep reads the sep query parameter: empty or ";" for semicolons, "," for commas.
func ParseSep(v string) (rune, error) {
	switch v {
	case "", ";":
		return ';', nil
	case ",":
		return ',', nil
	}
	return 0, ErrBadSep
}

// Cell defuses a text that a spreadsheet would run as a formula ("=HYPERLINK(…)", "+1+1",
// "-2+3", "@SUM(…)", or one hidden behind a tab, a carriage return or a line feed, which the
// notebook's text cleaning makes of a lone carriage return): a leading apostrophe makes it
// plain text. Callers leave numbers alone ("-3" is a score, not a formula).
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r\n", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Writer writes rows after the byte-order mark, separated by sep, lines ended by CRLF.
type Writer struct{ cw *csv.Writer }

// NewWriter writes the byte-order mark to w and returns a Writer for the rows.
func NewWriter(w io.Writer, sep rune) (*Writer, error) {
	if _, err := io.WriteString(w, BOM); err != nil {
		return nil, fmt.Errorf("spreadsheet: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = sep, true
	return &Writer{cw: cw}, nil
}

// Write writes one row as it is (defuse texts with Cell first).
func (w *Writer) Write(row []string) error {
	if err := w.cw.Write(row); err != nil {
		return fmt.Errorf("spreadsheet: %w", err)
	}
	return nil
}

// Flush writes what is buffered and reports the first error of the file.
func (w *Writer) Flush() error {
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("spreadsheet: %w", err)
	}
	return nil
}

// Convert rewrites a comma-separated file (as the notebook stores its open data) with the
// byte-order mark and the separator asked for. The cells are copied as they are.
func Convert(commaSeparated string, sep rune) ([]byte, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(commaSeparated, BOM)))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("spreadsheet: read: %w", err)
	}
	var b strings.Builder
	w, err := NewWriter(&b, sep)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}
