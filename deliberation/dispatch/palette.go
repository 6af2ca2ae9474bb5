package dispatch

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Colour is how a group is known in the room: a colour from the Okabe–Ito palette, which
// people with the common forms of colour blindness can still tell apart, and a symbol so that
// nobody has to rely on colour alone (WCAG 1.4.1). Key names the colour in the catalogs
// ("groups.colour.<key>": "Orange", "Bleu ciel"…).
type Colour struct {
	Key    string `json:"key"`
	Hex    string `json:"colour"`
	Text   string `json:"textColour"` // black or white, whichever reads best on Hex
	Symbol string `json:"symbol"`
}

// Palette is the order in which groups get their colours: the most distinct first.
var Palette = []Colour{
	{Key: "orange", Hex: "#E69F00", Symbol: "circle"},
	{Key: "sky", Hex: "#56B4E9", Symbol: "square"},
	{Key: "green", Hex: "#009E73", Symbol: "triangle"},
	{Key: "yellow", Hex: "#F0E442", Symbol: "diamond"},
	{Key: "blue", Hex: "#0072B2", Symbol: "star"},
	{Key: "red", Hex: "#D55E00", Symbol: "cross"},
	{Key: "pink", Hex: "#CC79A7", Symbol: "hexagon"},
	{Key: "black", Hex: "#000000", Symbol: "heart"},
}

func init() {
	for i := range Palette {
		Palette[i].Text = TextOn(Palette[i].Hex)
	}
}

// Name is the stored name of the i-th group (from 0): the colour's key, then "-2", "-3"… once
// the palette has been used up ("orange-2" reads "Orange 2").
func Name(i int) string {
	key := Palette[i%len(Palette)].Key
	if n := i/len(Palette) + 1; n > 1 {
		return key + "-" + strconv.Itoa(n)
	}
	return key
}

// Lookup returns the colour and number of a stored group name; an unknown name (a group made
// some other way) gets the palette's first colour and number 0.
func Lookup(name string) (Colour, int) {
	key, num, _ := strings.Cut(name, "-")
	n := 1
	if num != "" {
		var err error
		if n, err = strconv.Atoi(num); err != nil {
			return Palette[0], 0
		}
	}
	for _, c := range Palette {
		if c.Key == key {
			return c, n
		}
	}
	return Palette[0], 0
}

// TextOn returns the text colour ("#000000" or "#FFFFFF") with the higher contrast on hex.
func TextOn(hex string) string {
	if Contrast(hex, "#000000") >= Contrast(hex, "#FFFFFF") {
		return "#000000"
	}
	return "#FFFFFF"
}

// Contrast is the WCAG contrast ratio of two "#RRGGBB" colours (1 to 21).
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	var r, g, b int
	if _, err := fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return 0
	}
	lin := func(v int) float64 {
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}
