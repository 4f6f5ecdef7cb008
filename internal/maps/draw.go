package maps

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Default labels of the archipelagos, when the caller passes none.
var defaultIslandLabels = [2]string{"Quần đảo Hoàng Sa (Đà Nẵng)", "Quần đảo Trường Sa (Khánh Hòa)"}

const defaultNoData = "Không có số liệu"

// draw appends the SVG. Only presentation attributes are used, never style, so the output
// passes a Content-Security-Policy without 'unsafe-inline'.
func draw(b []byte, g *mapData, o Options, values map[string]Value, sc scale) []byte {
	noData := o.NoData
	if noData == "" {
		noData = defaultNoData
	}
	islands := o.IslandLabels
	for i := range islands {
		if strings.TrimSpace(islands[i]) == "" {
			islands[i] = defaultIslandLabels[i]
		}
	}
	name := func(i int) string {
		p := g.Provinces[i]
		if n := o.Names[p.Code]; n != "" {
			return n
		}
		return p.Name
	}
	tooltip := func(i int) string {
		v, ok := values[g.Provinces[i].Code]
		switch {
		case !ok:
			return name(i) + ": " + noData
		case v.Label != "":
			return name(i) + ": " + v.Label
		default:
			return name(i) + ": " + formatNumber(v.Value)
		}
	}

	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `...)
	b = strconv.AppendInt(b, int64(g.Width), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(g.Height), 10)
	if o.Width > 0 {
		b = append(b, `" width="`...)
		b = strconv.AppendInt(b, int64(o.Width), 10)
		b = append(b, `" height="`...)
		b = strconv.AppendInt(b, int64((o.Width*g.Height+g.Width/2)/g.Width), 10)
	} else {
		b = append(b, `" width="100%`...)
	}
	b = append(b, `" role="img" class="vn-map" font-family="system-ui,sans-serif">`...)
	b = append(b, "\n<title>"...)
	b = appendEscaped(b, o.Title)
	b = append(b, "</title>\n<desc>"...)
	// The description carries the data, for screen readers (the shapes say nothing to them).
	for i := range g.Provinces {
		b = appendEscaped(b, tooltip(i))
		b = append(b, "; "...)
	}
	b = appendEscaped(b, islands[0])
	b = append(b, "; "...)
	b = appendEscaped(b, islands[1])
	b = append(b, ".</desc>\n"...)

	// Provinces, in code order.
	b = append(b, `<g class="provinces" stroke="`+borderColour+`" stroke-width="0.6" stroke-linejoin="round">`+"\n"...)
	for i, p := range g.Provinces {
		v, ok := values[p.Code]
		fill := NoDataFill
		if ok {
			fill = sc.fills[sc.class(v.Value)]
		}
		if ok && v.Href != "" {
			b = append(b, `<a href="`...)
			b = appendEscaped(b, v.Href)
			b = append(b, `">`...)
		}
		b = append(b, `<g class="province" data-code="`...)
		b = append(b, p.Code...)
		b = append(b, `" fill="`...)
		b = append(b, fill...)
		b = append(b, `"><title>`...)
		b = appendEscaped(b, tooltip(i))
		b = append(b, `</title><path d="`...)
		b = append(b, p.D...)
		b = append(b, `"/></g>`...)
		if ok && v.Href != "" {
			b = append(b, `</a>`...)
		}
		b = append(b, '\n')
	}
	b = append(b, "</g>\n"...)

	// Coast, national border and island outlines, over the fills so that light classes and
	// tiny islands stay visible.
	b = append(b, `<path class="outline" fill="none" stroke="`+outlineColour+`" stroke-width="0.6" stroke-linejoin="round" pointer-events="none" d="`...)
	b = append(b, g.Outline...)
	b = append(b, "\"/>\n"...)

	// The two archipelagos: a dashed frame and a label.
	for i, a := range g.Archipelagos {
		b = append(b, `<g class="archipelago" data-code="`...)
		b = append(b, a.Code...)
		b = append(b, `"><rect fill="none" stroke="`+frameColour+`" stroke-width="1" stroke-dasharray="5 4" rx="8" x="`...)
		b = appendNum(b, a.Frame[0])
		b = append(b, `" y="`...)
		b = appendNum(b, a.Frame[1])
		b = append(b, `" width="`...)
		b = appendNum(b, a.Frame[2])
		b = append(b, `" height="`...)
		b = appendNum(b, a.Frame[3])
		b = append(b, `" pointer-events="none"/>`...)
		b = appendLabel(b, islands[i], a.Label[0], a.Label[1], a.Anchor)
		b = append(b, "</g>\n"...)
	}

	if o.Highlight != "" {
		d := g.Provinces[g.index[o.Highlight]].D
		// A white halo under a dark line shows on every fill.
		b = append(b, `<g class="highlight" fill="none" stroke-linejoin="round" pointer-events="none"><path stroke="#ffffff" stroke-width="4.5" d="`...)
		b = append(b, d...)
		b = append(b, `"/><path stroke="`+highlightColour+`" stroke-width="2" d="`...)
		b = append(b, d...)
		b = append(b, "\"/></g>\n"...)
	}

	return appendLegend(b, g, values, sc, noData)
}

// appendLegend draws one swatch and label a class, lowest first, then "no data" when a
// province has no value.
func appendLegend(b []byte, g *mapData, values map[string]Value, sc scale, noData string) []byte {
	const row, sw, sh = 30, 30, 20
	x, y := g.Legend[0], g.Legend[1]
	b = append(b, `<g class="legend" font-size="`...)
	b = strconv.AppendInt(b, fontSize, 10)
	b = append(b, `" fill="`+textColour+`">`+"\n"...)
	item := func(b []byte, fill, label string) []byte {
		b = append(b, `<rect x="`...)
		b = strconv.AppendInt(b, int64(x), 10)
		b = append(b, `" y="`...)
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, `" width="`+strconv.Itoa(sw)+`" height="`+strconv.Itoa(sh)+`" fill="`...)
		b = append(b, fill...)
		b = append(b, `" stroke="`+outlineColour+`" stroke-width="0.8"/><text x="`...)
		b = strconv.AppendInt(b, int64(x+sw+8), 10)
		b = append(b, `" y="`...)
		b = strconv.AppendInt(b, int64(y+sh-4), 10)
		b = append(b, `">`...)
		b = appendEscaped(b, label)
		b = append(b, "</text>\n"...)
		y += row
		return b
	}
	if len(values) > 0 || len(sc.breaks) > 0 {
		for i, fill := range sc.fills {
			b = item(b, fill, sc.labels[i])
		}
	}
	if len(values) < len(g.Provinces) {
		b = item(b, NoDataFill, noData)
	}
	return append(b, "</g>\n</svg>\n"...)
}

// appendLabel writes a text of one or two lines: a label ending in a parenthesis, such as
// "Quần đảo Hoàng Sa (Đà Nẵng)", breaks before it. (x, y) is the baseline of the last line.
func appendLabel(b []byte, s string, x, y float64, anchor string) []byte {
	lines := []string{s}
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		lines = []string{s[:i+1], s[i+1:]} // the space stays, for copy and screen readers
	}
	b = append(b, `<text font-size="`...)
	b = strconv.AppendInt(b, fontSize, 10)
	b = append(b, `" fill="`+textColour+`" text-anchor="`...)
	b = append(b, anchor...)
	b = append(b, `" x="`...)
	b = appendNum(b, x)
	b = append(b, `" y="`...)
	b = appendNum(b, y-float64((len(lines)-1)*(fontSize+2)))
	b = append(b, `">`...)
	for i, l := range lines {
		if i == 0 {
			b = appendEscaped(b, l)
			continue
		}
		b = append(b, `<tspan x="`...)
		b = appendNum(b, x)
		b = append(b, `" dy="`...)
		b = strconv.AppendInt(b, fontSize+2, 10)
		b = append(b, `">`...)
		b = appendEscaped(b, l)
		b = append(b, `</tspan>`...)
	}
	return append(b, `</text>`...)
}

func appendNum(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendEscaped appends s escaped for XML text and attribute values. Characters XML cannot
// carry (control characters, invalid UTF-8) become U+FFFD, so the output always parses.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"':
			b = append(b, "&quot;"...)
		case r == '\'':
			b = append(b, "&#39;"...)
		case r == '\t':
			b = append(b, "&#x9;"...)
		case r == '\n':
			b = append(b, "&#xA;"...)
		case r == '\r':
			b = append(b, "&#xD;"...)
		case r == utf8.RuneError && w == 1, !xmlChar(r):
			b = append(b, "\uFFFD"...)
		default:
			b = append(b, s[i:i+w]...)
		}
		i += w
	}
	return b
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}
