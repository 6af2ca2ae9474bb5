package server

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
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
	gen := h.sessions.generation()
	id, signedIn, hash, err := h.socketParticipant(r, gen)
	if err != nil {
		h.log.ErrorContext(r.Context(), "websocket: current participant", "err", err)
		h.api.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	if !signedIn {
		h.api.Error(w, r, http.StatusForbidden, "forbidden")
		return
	}
	// While the socket is open, and a little after, its cookie is trusted from memory
	// (sessioncache.go): the room it joined can come back without a database storm.
	pin := h.sessions.pin(hash, id, gen)
	ended := func() { h.sessions.release(pin, h.now()) }
	if !h.hub.ServeWS(w, r, id, h.socketLang(r, id), ended) {
		ended()
	}
	if h.sessions.generation() != gen {
		// A revocation ran during the handshake: it may have looked for this socket before
		// the hub knew it. Ask the database, and close the person's sockets if it ended.
		if _, signedIn, _, err := h.socketParticipant(r, h.sessions.generation()); err == nil && !signedIn {
			h.hub.Disconnect(id)
		}
	}
}

// socketParticipant is who the session cookie signs in, for the handshake: from the
// session cache when the database confirmed it a moment ago or a socket opened with it on
// this node is open or just ended (sessioncache.go), else from the database. gen is the cache's generation read before the lookup began; hash is the
// cookie's, which the cache knows it by.
func (h *handler) socketParticipant(r *http.Request, gen uint64) (id int64, signedIn bool, hash string, err error) {
	c, err := r.Cookie(web.SessionCookie)
	if err != nil || c.Value == "" {
		return 0, false, "", nil
	}
	hash, now := people.HashToken(c.Value), h.now()
	if id, ok := h.sessions.get(hash, now); ok {
		return id, true, hash, nil
	}
	s, err := people.ActiveSession(r.Context(), h.db, c.Value, now)
	switch {
	case errors.Is(err, record.ErrNotFound):
		return 0, false, hash, nil
	case err != nil:
		return 0, false, hash, err
	}
	h.sessions.put(hash, s.ParticipantID, s.ExpiresAt, gen, now)
	return s.ParticipantID, true, hash, nil
}

// revoke closes a person's live sockets at once, after a commit that took away their access
// or their place (sign-out, a new link, erasure, a cancelled registration), and forgets
// their sessions on this node, so that no handshake trusts them from memory.
func (h *handler) revoke(participant int64) {
	h.sessions.forgetParticipant(participant)
	if h.hub != nil {
		h.hub.Disconnect(participant)
	}
}

// socketLang is the language refusals are worded in: the one the person chose in the
// interface (remembered by cookie), else the one they registered with, else the browser's.
func (h *handler) socketLang(r *http.Request, participant int64) string {
	if c, err := r.Cookie(web.LangCookie); err == nil {
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
