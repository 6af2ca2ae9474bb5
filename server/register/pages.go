// Package register serves registration and the way back: the public page of a process with
// its registration form, the answer that hands out a personal link and its code (by email
// when the person gave one), signing in with that code, "my sessions" where a person sees and
// gives back their places, and the emails that go with them. The rules (places, caps,
// deadlines) are people's; a handler parses, calls one of its use cases and answers. The
// routes are wired in server/routes.go.
package register

import (
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/server/web"
)

// Pages serves registration's pages. Its fields are the site's: server.New fills them.
type Pages struct {
	*web.Site
	Mail   *mail.Sender   // nil or not enabled: no email; the person keeps the link on screen
	Outbox *outbox.Worker // woken when a message is queued; nil: it finds it when it polls
	// RegisterLimit counts every registration from an address; CodeLimit wrong codes.
	RegisterLimit web.Limit
	CodeLimit     web.Guesses
}
