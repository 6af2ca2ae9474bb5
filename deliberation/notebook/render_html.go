package notebook

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
	"time"
)

//go:embed templates/notebook.html
var templateFS embed.FS

// htmlTemplate is parsed once; each render clones it with the functions of its language.
// html/template escapes every text by its context, so a contribution is always text: no
// element, no attribute, no URL is ever built from what people wrote.
var htmlTemplate = template.Must(template.New("notebook").Funcs(htmlFuncs(nil, newWords("fr", nil))).
	ParseFS(templateFS, "templates/notebook.html"))

func htmlFuncs(nb *Notebook, w words) template.FuncMap {
	groups := nb != nil && nb.Method.Groups
	return template.FuncMap{
		"t":           w.t,
		"f":           w.f,
		"date":        w.date,
		"session":     w.session,
		"period":      w.period,
		"support":     w.support,
		"roomCount":   w.roomCount,
		"plenary":     w.plenary,
		"group":       w.group,
		"reworded":    w.reworded,
		"moved":       w.moved,
		"answers":     w.answers,
		"version":     w.version,
		"method":      w.method,
		"themeTitle":  w.themeTitle,
		"kind":        w.kind,
		"annexTally":  w.annexTally,
		"marker":      w.marker,
		"markerTitle": w.markerTitle,
		"legend":      w.legend,
		"paras":       paragraphs,
		"anchor":      anchor,
		"figures": func(r Recommendation) []string {
			return w.figures(r.Support, r.Breadth, r.Dissent, groups)
		},
		"flags": func(r Recommendation) []string {
			out := make([]string, len(r.Flags))
			for i, f := range r.Flags {
				out[i] = w.flag(f, r.FlagGroup)
			}
			return out
		},
	}
}

// anchor turns a ref into an element id: "R1.2" → "r1-2".
func anchor(ref string) string {
	return strings.ToLower(strings.ReplaceAll(ref, ".", "-"))
}

// RenderHTML renders the notebook as an HTML fragment (one <article>), the body of the public
// page and of the standalone document. The same notebook always gives the same bytes.
func RenderHTML(nb *Notebook, labels Labels) (string, error) {
	t, err := htmlTemplate.Clone()
	if err != nil {
		return "", fmt.Errorf("notebook: html: %w", err)
	}
	t.Funcs(htmlFuncs(nb, wordsFor(nb, labels)))
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "notebook", map[string]any{"NB": nb}); err != nil {
		return "", fmt.Errorf("notebook: html: %w", err)
	}
	// Compile cleans every text; cleaning the output again means that a snapshot made by an
	// older compiler, or a field someone forgot, still cannot carry a bidi override.
	return Clean(buf.String()), nil
}

// documentTemplate wraps a fragment into a file that reads offline: its style sheet inline,
// no script at all. The server sends it with a policy that allows that style and nothing else.
var documentTemplate = template.Must(template.New("doc").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Assises">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body class="nb-document">
{{.Body}}
</body>
</html>
`))

// RenderHTMLDocument wraps an HTML fragment made by RenderHTML into a standalone document.
func RenderHTMLDocument(nb *Notebook, fragment, css string) (string, error) {
	var buf bytes.Buffer
	err := documentTemplate.Execute(&buf, map[string]any{
		"Lang": nb.Language, "Title": nb.Process.Title,
		// The style sheet is ours (embedded), and the fragment was escaped when rendered.
		"CSS": template.CSS(css), "Body": template.HTML(fragment),
	})
	if err != nil {
		return "", fmt.Errorf("notebook: html document: %w", err)
	}
	return buf.String(), nil
}

// dateOnly is how the open data writes a day.
func dateOnly(t time.Time) string { return t.In(brussels).Format("2006-01-02") }
