package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/assises/assises/i18n"
)

// i18nTexts serves one language's catalog to the browser's scripts (GET /i18n/fr.json): the
// live pages word everything they draw with it, and the projector loads two languages to show
// French and Dutch side by side.
func (h *handler) i18nTexts(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	lang, ok := strings.CutSuffix(name, ".json")
	if !ok || i18n.Normalise(lang) != lang {
		h.notFound(w, r)
		return
	}
	b, err := json.Marshal(h.catalog.Texts(lang))
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}
