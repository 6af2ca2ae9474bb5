package server

import (
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// compressPages gzips the pages and the JSON answers on the fly, for a browser that asks
// (Accept-Encoding), through klauspost/compress's gzhttp: a maintained wrapper that gets the
// fiddly parts right — Vary on every answer, Content-Length and Accept-Ranges dropped when it
// compresses, a per-coding ETag suffix, Flush and Hijack passed through, no compression below
// a minimum size or for a response that already has a Content-Encoding — where a home-made
// gzip.Writer around the ResponseWriter gets one of them wrong sooner or later. Gzip only: it
// is what every browser sends, over plain HTTP too; a page is rendered once per request, and
// brotli's better ratio costs far more CPU per byte at the qualities where it wins.
//
// Only text/html and application/json are compressed: PDFs and images are compressed
// already, and the downloads (CSV, Markdown) keep their exact headers. What never goes
// through it: the static files and catalogs (compressed once, brotli and gzip, by
// server/assets) and the WebSocket upgrade (a hijacked connection; permessage-deflate is not
// negotiated either, since it costs a compressor per connection for frames of a few hundred
// bytes).
func compressPages(next http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.ContentTypes([]string{"text/html", "application/json"}),
		gzhttp.MinSize(1024),
		gzhttp.EnableZstd(false),
		gzhttp.SuffixETag("-gzip"),
	)
	if err != nil {
		return nil, err
	}
	compressed := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || r.URL.Path == "/ws" ||
			strings.HasPrefix(r.URL.Path, "/static/") || strings.HasPrefix(r.URL.Path, "/i18n/") {
			next.ServeHTTP(w, r)
			return
		}
		compressed.ServeHTTP(w, r)
	}), nil
}
