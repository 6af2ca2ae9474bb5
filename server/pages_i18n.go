package server

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/server/assets"
)

// liveOmits are the parts of a catalog the live faces (phone, console, projector) never
// word anything with: the organiser's desk, registration, the notebook, the public pages.
// Their catalog leaves them out: on a phone it is the largest file of the first visit.
var liveOmits = []string{"nb.", "reg.", "join.", "process.", "signin.", "home.", "cartes."}

// catalogAssets makes the catalogs the scripts fetch for each language: <lang>.json, every
// text, and live.<lang>.json, the live faces' part. A language's catalog has French filling
// the keys it lacks, so a phone fetches one catalog, never its own and French besides. Built
// once (json.Marshal sorts the keys, so the bytes and their hash are the same on every start)
// and served like a static file, compressed, under an address with its hash (the pages name
// it through "texts").
func catalogAssets(c *i18n.Catalog) (*assets.Set, error) {
	set := assets.New("/i18n/")
	for _, lang := range i18n.Languages {
		texts := maps.Clone(c.Texts(i18n.Default))
		maps.Copy(texts, c.Texts(lang))
		live := maps.Clone(texts)
		maps.DeleteFunc(live, func(k, _ string) bool {
			return slices.ContainsFunc(liveOmits, func(p string) bool { return strings.HasPrefix(k, p) })
		})
		for name, m := range map[string]map[string]string{lang + ".json": texts, "live." + lang + ".json": live} {
			b, err := json.Marshal(m)
			if err != nil {
				return nil, err
			}
			set.Add(name, "application/json; charset=utf-8", b)
		}
	}
	return set, nil
}

// i18nTexts serves one language's catalog to the browser's scripts (GET /i18n/fr.json, or
// the live faces' part, GET /i18n/live.fr.json): the pages word everything they draw with it,
// and the projector loads two languages to show French and Dutch side by side.
func (h *handler) i18nTexts(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if !h.texts.Has(name) {
		h.site.NotFound(w, r)
		return
	}
	h.texts.Serve(w, r, name)
}
