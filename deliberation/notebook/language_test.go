package notebook

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage/storagetest"
)

// TestDutchNotebookMarksWhatIsFrench: in the Dutch rendering of the golden notebook, what the
// editorial team translated is Dutch, and every text still in French is named in its
// untranslated list; the French rendering (the main language) has nothing to mark. Both
// validate against the schema.
func TestDutchNotebookMarksWhatIsFrench(t *testing.T) {
	ids, nl := cachedGoldenIn(t, "sqlite", "nl")
	_, fr := cachedGoldenIn(t, "sqlite", "fr")
	for lang, nb := range map[string]*Notebook{"fr": fr, "nl": nl} {
		doc, err := RenderJSON(nb)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(doc); err != nil {
			t.Errorf("the %s open data does not validate: %v", lang, err)
		}
		if nb.Language != lang || nb.MainLanguage != "fr" || !reflect.DeepEqual(nb.Languages, goldenLanguages) {
			t.Errorf("%s: language %q, main %q, languages %v", lang, nb.Language, nb.MainLanguage, nb.Languages)
		}
	}
	if m := MissingTranslations(fr); len(m) != 0 {
		t.Errorf("the main language has missing translations: %v", m)
	}
	byID := map[int64]Item{}
	var steps []Step
	for _, th := range nl.Themes {
		for _, f := range th.Findings {
			byID[f.ID] = f.Item
			for _, s := range f.Solutions {
				byID[s.ID] = s
			}
		}
		for _, r := range th.Recommendations {
			byID[r.ID] = r.Item
			steps = append(steps, r.Steps...)
		}
	}
	tests := []struct {
		key, text    string
		untranslated []string
	}{
		{"f-delais", "De wachttijden bij het OCMW bedragen vaak meer dan drie maanden.", nil},
		{"s-guichet", "Eén loket, zonder afspraak.", nil},
		{"r-broad", "Elk gezin een vaste, bereikbare maatschappelijk werker als referentiepersoon garanderen.", nil},
		{"f-logement", "Trop peu de logements sociaux adaptés aux familles nombreuses.", []string{"text"}},
		{"r-oneorg", "Financer deux postes d'assistant social supplémentaires au CPAS.", []string{"text"}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			it := byID[ids[tt.key]]
			if it.Text != tt.text || !reflect.DeepEqual(it.Untranslated, tt.untranslated) {
				t.Errorf("got %q untranslated %v, want %q untranslated %v", it.Text, it.Untranslated, tt.text, tt.untranslated)
			}
		})
	}
	for _, s := range steps {
		if s.ID == ids["st-ref"] && (s.Who != "De OCMW's en de SVK's" || !reflect.DeepEqual(s.Untranslated, []string{"when"})) {
			t.Errorf("translated step: who %q, untranslated %v; want Dutch who and French when", s.Who, s.Untranslated)
		}
	}
	if th := nl.Themes[0]; th.Title != "De gebruiker en zijn woning centraal" || !reflect.DeepEqual(th.Untranslated, []string{"conclusion"}) {
		t.Errorf("T1: %q untranslated %v", th.Title, th.Untranslated)
	}
	if !reflect.DeepEqual(nl.Process.Untranslated, []string{"description"}) {
		t.Errorf("process: untranslated %v, want the description", nl.Process.Untranslated)
	}
	missing := MissingTranslations(nl)
	for _, want := range []string{"process description", "T1 conclusion", "T2 why", "F1.1", "R1.1", "R1.4.2 when"} {
		if !slices.Contains(missing, want) {
			t.Errorf("missing translations %v lack %q", missing, want)
		}
	}
	for _, translated := range []string{"process title", "T1 title", "F1.2", "R1.4", "R1.4.2", "S1.2.1"} {
		if slices.Contains(missing, translated) {
			t.Errorf("missing translations list %q, which is translated", translated)
		}
	}
}

// TestPDFInDutch reads the Dutch PDF back with poppler: an elected official who reads Dutch
// finds Dutch headings, method, dates and the translated texts, the marker and its legend on
// what is still French, and none of the French notebook's own words.
func TestPDFInDutch(t *testing.T) {
	pdftotext := poppler(t, "pdftotext")
	_, nb := cachedGoldenIn(t, "sqlite", "nl")
	pdf, err := RenderPDF(nb, catalogLabels(t, "nl"))
	if err != nil {
		t.Fatal(err)
	}
	text := pdfTextOf(t, pdftotext, pdf)
	for _, want := range []string{
		"Aanbevelingenboek", "Staten-Generaal van Huisvesting", "Inhoud", "Methode", "Diagnose", "Aanbevelingen",
		"Bijlage: alle bijdragen", "van 16 november 2023 tot 4 december 2023", "donderdag 16 november 2023, 13.00–16.30",
		"Elke sessie volgde hetzelfde scenario", "De wachttijden bij het OCMW", "Eén loket", "Wie: De OCMW's en de SVK's",
		"De gebruiker en zijn woning centraal", "Waarom?", "[FR]", "nog niet vertaald", "pagina 2 van",
		"Financer deux postes d'assistant social supplémentaires au CPAS. [FR]",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the Dutch PDF lacks %q", want)
		}
	}
	for _, french := range []string{"Cahier de recommandations", "Table des matières", "Méthode", "novembre", "décembre", "jeudi", "page 2 sur", "Recommandations"} {
		if strings.Contains(text, french) {
			t.Errorf("the Dutch PDF says %q", french)
		}
	}
}

func pdfTextOf(t *testing.T, pdftotext string, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notebook.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// pdftotext breaks lines where the page did: join them so that phrases can be found.
	return regexp.MustCompile(`\s+`).ReplaceAllString(string(out), " ")
}

// TestPublishInLanguages publishes the golden process in French and Dutch: the version records
// both, each has its own formats (the Dutch PDF reads Dutch), the follow-up follows the
// reader's language, translations are tracked and refused when wrong, and the published Dutch
// does not change when the translations do.
func TestPublishInLanguages(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newFixture(t, db)
		f.edit()
		f.translate()
		at := time.Date(2024, 2, 3, 9, 30, 0, 0, time.UTC)
		if _, err := Publish(f.ctx, db, f.proc.ID, f.org.ID, Options{}, []string{"nl", "de"}, labelSet(t), at); !errors.Is(err, ErrInvalid) {
			t.Errorf("publishing in an unknown language: got %v, want ErrInvalid", err)
		}
		v, err := Publish(f.ctx, db, f.proc.ID, f.org.ID, Options{}, []string{"nl", "fr", "nl"}, labelSet(t), at)
		f.must(err)
		if v.Language != "fr" || v.Languages != "fr,nl" || !v.HasLanguage("nl") || v.HasLanguage("en") {
			t.Fatalf("version: language %q, languages %q", v.Language, v.Languages)
		}
		list, err := ListVersions(f.ctx, db, f.proc.ID)
		f.must(err)
		if len(list) != 1 || list[0].Languages != "fr,nl" {
			t.Errorf("versions: %+v", list)
		}
		stored, err := GetVersion(f.ctx, db, f.proc.ID, 1)
		f.must(err)
		nlv, err := InLanguage(f.ctx, db, stored, "nl")
		f.must(err)
		if _, err := InLanguage(f.ctx, db, stored, "en"); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("English of a French and Dutch version: got %v, want ErrNotFound", err)
		}
		for lang, ver := range map[string]*Version{"fr": stored, "nl": nlv} {
			if err := Validate([]byte(ver.Snapshot)); err != nil {
				t.Errorf("%s snapshot: %v", lang, err)
			}
			nb, err := ver.Notebook()
			f.must(err)
			if nb.Language != lang || nb.Version != 1 || !reflect.DeepEqual(nb.Languages, []string{"fr", "nl"}) {
				t.Errorf("%s snapshot: language %q, version %d, languages %v", lang, nb.Language, nb.Version, nb.Languages)
			}
		}
		for _, want := range []string{`lang="nl"`, "Aanbevelingenboek", "De wachttijden bij het OCMW", `class="nb-fallback"`} {
			if !strings.Contains(nlv.HTML, want) {
				t.Errorf("Dutch HTML lacks %q", want)
			}
		}
		if !strings.Contains(nlv.Markdown, "# Staten-Generaal") || strings.Contains(stored.Markdown, "Staten-Generaal") {
			t.Errorf("the Markdown of each language does not carry its own title")
		}
		if !strings.Contains(nlv.CSV, "De wachttijden bij het OCMW") {
			t.Errorf("the Dutch CSV does not carry the Dutch text of the body")
		}
		if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
			pdf, err := nlv.PDFBytes()
			f.must(err)
			if text := pdfTextOf(t, pdftotext, pdf); !strings.Contains(text, "De wachttijden bij het OCMW") || !strings.Contains(text, "Inhoud") {
				t.Errorf("the stored Dutch PDF does not read Dutch")
			}
		}

		// The follow-up in the reader's language; English, which the version lacks, gets French.
		for _, tt := range []struct{ lang, want, text string }{
			{"nl", "nl", "Elk gezin een vaste, bereikbare maatschappelijk werker als referentiepersoon garanderen."},
			{"en", "fr", "Garantir à chaque ménage un accompagnement social de référence, stable et joignable."},
			{"", "fr", "Garantir à chaque ménage un accompagnement social de référence, stable et joignable."},
		} {
			board, err := FollowUpBoard(f.ctx, db, f.proc.ID, tt.lang)
			f.must(err)
			var got *Tracked
			for i := range board.Items {
				if board.Items[i].ID == f.ids["r-broad"] {
					got = &board.Items[i]
				}
			}
			if board.Language != tt.want || got == nil || got.Text != tt.text || len(got.Untranslated) != 0 {
				t.Errorf("board for %q: language %q, item %+v", tt.lang, board.Language, got)
			}
			if tt.lang == "nl" {
				for _, it := range board.Items {
					if it.ID == f.ids["r-oneorg"] && !slices.Contains(it.Untranslated, "text") {
						t.Errorf("the Dutch board does not mark the French text of %s", it.Ref)
					}
				}
			}
		}

		// Translating after publication changes the next version, never this one.
		now := at.Add(time.Hour)
		f.must(Translate(f.ctx, db, f.proc.ID, f.org.ID, "nl", SubjectContribution, f.ids["f-delais"], map[string]*string{"text": ptr("")}, now))
		f.must(Translate(f.ctx, db, f.proc.ID, f.org.ID, "nl", SubjectContribution, f.ids["r-oneorg"],
			map[string]*string{"text": ptr("Twee extra maatschappelijk werkers voor het OCMW financieren.")}, now))
		again, err := GetVersion(f.ctx, db, f.proc.ID, 1)
		f.must(err)
		nlAgain, err := InLanguage(f.ctx, db, again, "nl")
		f.must(err)
		if !reflect.DeepEqual(nlv, nlAgain) {
			t.Errorf("the published Dutch changed when the translations did")
		}
		nb, err := Compile(f.ctx, db, f.proc.ID, Options{Language: "nl"})
		f.must(err)
		if r := recommendationsByID(nb)[f.ids["r-oneorg"]]; r.Text != "Twee extra maatschappelijk werkers voor het OCMW financieren." || len(r.Untranslated) != 0 {
			t.Errorf("new translation: %q %v", r.Text, r.Untranslated)
		}
		if m := MissingTranslations(nb); !slices.Contains(m, "F1.2") || slices.Contains(m, "R1.1") {
			t.Errorf("after removing one translation and adding another, missing: %v", m)
		}

		// The organisers' own translations of the process and its themes (made where they
		// wrote them) fill what the editorial team left; the team's translation wins where
		// both exist.
		th := f.theme[1]
		th.Translations.Set("nl", "why", "Nadenken over hoe competenties aan te trekken en te behouden.")
		th.Translations.Set("nl", "title", "Een titel die de redactie overschrijft")
		f.must(process.UpdateTheme(f.ctx, db, th))
		f.proc.Translations.Set("nl", "description", "Participatieve workshops om aanbevelingen uit te werken.")
		f.must(process.Update(f.ctx, db, f.proc))
		nb, err = Compile(f.ctx, db, f.proc.ID, Options{Language: "nl"})
		f.must(err)
		if t2 := nb.Themes[1]; t2.Title != "Beroepsopleiding en bijscholing als hefboom" || t2.Why != "Nadenken over hoe competenties aan te trekken en te behouden." ||
			slices.Contains(t2.Untranslated, "why") || slices.Contains(t2.Untranslated, "title") {
			t.Errorf("T2 with the organisers' own translations: %q / %q, untranslated %v", t2.Title, t2.Why, t2.Untranslated)
		}
		if nb.Process.Description != "Participatieve workshops om aanbevelingen uit te werken." || len(nb.Process.Untranslated) != 0 {
			t.Errorf("process with its own Dutch description: %q, untranslated %v", nb.Process.Description, nb.Process.Untranslated)
		}
		if fr, err := Compile(f.ctx, db, f.proc.ID, Options{Language: "fr"}); err != nil || fr.Themes[1].Why != "Réfléchir à comment mieux attirer et retenir les compétences au service de l'Humain." {
			t.Errorf("the French notebook changed with the Dutch translations: %v", err)
		}

		// The history records translations; the same text again records nothing.
		edits, err := Edits(f.ctx, db, f.proc.ID, 100)
		f.must(err)
		if edits[0].Action != ActionTranslate || edits[0].ContributionID == nil || *edits[0].ContributionID != f.ids["r-oneorg"] ||
			edits[0].AfterText != "nl text: Twee extra maatschappelijk werkers voor het OCMW financieren." {
			t.Errorf("latest edit: %+v", edits[0].Edit)
		}
		f.must(Translate(f.ctx, db, f.proc.ID, f.org.ID, "nl", SubjectContribution, f.ids["r-oneorg"],
			map[string]*string{"text": ptr(" Twee extra maatschappelijk werkers voor het OCMW financieren. ")}, now))
		if same, _ := Edits(f.ctx, db, f.proc.ID, 100); len(same) != len(edits) {
			t.Errorf("the same translation again added %d history lines", len(same)-len(edits))
		}

		// Refusals.
		other := &record.Process{Slug: "other", Title: "Other"}
		f.must(process.Create(f.ctx, db, other))
		for _, tt := range []struct {
			name    string
			lang    string
			subject string
			id      int64
			fields  map[string]*string
			want    error
		}{
			{"unknown language", "de", SubjectContribution, f.ids["r-broad"], map[string]*string{"text": ptr("x")}, ErrInvalid},
			{"unknown field", "nl", SubjectTheme, f.theme[0].ID, map[string]*string{"colour": ptr("x")}, ErrInvalid},
			{"who on a recommendation", "nl", SubjectContribution, f.ids["r-broad"], map[string]*string{"who": ptr("x")}, ErrInvalid},
			{"too long", "nl", SubjectContribution, f.ids["r-broad"], map[string]*string{"text": ptr(strings.Repeat("a", MaxEditRunes+1))}, ErrInvalid},
			{"unknown subject", "nl", "workshop", 1, map[string]*string{"title": ptr("x")}, ErrInvalid},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if err := Translate(f.ctx, db, f.proc.ID, f.org.ID, tt.lang, tt.subject, tt.id, tt.fields, now); !errors.Is(err, tt.want) {
					t.Errorf("got %v, want %v", err, tt.want)
				}
			})
		}
		if err := Translate(f.ctx, db, other.ID, f.org.ID, "nl", SubjectTheme, f.theme[0].ID, map[string]*string{"title": ptr("x")}, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("translating another process's theme: got %v, want ErrNotFound", err)
		}
		if err := Translate(f.ctx, db, other.ID, f.org.ID, "nl", SubjectContribution, f.ids["r-broad"], map[string]*string{"text": ptr("x")}, now); !errors.Is(err, record.ErrNotFound) {
			t.Errorf("translating another process's contribution: got %v, want ErrNotFound", err)
		}

		// The editor's draft lists the translations side by side and what is missing.
		draft, err := CompileDraft(f.ctx, db, f.proc.ID, Options{})
		f.must(err)
		if draft.Main != "fr" || !reflect.DeepEqual(draft.Languages, []string{"nl", "en"}) {
			t.Errorf("draft: main %q, languages %v", draft.Main, draft.Languages)
		}
		if !slices.Contains(draft.Missing["nl"], "F1.2") || slices.Contains(draft.Missing["nl"], "R1.1") || len(draft.Missing["en"]) <= len(draft.Missing["nl"]) {
			t.Errorf("draft missing: nl %v, en has %d", draft.Missing["nl"], len(draft.Missing["en"]))
		}
		if draft.Process["nl"]["title"] != "Staten-Generaal van Huisvesting en Maatschappelijk Werk" || draft.Themes[0].Translations["nl"]["why"] == "" {
			t.Errorf("draft translations: process %v, T1 %v", draft.Process["nl"], draft.Themes[0].Translations["nl"])
		}
		for _, it := range draft.Themes[0].Recommendations {
			if it.ID == f.ids["r-oneorg"] && it.Translations["nl"]["text"] != "Twee extra maatschappelijk werkers voor het OCMW financieren." {
				t.Errorf("draft item translations: %v", it.Translations)
			}
		}
	})
}
