// Package charts draws small line and bar charts as SVG on the server:
// attributes only (no style attributes, no script), so they pass a strict
// Content-Security-Policy, print well and weigh little on a 3G phone. Each
// chart has a <title> and <desc> for screen readers; pages show the data
// as a table beside it.
package charts

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Point is one labelled value; Missing draws nothing (no data).
type Point struct {
	Label   string
	Value   float64
	Missing bool
}

// Series is a named run of points (one per label of the chart).
type Series struct {
	Name   string
	Points []Point
}

// Chart is what to draw.
type Chart struct {
	Title  string // required: the accessible title
	Desc   string // a sentence saying what the chart shows
	Series []Series
	Width  int // viewBox width (default 640)
	Height int // viewBox height (default 260)
	Format func(float64) string
}

var colours = []string{"#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c"}

const (
	padL, padR, padT, padB = 56.0, 12.0, 16.0, 40.0
	textColour             = "#1f2937"
	gridColour             = "#d1d5db"
)

func (c *Chart) defaults() {
	if c.Width == 0 {
		c.Width = 640
	}
	if c.Height == 0 {
		c.Height = 260
	}
	if c.Format == nil {
		c.Format = func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	}
}

// scale returns a "nice" top of the axis and the tick step.
func scale(maxV float64) (top, step float64) {
	if maxV <= 0 {
		return 1, 0.25
	}
	raw := maxV / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return step * math.Ceil(maxV/step), step
}

func (c *Chart) labels() []string {
	if len(c.Series) == 0 {
		return nil
	}
	out := make([]string, len(c.Series[0].Points))
	for i, p := range c.Series[0].Points {
		out[i] = p.Label
	}
	return out
}

func (c *Chart) maxValue() float64 {
	m := 0.0
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !p.Missing && p.Value > m {
				m = p.Value
			}
		}
	}
	return m
}

func (c *Chart) open(b *strings.Builder, kind string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" class="chart chart-%s" font-family="system-ui,sans-serif" font-size="12">`,
		c.Width, c.Height, kind)
	fmt.Fprintf(b, "<title>%s</title>", html.EscapeString(c.Title))
	desc := c.Desc
	for _, s := range c.Series {
		var parts []string
		for _, p := range s.Points {
			if p.Missing {
				continue
			}
			parts = append(parts, p.Label+": "+c.Format(p.Value))
		}
		desc += " " + s.Name + " — " + strings.Join(parts, "; ") + "."
	}
	fmt.Fprintf(b, "<desc>%s</desc>", html.EscapeString(strings.TrimSpace(desc)))
}

// axes draws the grid lines with their values and returns the y of a value.
func (c *Chart) axes(b *strings.Builder) func(float64) float64 {
	top, step := scale(c.maxValue())
	h := float64(c.Height) - padT - padB
	y := func(v float64) float64 { return padT + h*(1-v/top) }
	for v := 0.0; v <= top+step/2; v += step {
		yy := y(v)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, padL, yy, float64(c.Width)-padR, yy, gridColour)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="%s">%s</text>`, padL-6, yy+4, textColour, html.EscapeString(c.Format(v)))
	}
	return y
}

// xLabels writes the category labels, thinned so they do not overlap.
func (c *Chart) xLabels(b *strings.Builder, x func(int) float64) {
	ls := c.labels()
	every := 1
	if room := (float64(c.Width) - padL - padR) / 56; len(ls) > int(room) && room > 0 {
		every = int(math.Ceil(float64(len(ls)) / room))
	}
	for i, l := range ls {
		if i%every != 0 && i != len(ls)-1 {
			continue
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, x(i), float64(c.Height)-padB+16, textColour, html.EscapeString(l))
	}
}

func (c *Chart) legend(b *strings.Builder) {
	if len(c.Series) < 2 {
		return
	}
	x := padL
	for i, s := range c.Series {
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`, x, float64(c.Height)-14, colours[i%len(colours)])
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="%s">%s</text>`, x+14, float64(c.Height)-5, textColour, html.EscapeString(s.Name))
		x += 24 + 7*float64(len([]rune(s.Name)))
	}
}

// Line draws one line per series; each point has a tooltip.
func Line(c Chart) (string, error) {
	if strings.TrimSpace(c.Title) == "" {
		return "", fmt.Errorf("charts: a title is required")
	}
	c.defaults()
	var b strings.Builder
	c.open(&b, "line")
	y := c.axes(&b)
	n := len(c.labels())
	w := float64(c.Width) - padL - padR
	x := func(i int) float64 {
		if n <= 1 {
			return padL + w/2
		}
		return padL + w*float64(i)/float64(n-1)
	}
	for si, s := range c.Series {
		col := colours[si%len(colours)]
		var d strings.Builder
		pen := false
		for i, p := range s.Points {
			if p.Missing {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x(i), y(p.Value))
			pen = true
		}
		if d.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.TrimSpace(d.String()), col)
		}
		for i, p := range s.Points {
			if p.Missing {
				continue
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s</title></circle>`, x(i), y(p.Value), col,
				html.EscapeString(s.Name+", "+p.Label+": "+c.Format(p.Value)))
		}
	}
	c.xLabels(&b, x)
	c.legend(&b)
	b.WriteString("</svg>")
	return b.String(), nil
}

// Bar draws grouped vertical bars (one group per label, one bar per series).
func Bar(c Chart) (string, error) {
	if strings.TrimSpace(c.Title) == "" {
		return "", fmt.Errorf("charts: a title is required")
	}
	c.defaults()
	var b strings.Builder
	c.open(&b, "bar")
	y := c.axes(&b)
	n := max(len(c.labels()), 1)
	w := float64(c.Width) - padL - padR
	slot := w / float64(n)
	ns := max(len(c.Series), 1)
	bw := slot * 0.7 / float64(ns)
	x := func(i int) float64 { return padL + slot*(float64(i)+0.5) }
	for si, s := range c.Series {
		col := colours[si%len(colours)]
		for i, p := range s.Points {
			if p.Missing {
				continue
			}
			x0 := x(i) - slot*0.35 + float64(si)*bw
			y0 := y(p.Value)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x0, y0, math.Max(bw-1, 1), math.Max(y(0)-y0, 0), col, html.EscapeString(s.Name+", "+p.Label+": "+c.Format(p.Value)))
		}
	}
	c.xLabels(&b, x)
	c.legend(&b)
	b.WriteString("</svg>")
	return b.String(), nil
}
