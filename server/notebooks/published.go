package notebooks

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/assises/assises/deliberation/notebook"
	"github.com/assises/assises/frontend"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/internal/spreadsheet"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// The notebook of recommendations, public side: every published version at
// /notebooks/{slug}/v/{n} (and the latest at /notebooks/{slug}), readable without signing in,
// with what changed since the version before and its files (PDF, HTML, Markdown, CSV, JSON).
// A version page serves the HTML stored at publication: nothing is compiled again.

// notebookLabels translates the notebook's fixed texts in one language.
func (h *Pages) notebookLabels(lang string) notebook.Labels {
	return func(key string) string { return h.Catalog.T(lang, key) }
}

// notebookOptions is the one place where the server says how to compile a notebook,
// including where the plenary votes come from (the live workshops' plenary results).
func (h *Pages) notebookOptions(lang string) notebook.Options {
	return notebook.Options{Language: lang, Plenary: notebook.Plenary}
}

// notebookFiles are the formats of a version, by file name.
var notebookFiles = []struct{ Name, Label string }{
	{"notebook.pdf", "PDF"}, {"notebook.html", "HTML"}, {"notebook.md", "Markdown"},
	{"notebook.csv", "CSV"}, {"notebook.json", "JSON"},
}

type fileLink struct{ URL, Label string }

type versionLink struct {
	URL, Label string
	Current    bool
}

// notebookView is the data of notebook_view.html, for a published version or a draft preview.
type notebookView struct {
	Title       string
	Draft       bool
	Number      int
	HTML        template.HTML // rendered and escaped by the notebook package
	Changes     []string
	ChangesHead string
	Versions    []versionLink
	Files       []fileLink
	Data        []fileLink
	FilesHead   string          // "Files in Dutch:", when the version has several languages
	Others      []otherLanguage // the version in its other languages
	FollowUp    string
}

// otherLanguage is a published version in another of its languages: its page and its files.
type otherLanguage struct {
	Code, Label, URL string
	Files            []fileLink
}

// publishedProcess finds the process of a public notebook URL, or answers 404.
func (h *Pages) publishedProcess(w http.ResponseWriter, r *http.Request) (*record.Process, bool) {
	p, err := process.GetBySlug(r.Context(), h.DB, r.PathValue("slug"))
	if h.LoadFailed(w, r, err, h.notebookNotFound) {
		return nil, false
	}
	return p, true
}

func (h *Pages) notebookNotFound(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	h.WriteMessage(w, r, http.StatusNotFound, web.Message{
		Heading: h.Catalog.T(lang, "nb.ui.notfound"), Link: "/", LinkText: h.Catalog.T(lang, "nav.home"), Error: true,
	})
}

// publishedVersion finds the process of a public notebook URL and the version the path names
// ({n}, or the latest when there is none), or answers 404.
func (h *Pages) publishedVersion(w http.ResponseWriter, r *http.Request) (*record.Process, *notebook.Version, bool) {
	p, ok := h.publishedProcess(w, r)
	if !ok {
		return nil, nil, false
	}
	var v *notebook.Version
	var err error
	if s := r.PathValue("n"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 {
			h.notebookNotFound(w, r)
			return nil, nil, false
		}
		v, err = notebook.GetVersion(r.Context(), h.DB, p.ID, n)
	} else {
		v, err = notebook.LatestVersion(r.Context(), h.DB, p.ID)
	}
	if h.LoadFailed(w, r, err, h.notebookNotFound) {
		return nil, nil, false
	}
	return p, v, true
}

// VersionPage shows a published version: GET /notebooks/{slug} and /notebooks/{slug}/v/{n}.
func (h *Pages) VersionPage(w http.ResponseWriter, r *http.Request) {
	p, v, ok := h.publishedVersion(w, r)
	if !ok {
		return
	}
	lang := web.Lang(r)
	// The page shows the version in the reader's language when it was published in it, else
	// in its main language, and offers the others.
	shown := v
	if lang != v.Language && v.HasLanguage(lang) {
		var err error
		if shown, err = notebook.InLanguage(r.Context(), h.DB, v, lang); err != nil {
			h.WriteInternalError(w, r, err)
			return
		}
	}
	list, err := notebook.ListVersions(r.Context(), h.DB, p.ID)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	changes, err := h.changesIn(r, p, v, shown)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	page := fmt.Sprintf("/notebooks/%s/v/%d", p.Slug, v.Number)
	base := page + "/" + shown.Language + "/"
	view := notebookView{
		Title: v.Title, Number: v.Number, HTML: template.HTML(shown.HTML),
		FollowUp: "/notebooks/" + p.Slug + "/follow-up",
	}
	if langs := v.LanguageList(); len(langs) > 1 {
		view.FilesHead = fill(h.Catalog.T(lang, "nb.ui.view.files.in"), "language", h.Catalog.T(lang, "nb.lang.name."+shown.Language))
		for _, l := range langs {
			if l == shown.Language {
				continue
			}
			o := otherLanguage{Code: l, Label: h.Catalog.T(lang, "nb.lang.name."+l), URL: page + "?lang=" + l}
			for _, f := range notebookFiles {
				o.Files = append(o.Files, fileLink{URL: page + "/" + l + "/" + f.Name, Label: f.Label})
			}
			view.Others = append(view.Others, o)
		}
	}
	for _, vi := range list {
		view.Versions = append(view.Versions, versionLink{
			URL:     fmt.Sprintf("/notebooks/%s/v/%d", p.Slug, vi.Number),
			Label:   h.Catalog.T(lang, "nb.ui.view.version"),
			Current: vi.Number == v.Number,
		})
		view.Versions[len(view.Versions)-1].Label = fill(view.Versions[len(view.Versions)-1].Label,
			"n", strconv.Itoa(vi.Number), "date", formatDay(lang, vi.PublishedAt))
	}
	for _, f := range notebookFiles {
		link := fileLink{URL: base + f.Name, Label: f.Label}
		if f.Name == "notebook.csv" || f.Name == "notebook.json" {
			view.Data = append(view.Data, link)
		} else {
			view.Files = append(view.Files, link)
		}
	}
	view.Data = append(view.Data, fileLink{URL: "/notebooks/schema.json", Label: h.Catalog.T(lang, "nb.ui.view.schema")})
	if v.Number > 1 {
		view.ChangesHead = fill(h.Catalog.T(lang, "nb.ui.view.changes"), "n", strconv.Itoa(v.Number-1))
		view.Changes = h.changeLines(lang, changes)
	}
	// The version never changes, but the page around it speaks the reader's language.
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Vary", "Accept-Language, Cookie")
	h.WritePage(w, r, http.StatusOK, "notebook_view", v.Title, view)
}

// changesIn lists what changed since the version before, in the texts of the language shown:
// the stored list (made in the main language at publication) when the main language is shown
// or the version before lacks the shown one, else the difference of the two versions'
// snapshots in that language.
func (h *Pages) changesIn(r *http.Request, p *record.Process, v, shown *notebook.Version) ([]notebook.Change, error) {
	if shown == v || v.Number < 2 {
		return v.ChangeList()
	}
	prev, err := notebook.GetVersion(r.Context(), h.DB, p.ID, v.Number-1)
	if err != nil {
		return nil, err
	}
	if !prev.HasLanguage(shown.Language) {
		return v.ChangeList()
	}
	if prev, err = notebook.InLanguage(r.Context(), h.DB, prev, shown.Language); err != nil {
		return nil, err
	}
	before, err := prev.Notebook()
	if err != nil {
		return nil, err
	}
	after, err := shown.Notebook()
	if err != nil {
		return nil, err
	}
	return notebook.Diff(before, after), nil
}

// changeLines says each change in the reader's language.
func (h *Pages) changeLines(lang string, changes []notebook.Change) []string {
	out := make([]string, 0, len(changes))
	for _, c := range changes {
		out = append(out, fill(h.Catalog.T(lang, "nb.ui.change."+c.Kind),
			"ref", c.Ref, "old", c.OldRef, "theme", c.Theme, "text", shorten(c.Text, 120)))
	}
	return out
}

// File serves one format of a published version: GET /notebooks/{slug}/v/{n}/{file}.
// The bytes are those stored at publication; the CSV is served with a byte-order mark in the
// separator asked for (spreadsheet.Convert).
func (h *Pages) File(w http.ResponseWriter, r *http.Request) {
	p, v, ok := h.publishedVersion(w, r)
	if !ok {
		return
	}
	name := fmt.Sprintf("%s-v%d", p.Slug, v.Number)
	// …/v/{n}/{lang}/{file} is the version in one of its languages; …/v/{n}/{file}, the
	// address from before there were several, is its main language.
	if lang := r.PathValue("lang"); lang != "" {
		var err error
		if v, err = notebook.InLanguage(r.Context(), h.DB, v, lang); h.LoadFailed(w, r, err, h.notebookNotFound) {
			return
		}
		name += "-" + lang
	}
	nb, err := v.Notebook()
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	formats := storedFormats{HTML: v.HTML, Markdown: v.Markdown, CSV: v.CSV, JSON: v.Snapshot, PDF: v.PDFBytes}
	// A version never changes: its files may be cached for good, except the standalone HTML,
	// which carries the current style sheet.
	cache := "public, max-age=31536000, immutable"
	if r.PathValue("file") == "notebook.html" {
		cache = "public, max-age=3600"
	}
	h.serveNotebookFile(w, r, nb, formats, name, cache)
}

// storedFormats are the formats of a notebook, stored or freshly rendered.
type storedFormats struct {
	HTML, Markdown, CSV, JSON string
	PDF                       func() ([]byte, error)
}

func (h *Pages) serveNotebookFile(w http.ResponseWriter, r *http.Request, nb *notebook.Notebook, f storedFormats, name, cache string) {
	var body []byte
	var ctype, disposition string
	switch r.PathValue("file") {
	case "notebook.pdf":
		b, err := f.PDF()
		if err != nil {
			h.WriteInternalError(w, r, err)
			return
		}
		body, ctype, disposition = b, "application/pdf", "inline"
	case "notebook.md":
		body, ctype, disposition = []byte(f.Markdown), "text/markdown; charset=utf-8", "attachment"
	case "notebook.csv":
		sep, ok := h.CSVSep(w, r)
		if !ok {
			return
		}
		b, err := spreadsheet.Convert(f.CSV, sep)
		if err != nil {
			h.WriteInternalError(w, r, err)
			return
		}
		body, ctype, disposition = b, "text/csv; charset=utf-8", "attachment"
	case "notebook.json":
		body, ctype, disposition = []byte(f.JSON), "application/json; charset=utf-8", "inline"
	case "notebook.html":
		css, err := fs.ReadFile(frontend.Static, "static/notebook.css")
		if err != nil {
			h.WriteInternalError(w, r, err)
			return
		}
		doc, err := notebook.RenderHTMLDocument(nb, f.HTML, string(css))
		if err != nil {
			h.WriteInternalError(w, r, err)
			return
		}
		// The standalone file carries its style sheet inline (it must read offline) and no
		// script: its policy allows exactly that style sheet, by hash, and nothing else.
		sum := sha256.Sum256(css)
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'sha256-"+
			base64.StdEncoding.EncodeToString(sum[:])+"'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		body, ctype, disposition = []byte(doc), "text/html; charset=utf-8", "attachment"
	default:
		h.notebookNotFound(w, r)
		return
	}
	ext := r.PathValue("file")[len("notebook"):]
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`%s; filename="%s%s"`, disposition, name, ext))
	w.Header().Set("Cache-Control", cache)
	w.Write(body)
}

// Schema serves the JSON Schema of the open data.
func (h *Pages) Schema(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/schema+json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(notebook.SchemaJSON)
}

// fill replaces {name} placeholders in a catalog text.
func fill(s string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}

// shorten cuts a text to n runes, with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// formatDay writes a day the way each language says it: "3 février 2024".
func formatDay(lang string, t time.Time) string { return i18n.FormatDate(lang, t.In(web.Brussels)) }

// formatMoment writes a day and a time: "3 février 2024, 09h30" (Brussels time).
func formatMoment(lang string, t time.Time) string {
	return formatDay(lang, t) + ", " + i18n.FormatTime(lang, t.In(web.Brussels))
}
