package maps_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"treem/internal/maps"
)

// The 34 provinces since 1 July 2025 (Nghị quyết 202/2025/QH15).
var provinceCodes = []string{
	"01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33", "37", "38", "40",
	"42", "44", "46", "48", "51", "52", "56", "66", "68", "75", "79", "80", "82", "86", "91", "92", "96",
}

func TestCodesAreThe34Provinces(t *testing.T) {
	if got := maps.Codes(); !slices.Equal(got, provinceCodes) {
		t.Fatalf("the map has provinces %v, want the 34 of 2025 %v", got, provinceCodes)
	}
}

func TestMapIsWellFormedAccessibleSVG(t *testing.T) {
	svg := render(t, maps.Options{Title: "Tỷ lệ trẻ em được trợ giúp", Values: allValues()})

	if svg.Name != "svg" || svg.attr("xmlns") != "http://www.w3.org/2000/svg" {
		t.Fatalf("root element is <%s xmlns=%q>, want an SVG element", svg.Name, svg.attr("xmlns"))
	}
	if vb := strings.Fields(svg.attr("viewBox")); len(vb) != 4 {
		t.Fatalf("viewBox %q, want four numbers", svg.attr("viewBox"))
	}
	if svg.attr("role") != "img" || svg.attr("width") != "100%" {
		t.Errorf("role=%q width=%q, want role img and a responsive width", svg.attr("role"), svg.attr("width"))
	}
	if len(svg.Children) < 2 || svg.Children[0].Name != "title" || svg.Children[1].Name != "desc" {
		t.Fatalf("the SVG does not start with <title> and <desc>")
	}
	if got := svg.Children[0].text(); got != "Tỷ lệ trẻ em được trợ giúp" {
		t.Errorf("title %q", got)
	}
	if desc := svg.Children[1].text(); !strings.Contains(desc, "Hà Nội: 1") || !strings.Contains(desc, "Quần đảo Trường Sa") {
		t.Errorf("the description does not carry the data for screen readers: %q", desc)
	}
}

func TestEveryProvinceHasItsTooltip(t *testing.T) {
	names := map[string]string{}
	var values []maps.Value
	for i, c := range provinceCodes {
		names[c] = "Tỉnh " + c
		values = append(values, maps.Value{Code: c, Value: float64(i), Label: strconv.Itoa(i) + ",5%"})
	}
	svg := render(t, maps.Options{Title: "t", Values: values, Names: names})

	groups := svg.provinces()
	if len(groups) != len(provinceCodes) {
		t.Fatalf("%d province groups, want %d", len(groups), len(provinceCodes))
	}
	for i, c := range provinceCodes {
		g := groups[c]
		if g == nil {
			t.Fatalf("province %s is not drawn", c)
		}
		want := "Tỉnh " + c + ": " + strconv.Itoa(i) + ",5%"
		if tip := g.child("title"); tip == nil || tip.text() != want {
			t.Errorf("province %s: tooltip %v, want %q", c, tip, want)
		}
		if p := g.child("path"); p == nil || !strings.HasPrefix(p.attr("d"), "M") {
			t.Errorf("province %s has no shape", c)
		}
	}
}

func TestValuesGetTheirClassColour(t *testing.T) {
	for _, higherIsBetter := range []bool{false, true} {
		svg := render(t, maps.Options{Title: "t", Values: allValues(), HigherIsBetter: higherIsBetter})
		pal := maps.Palette(5, higherIsBetter)
		g := svg.provinces()

		lowest, highest := provinceCodes[0], provinceCodes[len(provinceCodes)-1] // values 1 and 34
		if got := g[lowest].attr("fill"); got != pal[0] {
			t.Errorf("higherIsBetter=%v: lowest value drawn %s, want first colour %s", higherIsBetter, got, pal[0])
		}
		if got := g[highest].attr("fill"); got != pal[4] {
			t.Errorf("higherIsBetter=%v: highest value drawn %s, want last colour %s", higherIsBetter, got, pal[4])
		}
		// Quantiles: 34 values in 5 classes of 7, 7, 7, 7 and 6.
		count := map[string]int{}
		for _, e := range g {
			count[e.attr("fill")]++
		}
		for i, want := range []int{7, 7, 7, 7, 6} {
			if count[pal[i]] != want {
				t.Errorf("higherIsBetter=%v: class %d has %d provinces, want %d", higherIsBetter, i+1, count[pal[i]], want)
			}
		}
	}
	if dark := maps.Palette(5, false); lightness(dark[0]) < lightness(dark[4]) {
		t.Errorf("by default the highest values are not the darkest: %v", dark)
	}
}

func TestFixedBreaks(t *testing.T) {
	values := []maps.Value{{Code: "01", Value: 9.99}, {Code: "04", Value: 10}, {Code: "08", Value: 20}, {Code: "11", Value: 1e6}}
	svg := render(t, maps.Options{Title: "t", Values: values, Breaks: []float64{10, 20.5}})
	pal := maps.Palette(3, false)
	g := svg.provinces()
	for code, class := range map[string]int{"01": 0, "04": 1, "08": 1, "11": 2} {
		if got := g[code].attr("fill"); got != pal[class] {
			t.Errorf("province %s: fill %s, want class %d (%s)", code, got, class+1, pal[class])
		}
	}
	legend := svg.find("class", "legend").texts()
	want := []string{"< 10", "10 – 20,5", "≥ 20,5", "Không có số liệu"}
	if !slices.Equal(legend, want) {
		t.Errorf("legend %q, want %q", legend, want)
	}
}

func TestLegendInVietnameseNumbersOrCustomLabels(t *testing.T) {
	values := []maps.Value{{Code: "01", Value: 1234.5}, {Code: "04", Value: 2000}, {Code: "08", Value: 0.25}}
	svg := render(t, maps.Options{Title: "t", Values: values, Classes: 3, NoData: "No data"})
	want := []string{"0,25", "1.234,5", "2.000", "No data"}
	if got := svg.find("class", "legend").texts(); !slices.Equal(got, want) {
		t.Errorf("legend %q, want %q", got, want)
	}

	svg = render(t, maps.Options{Title: "t", Values: values, Breaks: []float64{50}, Legend: []string{"Thấp", "Cao"}})
	want = []string{"Thấp", "Cao", "Không có số liệu"}
	if got := svg.find("class", "legend").texts(); !slices.Equal(got, want) {
		t.Errorf("legend %q, want %q", got, want)
	}
}

func TestProvinceWithoutValueIsNoData(t *testing.T) {
	values := allValues()[1:] // no value for Hà Nội
	svg := render(t, maps.Options{Title: "t", Values: values, NoData: "Chưa có số liệu"})
	g := svg.provinces()["01"]
	if g.attr("fill") != maps.NoDataFill {
		t.Errorf("Hà Nội without a value is drawn %s, want the no-data grey %s", g.attr("fill"), maps.NoDataFill)
	}
	if tip := g.child("title").text(); tip != "Hà Nội: Chưa có số liệu" {
		t.Errorf("tooltip %q", tip)
	}
	if legend := svg.find("class", "legend").texts(); legend[len(legend)-1] != "Chưa có số liệu" {
		t.Errorf("the legend does not explain the grey: %q", legend)
	}
}

func TestLinksWrapProvinces(t *testing.T) {
	values := []maps.Value{{Code: "48", Value: 1, Href: "/provinces/48?year=2025&sex=f"}, {Code: "56", Value: 2}}
	out := renderString(t, maps.Options{Title: "t", Values: values})
	if !strings.Contains(out, `<a href="/provinces/48?year=2025&amp;sex=f"><g class="province" data-code="48"`) {
		t.Errorf("Đà Nẵng is not wrapped in its link")
	}
	if strings.Count(out, "<a ") != 1 {
		t.Errorf("%d links, want only Đà Nẵng's", strings.Count(out, "<a "))
	}
}

func TestHostileTextIsEscaped(t *testing.T) {
	const evil = `<script>alert("x")</script>' & "quoted" ]]> <!-- `
	const evilHref = `/p?a=1&b="><script>alert('x')</script><!--`
	values := []maps.Value{{Code: "01", Value: 1, Label: evil, Href: evilHref}}
	o := maps.Options{
		Title:        evil,
		Values:       values,
		Names:        map[string]string{"01": evil, "04": "Cao\x00Bằng\xff"},
		NoData:       evil,
		IslandLabels: [2]string{evil, evil},
		Legend:       []string{evil},
	}
	out := renderString(t, o)
	if strings.Contains(out, "<script") || strings.Contains(out, "<!--") {
		t.Fatalf("hostile text reached the SVG unescaped")
	}
	svg := parse(t, out) // fails if the document is not well-formed
	if got := svg.Children[0].text(); got != evil {
		t.Errorf("title %q, want the text back as given", got)
	}
	hn := svg.provinces()["01"]
	if got := hn.child("title").text(); got != evil+": "+evil {
		t.Errorf("tooltip %q", got)
	}
	var link *node
	svg.walk(func(n *node) {
		if n.Name == "a" {
			link = n
		}
	})
	if link == nil || link.attr("href") != evilHref {
		t.Errorf("link %v, want the href back as given", link)
	}
	if got := svg.provinces()["04"].child("title").text(); got != "Cao\uFFFDBằng\uFFFD: "+evil {
		t.Errorf("characters XML cannot carry were not replaced: %q", got)
	}
}

func TestUnsafeLinksAreRefused(t *testing.T) {
	for _, href := range []string{"javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,x", "java\tscript:alert(1)"} {
		var b bytes.Buffer
		err := maps.Render(&b, maps.Options{Title: "t", Values: []maps.Value{{Code: "01", Value: 1, Href: href}}})
		if err == nil || b.Len() > 0 {
			t.Errorf("link %q was accepted", href)
		}
	}
	for _, href := range []string{"/p/01", "p/01?x=1", "https://example.org/p", "#01"} {
		if err := maps.Render(io.Discard, maps.Options{Title: "t", Values: []maps.Value{{Code: "01", Value: 1, Href: href}}}); err != nil {
			t.Errorf("link %q was refused: %v", href, err)
		}
	}
}

func TestNothingTheContentSecurityPolicyBlocks(t *testing.T) {
	svg := render(t, maps.Options{Title: "t", Values: allValues(), Highlight: "56"})
	svg.walk(func(n *node) {
		switch n.Name {
		case "style", "script", "foreignObject":
			t.Errorf("<%s> element in the map", n.Name)
		}
		for _, a := range n.Attr {
			if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") {
				t.Errorf("<%s %s=…> needs 'unsafe-inline'", n.Name, a.Name.Local)
			}
		}
	})
}

// The archipelagos are drawn even with no data at all, framed and labelled, with every island
// of the source data inside the frame (46 for Hoàng Sa, 140 for Trường Sa).
func TestArchipelagosAreAlwaysShown(t *testing.T) {
	for _, o := range []maps.Options{
		{Title: "no data"},
		{Title: "custom labels", Values: allValues(), IslandLabels: [2]string{"Hoang Sa archipelago (Da Nang)", "Truong Sa archipelago (Khanh Hoa)"}},
	} {
		svg := render(t, o)
		for i, a := range []struct {
			code, label string
			islands     int
		}{
			{"48", "Quần đảo Hoàng Sa (Đà Nẵng)", 46},
			{"56", "Quần đảo Trường Sa (Khánh Hòa)", 140},
		} {
			if o.IslandLabels[i] != "" {
				a.label = o.IslandLabels[i]
			}
			g := svg.find("class", "archipelago", "data-code", a.code)
			if g == nil {
				t.Fatalf("%s: archipelago of %s not drawn", o.Title, a.code)
			}
			if got := strings.Join(g.texts(), " "); got != a.label {
				t.Errorf("%s: archipelago of %s labelled %q, want %q", o.Title, a.code, got, a.label)
			}
			frame := g.child("rect")
			x, y := num(t, frame.attr("x")), num(t, frame.attr("y"))
			w, h := num(t, frame.attr("width")), num(t, frame.attr("height"))
			d := svg.provinces()[a.code].child("path").attr("d")
			in := 0
			for _, sub := range strings.Split(d, "M")[1:] {
				f := strings.FieldsFunc(sub, func(r rune) bool { return r == ' ' || r == 'l' || r == 'z' || r == '-' })
				px, py := num(t, f[0]), num(t, f[1])
				if px >= x && px <= x+w && py >= y && py <= y+h {
					in++
				}
			}
			if in != a.islands {
				t.Errorf("%s: %d islands of province %s inside its archipelago frame, want %d", o.Title, in, a.code, a.islands)
			}
		}
	}
}

func TestNationalMapFitsTheSizeBudget(t *testing.T) {
	const budget = 120 << 10
	values := allValues()
	names := map[string]string{}
	for i := range values {
		values[i].Href = "/dashboard/indicators/children-helped/provinces/" + values[i].Code + "?year=2025"
		values[i].Label = "72,4%"
		names[values[i].Code] = "Thành phố / Tỉnh " + values[i].Code
	}
	out := renderString(t, maps.Options{Title: "Tỷ lệ trẻ em có hoàn cảnh đặc biệt được trợ giúp, 2025", Values: values, Names: names, Classes: 7, Highlight: "56"})
	if len(out) > budget {
		t.Fatalf("the national map is %d KB, over the %d KB budget", len(out)>>10, budget>>10)
	}
	t.Logf("national map: %.1f KB", float64(len(out))/1024)
}

func TestSameInputSameBytes(t *testing.T) {
	values := allValues()
	a := renderString(t, maps.Options{Title: "t", Values: values, Highlight: "01"})
	slices.Reverse(values)
	b := renderString(t, maps.Options{Title: "t", Values: values, Highlight: "01"})
	if a != b {
		t.Fatal("the same values in another order gave another SVG")
	}
}

func TestFixedWidth(t *testing.T) {
	svg := render(t, maps.Options{Title: "t", Width: 500})
	vb := strings.Fields(svg.attr("viewBox"))
	wantH := math.Round(500 * num(t, vb[3]) / num(t, vb[2]))
	if svg.attr("width") != "500" || num(t, svg.attr("height")) != wantH {
		t.Errorf("width=%q height=%q, want 500 and %v", svg.attr("width"), svg.attr("height"), wantH)
	}
}

func TestHighlightOutlinesTheProvince(t *testing.T) {
	svg := render(t, maps.Options{Title: "t", Highlight: "79"})
	h := svg.find("class", "highlight")
	if h == nil || len(h.Children) == 0 || h.Children[len(h.Children)-1].attr("d") != svg.provinces()["79"].child("path").attr("d") {
		t.Fatal("Hồ Chí Minh is not outlined")
	}
}

func TestInvalidOptionsAreRefused(t *testing.T) {
	ok := maps.Value{Code: "01", Value: 1}
	for _, c := range []struct {
		why string
		o   maps.Options
	}{
		{"no title", maps.Options{Values: []maps.Value{ok}}},
		{"unknown province", maps.Options{Title: "t", Values: []maps.Value{{Code: "02", Value: 1}}}},
		{"old province code", maps.Options{Title: "t", Values: []maps.Value{{Code: "10", Value: 1}}}},
		{"two values for a province", maps.Options{Title: "t", Values: []maps.Value{ok, ok}}},
		{"value not a number", maps.Options{Title: "t", Values: []maps.Value{{Code: "01", Value: math.NaN()}}}},
		{"infinite value", maps.Options{Title: "t", Values: []maps.Value{{Code: "01", Value: math.Inf(1)}}}},
		{"too many classes", maps.Options{Title: "t", Classes: 8}},
		{"negative classes", maps.Options{Title: "t", Classes: -1}},
		{"breaks not ascending", maps.Options{Title: "t", Breaks: []float64{2, 1}}},
		{"breaks and classes disagree", maps.Options{Title: "t", Breaks: []float64{1, 2}, Classes: 5}},
		{"legend of the wrong length", maps.Options{Title: "t", Breaks: []float64{1}, Legend: []string{"a"}}},
		{"unknown highlight", maps.Options{Title: "t", Highlight: "99"}},
		{"negative width", maps.Options{Title: "t", Width: -1}},
	} {
		var b bytes.Buffer
		if err := maps.Render(&b, c.o); err == nil || b.Len() > 0 {
			t.Errorf("%s: accepted (err %v, %d bytes written)", c.why, err, b.Len())
		}
	}
}

func TestTiesNeverSwapTheEnds(t *testing.T) {
	values := []maps.Value{{Code: "01", Value: 5}, {Code: "04", Value: 5}, {Code: "08", Value: 5}, {Code: "11", Value: 9}}
	svg := render(t, maps.Options{Title: "t", Values: values, Classes: 5})
	g := svg.provinces()
	if g["01"].attr("fill") == g["11"].attr("fill") {
		t.Fatal("the lowest and highest values share a colour")
	}
	legend := svg.find("class", "legend").texts()
	if !slices.Equal(legend, []string{"5", "9", "Không có số liệu"}) {
		t.Errorf("legend %q, want two classes and no data", legend)
	}
	// All equal: one class.
	svg = render(t, maps.Options{Title: "t", Values: values[:3]})
	if got := svg.provinces()["01"].attr("fill"); got != maps.Palette(1, false)[0] {
		t.Errorf("one value drawn %s", got)
	}
}

func BenchmarkRender(b *testing.B) {
	values := allValues()
	names := map[string]string{}
	for i := range values {
		values[i].Href = "/p/" + values[i].Code
		values[i].Label = strconv.Itoa(i) + ",4%"
		names[values[i].Code] = "Tỉnh " + values[i].Code
	}
	o := maps.Options{Title: "Tỷ lệ trẻ em được trợ giúp", Values: values, Names: names, Highlight: "48"}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := maps.Render(&buf, o); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// allValues gives province i the value i+1.
func allValues() []maps.Value {
	var vs []maps.Value
	for i, c := range provinceCodes {
		vs = append(vs, maps.Value{Code: c, Value: float64(i + 1)})
	}
	return vs
}

func renderString(t *testing.T, o maps.Options) string {
	t.Helper()
	var b strings.Builder
	if err := maps.Render(&b, o); err != nil {
		t.Fatalf("render: %v", err)
	}
	return b.String()
}

func render(t *testing.T, o maps.Options) *node {
	t.Helper()
	return parse(t, renderString(t, o))
}

// node is a parsed XML element.
type node struct {
	Name     string
	Attr     []xml.Attr
	Children []*node
	Text     string // character data directly inside
	all      string // character data of the subtree
}

func parse(t *testing.T, s string) *node {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{Name: tok.Name.Local, Attr: tok.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else if root != nil {
				t.Fatal("more than one root element")
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, n := range stack {
				n.all += string(tok)
			}
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tok)
			}
		}
	}
	if root == nil {
		t.Fatal("empty document")
	}
	return root
}

func (n *node) attr(name string) string {
	for _, a := range n.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) text() string { return n.all }

func (n *node) child(name string) *node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.Children {
		c.walk(f)
	}
}

// find returns the first element with the given attribute name/value pairs.
func (n *node) find(kv ...string) *node {
	var found *node
	n.walk(func(e *node) {
		if found != nil {
			return
		}
		for i := 0; i < len(kv); i += 2 {
			if e.attr(kv[i]) != kv[i+1] {
				return
			}
		}
		found = e
	})
	return found
}

// texts returns the text of each <text> element under n.
func (n *node) texts() []string {
	var out []string
	n.walk(func(e *node) {
		if e.Name == "text" {
			out = append(out, e.text())
		}
	})
	return out
}

// provinces returns the province groups by code.
func (n *node) provinces() map[string]*node {
	out := map[string]*node{}
	n.walk(func(e *node) {
		if e.attr("class") == "province" {
			out[e.attr("data-code")] = e
		}
	})
	return out
}

func (n *node) String() string {
	if n == nil {
		return "<nil>"
	}
	return "<" + n.Name + "> " + strconv.Quote(n.text())
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// lightness is a rough relative luminance of "#rrggbb".
func lightness(hex string) float64 {
	v, _ := strconv.ParseUint(hex[1:], 16, 32)
	r, g, b := float64(v>>16&0xff), float64(v>>8&0xff), float64(v&0xff)
	return 0.2126*r + 0.7152*g + 0.0722*b
}
