package server

import (
	"net/http"

	"github.com/assises/assises/internal/spreadsheet"
)

// csvSep reads the separator a CSV export was asked for (?sep=, for commas; semicolons by
// default, as a Belgian spreadsheet expects). Anything else is a 400 page that says which
// values work; false means that answer was written.
func (h *handler) csvSep(w http.ResponseWriter, r *http.Request) (rune, bool) {
	sep, err := spreadsheet.ParseSep(r.URL.Query().Get("sep"))
	if err != nil {
		lang := h.lang(r)
		h.writeMessage(w, r, http.StatusBadRequest, message{
			Heading: h.catalog.T(lang, "error.csv.sep"), Body: h.catalog.T(lang, "error.csv.sep.body"), Error: true,
		})
		return 0, false
	}
	return sep, true
}
