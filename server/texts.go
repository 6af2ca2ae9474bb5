package server

import (
	"context"

	"github.com/assises/assises/record"
)

// localiser gives a reader the texts an organiser wrote in their language, or the main
// language's marked as a fallback (the template "ltext" shows the mark).
type localiser struct{ main, lang string }

func localiserFor(p *record.Process, lang string) localiser {
	return localiser{main: p.MainLanguage(), lang: lang}
}

func (l localiser) of(mainText string, t record.Translations, field string) record.Localised {
	return record.Localise(l.main, mainText, t, field, l.lang)
}

func (l localiser) theme(t *record.Theme) (title, why record.Localised) {
	return l.of(t.Title, t.Translations, "title"), l.of(t.Why, t.Translations, "why")
}

func (l localiser) workshop(w *record.Workshop) record.Localised {
	return l.of(w.Title, w.Translations, "title")
}

// inEveryLanguage is a text in each of the process's languages it exists in, main first: what
// paper shows a reader whose language nobody knows, so that they find theirs on it.
func inEveryLanguage(p *record.Process, mainText string, t record.Translations, field string) []record.Localised {
	out := []record.Localised{{Text: mainText, Lang: p.MainLanguage()}}
	for _, l := range p.ContentLanguages()[1:] {
		if s := t.Get(l, field); s != "" && s != mainText {
			out = append(out, record.Localised{Text: s, Lang: l})
		}
	}
	return out
}

// textsFor is a text as a reader of lang gets it on paper or in an email: in their language
// (or the main one's, marked), or in every language when lang is "" (not known).
func textsFor(p *record.Process, lang, mainText string, t record.Translations, field string) []record.Localised {
	if lang == "" {
		return inEveryLanguage(p, mainText, t, field)
	}
	return []record.Localised{localiserFor(p, lang).of(mainText, t, field)}
}

// workshopTitle is a session's title in lang, for a page that has the session but not its
// process; if the process cannot be read, the main language's title, unmarked.
func (h *handler) workshopTitle(ctx context.Context, ws *record.Workshop, lang string) record.Localised {
	proc, err := record.GetProcess(ctx, h.db, ws.ProcessID)
	if err != nil {
		return record.Localised{Text: ws.Title}
	}
	return localiserFor(proc, lang).workshop(ws)
}
