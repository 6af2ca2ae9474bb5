package record

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
)

// Translations holds what an organiser wrote in the languages of a process other than its
// main one: language → field → text ({"nl": {"title": "…", "why": "…"}}). The row's plain
// columns keep the main language's text, so a reader that knows one language reads them as
// before; a reader in another language asks Localise. Stored as JSON text in a column of
// the row it translates: one read brings every language, on SQLite and PostgreSQL alike.
type Translations map[string]map[string]string

// Get returns the text of field in lang, or "".
func (t Translations) Get(lang, field string) string {
	return t[lang][field]
}

// Field returns the texts of field by language, for the languages that have one; nil when none
// has.
func (t Translations) Field(field string) map[string]string {
	var out map[string]string
	for lang, fields := range t {
		if fields[field] != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[lang] = fields[field]
		}
	}
	return out
}

// Set stores the text of field in lang; an empty text removes it.
func (t *Translations) Set(lang, field, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		if m := (*t)[lang]; m != nil {
			delete(m, field)
			if len(m) == 0 {
				delete(*t, lang)
			}
		}
		return
	}
	if *t == nil {
		*t = Translations{}
	}
	if (*t)[lang] == nil {
		(*t)[lang] = map[string]string{}
	}
	(*t)[lang][field] = text
}

// Value stores the translations as a JSON object ("{}" when there are none).
func (t Translations) Value() (driver.Value, error) {
	if len(t) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("translations: %w", err)
	}
	return string(b), nil
}

// Scan reads the JSON column.
func (t *Translations) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*t = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("translations: cannot scan %T", src)
	}
	var m Translations
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("translations: %w", err)
	}
	*t = m
	return nil
}

// Localised is one text as a reader in some language gets it: in their language, or else in
// the main language with Fallback set, so that the page can mark it ("FR", "not translated").
type Localised struct {
	Text     string `json:"text"`
	Lang     string `json:"lang"`
	Fallback bool   `json:"fallback,omitempty"`
}

// String is the text alone, for where a marker does not fit (a page's <title>).
func (l Localised) String() string { return l.Text }

// Localise returns field in lang: the main text when lang is main, the translation when there
// is one, or the main text marked as a fallback. An empty main text stays empty, unmarked.
func Localise(main, mainText string, t Translations, field, lang string) Localised {
	if lang == main || mainText == "" {
		return Localised{Text: mainText, Lang: main}
	}
	if s := t.Get(lang, field); s != "" {
		return Localised{Text: s, Lang: lang}
	}
	return Localised{Text: mainText, Lang: main, Fallback: true}
}

// DefaultLanguages are the languages of a new process: Brussels's two; English is optional.
const DefaultLanguages = "fr,nl"

// SplitLanguages splits a language list ("fr,nl,en") into its codes, in order.
func SplitLanguages(list string) []string {
	out := []string{}
	for _, l := range strings.Split(list, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ContentLanguages are the languages an organiser writes the process's texts in, main first.
func (p *Process) ContentLanguages() []string {
	if ls := SplitLanguages(p.Languages); len(ls) > 0 {
		return ls
	}
	return SplitLanguages(DefaultLanguages)
}

// MainLanguage is the language of the plain columns: the one every text exists in, and the
// one a reader falls back to.
func (p *Process) MainLanguage() string {
	return p.ContentLanguages()[0]
}

// HasLanguage reports whether lang is one of the process's languages.
func (p *Process) HasLanguage(lang string) bool {
	for _, l := range p.ContentLanguages() {
		if l == lang {
			return true
		}
	}
	return false
}

// ReadingLanguage is the language a reader of lang gets the process's texts in: lang when the
// process has it, else the main language (whose texts always exist).
func (p *Process) ReadingLanguage(lang string) string {
	if p.HasLanguage(lang) {
		return lang
	}
	return p.MainLanguage()
}

// Localise returns one of the process's own texts ("title", "description") in lang.
func (p *Process) Localise(field, lang string) Localised {
	var main string
	switch field {
	case "title":
		main = p.Title
	case "description":
		main = p.Description
	}
	return Localise(p.MainLanguage(), main, p.Translations, field, lang)
}
