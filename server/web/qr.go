package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"

	"rsc.io/qr"
)

// qrQuietZone is the white margin a QR code needs around it, in modules (the standard's 4).
const qrQuietZone = 4

// QRSVG draws the QR code of text as a small SVG: one path of horizontal runs of dark modules,
// sharp at any size, so that it reads from the back of a room on a projector.
func QRSVG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, fmt.Errorf("web: qr code: %w", err)
	}
	n := code.Size + 2*qrQuietZone
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+qrQuietZone, y+qrQuietZone, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

// QRDataURL is the QR code of text as an image address the page can hold (img-src allows
// data:), so that the code needs no second request that would carry the link in its URL.
func QRDataURL(text string) (template.URL, error) {
	svg, err := QRSVG(text)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg)), nil
}
