package server

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCompressPages: pages and JSON are gzipped when asked; downloads (CSV, PDF) keep their
// headers and bytes; an event stream is not held back; the WebSocket path and the assets
// (compressed once, elsewhere) pass untouched.
func TestCompressPages(t *testing.T) {
	text := strings.Repeat("Les loyers ont doublé en dix ans dans le quartier. ", 100)
	mux := http.NewServeMux()
	serve := func(ctype, disposition string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			if disposition != "" {
				w.Header().Set("Content-Disposition", disposition)
			}
			io.WriteString(w, text)
		}
	}
	mux.HandleFunc("/page", serve("text/html; charset=utf-8", ""))
	mux.HandleFunc("/api", serve("application/json; charset=utf-8", ""))
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("/attendance.csv", serve("text/csv; charset=utf-8", `attachment; filename="attendance-1.csv"`))
	mux.HandleFunc("/notebook.pdf", serve("application/pdf", `inline; filename="cahier.pdf"`))
	mux.HandleFunc("/ws", serve("text/html", ""))
	mux.HandleFunc("/static/x.js", serve("text/html", ""))
	stream := make(chan struct{})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-stream
		io.WriteString(w, "data: two\n\n")
	})
	h, err := compressPages(mux)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, c := range []struct {
		path, accept, coding, disposition string
	}{
		{"/page", "gzip, deflate, br", "gzip", ""},
		{"/page", "", "", ""},
		{"/api", "gzip", "gzip", ""},
		{"/small", "gzip", "", ""},
		{"/attendance.csv", "gzip", "", `attachment; filename="attendance-1.csv"`},
		{"/notebook.pdf", "gzip", "", `inline; filename="cahier.pdf"`},
		{"/ws", "gzip", "", ""},
		{"/static/x.js", "gzip", "", ""},
	} {
		req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
		if c.accept != "" {
			req.Header.Set("Accept-Encoding", c.accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = resp.Body
		if got := resp.Header.Get("Content-Encoding"); got != c.coding {
			t.Errorf("%s (%q): Content-Encoding %q, want %q", c.path, c.accept, got, c.coding)
		} else if got == "gzip" {
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s: compressed without Vary: Accept-Encoding", c.path)
			}
		}
		b, _ := io.ReadAll(body)
		resp.Body.Close()
		if c.path != "/small" && string(b) != text {
			t.Errorf("%s (%q): the body changed (%d bytes)", c.path, c.accept, len(b))
		}
		if d := resp.Header.Get("Content-Disposition"); d != c.disposition {
			t.Errorf("%s: Content-Disposition %q, want %q", c.path, d, c.disposition)
		}
	}

	// The first event arrives before the handler writes the second.
	req, _ := http.NewRequest("GET", srv.URL+"/events", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, len("data: one\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "data: one\n\n" || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("event stream: got %q (%v), Content-Encoding %q; want the first event, uncompressed", buf, err, resp.Header.Get("Content-Encoding"))
	}
	close(stream)
}
