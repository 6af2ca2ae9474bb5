package server

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/assises/assises/internal/logs"
)

// contentSecurityPolicy forbids inline scripts and styles and every foreign origin: the pages
// only ever load their own embedded files, so a hostile text that slipped through escaping
// still cannot run.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// maxRequestBody bounds every request body; larger uploads (none yet) would get their own limit.
const maxRequestBody = 1 << 20

// middleware wraps every route: a request id, security headers, a bound on a proxied client's
// requests in progress, the body's deadline and size limit, the answer's write deadline, panic
// recovery and a log line per request. The log names the route pattern, never the path: paths carry tokens. Every line
// logged with the request's context carries its id (internal/logs), which the answer's
// X-Request-Id header gives back; a proxy's own id is kept when it is sane.
func (h *handler) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		hdr := w.Header()
		id := logs.AcceptRequestID(r.Header.Get("X-Request-Id"))
		hdr.Set("X-Request-Id", id)
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		if h.publicURL.Scheme == "https" {
			hdr.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if key := h.proxiedClient(r); key != "" {
			if !h.proxied.enter(key) {
				h.tooManyInProgress(w)
				return
			}
			defer h.proxied.leave(key)
		}
		h.bodyDeadline(w, r)
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		}
		// After MaxBytesReader, which tells net/http's own writer to close an oversized request.
		w, written := h.writeDeadline(w, r)
		defer written() // deferred first, run last: after the recovery's answer too
		// After the body's wrappers: net/http finishes the request it handed us (and its body),
		// so the copy with the id in its context must share that body.
		r = r.WithContext(logs.WithRequestID(r.Context(), id))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				h.log.ErrorContext(r.Context(), "panic in handler", "route", r.Pattern, "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote {
					http.Error(rec, "internal error", http.StatusInternalServerError)
				}
			}
			level := slog.LevelDebug
			if rec.status >= 500 {
				level = slog.LevelWarn
			}
			h.log.Log(r.Context(), level, "http", "method", r.Method, "route", r.Pattern,
				"status", rec.status, "ms", time.Since(start).Milliseconds())
		}()
		h.site.RememberLang(rec, r)
		if !legacyNullOrigin(r) && h.crossOrigin.Check(r) != nil {
			h.refuseCrossOrigin(rec, r)
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// newCrossOriginProtection refuses state-changing requests that a browser says come from
// another site: http.CrossOriginProtection reads Sec-Fetch-Site (every current browser sends
// it, also on same-origin form posts where Referrer-Policy: no-referrer makes Origin "null")
// and falls back to comparing Origin with Host. The public URL is trusted as well, for a
// reverse proxy that rewrites Host. Every route is covered, including one added tomorrow that
// forgets its token check; the CSRF tokens stay as the second line (server/web: forms.go, session.go).
func newCrossOriginProtection(public *url.URL) (*http.CrossOriginProtection, error) {
	c := http.NewCrossOriginProtection()
	if err := c.AddTrustedOrigin(public.Scheme + "://" + public.Host); err != nil {
		return nil, fmt.Errorf("server: public URL as trusted origin: %w", err)
	}
	return c, nil
}

// legacyNullOrigin reports a request from a browser too old to send Sec-Fetch-Site (Safari
// before 16.4, on the iPhones that cannot update) with Origin "null": under Referrer-Policy:
// no-referrer that is how such a browser posts our own forms, so the origin proves nothing
// either way and the route's CSRF token decides alone.
func legacyNullOrigin(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "null"
}

// refuseCrossOrigin answers a cross-origin change as the route's own token check would: the
// JSON API and the scripts' fetches get the org_csrf error, forms the "form expired" page.
func (h *handler) refuseCrossOrigin(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json") ||
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		h.api.Error(w, r, http.StatusForbidden, "org_csrf")
		return
	}
	h.site.RefuseForm(w, r, "/")
}

// statusRecorder remembers the status for the log line. It passes Hijack through (Unwrap),
// which the WebSocket upgrade needs.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Hijack hands the connection to the WebSocket upgrader (gorilla asserts http.Hijacker).
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("server: response writer cannot be hijacked")
	}
	s.wrote, s.status = true, http.StatusSwitchingProtocols
	return hj.Hijack()
}
