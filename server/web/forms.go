package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// CSRF protection of the HTML forms (the JSON API's is CheckCSRF).
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
func (s *Site) formCookieName() string {
	if s.secure() {
		return "__Host-assises_form"
	}
	return "assises_form"
}

// FormToken returns the browser's double-submit token, setting the cookie on first use.
func (s *Site) FormToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.formCookieName()); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: s.formCookieName(), Value: v, Path: "/", MaxAge: 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(),
	})
	return v
}

// foreignOrigin reports a request whose Origin names another site ("null" is ours: see above).
func (s *Site) foreignOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o != "" && o != "null" && !s.SameOrigin(r)
}

// CheckFormToken checks an anonymous form's double-submit token, in constant time.
func (s *Site) CheckFormToken(r *http.Request) bool {
	if s.foreignOrigin(r) {
		return false
	}
	c, err := r.Cookie(s.formCookieName())
	got := r.PostFormValue(formField)
	return err == nil && c.Value != "" && got != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) == 1
}

// CheckSessionForm checks a signed-in form's token: the session's CSRF token, in the hidden
// field or (scripts posting with fetch) in the X-CSRF-Token header.
func (s *Site) CheckSessionForm(r *http.Request) bool {
	if s.foreignOrigin(r) {
		return false
	}
	want := SessionCSRF(r)
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(formField)
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// RefuseForm answers a form post that failed its CSRF check; back is the page to go back to.
func (s *Site) RefuseForm(w http.ResponseWriter, r *http.Request, back string) {
	if reached, ok := s.WrongAddress(r); ok {
		s.refuseWrongAddress(w, r, reached, back)
		return
	}
	s.WriteMessage(w, r, http.StatusForbidden, Message{
		Heading: s.T(r, "reg.csrf.title"), Body: s.T(r, "reg.csrf.body"),
		Link: back, LinkText: s.T(r, "reg.back"), Error: true,
	})
}

// refuseWrongAddress answers a form posted from the wrong address with a page that says what
// is wrong and how to fix it, with a link to the same page at the public URL.
func (s *Site) refuseWrongAddress(w http.ResponseWriter, r *http.Request, reached, back string) {
	public := strings.TrimSuffix(s.PublicURL.String(), "/")
	body := strings.NewReplacer("{reached}", reached, "{public}", public).Replace(s.T(r, "address.wrong.body"))
	s.WriteMessage(w, r, http.StatusForbidden, Message{
		Heading: s.T(r, "address.wrong.title"), Body: body,
		Link: public + back, LinkText: s.T(r, "address.wrong.link"), Error: true,
	})
}
