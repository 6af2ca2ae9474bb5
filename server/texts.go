package server

import "github.com/assises/assises/deliberation"

// localiser gives a reader the texts an organiser wrote in their language, or the main
// language's marked as a fallback (the template "ltext" shows the mark).
type localiser struct{ main, lang string }

func localiserFor(p *deliberation.Process, lang string) localiser {
	return localiser{main: p.MainLanguage(), lang: lang}
}

func (l localiser) of(mainText string, t deliberation.Translations, field string) deliberation.Localised {
	return deliberation.Localise(l.main, mainText, t, field, l.lang)
}

func (l localiser) theme(t *deliberation.Theme) (title, why deliberation.Localised) {
	return l.of(t.Title, t.Translations, "title"), l.of(t.Why, t.Translations, "why")
}

func (l localiser) workshop(w *deliberation.Workshop) deliberation.Localised {
	return l.of(w.Title, w.Translations, "title")
}
