package charts_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"treem/internal/charts"
)

func TestChartsAreAccessibleSVGWithoutStyle(t *testing.T) {
	c := charts.Chart{Title: "Trẻ em được trợ giúp <2026>", Series: []charts.Series{
		{Name: "2025", Points: []charts.Point{{Label: "Q1", Value: 10}, {Label: "Q2", Missing: true}, {Label: "Q3", Value: 30}}},
		{Name: "2026", Points: []charts.Point{{Label: "Q1", Value: 12}, {Label: "Q2", Value: 20}, {Label: "Q3", Value: 0}}},
	}}
	for name, draw := range map[string]func(charts.Chart) (string, error){"line": charts.Line, "bar": charts.Bar} {
		svg, err := draw(c)
		if err != nil {
			t.Fatal(err)
		}
		var root struct {
			XMLName xml.Name
			Title   string `xml:"title"`
			Desc    string `xml:"desc"`
		}
		if err := xml.Unmarshal([]byte(svg), &root); err != nil {
			t.Fatalf("%s chart is not well-formed XML: %v", name, err)
		}
		if root.Title != c.Title || !strings.Contains(root.Desc, "Q3: 30") {
			t.Errorf("%s chart: title %q desc %q", name, root.Title, root.Desc)
		}
		if strings.Contains(svg, "style=") || strings.Contains(svg, "<script") {
			t.Errorf("%s chart uses style or script", name)
		}
	}
	if _, err := charts.Line(charts.Chart{}); err == nil {
		t.Error("a chart without a title was drawn")
	}
}
