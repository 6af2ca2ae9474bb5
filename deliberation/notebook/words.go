package notebook

import (
	"math"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the notebook shows Brussels time on any machine, and the same on every one

	"github.com/assises/assises/i18n"
)

// Labels translates the notebook's fixed texts (keys "nb.…" of frontend/i18n/notebook.*.json).
// The server passes its catalog; renderers never choose a language themselves.
type Labels func(key string) string

// brussels is where every session takes place: dates are printed in its zone.
var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// words says things the same way in HTML, Markdown and PDF: every phrase with a figure in it
// is built here, so that the three formats cannot drift apart.
type words struct {
	lang string
	main string // the language of texts not yet translated
	l    Labels
}

func newWords(lang string, l Labels) words {
	if l == nil {
		l = func(k string) string { return k }
	}
	return words{lang: lang, main: lang, l: l}
}

// wordsFor speaks the notebook's language and knows its main language.
func wordsFor(nb *Notebook, l Labels) words {
	w := newWords(nb.Language, l)
	if nb.MainLanguage != "" {
		w.main = nb.MainLanguage
	}
	return w
}

// marker is what stands beside a text given in the main language because it is not translated
// yet: "[FR]"; "" when field is translated (or needs no translation).
func (w words) marker(untranslated []string, field string) string {
	for _, f := range untranslated {
		if f == field {
			return "[" + strings.ToUpper(w.main) + "]"
		}
	}
	return ""
}

// markerTitle says in words what the marker means: "niet vertaald — tekst in het Frans".
func (w words) markerTitle() string {
	return w.f("nb.lang.untranslated", "language", w.t("nb.lang.name."+w.main))
}

// legend explains the marker once, in the method section, when the notebook has any text
// given in the main language; "" otherwise.
func (w words) legend(nb *Notebook) string {
	if len(MissingTranslations(nb)) == 0 {
		return ""
	}
	return w.f("nb.lang.legend", "marker", "["+strings.ToUpper(w.main)+"]", "language", w.t("nb.lang.name."+w.main))
}

// withMarker is a text followed by its marker, if any (Markdown and PDF).
func (w words) withMarker(text string, untranslated []string, field string) string {
	if m := w.marker(untranslated, field); m != "" && text != "" {
		return text + " " + m
	}
	return text
}

func (w words) t(key string) string { return w.l(key) }

// f fills {name} placeholders: f("nb.x", "n", "3").
func (w words) f(key string, pairs ...string) string {
	s := w.l(key)
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}

// n picks the singular or plural form of key (key.one, key.other) and fills {n}. French
// uses the singular for 0 and 1, Dutch and English for 1 only.
func (w words) n(key string, n int) string {
	form := ".other"
	if n == 1 || (n == 0 && w.lang == "fr") {
		form = ".one"
	}
	return w.f(key+form, "n", strconv.Itoa(n))
}

// date: "16 novembre 2023".
func (w words) date(t time.Time) string { return i18n.FormatDate(w.lang, t.In(brussels)) }

// session: "jeudi 16 novembre 2023, 13h00–16h30" (the hours as each language writes them).
func (w words) session(start, end time.Time) string {
	return i18n.FormatSession(w.lang, start.In(brussels), end.In(brussels))
}

func (w words) period(from, to *time.Time) string {
	if from == nil || to == nil {
		return ""
	}
	return w.f("nb.cover.period", "from", w.date(*from), "to", w.date(*to))
}

// pct: "33 %" in French (with a no-break space), "33%" otherwise.
func (w words) pct(f float64) string {
	n := strconv.Itoa(int(math.Round(f * 100)))
	if w.lang == "fr" {
		return n + "\u00a0%"
	}
	return n + "%"
}

// support says a tally: "12 soutiens", "8 d'accord, 2 neutres, 1 pas d'accord", "14 gommettes
// (5 personnes)".
func (w words) support(s Support) string {
	switch s.Method {
	case "agree":
		return w.f("nb.support.agree", "agree", strconv.Itoa(s.Agree), "neutral", strconv.Itoa(s.Neutral), "disagree", strconv.Itoa(s.Disagree))
	case "dots":
		return w.n("nb.support.dots", s.Dots) + " (" + w.n("nb.support.people", s.Supporters) + ")"
	}
	return w.n("nb.support.supporters", s.Supporters)
}

// figures is the line under a recommendation: support, breadth and dissent, each a phrase.
func (w words) figures(s Support, b Breadth, dissent *float64, groups bool) []string {
	out := []string{w.support(s), w.n("nb.breadth.organisations", b.Organisations)}
	if groups && b.Groups > 0 { // sessions without break-out groups have nothing to say here
		out = append(out, w.n("nb.breadth.groups", b.Groups))
	}
	if dissent != nil {
		out = append(out, w.f("nb.dissent", "pct", w.pct(*dissent)))
	}
	return out
}

func (w words) flag(code, group string) string {
	return w.f("nb.flag."+code, "group", w.group(group))
}

func (w words) roomCount(rc RoomCount) string {
	label := rc.Label
	if label == "" {
		label = w.t("nb.roomcount.default")
	}
	return w.f("nb.roomcount", "label", label, "yes", strconv.Itoa(rc.Yes), "neutral", strconv.Itoa(rc.Neutral), "no", strconv.Itoa(rc.No))
}

// editorial notes of a body item: reworded (where the original is), moved (its computed rank).
func (w words) reworded(annex string) string { return w.f("nb.reworded", "annex", annex) }
func (w words) moved(rank int) string        { return w.f("nb.moved", "rank", strconv.Itoa(rank)) }

func (w words) answers(refs []string) string {
	return w.f("nb.answers", "refs", strings.Join(refs, ", "))
}

func (w words) version(nb *Notebook) string {
	if nb.Version == 0 || nb.PublishedAt == nil {
		return w.t("nb.draft")
	}
	return w.f("nb.version", "n", strconv.Itoa(nb.Version), "date", w.date(*nb.PublishedAt))
}

// method is the few lines that say how the notebook was made.
func (w words) method(nb *Notebook) []string {
	methods := make([]string, len(nb.Method.VoteMethods))
	for i, m := range nb.Method.VoteMethods {
		methods[i] = w.t("nb.votemethod." + m)
	}
	out := []string{
		w.f("nb.method.scenario", "themes", w.n("nb.count.themes", nb.Method.Themes), "sessions", w.n("nb.count.sessions", nb.Method.Sessions)),
	}
	if len(methods) > 0 {
		out = append(out, w.f("nb.method.votes", "methods", strings.Join(methods, ", ")))
	}
	if nb.Method.Groups {
		out = append(out, w.t("nb.method.groups"))
	}
	out = append(out, w.plenaryMethod(nb.Method.PlenaryRules)...)
	return append(out, w.t("nb.method.ranking"), w.t("nb.method.privacy"))
}

func (w words) themeTitle(t *Theme) string {
	if t.Title == "" {
		return w.t("nb.theme.untitled")
	}
	return t.Title
}

func (w words) kind(k string) string { return w.t("nb.kind." + k) }

// annexTally is the short tally of the annex table: "—" when nobody voted.
func (w words) annexTally(s Support) string {
	if s.Votes == 0 {
		return "—"
	}
	return w.support(s)
}

// paragraphs splits a text into paragraphs (blank lines) of lines.
func paragraphs(s string) [][]string {
	var out [][]string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		out = append(out, strings.Split(p, "\n"))
	}
	return out
}
