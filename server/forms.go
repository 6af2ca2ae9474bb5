package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// CSRF protection of the HTML forms (the organiser's JSON API has its own, in pages_access.go).
//
// Anonymous visitors (the registration form) have no session to derive a token from, so the
// form uses a double-submit token: a random value in a cookie (HttpOnly, SameSite=Strict) and
// the same value in a hidden field. Another site can make a browser post a form to us, but it
// can neither read nor set our cookie, so it cannot put the matching value in the field.
// Signed-in forms (my sessions, the door) carry the session's CSRF token in the hidden field.
//
// The Origin header is no help here: with Referrer-Policy: no-referrer, browsers send
// "Origin: null" on same-origin form posts. A foreign Origin is still refused outright.
// The middleware's cross-origin check (Sec-Fetch-Site) comes first; these tokens are the
// second line, for a browser that sends neither header.

// formField is the hidden field every state-changing form carries.
const formField = "csrf"

// formCookieName is the double-submit cookie. Over HTTPS it takes the __Host- prefix, which
// browsers accept only from this host, over TLS, for the whole site: a neighbouring subdomain
// cannot plant a value of its choosing.
func (h *handler) formCookieName() string {
	if h.publicURL.Scheme == "https" {
		return "__Host-assises_form"
	}
	return "assises_form"
}

// formToken returns the browser's double-submit token, setting the cookie on first use.
func (h *handler) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(h.formCookieName()); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: h.formCookieName(), Value: v, Path: "/", MaxAge: 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.publicURL.Scheme == "https",
	})
	return v
}

// foreignOrigin reports a request whose Origin names another site ("null" is ours: see above).
func (h *handler) foreignOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o != "" && o != "null" && !SameOrigin(h.publicURL)(r)
}

// checkFormToken checks an anonymous form's double-submit token, in constant time.
func (h *handler) checkFormToken(r *http.Request) bool {
	if h.foreignOrigin(r) {
		return false
	}
	c, err := r.Cookie(h.formCookieName())
	got := r.PostFormValue(formField)
	return err == nil && c.Value != "" && got != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) == 1
}

// checkSessionForm checks a signed-in form's token: the session's CSRF token, in the hidden
// field or (scripts posting with fetch) in the X-CSRF-Token header.
func (h *handler) checkSessionForm(r *http.Request) bool {
	if h.foreignOrigin(r) {
		return false
	}
	want := sessionCSRF(r)
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(formField)
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// refuseForm answers a form post that failed its CSRF check.
func (h *handler) refuseForm(w http.ResponseWriter, r *http.Request, back string) {
	if reached, ok := h.wrongAddress(r); ok {
		h.refuseWrongAddress(w, r, reached, back)
		return
	}
	lang := h.lang(r)
	h.writeMessage(w, r, http.StatusForbidden, message{
		Heading: h.catalog.T(lang, "reg.csrf.title"),
		Body:    h.catalog.T(lang, "reg.csrf.body"),
		Link:    back, LinkText: h.catalog.T(lang, "reg.back"), Error: true,
	})
}
