package web

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/server/assets"
)

// Site is what the site's pages share, whichever package serves them: the database, the
// clock, the texts and the templates, who is signed in, the tokens of the forms. Package
// server makes one (server.New) and hands it to the packages that serve pages.
type Site struct {
	DB        *bun.DB
	PublicURL *url.URL // personal links and public pages are addresses under it
	Log       *slog.Logger
	Now       func() time.Time
	Catalog   *i18n.Catalog
	JSON      JSON // the answers of the JSON routes
	Templates map[string]*template.Template
	Assets    *assets.Set // /static/: scripts, styles, images
	Texts     *assets.Set // /i18n/: one catalog per language, for the scripts

	// NearestPage is the page above a path that a GET serves: where the language switch of a
	// page answering a POST leads (server/lang.go asks the route table).
	NearestPage func(path string) string
	// SameOrigin reports a request whose Origin is the public URL's (server/ws.go).
	SameOrigin func(*http.Request) bool
	// WrongAddress reports a request whose Origin is this server at another address than the
	// public URL, and that address (server/address.go).
	WrongAddress func(*http.Request) (reached string, ok bool)
	// Disconnect closes a person's live sockets and forgets their sessions on this node, after
	// a commit that took away their access or their place.
	Disconnect func(participantID int64)
}

// secure reports whether cookies must travel over TLS only.
func (s *Site) secure() bool { return s.PublicURL.Scheme == "https" }

// Limit is one of the site's per-address rate limits on what anyone may ask for often
// (server/ratelimit.go keeps them). When an address is over its limit, Take answers 429 with
// a page and returns true.
type Limit interface {
	// Take counts this attempt (every attempt counts).
	Take(w http.ResponseWriter, r *http.Request) bool
}

// Guesses is one of the site's per-address budgets of failed attempts at what must be guessed
// (a code, a link): only failures count, and every node of a cluster counts the same ones
// (package attempts). When an address has spent its budget, Exhausted answers 429 with a page
// and returns true.
type Guesses interface {
	// Exhausted checks without counting.
	Exhausted(w http.ResponseWriter, r *http.Request) bool
	// Fail counts a failed attempt.
	Fail(r *http.Request)
}
