package notebook

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/assises/assises/internal/spreadsheet"
)

// RenderJSON is the open data: the notebook itself, indented, ending with a newline. Field
// order is the struct's and maps are sorted, so the same notebook gives the same bytes.
func RenderJSON(nb *Notebook) ([]byte, error) {
	b, err := json.MarshalIndent(nb, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("notebook: json: %w", err)
	}
	return append(b, '\n'), nil
}

// CSVHeader names the columns of the CSV open data (docs/notebook-schema.md describes each).
var CSVHeader = []string{
	"ref", "theme", "theme_title", "session", "session_date", "kind", "phase", "text", "lang", "who", "how", "when",
	"parent", "links", "status", "merged_into", "group", "edited", "in_notebook", "notebook_text", "rank",
	"method", "votes", "supporters", "score", "agree", "neutral", "disagree", "dots",
	"organisations", "groups", "dissent", "flags", "room_counts",
	"plenary_outcome", "plenary_reason", "plenary_for", "plenary_against", "plenary_abstain", "plenary_eligible",
	"plenary_threshold", "plenary_quorum", "plenary_label",
}

// plenaryCells are the plenary columns of a row: empty when there was no plenary vote.
func plenaryCells(p *PlenaryResult) []string {
	if p == nil {
		return make([]string, 9)
	}
	itoa := strconv.Itoa
	return []string{p.Outcome, p.Reason, itoa(p.For), itoa(p.Against), itoa(p.Abstain), itoa(p.Eligible),
		p.Rule.Threshold, itoa(p.Rule.Quorum), p.Label}
}

// bodyInfo is what the body of the notebook adds to an annex row.
type bodyInfo struct {
	text    string
	rank    int
	breadth *Breadth
	dissent *float64
	flags   []string
}

// RenderCSV is the open data as one table: one row per contribution of the annex, with what
// the body made of it. Cells that a spreadsheet would read as a formula are neutralised. It is
// comma-separated, as stored with a published version; the server serves it through
// spreadsheet.Convert (a byte-order mark and the separator the reader asks for).
func RenderCSV(nb *Notebook) (string, error) {
	body := map[string]bodyInfo{}
	themeTitle := map[string]string{}
	for _, t := range nb.Themes {
		themeTitle[t.Ref] = t.Title
		t.items(func(it *Item, r *Recommendation) {
			b := bodyInfo{text: it.Text}
			if r != nil {
				br := r.Breadth
				b = bodyInfo{text: r.Text, rank: r.Rank, breadth: &br, dissent: r.Dissent, flags: r.Flags}
			}
			body[it.Ref] = b
		})
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if err := cw.Write(CSVHeader); err != nil {
		return "", fmt.Errorf("notebook: csv: %w", err)
	}
	itoa := strconv.Itoa
	for _, s := range nb.Annex {
		for _, e := range s.Contributions {
			b := body[e.InNotebook]
			rank, orgs, groups, dissent := "", "", "", ""
			if b.rank > 0 {
				rank = itoa(b.rank)
			}
			if b.breadth != nil {
				orgs, groups = itoa(b.breadth.Organisations), itoa(b.breadth.Groups)
			}
			if b.dissent != nil {
				dissent = strconv.FormatFloat(*b.dissent, 'f', 4, 64)
			}
			var counts []string
			for _, rc := range e.RoomCounts {
				counts = append(counts, fmt.Sprintf("%s:%d/%d/%d", rc.Label, rc.Yes, rc.Neutral, rc.No))
			}
			row := []string{
				e.Ref, s.Theme, themeTitle[s.Theme], s.Title, dateOnly(s.StartsAt), e.Kind, e.Phase, e.Text, e.Lang, e.Who, e.How, e.When,
				e.Parent, strings.Join(e.Links, " "), e.Status, e.MergedInto, e.Group, strconv.FormatBool(e.Edited),
				e.InNotebook, b.text, rank,
				e.Support.Method, itoa(e.Support.Votes), itoa(e.Support.Supporters), itoa(e.Support.Score),
				itoa(e.Support.Agree), itoa(e.Support.Neutral), itoa(e.Support.Disagree), itoa(e.Support.Dots),
				orgs, groups, dissent, strings.Join(b.flags, " "), strings.Join(counts, "; "),
			}
			row = append(row, plenaryCells(e.Plenary)...)
			for i := range row {
				if _, err := strconv.ParseFloat(row[i], 64); err != nil { // negative scores stay numbers
					row[i] = spreadsheet.Cell(Clean(row[i]))
				}
			}
			if err := cw.Write(row); err != nil {
				return "", fmt.Errorf("notebook: csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return "", fmt.Errorf("notebook: csv: %w", err)
	}
	return buf.String(), nil
}
