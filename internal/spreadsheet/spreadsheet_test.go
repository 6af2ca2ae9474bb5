package spreadsheet

import (
	"encoding/csv"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"\n=1", "'\n=1"},
		{"=", "'="},
		{"-", "'-"},
		{"@", "'@"},
		{"+", "'+"},
		{" =1", " =1"},
		{"Alice Martin", "Alice Martin"},
		{"CPAS d'Anderlecht", "CPAS d'Anderlecht"},
		{"", ""},
		{"a=b", "a=b"},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := Cell(c.in); got != c.want {
				t.Errorf("Cell(%q): got %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestParseSep(t *testing.T) {
	for _, c := range []struct {
		in   string
		want rune
		err  error
	}{{"", ';', nil}, {";", ';', nil}, {",", ',', nil}, {"\t", 0, ErrBadSep}, {"tab", 0, ErrBadSep}} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseSep(c.in)
			if got != c.want || !errors.Is(err, c.err) {
				t.Errorf("ParseSep(%q): got %q, %v; want %q, %v", c.in, got, err, c.want, c.err)
			}
		})
	}
}

// TestConvertReadsBack: a comma file with quotes, separators, line breaks and accents inside
// cells comes out with a BOM and semicolons, and a CSV reader set to ';' reads the same cells.
func TestConvertReadsBack(t *testing.T) {
	rows := [][]string{
		{"ref", "text", "score"},
		{"A1", "Les délais; trop longs, vraiment", "-3"},
		{"A2", "Sur deux\nlignes \"citées\"", "'=1+1"},
	}
	var b strings.Builder
	cw := csv.NewWriter(&b)
	if err := cw.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	for _, sep := range []rune{';', ','} {
		t.Run(string(sep), func(t *testing.T) {
			out, err := Convert(b.String(), sep)
			if err != nil {
				t.Fatal(err)
			}
			s := string(out)
			if !strings.HasPrefix(s, BOM) {
				t.Fatalf("got %q, want a leading byte-order mark", s[:min(len(s), 8)])
			}
			if !strings.HasPrefix(s, BOM+"ref"+string(sep)+"text") || !strings.Contains(s, "\r\n") {
				t.Errorf("got %q, want the header separated by %q and CRLF lines", s[:min(len(s), 40)], sep)
			}
			r := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, BOM)))
			r.Comma = sep
			got, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, rows) {
				t.Errorf("read back: got %q, want %q", got, rows)
			}
		})
	}
}
