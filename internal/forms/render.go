package forms

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"

	"treem/internal/fonts"
)

// Form is any of MauSo01 … MauSo07.
type Form interface{ Document() Document }

// fragment is the form as HTML, styled by the site's stylesheet (class
// gov-form, with print rules): no inline style or script.
var fragment = template.Must(template.New("form").Parse(`<article class="gov-form" lang="vi">
<header class="gov-head">
  <div class="gov-authority"><p>{{or .Authority "ỦY BAN NHÂN DÂN XÃ ……"}}</p>{{if .Number}}<p>Số: {{.Number}}</p>{{end}}</div>
  <div class="gov-nation"><p><strong>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</strong></p><p><strong>Độc lập - Tự do - Hạnh phúc</strong></p><p class="gov-date"><em>{{.DateLine}}</em></p></div>
</header>
<p class="gov-code">{{.Code}}</p>
<h1 class="gov-title">{{.Title}}</h1>
{{if .Subtitle}}<p class="gov-subtitle"><strong>{{.Subtitle}}</strong></p>{{end}}
{{range .Sections}}<section>
  {{if .Heading}}<h2>{{.Heading}}</h2>{{end}}
  {{range .Lines}}<p>{{.}}</p>{{end}}
  {{if .Fields}}<dl class="gov-fields">{{range .Fields}}<dt>{{.Label}}:</dt><dd>{{if .Value}}{{.Value}}{{else}}<span class="gov-blank">……………………………</span>{{end}}</dd>{{end}}</dl>{{end}}
  {{with .Table}}<div class="table-wrap"><table><thead><tr>{{range .Headers}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
  <tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{else}}<tr><td colspan="{{len .Headers}}">……………………………</td></tr>{{end}}</tbody></table></div>{{end}}
</section>{{end}}
<div class="gov-signs">{{range .Signs}}<div class="gov-sign"><p><strong>{{.Role}}</strong></p><p><em>(Ký, ghi rõ họ tên)</em></p><p class="gov-sign-name">{{.Name}}</p></div>{{end}}</div>
</article>`))

type view struct {
	Document
	DateLine string
}

// Fragment writes d as an HTML fragment for a page.
func Fragment(d Document) (template.HTML, error) {
	var b bytes.Buffer
	if err := fragment.Execute(&b, view{Document: d, DateLine: d.dateLine()}); err != nil {
		return "", fmt.Errorf("form %d: %w", d.No, err)
	}
	return template.HTML(b.String()), nil
}

// WritePDF writes d as an A4 PDF. The text is set in Noto Sans, embedded
// as a subset with a ToUnicode map, so Vietnamese prints and copies out
// correctly.
func WritePDF(w io.Writer, d Document) error {
	d = d.nfc()
	pdf := fpdf.New("P", "mm", "A4", "")
	fonts.AddTo(pdf)
	pdf.SetTitle(d.Code()+" – "+d.Title, true)
	pdf.SetCreator("treem", true)
	pdf.SetMargins(20, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(fonts.Family, "", 8)
		pdf.CellFormat(0, 6, fmt.Sprintf("%s · %d/{nb}", d.Code(), pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AliasNbPages("")
	pdf.AddPage()
	const lh = 5.5
	left, _, right, _ := pdf.GetMargins()
	pageW, _ := pdf.GetPageSize()
	width := pageW - left - right

	// Header: the authority on the left, the nation's motto on the right.
	y := pdf.GetY()
	pdf.SetFont(fonts.Family, "", 10)
	pdf.MultiCell(width*0.42, lh, ifEmpty(d.Authority, "ỦY BAN NHÂN DÂN XÃ ……"), "", "C", false)
	if d.Number != "" {
		pdf.CellFormat(width*0.42, lh, "Số: "+d.Number, "", 1, "C", false, 0, "")
	}
	yl := pdf.GetY()
	pdf.SetXY(left+width*0.42, y)
	pdf.SetFont(fonts.Family, "B", 10)
	pdf.CellFormat(width*0.58, lh, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", 2, "C", false, 0, "")
	pdf.CellFormat(width*0.58, lh, "Độc lập - Tự do - Hạnh phúc", "", 2, "C", false, 0, "")
	pdf.SetFont(fonts.Family, "", 10)
	pdf.CellFormat(width*0.58, lh, d.dateLine(), "", 2, "C", false, 0, "")
	pdf.SetXY(left, max(yl, pdf.GetY())+4)

	pdf.SetFont(fonts.Family, "", 9)
	pdf.CellFormat(width, lh, d.Code(), "", 1, "R", false, 0, "")
	pdf.SetFont(fonts.Family, "B", 13)
	pdf.MultiCell(width, 7, d.Title, "", "C", false)
	if d.Subtitle != "" {
		pdf.SetFont(fonts.Family, "B", 11)
		pdf.MultiCell(width, 6, d.Subtitle, "", "C", false)
	}
	pdf.Ln(3)

	for _, s := range d.Sections {
		if s.Heading != "" {
			pdf.SetFont(fonts.Family, "B", 11)
			pdf.MultiCell(width, 6.5, s.Heading, "", "L", false)
		}
		pdf.SetFont(fonts.Family, "", 10.5)
		for _, l := range s.Lines {
			pdf.MultiCell(width, lh, l, "", "J", false)
		}
		for _, f := range s.Fields {
			v := f.Value
			if v == "" {
				v = "……………………………………"
			}
			pdf.SetFont(fonts.Family, "B", 10.5)
			label := f.Label + ": "
			lw := pdf.GetStringWidth(label) + 1
			if lw > width*0.45 {
				pdf.MultiCell(width, lh, label, "", "L", false)
				pdf.SetFont(fonts.Family, "", 10.5)
				pdf.MultiCell(width, lh, v, "", "L", false)
				continue
			}
			pdf.CellFormat(lw, lh, label, "", 0, "L", false, 0, "")
			pdf.SetFont(fonts.Family, "", 10.5)
			pdf.MultiCell(width-lw, lh, v, "", "L", false)
		}
		if s.Table != nil {
			table(pdf, s.Table, width)
		}
		pdf.Ln(2)
	}

	// Signatures side by side.
	if n := len(d.Signs); n > 0 {
		pdf.Ln(4)
		if _, h := pdf.GetPageSize(); pdf.GetY() > h-60 {
			pdf.AddPage()
		}
		y := pdf.GetY()
		w := width / float64(n)
		for i, sg := range d.Signs {
			pdf.SetXY(left+float64(i)*w, y)
			pdf.SetFont(fonts.Family, "B", 10.5)
			pdf.MultiCell(w, lh, sg.Role, "", "C", false)
			pdf.SetX(left + float64(i)*w)
			pdf.SetFont(fonts.Family, "", 9)
			pdf.CellFormat(w, lh, "(Ký, ghi rõ họ tên)", "", 2, "C", false, 0, "")
			pdf.Ln(18)
			pdf.SetX(left + float64(i)*w)
			pdf.SetFont(fonts.Family, "B", 10.5)
			pdf.CellFormat(w, lh, sg.Name, "", 0, "C", false, 0, "")
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("form %d as PDF: %w", d.No, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// table draws a grid whose cells wrap, each row as tall as its tallest
// cell.
func table(pdf *fpdf.Fpdf, t *Table, width float64) {
	n := len(t.Headers)
	if n == 0 {
		return
	}
	// Each column is at least as wide as its longest word (a date, a
	// number never breaks), and the rest of the width goes where the text
	// is longest.
	pdf.SetFont(fonts.Family, "B", 9)
	minW := make([]float64, n)
	pref := make([]float64, n)
	measure := func(j int, text string) {
		for _, w := range strings.Fields(text) {
			minW[j] = max(minW[j], pdf.GetStringWidth(w)+5) // the cell's inset and the text's margins
		}
		pref[j] = max(pref[j], min(pdf.GetStringWidth(text), 70)+3)
	}
	for j, h := range t.Headers {
		measure(j, h)
	}
	pdf.SetFont(fonts.Family, "", 9)
	for _, r := range t.Rows {
		for j := 0; j < n && j < len(r); j++ {
			measure(j, r[j])
		}
	}
	widths := make([]float64, n)
	var sumMin, slack float64
	for j := range widths {
		minW[j] = max(minW[j], 8)
		pref[j] = max(pref[j], minW[j])
		sumMin += minW[j]
		slack += pref[j] - minW[j]
	}
	for j := range widths {
		switch {
		case sumMin >= width:
			widths[j] = width * minW[j] / sumMin
		case slack > 0:
			widths[j] = minW[j] + (width-sumMin)*(pref[j]-minW[j])/slack
		default:
			widths[j] = minW[j] + (width-sumMin)/float64(n)
		}
	}
	row := func(cells []string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont(fonts.Family, style, 9)
		const lh = 4.5
		lines := 1
		for j := 0; j < n; j++ {
			c := ""
			if j < len(cells) {
				c = cells[j]
			}
			lines = max(lines, len(pdf.SplitText(c, widths[j]-2)))
		}
		h := float64(lines)*lh + 1
		if _, ph := pdf.GetPageSize(); pdf.GetY()+h > ph-15 {
			pdf.AddPage()
		}
		x, y := pdf.GetXY()
		for j := 0; j < n; j++ {
			c := ""
			if j < len(cells) {
				c = cells[j]
			}
			pdf.Rect(x, y, widths[j], h, "D")
			pdf.SetXY(x+1, y+0.5)
			pdf.MultiCell(widths[j]-2, lh, c, "", "L", false)
			x += widths[j]
		}
		left, _, _, _ := pdf.GetMargins()
		pdf.SetXY(left, y+h)
	}
	row(t.Headers, true)
	if len(t.Rows) == 0 {
		row(make([]string, n), false)
	}
	for _, r := range t.Rows {
		row(r, false)
	}
}

// nfc composes every text of d (NFC): text typed on some systems arrives
// decomposed (a letter, then its marks), which the font would draw as
// loose marks.
func (d Document) nfc() Document {
	n := norm.NFC.String
	d.Authority, d.Place, d.Number, d.Title, d.Subtitle = n(d.Authority), n(d.Place), n(d.Number), n(d.Title), n(d.Subtitle)
	secs := make([]Section, len(d.Sections))
	for i, s := range d.Sections {
		c := Section{Heading: n(s.Heading)}
		for _, f := range s.Fields {
			c.Fields = append(c.Fields, Field{n(f.Label), n(f.Value)})
		}
		for _, l := range s.Lines {
			c.Lines = append(c.Lines, n(l))
		}
		if s.Table != nil {
			t := &Table{}
			for _, h := range s.Table.Headers {
				t.Headers = append(t.Headers, n(h))
			}
			for _, r := range s.Table.Rows {
				row := make([]string, len(r))
				for j, x := range r {
					row[j] = n(x)
				}
				t.Rows = append(t.Rows, row)
			}
			c.Table = t
		}
		secs[i] = c
	}
	d.Sections = secs
	signs := make([]Signature, len(d.Signs))
	for i, s := range d.Signs {
		signs[i] = Signature{n(s.Role), n(s.Name)}
	}
	d.Signs = signs
	return d
}
