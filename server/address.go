package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// The address trap: the browser reached this server at another address than the public URL
// (ASSISES_PUBLIC_URL) — http where the public URL says https, www. where it has none, another
// port. Its changes carry that address as their Origin, which the CSRF checks must refuse; but
// "the page has expired, reload it" would be a lie that reloading never fixes. A request whose
// Origin is the very host it reached is not another site: it is this one at the wrong address,
// and gets a page that says so and how to fix it; the server logs it once per pair of addresses.

// addressTrap remembers which wrong addresses were already logged.
type addressTrap struct {
	logged sync.Map // reached origin → struct{}
}

// wrongAddress reports a request refused by the origin checks whose Origin names the host the
// request reached (so the browser is on this server, at an address other than the public URL),
// and returns that address. It logs each such address once, with the public URL.
func (h *handler) wrongAddress(r *http.Request) (string, bool) {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" || SameOrigin(h.publicURL)(r) {
		return "", false
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || r.Host == "" || origin(u.Scheme, u.Host) != origin(u.Scheme, r.Host) {
		return "", false
	}
	reached := strings.ToLower(u.Scheme + "://" + u.Host)
	if _, seen := h.trap.logged.LoadOrStore(reached, struct{}{}); !seen {
		h.log.Warn("the browser reached the server at another address than the public URL: set ASSISES_PUBLIC_URL to the address people use, or open the public URL",
			"reached", reached, "public", h.publicURL.String())
	}
	return reached, true
}
