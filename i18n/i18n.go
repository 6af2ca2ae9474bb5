// Package i18n translates interface texts and refusal codes. French is the reference
// language: a key missing in Dutch or English falls back to French, then to the key itself,
// so a missing translation shows something readable instead of nothing.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/text/language"
)

// Default is the language used when nothing else is known.
const Default = "fr"

// Languages are the interface languages, in the order they are offered.
var Languages = []string{"fr", "nl", "en"}

// Catalog maps language → key → text.
type Catalog struct {
	texts map[string]map[string]string
}

// Load reads the catalogs under dir of fsys: <lang>.json and any <area>.<lang>.json (each part
// of the product may keep its texts in a file of its own). A key defined twice for one language
// is an error, so two files cannot silently disagree.
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	c := &Catalog{texts: map[string]map[string]string{}}
	for _, lang := range Languages {
		c.texts[lang] = map[string]string{}
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(name, ".json"), ".")
		lang := parts[len(parts)-1]
		texts, ok := c.texts[lang]
		if !ok {
			return nil, fmt.Errorf("i18n: %s: unknown language %q", name, lang)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		for k, v := range m {
			if _, dup := texts[k]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q is defined twice for %s", name, k, lang)
			}
			texts[k] = v
		}
	}
	return c, nil
}

// Texts returns every key and text of a language (the browser gets its catalog from it).
func (c *Catalog) Texts(lang string) map[string]string {
	return c.texts[Normalise(lang)]
}

// T returns the text for key in lang, falling back to French, then to the key.
func (c *Catalog) T(lang, key string) string {
	if s, ok := c.texts[Normalise(lang)][key]; ok {
		return s
	}
	if s, ok := c.texts[Default][key]; ok {
		return s
	}
	return key
}

// Refusal words a refusal code (docs/protocol.md) in lang: the texts are under "err.<code>".
func (c *Catalog) Refusal(lang, code string) string { return c.T(lang, "err."+code) }

// Keys returns every key of a language's catalog (tests use it to find missing translations).
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.texts[lang]))
	for k := range c.texts[lang] {
		keys = append(keys, k)
	}
	return keys
}

// Normalise maps a language tag ("nl-BE", "EN") to one of Languages, or Default.
func Normalise(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	for _, l := range Languages {
		if l == lang {
			return l
		}
	}
	return Default
}

// matcher picks among Languages; its first entry (French) is what it answers when nothing
// in the header comes close.
var matcher = language.NewMatcher(func() []language.Tag {
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = language.MustParse(l)
	}
	return tags
}())

// FromAcceptLanguage picks the supported language that a browser's Accept-Language header
// prefers. x/text/language's matcher honours q-values ("en;q=0.1, fr" is French) and regional
// variants ("nl-BE" is Dutch), which a split on commas did not.
func FromAcceptLanguage(header string) string {
	_, i := language.MatchStrings(matcher, header)
	return Languages[i]
}
