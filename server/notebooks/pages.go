// Package notebooks serves the notebook of recommendations on the site: the organisers'
// editor, its preview and its JSON API (rewording, leaving out, ordering, translating,
// publishing); every published version, readable without signing in, with its files and open
// data; the follow-up of the recommendations, public and at the committee's desk; and the
// organisers' report over a period. The notebook itself (compiling, rendering, versions) is
// deliberation/notebook's. The routes are wired in server/routes.go.
package notebooks

import (
	"github.com/assises/assises/server/organise"
	"github.com/assises/assises/server/web"
)

// Pages serves the notebook's pages. Its fields are the site's: server.New fills them.
type Pages struct {
	*web.Site
	// Organise is the organiser's API, whose guard the notebook's API shares.
	Organise *organise.API
}
