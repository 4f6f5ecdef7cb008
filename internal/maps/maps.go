// Package maps draws the map of Vietnam's 34 provinces as SVG, coloured by an indicator (a
// choropleth), on the server: small enough for a 3G phone, printable, readable by screen
// readers, and safe under a strict Content-Security-Policy (no style attributes, no <style>, no
// script).
//
// The national map always shows the Hoàng Sa (Đà Nẵng) and Trường Sa (Khánh Hòa) archipelagos,
// at their real positions, framed and labelled.
//
// The shapes are generated from the province GeoJSON of the shared reference data by
// ./internal/gen (see its documentation for the projection and simplification) and embedded
// from data/provinces.json; data/LICENSE-vietnamese-provinces-database is their licence.
package maps

//go:generate go run ./internal/gen -src ../../../shared/data/admin-units/provinces-geojson -licence ../../../shared/data/admin-units/LICENSE-vietnamese-provinces-database -out data

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Value is one province's figure.
type Value struct {
	Code  string  // province code, two digits ("01" … "96")
	Value float64 // the figure that picks the colour
	Label string  // shown in the tooltip, e.g. "72,4%"; "" shows Value in Vietnamese format
	Href  string  // drill-down link, "" for none; relative or http(s) only
}

// Options says what to draw.
type Options struct {
	Title string // accessible title (<title>), required

	// Values are the figures; provinces without one are drawn grey ("no data").
	Values []Value

	// Classes is the number of colour classes (default 5, at most 7), with breaks at the
	// quantiles of Values. Breaks, if given, are the ascending thresholds between classes
	// instead (len(Breaks)+1 classes): a value v is in class i when Breaks[i-1] <= v < Breaks[i].
	// Ties can leave fewer quantile classes than asked for; the lowest value is always in the
	// first class and the highest in the last.
	Classes int
	Breaks  []float64

	// HigherIsBetter sets the palette direction. The darkest colour always marks the worst
	// end, so the eye goes to where children need help: by default the highest values are
	// darkest; with HigherIsBetter the lowest are. See Palette.
	HigherIsBetter bool

	// Legend holds custom legend labels, one a class (lowest first); otherwise the legend
	// shows the ranges in Vietnamese number format (decimal comma). Give Breaks with a custom
	// Legend: ties can reduce the number of quantile classes, and a count mismatch is an error.
	Legend []string
	NoData string // legend and tooltip text for no data (translated by the caller)

	Names        map[string]string // province code → display name; the Vietnamese name otherwise
	IslandLabels [2]string         // labels for Hoàng Sa and Trường Sa; Vietnamese by default

	Width     int    // width attribute (the viewBox is fixed); 0 = responsive (width 100%)
	Highlight string // a province code to outline
}

// Colours. The palette is a sequential blue ramp interpolated in OKLab (even steps of
// lightness, so it reads in greyscale and with every kind of colour blindness); one table per
// number of classes so that few classes still span light to dark.
var palettes = [...][]string{
	1: {"#6693b9"},
	2: {"#d3f5ff", "#193370"},
	3: {"#d3f5ff", "#6693b9", "#193370"},
	4: {"#d3f5ff", "#87b3d1", "#4873a1", "#193370"},
	5: {"#d3f5ff", "#99c4dd", "#6693b9", "#3a6394", "#193370"},
	6: {"#d3f5ff", "#a4cde4", "#7aa6c7", "#5380aa", "#32598d", "#193370"},
	7: {"#d3f5ff", "#acd4e9", "#87b3d1", "#6693b9", "#4873a1", "#2e5388", "#193370"},
}

// MaxClasses is the largest number of colour classes.
const MaxClasses = 7

// NoDataFill is the fill of a province without a value.
const NoDataFill = "#c8c8c8"

const (
	borderColour    = "#ffffff" // between provinces
	outlineColour   = "#4b5563" // coast and national border, islands
	textColour      = "#1f2937"
	frameColour     = "#6b7280" // dashed frame around each archipelago
	highlightColour = "#111111"
	fontSize        = 20 // viewBox units; the map is 1000 wide
)

// Palette returns the fill of each class, lowest values first, for n classes (1 to
// MaxClasses). Light is good and dark is bad: the ramp runs light to dark, reversed when
// higherIsBetter.
func Palette(n int, higherIsBetter bool) []string {
	if n < 1 || n > MaxClasses {
		return nil
	}
	p := slices.Clone(palettes[n])
	if higherIsBetter {
		slices.Reverse(p)
	}
	return p
}

// Codes returns the codes of the provinces in the map, in ascending order.
func Codes() []string {
	g, err := geometry()
	if err != nil {
		return nil
	}
	out := make([]string, len(g.Provinces))
	for i, p := range g.Provinces {
		out[i] = p.Code
	}
	return out
}

// Render writes the national map as one SVG element, ready to be inlined in HTML or served as
// image/svg+xml. It writes nothing when the options are invalid.
func Render(w io.Writer, o Options) error {
	g, err := geometry()
	if err != nil {
		return err
	}
	values, err := check(g, o)
	if err != nil {
		return err
	}
	sc, err := classify(o, values)
	if err != nil {
		return err
	}
	b := make([]byte, 0, g.size+4096+len(values)*256)
	b = draw(b, g, o, values, sc)
	_, err = w.Write(b)
	return err
}

// check validates the options and indexes the values by code.
func check(g *mapData, o Options) (map[string]Value, error) {
	if strings.TrimSpace(o.Title) == "" {
		return nil, errors.New("maps: a title is required")
	}
	if o.Width < 0 {
		return nil, fmt.Errorf("maps: negative width %d", o.Width)
	}
	if _, ok := g.index[o.Highlight]; o.Highlight != "" && !ok {
		return nil, fmt.Errorf("maps: unknown province %q to highlight", o.Highlight)
	}
	values := make(map[string]Value, len(o.Values))
	for _, v := range o.Values {
		if _, ok := g.index[v.Code]; !ok {
			return nil, fmt.Errorf("maps: unknown province code %q", v.Code)
		}
		if _, dup := values[v.Code]; dup {
			return nil, fmt.Errorf("maps: two values for province %s", v.Code)
		}
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			return nil, fmt.Errorf("maps: value of province %s is not a number", v.Code)
		}
		if v.Href != "" && !safeHref(v.Href) {
			return nil, fmt.Errorf("maps: link of province %s is not a relative or http(s) URL", v.Code)
		}
		values[v.Code] = v
	}
	return values, nil
}

// safeHref accepts relative URLs and absolute http(s) ones: no javascript:, data: and the like.
func safeHref(s string) bool {
	if strings.TrimSpace(s) != s {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https":
		return true
	}
	return false
}

// scale is the classification of one render.
type scale struct {
	breaks []float64 // thresholds between classes
	fills  []string  // one a class
	labels []string  // one a class
}

func (s scale) class(v float64) int {
	return sort.Search(len(s.breaks), func(i int) bool { return s.breaks[i] > v })
}

func classify(o Options, values map[string]Value) (scale, error) {
	var s scale
	sorted := make([]float64, 0, len(values))
	for _, v := range values {
		sorted = append(sorted, v.Value)
	}
	slices.Sort(sorted)

	fixed := len(o.Breaks) > 0
	switch {
	case o.Classes < 0 || o.Classes > MaxClasses:
		return s, fmt.Errorf("maps: %d classes, want 1 to %d", o.Classes, MaxClasses)
	case fixed && len(o.Breaks) >= MaxClasses:
		return s, fmt.Errorf("maps: %d breaks, want at most %d", len(o.Breaks), MaxClasses-1)
	case fixed && o.Classes != 0 && o.Classes != len(o.Breaks)+1:
		return s, fmt.Errorf("maps: %d classes but %d breaks", o.Classes, len(o.Breaks))
	}
	if fixed {
		for i, b := range o.Breaks {
			if math.IsNaN(b) || math.IsInf(b, 0) || (i > 0 && b <= o.Breaks[i-1]) {
				return s, errors.New("maps: breaks must be finite and strictly ascending")
			}
		}
		s.breaks = o.Breaks
	} else {
		n := o.Classes
		if n == 0 {
			n = 5
		}
		s.breaks = quantileBreaks(sorted, n)
	}
	n := len(s.breaks) + 1
	s.fills = Palette(n, o.HigherIsBetter)

	switch {
	case len(o.Legend) > 0:
		if len(o.Legend) != n {
			return s, fmt.Errorf("maps: %d legend labels for %d classes", len(o.Legend), n)
		}
		s.labels = o.Legend
	case fixed:
		s.labels = make([]string, n)
		for i := range n {
			switch {
			case i == 0:
				s.labels[i] = "< " + formatNumber(s.breaks[0])
			case i == n-1:
				s.labels[i] = "≥ " + formatNumber(s.breaks[i-1])
			default:
				s.labels[i] = formatNumber(s.breaks[i-1]) + " – " + formatNumber(s.breaks[i])
			}
		}
	default:
		// Quantile classes: show the smallest and largest value that falls in each, so the
		// ranges never overlap.
		s.labels = make([]string, n)
		lo := 0
		for i := range n {
			hi := lo
			for hi < len(sorted) && s.class(sorted[hi]) == i {
				hi++
			}
			switch {
			case hi == lo: // no data at all
				s.labels[i] = ""
			case sorted[lo] == sorted[hi-1]:
				s.labels[i] = formatNumber(sorted[lo])
			default:
				s.labels[i] = formatNumber(sorted[lo]) + " – " + formatNumber(sorted[hi-1])
			}
			lo = hi
		}
	}
	return s, nil
}

// quantileBreaks returns up to n-1 thresholds that split the sorted values into groups of
// near-equal size: each threshold is the first value of a group. Ties can merge groups.
func quantileBreaks(sorted []float64, n int) []float64 {
	m := len(sorted)
	var br []float64
	for k := 1; k < n; k++ {
		i := (k*m + n - 1) / n // ceil(k·m/n)
		if i <= 0 || i >= m {
			continue
		}
		b := sorted[i]
		if b <= sorted[0] || (len(br) > 0 && b <= br[len(br)-1]) {
			continue
		}
		br = append(br, b)
	}
	return br
}

// formatNumber writes v the Vietnamese way: dot between thousands, decimal comma, at most
// two decimals (more below 1 so that small figures keep two significant digits), no trailing
// zeros. 1234567.891 → "1.234.567,89"; 72.4 → "72,4"; 0.0012 → "0,0012".
func formatNumber(v float64) string {
	prec := 2
	if a := math.Abs(v); a > 0 && a < 1 {
		prec = min(max(2, 1-int(math.Floor(math.Log10(a)))), 8)
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	var b strings.Builder
	if neg && (strings.Trim(intPart, "0") != "" || frac != "") {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte(',')
		b.WriteString(frac)
	}
	return b.String()
}
