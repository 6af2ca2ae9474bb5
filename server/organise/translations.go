package organise

import (
	"errors"
	"net/http"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// Translations: what an organiser writes exists in each language of the process. The plain
// fields (title, why, description) are the main language's; "translations" carries the others
// as {"nl": {"title": "…"}}. A text left empty is not translated: readers get the main one,
// marked, and the list of missing texts (GET …/processes/{id}/missing) names it.

// Limits of each translatable field, by what it translates.
var (
	processFields  = map[string]int{"title": web.MaxTitle, "description": web.MaxText}
	themeFields    = map[string]int{"title": web.MaxTitle, "why": web.MaxText}
	workshopFields = map[string]int{"title": web.MaxTitle}
	agendaFields   = map[string]int{"title": web.MaxTitle}
)

// translationsOf checks translations sent by the page: known languages other than main, known
// fields, within their limits. It returns them trimmed (empty texts dropped) or a refusal code.
func translationsOf(in map[string]map[string]string, main string, fields map[string]int) (record.Translations, string) {
	var out record.Translations
	for lang, texts := range in {
		if i18n.Normalise(lang) != lang {
			return nil, "invalid_args"
		}
		for field, text := range texts {
			limit, ok := fields[field]
			switch {
			case !ok:
				return nil, "invalid_args"
			case len(text) > limit:
				return nil, "too_long"
			}
			if lang != main { // the main language's text is the plain field
				out.Set(lang, field, text)
			}
		}
	}
	return out, ""
}

// translationsView is what the page gets: never null, so that it can index it.
func translationsView(t record.Translations) record.Translations {
	if t == nil {
		return record.Translations{}
	}
	return t
}

// languagesOf checks a process's languages: known ones, each once; none means the default.
func languagesOf(in []string) ([]string, bool) {
	if len(in) == 0 {
		return record.SplitLanguages(record.DefaultLanguages), true
	}
	seen := map[string]bool{}
	for _, l := range in {
		if i18n.Normalise(l) != l || seen[l] {
			return nil, false
		}
		seen[l] = true
	}
	return in, true
}

// saveProcess stores a process whose settings were just applied: with its texts swapped when
// its main language changed from oldMain. A change to a language some text is missing in is
// refused (409, org_main_untranslated), nothing saved.
func (a *API) saveProcess(w http.ResponseWriter, r *http.Request, p *record.Process, oldMain string) bool {
	err := process.ChangeMainLanguage(r.Context(), a.DB, p, oldMain)
	if errors.Is(err, process.ErrUntranslated) {
		a.JSON.Write(w, http.StatusConflict, map[string]any{"error": map[string]string{
			"code": "org_main_untranslated", "field": "languages",
			"message": a.Catalog.T(a.Lang(r), "err.org_main_untranslated"),
		}})
		return false
	}
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return false
	}
	return true
}

// Missing lists the texts of a process not translated yet into one of its languages: the
// organiser's page shows it before publishing.
func (a *API) Missing(w http.ResponseWriter, r *http.Request) {
	_, p, ok := a.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	missing, err := process.MissingTranslations(r.Context(), a.DB, p)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	a.JSON.Write(w, http.StatusOK, map[string]any{"languages": p.ContentLanguages(), "missing": missing})
}
