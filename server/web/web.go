// Package web holds what every handler of the site shares, whichever package serves it: the
// JSON answers (a body read strictly, errors as a stable code with a message in the reader's
// language), the id in a path, the limits on what people type, and the time zone of the
// sessions; and, in Site, what every page shares: the templates and the one-message page,
// the reader's language, who is signed in and which pages of a session they may open, the
// CSRF and form tokens, the texts organisers wrote in the reader's language, QR codes.
package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/record"
)

// Limits on what people type, in the forms and in the API.
const (
	MaxTitle = 200
	MaxText  = 4000
	MaxName  = 120
)

// Brussels is where every Assises takes place: times are shown and typed in its zone,
// whatever the zone of the server or the browser.
var Brussels = mustLoadLocation("Europe/Brussels")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// FormatSession writes a session's date and hours the way each language says them, in
// Brussels time: "jeudi 16 novembre 2023, 13h00–16h30".
func FormatSession(lang string, start, end time.Time) string {
	return i18n.FormatSession(lang, start.In(Brussels), end.In(Brussels))
}

// PathID reads a positive integer path value.
func PathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// JSON answers the JSON routes.
type JSON struct {
	Log     *slog.Logger
	Catalog *i18n.Catalog
	Lang    func(*http.Request) string // the reader's language
}

// Write answers with v as JSON.
func (j JSON) Write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		j.Log.Error("encode json response", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// apiError is the shape of every JSON error: a stable code and a message in the reader's language.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error answers status with the error code and its message in the reader's language.
func (j JSON) Error(w http.ResponseWriter, r *http.Request, status int, code string) {
	j.Write(w, status, map[string]apiError{"error": {Code: code, Message: j.Catalog.T(j.Lang(r), "err."+code)}})
}

// Decode reads a JSON body strictly into dst; on failure it answers 400 and returns false.
func (j JSON) Decode(w http.ResponseWriter, r *http.Request, dst any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		j.Error(w, r, http.StatusBadRequest, "invalid_args")
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		j.Error(w, r, http.StatusBadRequest, "invalid_args")
		return false
	}
	return true
}

// FieldError is a refusal that names the field the person must correct.
func (j JSON) FieldError(w http.ResponseWriter, r *http.Request, code, field string) {
	j.Write(w, http.StatusBadRequest, map[string]any{"error": map[string]string{
		"code": code, "field": field, "message": j.Catalog.T(j.Lang(r), "err."+code),
	}})
}

// StoreError answers a store failure: 404 for ErrNotFound, 500 otherwise.
func (j JSON) StoreError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, record.ErrNotFound) {
		j.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	j.Log.ErrorContext(r.Context(), "json api", "route", r.Pattern, "err", err)
	j.Error(w, r, http.StatusInternalServerError, "unavailable")
}

// ErrWrongAddress is a change refused because the browser reached the server at another
// address than the public URL (server/address.go): answered with the code wrong_address, which
// says how to fix it, not "the page has expired".
var ErrWrongAddress = errors.New("the page was opened at another address than the public URL")
