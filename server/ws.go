package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/people"
)

// websocket authenticates the browser by its session cookie (never a token in the URL),
// checks the whole Origin, and hands the connection to the hub.
func (h *handler) websocket(w http.ResponseWriter, r *http.Request) {
	if h.hub == nil {
		h.api.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	if !SameOrigin(h.publicURL)(r) {
		h.wrongAddress(r) // logs the address trap, once
		h.api.Error(w, r, http.StatusForbidden, "forbidden")
		return
	}
	p, signedIn, err := h.currentParticipant(r)
	if err != nil {
		h.log.ErrorContext(r.Context(), "websocket: current participant", "err", err)
		h.api.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	if !signedIn {
		h.api.Error(w, r, http.StatusForbidden, "forbidden")
		return
	}
	h.hub.ServeWS(w, r, p.ID, h.socketLang(r, p.ID))
}

// socketLang is the language refusals are worded in: the one the person chose in the
// interface (remembered by cookie), else the one they registered with, else the browser's.
func (h *handler) socketLang(r *http.Request, participant int64) string {
	if c, err := r.Cookie(langCookie); err == nil {
		return i18n.Normalise(c.Value)
	}
	if person, err := people.GetPerson(r.Context(), h.db, participant); err == nil && person.Language != "" {
		return i18n.Normalise(person.Language)
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// SameOrigin returns a check that a request's Origin header is exactly the public URL's
// origin: same scheme, same host, same port. A missing Origin is refused: browsers always
// send it on WebSocket handshakes, so its absence means a script outside a browser.
//
// In development, when the public URL names this machine (localhost, 127.0.0.1, [::1]), the
// address the browser reached the server at is accepted too when it is also this machine, with
// the same scheme: a
// developer who opens http://127.0.0.1:8080 while the public URL says localhost is not an attack.
func SameOrigin(public *url.URL) func(r *http.Request) bool {
	want := origin(public.Scheme, public.Host)
	dev := loopbackHost(public.Hostname())
	return func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		if o == "" {
			return false
		}
		u, err := url.Parse(o)
		if err != nil || u.Path != "" && u.Path != "/" {
			return false
		}
		got := origin(u.Scheme, u.Host)
		if got == want {
			return true
		}
		return dev && strings.EqualFold(u.Scheme, public.Scheme) && loopbackHost(u.Hostname()) && r.Host != "" && got == origin(u.Scheme, r.Host)
	}
}

// loopbackHost reports whether a host name (without port) names this machine only.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// origin writes scheme://host:port with the default port made explicit, so that
// "https://a.org" and "https://a.org:443" compare equal and "http://a.org" does not.
func origin(scheme, host string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	if _, _, err := net.SplitHostPort(host); err != nil {
		port := map[string]string{"https": "443", "http": "80", "wss": "443", "ws": "80"}[scheme]
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	return scheme + "://" + host
}
