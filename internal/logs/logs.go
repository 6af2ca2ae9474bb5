// Package logs builds the server's logger: text for a person reading a terminal, JSON for a
// log collector, each line of a request carrying that request's id, and email addresses
// masked wherever a value would show one (an SMTP error quoting its recipient, say).
//
// Tokens, cookies and invitation links are kept out of logs by the code that logs: the
// request line names the route pattern, never the path. The masking here is a second line
// for the one secret that travels inside other systems' error messages.
package logs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"regexp"
)

// Formats are the values -log-format accepts.
var Formats = []string{"text", "json"}

// New returns a logger writing to w in format ("text" or "json") from level up.
func New(w io.Writer, format string, level slog.Leveler) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch format {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return slog.New(&handler{next: h}), nil
}

type ctxKey struct{}

// WithRequestID returns ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// maxRequestID bounds an id accepted from a proxy.
const maxRequestID = 64

// AcceptRequestID returns the incoming X-Request-Id when it is sane (1 to 64 letters,
// digits, '-', '_', '.', as proxies make them), otherwise a new random id. A client must
// not be able to write what it likes into the log.
func AcceptRequestID(incoming string) string {
	if sane(incoming) {
		return incoming
	}
	return NewRequestID()
}

// NewRequestID returns 16 random hexadecimal digits.
func NewRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sane(s string) bool {
	if s == "" || len(s) > maxRequestID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// handler adds the request id of the context and masks email addresses.
type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, maskEmails(r.Message), r.PC)
	if id := RequestID(ctx); id != "" {
		out.AddAttrs(slog.String("request_id", id))
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(mask(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = mask(a)
	}
	return &handler{next: h.next.WithAttrs(masked)}
}

func (h *handler) WithGroup(name string) slog.Handler { return &handler{next: h.next.WithGroup(name)} }

// emailPattern finds what looks like an address: enough to mask, not to validate.
var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)

func maskEmails(s string) string {
	if !containsAt(s) {
		return s
	}
	return emailPattern.ReplaceAllString(s, "[email]")
}

func containsAt(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			return true
		}
	}
	return false
}

// mask rewrites string and error values (groups too) that hold an email address.
func mask(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, maskEmails(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = mask(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, maskEmails(err.Error()))
		}
		if s, ok := v.Any().(fmt.Stringer); ok {
			return slog.String(a.Key, maskEmails(s.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
