package organise_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/assises/assises/server/sitetest"
)

type apiTranslated struct {
	Process struct {
		ID           int64                        `json:"id"`
		Slug         string                       `json:"slug"`
		Title        string                       `json:"title"`
		Languages    []string                     `json:"languages"`
		MainLanguage string                       `json:"mainLanguage"`
		Translations map[string]map[string]string `json:"translations"`
	} `json:"process"`
	Missing []struct {
		Kind, Field, Lang, Text string
		ID                      int64
	} `json:"missing"`
}

// An organiser writes a process in French and Dutch: the API keeps each text per language,
// lists what is missing, refuses bad translations, and swaps every text when the main
// language changes, or refuses while one is untranslated; the public page reads Dutch.
func TestOrganiserWritesInEachLanguage(t *testing.T) {
	sitetest.Each(t, func(t *testing.T, s *sitetest.Site) {
		c, csrf := s.OrganiserDesk(t)
		api := s.Server.URL + "/api/organise"

		var created apiTranslated
		if st := sitetest.Call(t, c, "POST", api+"/processes", csrf, map[string]any{
			"title": "Assises du Logement", "description": "Des ateliers.",
			"translations": map[string]any{"nl": map[string]string{"title": "Staten-Generaal van Huisvesting"}},
		}, &created); st != http.StatusCreated {
			t.Fatalf("create process: got %d, want 201", st)
		}
		p := created.Process
		if strings.Join(p.Languages, ",") != "fr,nl" || p.MainLanguage != "fr" || p.Translations["nl"]["title"] != "Staten-Generaal van Huisvesting" {
			t.Fatalf("created: got %+v; want fr,nl with main fr and the Dutch title", p)
		}
		var theme struct {
			Theme struct {
				ID           int64
				Translations map[string]map[string]string
			}
		}
		if st := sitetest.Call(t, c, "POST", api+"/processes/"+strconv.FormatInt(p.ID, 10)+"/themes", csrf, map[string]any{
			"title": "L'habitat", "why": "Décloisonner", "translations": map[string]any{"nl": map[string]string{"title": "De woning", "why": ""}},
		}, &theme); st != http.StatusCreated || theme.Theme.Translations["nl"]["title"] != "De woning" {
			t.Fatalf("create theme: got %d %+v", st, theme)
		}

		var got apiTranslated
		if st := sitetest.Call(t, c, "GET", api+"/processes/"+strconv.FormatInt(p.ID, 10)+"/missing", "", nil, &got); st != 200 {
			t.Fatalf("missing: got %d", st)
		}
		var missing []string
		for _, m := range got.Missing {
			missing = append(missing, m.Kind+" "+m.Field+" "+m.Lang)
		}
		if want := "process description nl|theme why nl"; strings.Join(missing, "|") != want {
			t.Fatalf("missing: got %q, want %q", strings.Join(missing, "|"), want)
		}

		themeURL := api + "/themes/" + strconv.FormatInt(theme.Theme.ID, 10)
		bad := []struct {
			name, url string
			body      map[string]any
			code      string
			field     string
		}{
			{"unknown language", themeURL, map[string]any{"title": "L'habitat", "translations": map[string]any{"xx": map[string]string{"title": "?"}}}, "invalid_args", "translations"},
			{"unknown field", themeURL, map[string]any{"title": "L'habitat", "translations": map[string]any{"nl": map[string]string{"description": "?"}}}, "invalid_args", "translations"},
			{"translation too long", themeURL, map[string]any{"title": "L'habitat", "translations": map[string]any{"nl": map[string]string{"title": strings.Repeat("w", 201)}}}, "too_long", "translations"},
			{"a language twice", api + "/processes/" + strconv.FormatInt(p.ID, 10), map[string]any{"title": "Assises", "languages": []string{"fr", "fr"}}, "invalid_args", "languages"},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				var e sitetest.APIError
				if st := sitetest.Call(t, c, "PUT", tt.url, csrf, tt.body, &e); st != 400 || e.Error.Code != tt.code || e.Error.Field != tt.field {
					t.Fatalf("got %d %+v, want 400 %s on %s", st, e.Error, tt.code, tt.field)
				}
			})
		}

		// The public page in Dutch: the title translated, the "why" in French with its badge.
		_, page := sitetest.Get(t, s.Client(t), s.Server.URL+"/p/"+p.Slug+"?lang=nl")
		for _, want := range []string{"<h1>Staten-Generaal van Huisvesting</h1>", "De woning", `<span lang="fr">Décloisonner</span>`, `data-fallback="fr"`} {
			if !strings.Contains(page, want) {
				t.Errorf("public page in Dutch: %q missing", want)
			}
		}
		_, page = sitetest.Get(t, s.Client(t), s.Server.URL+"/p/"+p.Slug+"?lang=fr")
		if strings.Contains(page, "lang-badge") || !strings.Contains(page, "<h1>Assises du Logement</h1>") {
			t.Errorf("public page in French: got a badge or no French title")
		}

		// Dutch as the main language: refused while a text is missing, nothing changed.
		toDutch := map[string]any{"title": "Assises du Logement", "description": "Des ateliers.", "languages": []string{"nl", "fr"}}
		var e sitetest.APIError
		if st := sitetest.Call(t, c, "PUT", api+"/processes/"+strconv.FormatInt(p.ID, 10), csrf, toDutch, &e); st != http.StatusConflict || e.Error.Code != "org_main_untranslated" {
			t.Fatalf("to Dutch with texts missing: got %d %+v, want 409 org_main_untranslated", st, e.Error)
		}
		sitetest.Call(t, c, "GET", api+"/processes/"+strconv.FormatInt(p.ID, 10), "", nil, &got)
		if got.Process.MainLanguage != "fr" || got.Process.Title != "Assises du Logement" {
			t.Fatalf("after the refusal: got %+v, want it unchanged", got.Process)
		}
		if st := sitetest.Call(t, c, "PUT", themeURL, csrf, map[string]any{"title": "L'habitat", "why": "Décloisonner",
			"translations": map[string]any{"nl": map[string]string{"title": "De woning", "why": "Ontschotten"}}}, nil); st != 200 {
			t.Fatalf("translate the theme: got %d", st)
		}
		toDutch["translations"] = map[string]any{"nl": map[string]string{"title": "Staten-Generaal van Huisvesting", "description": "Workshops."}}
		if st := sitetest.Call(t, c, "PUT", api+"/processes/"+strconv.FormatInt(p.ID, 10), csrf, toDutch, &got); st != 200 {
			t.Fatalf("to Dutch, all translated: got %d", st)
		}
		if got.Process.MainLanguage != "nl" || got.Process.Title != "Staten-Generaal van Huisvesting" || got.Process.Translations["fr"]["title"] != "Assises du Logement" {
			t.Fatalf("after the change: got %+v", got.Process)
		}
	})
}
