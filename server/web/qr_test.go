package web

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestQRSVG(t *testing.T) {
	svg, err := QRSVG("https://assises.example.org/j/ACDEFGHJ")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("not well-formed SVG: %v", err)
	}
	// Version 3 at level M holds this address: 29 modules, plus 4 of quiet zone on each side.
	if doc.ViewBox != "0 0 37 37" {
		t.Errorf("viewBox %q, want 0 0 37 37", doc.ViewBox)
	}
	// The three finder patterns start with a run of 7 dark modules at the quiet zone's corner.
	for _, corner := range []string{"M4 4h7", "M26 4h7", "M4 26h7"} {
		if !strings.Contains(doc.Path.D, corner) {
			t.Errorf("no finder pattern at %s", corner)
		}
	}
}
