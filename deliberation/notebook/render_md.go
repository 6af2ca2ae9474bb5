package notebook

import (
	"fmt"
	"strconv"
	"strings"
)

// RenderMarkdown renders the notebook as CommonMark (GitHub-compatible). Every text that comes
// from people or organisers goes through Markdown(), which escapes what would make a link, an
// image, emphasis, raw HTML or a table break, so that it reads exactly as it was written.
func RenderMarkdown(nb *Notebook, labels Labels) string {
	w := wordsFor(nb, labels)
	m := &mdWriter{w: w}
	m.line("# " + Markdown(w.withMarker(nb.Process.Title, nb.Process.Untranslated, "title")))
	m.blank()
	m.line("*" + Markdown(w.t("nb.kicker")) + " — " + Markdown(w.version(nb)) + "*")
	m.blank()
	item := func(key, value string) {
		m.line("- " + Markdown(w.f("nb.cover.item", "label", w.t(key), "value", value)))
	}
	if p := w.period(nb.Cover.From, nb.Cover.To); p != "" {
		item("nb.cover.dates", p)
	}
	item("nb.cover.sessions", strconv.Itoa(nb.Cover.Sessions))
	item("nb.cover.participants", strconv.Itoa(nb.Cover.Participants))
	if nb.Cover.OpenParticipants > 0 {
		item("nb.cover.open", strconv.Itoa(nb.Cover.OpenParticipants))
	}
	item("nb.cover.organisations", strconv.Itoa(nb.Cover.Organisations))
	m.blank()

	m.line("## " + Markdown(w.t("nb.toc")))
	m.blank()
	m.line("1. [" + Markdown(w.t("nb.method")) + "](#nb-method)")
	for i := range nb.Themes {
		t := &nb.Themes[i]
		m.line(fmt.Sprintf("%d. [%s](#%s)", i+2, Markdown(w.withMarker(w.themeTitle(t), t.Untranslated, "title")), anchor(t.Ref)))
	}
	m.line(fmt.Sprintf("%d. [%s](#nb-annex)", len(nb.Themes)+2, Markdown(w.t("nb.annex"))))
	m.blank()

	m.heading(2, w.t("nb.method"), "nb-method")
	m.paragraphs(nb.Process.Description)
	m.marker(nb.Process.Description, nb.Process.Untranslated, "description")
	for _, p := range append(w.method(nb), w.legend(nb)) {
		if p != "" {
			m.line(Markdown(p))
			m.blank()
		}
	}
	for i := range nb.Themes {
		m.theme(&nb.Themes[i], nb.Method.Groups)
	}
	m.annex(nb)
	return strings.TrimRight(m.b.String(), "\n") + "\n"
}

type mdWriter struct {
	w words
	b strings.Builder
}

func (m *mdWriter) line(s string) { m.b.WriteString(s + "\n") }
func (m *mdWriter) blank()        { m.b.WriteString("\n") }

// heading writes a heading with an explicit anchor, so that links work in renderers that
// make other ids (the anchor is an HTML element we write ourselves, never from user text).
func (m *mdWriter) heading(level int, text, id string) {
	m.line(fmt.Sprintf(`<a id="%s"></a>`, id))
	m.blank()
	m.line(strings.Repeat("#", level) + " " + Markdown(text))
	m.blank()
}

// marker writes, as a paragraph of its own, the marker of a multi-paragraph text given in
// the main language.
func (m *mdWriter) marker(text string, untranslated []string, field string) {
	if mk := m.w.marker(untranslated, field); mk != "" && text != "" {
		m.line(Markdown(mk))
		m.blank()
	}
}

func (m *mdWriter) paragraphs(s string) {
	for _, p := range paragraphs(s) {
		m.line(Markdown(strings.Join(p, "\n")))
		m.blank()
	}
}

// text is an item's text with its editorial note.
func (m *mdWriter) text(it *Item) string {
	s := Markdown(m.w.withMarker(it.Text, it.Untranslated, "text"))
	if it.Reworded {
		s += " *(" + Markdown(m.w.reworded(it.Annex)) + ")*"
	}
	return s
}

// plenary writes the result of a plenary vote on an item, in bold, as a continuation of its
// list item (pad: the item's indentation).
func (m *mdWriter) plenary(r *PlenaryResult, pad string) {
	if r != nil {
		m.line(pad + "**" + Markdown(m.w.plenary(r)) + "**")
	}
}

// hardBreak ends a line with a Markdown hard break when a plenary result follows it.
func hardBreak(p *PlenaryResult) string {
	if p == nil {
		return ""
	}
	return "  "
}

// indent continues a list item's text on its following lines.
func indent(s, pad string) string { return strings.ReplaceAll(s, "\n", "\n"+pad) }

// section writes the heading of a theme's section (catalog key title), and the line saying it
// has nothing (key none) when it holds no item.
func (m *mdWriter) section(title, id, none string, items int) {
	m.heading(3, m.w.t(title), id)
	if items == 0 {
		m.line("*" + Markdown(m.w.t(none)) + "*")
		m.blank()
	}
}

// solution writes a solution path as an item of a list indented by pad, with its support and
// its plenary result.
func (m *mdWriter) solution(s *Item, pad string) {
	m.line(pad + "- " + s.Ref + " " + indent(m.text(s), pad+"  ") + " *(" + Markdown(m.w.support(s.Support)) + ")*" + hardBreak(s.Plenary))
	m.plenary(s.Plenary, pad+"  ")
}

func (m *mdWriter) theme(t *Theme, groups bool) {
	w := m.w
	m.heading(2, t.Ref+" "+w.withMarker(w.themeTitle(t), t.Untranslated, "title"), anchor(t.Ref))
	if t.Why != "" {
		m.line("**" + Markdown(w.t("nb.why")) + "** " + Markdown(w.withMarker(t.Why, t.Untranslated, "why")))
		m.blank()
	}
	m.paragraphs(t.Introduction)
	m.marker(t.Introduction, t.Untranslated, "introduction")
	if len(t.Sessions) > 0 {
		m.line("### " + Markdown(w.t("nb.sessions")))
		m.blank()
		for _, s := range t.Sessions {
			line := "- **" + Markdown(s.Title) + "** — " + Markdown(w.session(s.StartsAt, s.EndsAt))
			if s.Place != "" {
				line += " — " + Markdown(s.Place)
			}
			m.line(line)
		}
		m.blank()
	}
	m.section("nb.diagnostic", anchor(t.Ref)+"-diagnostic", "nb.findings.none", len(t.Findings))
	for i := range t.Findings {
		f := &t.Findings[i]
		m.line("- **" + f.Ref + "** " + indent(m.text(&f.Item), "  "))
		m.line("  *" + Markdown(w.support(f.Support)+" · "+f.Session) + "*" + hardBreak(f.Plenary))
		m.plenary(f.Plenary, "  ")
		for j := range f.Solutions {
			m.solution(&f.Solutions[j], "  ")
		}
	}
	if len(t.Findings) > 0 {
		m.blank()
	}
	if len(t.OtherSolutions) > 0 {
		m.line("**" + Markdown(w.t("nb.solutions.other")) + "**")
		m.blank()
		for j := range t.OtherSolutions {
			m.solution(&t.OtherSolutions[j], "")
		}
		m.blank()
	}
	m.section("nb.recommendations", anchor(t.Ref)+"-recommendations", "nb.recommendations.none", len(t.Recommendations))
	for i := range t.Recommendations {
		m.recommendation(&t.Recommendations[i], groups)
	}
	if t.Conclusion != "" {
		m.line("### " + Markdown(w.t("nb.conclusion")))
		m.blank()
		m.paragraphs(t.Conclusion)
		m.marker(t.Conclusion, t.Untranslated, "conclusion")
	}
}

func (m *mdWriter) recommendation(r *Recommendation, groups bool) {
	w := m.w
	m.line("#### " + r.Ref + " " + strings.ReplaceAll(m.text(&r.Item), "  \n", " "))
	m.blank()
	m.line(Markdown(strings.Join(w.figures(r.Support, r.Breadth, r.Dissent, groups), " · ")))
	m.blank()
	for _, f := range r.Flags {
		m.line("- ⚠ " + Markdown(w.flag(f, r.FlagGroup)))
	}
	if len(r.Flags) > 0 {
		m.blank()
	}
	var notes []string
	if len(r.Answers) > 0 {
		notes = append(notes, w.answers(r.Answers))
	}
	for _, rc := range r.RoomCounts {
		notes = append(notes, w.roomCount(rc))
	}
	if r.Plenary != nil {
		notes = append(notes, w.plenary(r.Plenary))
	}
	if r.Moved {
		notes = append(notes, w.moved(r.Rank))
	}
	for _, n := range notes {
		m.line("*" + Markdown(n) + "*")
		m.blank()
	}
	if len(r.Steps) == 0 {
		return
	}
	m.line("**" + Markdown(w.t("nb.steps")) + "**")
	m.blank()
	for i := range r.Steps {
		s := &r.Steps[i]
		m.line("1. " + indent(m.text(&s.Item), "   ") + " *(" + Markdown(w.support(s.Support)) + ")*")
		for _, kv := range [][3]string{{"nb.step.who", s.Who, "who"}, {"nb.step.how", s.How, "how"}, {"nb.step.when", s.When, "when"}} {
			if kv[1] != "" {
				m.line("   - " + Markdown(w.t(kv[0])) + " " + Markdown(w.withMarker(kv[1], s.Untranslated, kv[2])))
			}
		}
		m.plenary(s.Plenary, "   - ")
	}
	m.blank()
}

func (m *mdWriter) annex(nb *Notebook) {
	w := m.w
	m.heading(2, w.t("nb.annex"), "nb-annex")
	m.line(Markdown(w.t("nb.annex.intro")))
	m.blank()
	for _, s := range nb.Annex {
		m.line("### " + Markdown(s.Title) + " — " + Markdown(w.date(s.StartsAt)))
		m.blank()
		if len(s.Contributions) == 0 {
			m.line("*" + Markdown(w.t("nb.annex.none")) + "*")
			m.blank()
			continue
		}
		m.line("| " + strings.Join([]string{Markdown(w.t("nb.annex.ref")), Markdown(w.t("nb.annex.kind")), Markdown(w.t("nb.annex.text")), Markdown(w.t("nb.annex.tally"))}, " | ") + " |")
		m.line("|---|---|---|---|")
		for _, e := range s.Contributions {
			kind := w.kind(e.Kind)
			if e.Parent != "" {
				kind += " → " + e.Parent
			}
			text := []string{Markdown(e.Text)}
			for _, kv := range [][2]string{{"nb.step.who", e.Who}, {"nb.step.how", e.How}, {"nb.step.when", e.When}} {
				if kv[1] != "" {
					text = append(text, Markdown(w.t(kv[0])+" "+kv[1]))
				}
			}
			if e.Group != "" {
				text = append(text, Markdown(w.t("nb.annex.group")+" "+w.group(e.Group)))
			}
			if e.MergedInto != "" {
				text = append(text, Markdown(w.f("nb.annex.merged", "ref", e.MergedInto)))
			}
			if e.Edited {
				text = append(text, Markdown(w.t("nb.annex.edited")))
			}
			if e.InNotebook != "" {
				text = append(text, Markdown(w.f("nb.annex.inbody", "ref", e.InNotebook)))
			}
			tally := []string{Markdown(w.annexTally(e.Support))}
			for _, rc := range e.RoomCounts {
				tally = append(tally, Markdown(w.roomCount(rc)))
			}
			if e.Plenary != nil {
				tally = append(tally, "**"+Markdown(w.plenary(e.Plenary))+"**")
			}
			// In a table cell a line break is <br>: the only HTML we write, never from input.
			cell := func(parts []string) string {
				return strings.ReplaceAll(strings.Join(parts, "<br>"), "  \n", "<br>")
			}
			m.line("| " + e.Ref + " | " + Markdown(kind) + " | " + cell(text) + " | " + cell(tally) + " |")
		}
		m.blank()
	}
}
