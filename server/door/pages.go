// Package door serves the way into a session on the day: the door of a session, where its
// moderators check people in by name or by scanning their card and add walk-ins; the phones
// that ask to join with the session's code and wait for the door to let them in; and the
// open sessions joined under a pseudonym. Arrivals go through the session's live room (the
// hub), as the moderator console's do, so every screen learns of them at once. The routes
// are wired in server/routes.go.
package door

import (
	"net/http"

	"github.com/assises/assises/hub"
	"github.com/assises/assises/server/web"
)

// Door serves the door's pages. Its fields are the site's: server.New fills them.
type Door struct {
	*web.Site
	Hub *hub.Hub // nil: arrivals are written without the live room (some tests)
	// ClientKey is the address the per-address limits count a request against.
	ClientKey func(*http.Request) string
	// SignInLimit counts refused cards (as refused links are counted at sign-in), JoinLimit
	// unknown codes, OpenJoinLimit every pseudonym joining an open session.
	SignInLimit, JoinLimit web.Guesses
	OpenJoinLimit          web.Limit
}
