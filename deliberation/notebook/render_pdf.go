package notebook

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// The PDF is made in pure Go with fpdf and the Go fonts (embedded in the binary, subset into
// the file). The Go fonts cover WGL4: every French and Dutch letter (é è ê ë ï ü œ ç…), the
// French quotes « », the apostrophe ’ and the dashes; pdfText maps the few characters they
// lack. Texts are drawn as text: nothing people wrote becomes a link or an action.

const (
	pdfFont   = "go"
	pdfMargin = 20.0 // mm
	pdfLine   = 5.2  // mm, for 10.5 pt body text
	pdfBody   = 10.5 // pt
)

// tocEntry is a line of the table of contents and the heading it points to.
type tocEntry struct {
	title string
	level int
	link  int // fpdf link id
	page  int // known after the first pass
}

type pdfWriter struct {
	f      *fpdf.Fpdf
	w      words
	nb     *Notebook
	toc    []tocEntry
	next   int // the next toc entry to reach
	pages  int // the total, known after the first pass
	footer string
}

// RenderPDF renders the notebook as a PDF: a cover, a table of contents with page numbers and
// links, the method, the themes, the annex; page numbers in the footer; bookmarks. It renders
// twice: the first pass learns on which page each heading falls, the second prints them.
func RenderPDF(nb *Notebook, labels Labels) ([]byte, error) {
	w := wordsFor(nb, labels)
	first, err := renderPDFPass(nb, w, nil, 0)
	if err != nil {
		return nil, err
	}
	second, err := renderPDFPass(nb, w, first.toc, first.f.PageNo())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := second.f.Output(&buf); err != nil {
		return nil, fmt.Errorf("notebook: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func renderPDFPass(nb *Notebook, w words, toc []tocEntry, pages int) (*pdfWriter, error) {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(true, pdfMargin)
	f.AddUTF8FontFromBytes(pdfFont, "", goregular.TTF)
	f.AddUTF8FontFromBytes(pdfFont, "B", gobold.TTF)
	f.AddUTF8FontFromBytes(pdfFont, "I", goitalic.TTF)
	f.SetCompression(true)
	f.SetCatalogSort(true)
	stamp := time.Unix(0, 0).UTC()
	if nb.PublishedAt != nil {
		stamp = *nb.PublishedAt
	}
	f.SetCreationDate(stamp)
	f.SetModificationDate(stamp)
	f.SetTitle(pdfText(nb.Process.Title), true)
	f.SetSubject(pdfText(w.t("nb.kicker")), true)
	f.SetProducer("Assises", true)
	f.SetCreator("Assises", true)
	f.SetLang(nb.Language)
	p := &pdfWriter{f: f, w: w, nb: nb, pages: pages, footer: pdfText(nb.Process.Title)}
	p.planTOC(toc)
	f.SetFooterFunc(p.pageFooter)

	p.cover()
	p.contents()
	p.method()
	for i := range nb.Themes {
		p.theme(&nb.Themes[i])
	}
	p.annex()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("notebook: pdf: %w", err)
	}
	return p, nil
}

// planTOC lists the headings in the order the body reaches them; on the second pass it takes
// their pages from the first.
func (p *pdfWriter) planTOC(known []tocEntry) {
	add := func(title string, level int) {
		p.toc = append(p.toc, tocEntry{title: pdfText(title), level: level, link: p.f.AddLink()})
	}
	add(p.w.t("nb.method"), 0)
	for i := range p.nb.Themes {
		t := &p.nb.Themes[i]
		add(t.Ref+"  "+p.w.withMarker(p.w.themeTitle(t), t.Untranslated, "title"), 0)
		add(p.w.t("nb.diagnostic"), 1)
		add(p.w.t("nb.recommendations"), 1)
	}
	add(p.w.t("nb.annex"), 0)
	for i := range p.toc {
		if i < len(known) {
			p.toc[i].page = known[i].page
		}
	}
}

// reach marks the next heading of the table of contents here: its link target, its page, its
// bookmark.
func (p *pdfWriter) reach() {
	e := &p.toc[p.next]
	p.next++
	e.page = p.f.PageNo()
	p.f.SetLink(e.link, p.f.GetY(), -1)
	p.f.Bookmark(e.title, e.level, -1)
}

func (p *pdfWriter) pageFooter() {
	f := p.f
	if f.PageNo() == 1 {
		return // the cover
	}
	f.SetY(-12)
	f.SetFont(pdfFont, "", 8)
	f.SetTextColor(90, 90, 90)
	text := p.footer + " — " + p.w.f("nb.pdf.page", "n", strconv.Itoa(f.PageNo()), "total", strconv.Itoa(max(p.pages, f.PageNo())))
	f.CellFormat(0, 5, pdfText(text), "", 0, "C", false, 0, "")
	f.SetTextColor(0, 0, 0)
}

// text writes a paragraph; style is "", "B" or "I".
func (p *pdfWriter) text(s, style string, size float64) {
	p.f.SetFont(pdfFont, style, size)
	p.f.MultiCell(0, size*0.5, pdfText(s), "", "L", false)
}

// indented prints s from indent mm in from the margin, in style and size, in lines of line mm.
func (p *pdfWriter) indented(s string, indent float64, style string, size, line float64) {
	p.f.SetX(pdfMargin + indent)
	p.f.SetFont(pdfFont, style, size)
	p.f.MultiCell(0, line, pdfText(s), "", "L", false)
}

func (p *pdfWriter) gap(mm float64) { p.f.Ln(mm) }

// room starts a new page unless mm of space is left (a heading never ends a page).
func (p *pdfWriter) room(mm float64) {
	_, h := p.f.GetPageSize()
	if p.f.GetY()+mm > h-pdfMargin {
		p.f.AddPage()
	}
}

func (p *pdfWriter) heading(s string, size float64) {
	p.room(30)
	p.gap(2)
	p.text(s, "B", size)
	p.gap(1.5)
}

func (p *pdfWriter) muted(s string) {
	p.f.SetTextColor(80, 80, 80)
	p.text(s, "I", 9)
	p.f.SetTextColor(0, 0, 0)
}

func (p *pdfWriter) cover() {
	f, w, nb := p.f, p.w, p.nb
	f.AddPage()
	f.SetY(60)
	p.text(w.t("nb.kicker"), "", 14)
	p.gap(4)
	p.text(w.withMarker(nb.Process.Title, nb.Process.Untranslated, "title"), "B", 26)
	p.gap(6)
	p.text(w.version(nb), "I", 11)
	p.gap(16)
	lines := [][2]string{}
	if period := w.period(nb.Cover.From, nb.Cover.To); period != "" {
		lines = append(lines, [2]string{w.t("nb.cover.dates"), period})
	}
	lines = append(lines,
		[2]string{w.t("nb.cover.sessions"), strconv.Itoa(nb.Cover.Sessions)},
		[2]string{w.t("nb.cover.participants"), strconv.Itoa(nb.Cover.Participants)},
		[2]string{w.t("nb.cover.organisations"), strconv.Itoa(nb.Cover.Organisations)})
	if nb.Cover.OpenParticipants > 0 {
		lines = append(lines, [2]string{w.t("nb.cover.open"), strconv.Itoa(nb.Cover.OpenParticipants)})
	}
	for _, l := range lines {
		p.text(w.f("nb.cover.item", "label", l[0], "value", l[1]), "", 12)
		p.gap(1)
	}
}

// contents prints the table of contents: titles, dotted leaders, page numbers, links.
func (p *pdfWriter) contents() {
	f := p.f
	f.AddPage()
	p.text(p.w.t("nb.toc"), "B", 18)
	p.gap(4)
	pageW, _ := f.GetPageSize()
	width := pageW - 2*pdfMargin
	for _, e := range p.toc {
		indent := float64(e.level) * 8
		style, size := "", 11.0
		if e.level == 0 {
			style = "B"
		}
		f.SetFont(pdfFont, style, size)
		num := "…"
		if e.page > 0 {
			num = strconv.Itoa(e.page)
		}
		title := e.title
		for f.GetStringWidth(title) > width-indent-20 && len([]rune(title)) > 4 {
			r := []rune(title)
			title = string(r[:len(r)-4]) + "…"
		}
		f.SetX(pdfMargin + indent)
		f.CellFormat(width-indent-15, 7, title, "", 0, "L", false, e.link, "")
		f.CellFormat(15, 7, num, "", 1, "R", false, e.link, "")
	}
}

func (p *pdfWriter) paragraphs(s string) {
	for _, para := range paragraphs(s) {
		p.text(strings.Join(para, "\n"), "", pdfBody)
		p.gap(2)
	}
}

func (p *pdfWriter) method() {
	p.f.AddPage()
	p.reach()
	p.text(p.w.t("nb.method"), "B", 18)
	p.gap(3)
	p.paragraphs(p.nb.Process.Description)
	p.marker(p.nb.Process.Description, p.nb.Process.Untranslated, "description")
	for _, s := range append(p.w.method(p.nb), p.w.legend(p.nb)) {
		if s != "" {
			p.text(s, "", pdfBody)
			p.gap(2)
		}
	}
}

// section opens a part of a theme where there is room for its heading and the start of its
// first item, and says when it has none (heading and none are catalog keys).
func (p *pdfWriter) section(heading, none string, empty bool) {
	p.room(30)
	p.reach()
	p.heading(p.w.t(heading), 15)
	if empty {
		p.muted(p.w.t(none))
	}
}

func (p *pdfWriter) itemText(it *Item) string {
	s := it.Ref + "  " + p.w.withMarker(it.Text, it.Untranslated, "text")
	if it.Reworded {
		s += " (" + p.w.reworded(it.Annex) + ")"
	}
	return s
}

func (p *pdfWriter) theme(t *Theme) {
	w := p.w
	p.f.AddPage()
	p.reach()
	p.text(t.Ref+"  "+w.withMarker(w.themeTitle(t), t.Untranslated, "title"), "B", 18)
	p.gap(3)
	if t.Why != "" {
		p.text(w.t("nb.why")+" "+w.withMarker(t.Why, t.Untranslated, "why"), "I", pdfBody)
		p.gap(2)
	}
	p.paragraphs(t.Introduction)
	p.marker(t.Introduction, t.Untranslated, "introduction")
	if len(t.Sessions) > 0 {
		p.heading(w.t("nb.sessions"), 13)
		for _, s := range t.Sessions {
			line := "• " + s.Title + " — " + w.session(s.StartsAt, s.EndsAt)
			if s.Place != "" {
				line += " — " + s.Place
			}
			p.text(line, "", pdfBody)
		}
	}
	p.section("nb.diagnostic", "nb.findings.none", len(t.Findings) == 0)
	for i := range t.Findings {
		fi := &t.Findings[i]
		p.room(15)
		p.text(p.itemText(&fi.Item), "B", pdfBody)
		p.muted(w.support(fi.Support) + " · " + fi.Session)
		p.plenary(fi.Plenary, 0)
		for j := range fi.Solutions {
			s := &fi.Solutions[j]
			p.indented("→ "+p.itemText(s)+" ("+w.support(s.Support)+")", 6, "", pdfBody, pdfLine)
			p.plenary(s.Plenary, 6)
		}
		p.gap(2.5)
	}
	if len(t.OtherSolutions) > 0 {
		p.text(w.t("nb.solutions.other"), "B", pdfBody)
		for j := range t.OtherSolutions {
			s := &t.OtherSolutions[j]
			p.text("→ "+p.itemText(s)+" ("+w.support(s.Support)+")", "", pdfBody)
			p.plenary(s.Plenary, 0)
		}
	}
	p.section("nb.recommendations", "nb.recommendations.none", len(t.Recommendations) == 0)
	for i := range t.Recommendations {
		p.recommendation(&t.Recommendations[i])
	}
	if t.Conclusion != "" {
		p.heading(w.t("nb.conclusion"), 13)
		p.paragraphs(t.Conclusion)
		p.marker(t.Conclusion, t.Untranslated, "conclusion")
	}
}

// marker prints, on a line of its own, the marker of a multi-paragraph text given in the main
// language.
func (p *pdfWriter) marker(text string, untranslated []string, field string) {
	if m := p.w.marker(untranslated, field); m != "" && text != "" {
		p.text(m, "", pdfBody)
		p.gap(2)
	}
}

func (p *pdfWriter) recommendation(r *Recommendation) {
	w := p.w
	p.room(25)
	p.text(p.itemText(&r.Item), "B", 11.5)
	p.gap(0.5)
	p.muted(strings.Join(w.figures(r.Support, r.Breadth, r.Dissent, p.nb.Method.Groups), " · "))
	for _, fl := range r.Flags {
		p.text("▲ "+w.flag(fl, r.FlagGroup), "", 9.5)
	}
	if len(r.Answers) > 0 {
		p.muted(w.answers(r.Answers))
	}
	for _, rc := range r.RoomCounts {
		p.muted(w.roomCount(rc))
	}
	p.plenary(r.Plenary, 0)
	if r.Moved {
		p.muted(w.moved(r.Rank))
	}
	if len(r.Steps) > 0 {
		p.gap(1)
		p.text(w.t("nb.steps"), "B", pdfBody)
		for i := range r.Steps {
			s := &r.Steps[i]
			p.indented(p.itemText(&s.Item), 6, "", pdfBody, pdfLine)
			for _, kv := range [][3]string{{"nb.step.who", s.Who, "who"}, {"nb.step.how", s.How, "how"}, {"nb.step.when", s.When, "when"}} {
				if kv[1] != "" {
					p.indented(w.t(kv[0])+" "+w.withMarker(kv[1], s.Untranslated, kv[2]), 10, "", 9.5, pdfLine-0.4)
				}
			}
			p.plenary(s.Plenary, 10)
		}
	}
	p.gap(4)
}

// plenary prints the result of a plenary vote on an item, in bold (it is what the room
// decided), indented like the item.
func (p *pdfWriter) plenary(r *PlenaryResult, indent float64) {
	if r == nil {
		return
	}
	p.indented(p.w.plenary(r), indent, "B", 9.5, pdfLine-0.4)
}

func (p *pdfWriter) annex() {
	w := p.w
	p.f.AddPage()
	p.reach()
	p.text(w.t("nb.annex"), "B", 18)
	p.gap(3)
	p.text(w.t("nb.annex.intro"), "", pdfBody)
	for _, s := range p.nb.Annex {
		p.heading(s.Title+" — "+w.date(s.StartsAt), 13)
		if len(s.Contributions) == 0 {
			p.muted(w.t("nb.annex.none"))
		}
		for _, e := range s.Contributions {
			p.room(12)
			head := e.Ref + " · " + w.kind(e.Kind)
			if e.Parent != "" {
				head += " → " + e.Parent
			}
			p.text(head, "B", 9.5)
			p.text(e.Text, "", 9.5)
			var notes []string
			for _, kv := range [][2]string{{"nb.step.who", e.Who}, {"nb.step.how", e.How}, {"nb.step.when", e.When}} {
				if kv[1] != "" {
					notes = append(notes, w.t(kv[0])+" "+kv[1])
				}
			}
			if e.Group != "" {
				notes = append(notes, w.t("nb.annex.group")+" "+w.group(e.Group))
			}
			if e.MergedInto != "" {
				notes = append(notes, w.f("nb.annex.merged", "ref", e.MergedInto))
			}
			if e.InNotebook != "" {
				notes = append(notes, w.f("nb.annex.inbody", "ref", e.InNotebook))
			}
			notes = append(notes, w.annexTally(e.Support))
			for _, rc := range e.RoomCounts {
				notes = append(notes, w.roomCount(rc))
			}
			p.muted(strings.Join(notes, " · "))
			p.plenary(e.Plenary, 0)
			p.gap(1.5)
		}
	}
}

// pdfReplacer maps what the Go fonts lack to what they have: the narrow no-break space French
// puts before « : ; ! ? becomes a no-break space; the non-breaking hyphen a hyphen.
var pdfReplacer = strings.NewReplacer("\u202f", "\u00a0", "\u2011", "-", "\t", "    ")

// pdfMissing stands for a character the fonts cannot draw (an emoji, a script they lack).
const pdfMissing = '\u25a1' // □

// pdfCovered reports, for every rune of the Basic Multilingual Plane, whether all three Go
// fonts draw it. fpdf refuses (and fails the whole document on) runes beyond the font's
// range and prints nothing for those without a glyph, so pdfText replaces them first.
var pdfCovered = sync.OnceValue(func() []bool {
	covered := make([]bool, 0x10000)
	fonts := make([]*sfnt.Font, 0, 3)
	for _, ttf := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			return covered // cannot happen with the embedded fonts; then everything is replaced
		}
		fonts = append(fonts, f)
	}
	var buf sfnt.Buffer
	for r := range covered {
		ok := true
		for _, f := range fonts {
			if i, err := f.GlyphIndex(&buf, rune(r)); err != nil || i == 0 {
				ok = false
				break
			}
		}
		covered[r] = ok
	}
	return covered
})

// pdfText prepares a text for fpdf: cleaned like every format, then mapped to the fonts.
func pdfText(s string) string {
	s = pdfReplacer.Replace(Clean(s))
	covered := pdfCovered()
	return strings.Map(func(r rune) rune {
		if r == '\n' || (r < rune(len(covered)) && covered[r]) {
			return r
		}
		return pdfMissing
	}, s)
}
