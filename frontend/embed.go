// Package frontend holds what the browser gets: HTML templates, CSS, ES-module JavaScript and
// the translation catalogs (French first, Dutch and English), embedded in the binary so that
// the server needs no files beside it and no build step.
package frontend

import "embed"

// Static is served under /static/ with content-hashed URLs.
//
//go:embed static
var Static embed.FS

// Templates are the server-rendered pages.
//
//go:embed templates
var Templates embed.FS

// Catalogs holds one JSON translation catalog per language (fr.json, nl.json, en.json).
//
//go:embed i18n/*.json
var Catalogs embed.FS
