package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestAcceptRequestID(t *testing.T) {
	tests := []struct {
		in   string
		keep bool
	}{
		{"abc-123_X.y", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"id with spaces", false},
		{"evil\nlevel=ERROR msg=forged", false},
		{`"quoted"`, false},
		{"é", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			got := AcceptRequestID(tt.in)
			if tt.keep && got != tt.in {
				t.Errorf("AcceptRequestID(%q) = %q, want it kept", tt.in, got)
			}
			if !tt.keep && (got == tt.in || !sane(got) || len(got) != 16) {
				t.Errorf("AcceptRequestID(%q) = %q, want a new 16-digit id", tt.in, got)
			}
		})
	}
	if NewRequestID() == NewRequestID() {
		t.Error("two new request ids are equal")
	}
}

func TestJSONLinesCarryRequestIDAndMaskEmails(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "json", slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(context.Background(), "req-1")
	log.With("to", "anne@example.org").ErrorContext(ctx, "mail to bob@example.be failed",
		"err", errors.New("550 <carl@exemple.fr>: no such user"),
		slog.Group("g", "who", "dina@x.org"), "n", 3)
	log.Info("no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatalf("line 1 is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatalf("line 2 is not JSON: %v", err)
	}
	if first["request_id"] != "req-1" {
		t.Errorf("got request_id %v, want req-1", first["request_id"])
	}
	if _, ok := second["request_id"]; ok {
		t.Errorf("a line outside a request has a request_id: %s", lines[1])
	}
	if first["n"] != 3.0 {
		t.Errorf("got n %v, want 3", first["n"])
	}
	if strings.Contains(buf.String(), "@") {
		t.Errorf("an email address is in the log:\n%s", buf.String())
	}
}

func TestFormats(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "text", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	log.InfoContext(WithRequestID(context.Background(), "r9"), "hello")
	if !strings.Contains(buf.String(), "request_id=r9") {
		t.Errorf("text line lacks the request id: %s", buf.String())
	}
	if _, err := New(&buf, "xml", slog.LevelInfo); err == nil {
		t.Error("format xml accepted, want an error")
	}
}
