package web

import (
	"context"

	"github.com/assises/assises/record"
)

// Localiser gives a reader the texts an organiser wrote in their language, or the main
// language's marked as a fallback (the template "ltext" shows the mark).
type Localiser struct{ main, lang string }

// LocaliserFor is the localiser of a process's texts for a reader of lang.
func LocaliserFor(p *record.Process, lang string) Localiser {
	return Localiser{main: p.MainLanguage(), lang: lang}
}

// Of is one field of a text and its translations.
func (l Localiser) Of(mainText string, t record.Translations, field string) record.Localised {
	return record.Localise(l.main, mainText, t, field, l.lang)
}

// Theme is a theme's title and why.
func (l Localiser) Theme(t *record.Theme) (title, why record.Localised) {
	return l.Of(t.Title, t.Translations, "title"), l.Of(t.Why, t.Translations, "why")
}

// Workshop is a session's title.
func (l Localiser) Workshop(w *record.Workshop) record.Localised {
	return l.Of(w.Title, w.Translations, "title")
}

// InEveryLanguage is a text in each of the process's languages it exists in, main first: what
// paper shows a reader whose language nobody knows, so that they find theirs on it.
func InEveryLanguage(p *record.Process, mainText string, t record.Translations, field string) []record.Localised {
	out := []record.Localised{{Text: mainText, Lang: p.MainLanguage()}}
	for _, l := range p.ContentLanguages()[1:] {
		if s := t.Get(l, field); s != "" && s != mainText {
			out = append(out, record.Localised{Text: s, Lang: l})
		}
	}
	return out
}

// TextsFor is a text as a reader of lang gets it on paper or in an email: in their language
// (or the main one's, marked), or in every language when lang is "" (not known).
func TextsFor(p *record.Process, lang, mainText string, t record.Translations, field string) []record.Localised {
	if lang == "" {
		return InEveryLanguage(p, mainText, t, field)
	}
	return []record.Localised{LocaliserFor(p, lang).Of(mainText, t, field)}
}

// WorkshopTitle is a session's title in lang, for a page that has the session but not its
// process; if the process cannot be read, the main language's title, unmarked.
func (s *Site) WorkshopTitle(ctx context.Context, ws *record.Workshop, lang string) record.Localised {
	proc, err := record.GetProcess(ctx, s.DB, ws.ProcessID)
	if err != nil {
		return record.Localised{Text: ws.Title}
	}
	return LocaliserFor(proc, lang).Workshop(ws)
}
