package indicators

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/xuri/excelize/v2"

	"treem/internal/fonts"
	"treem/internal/geo"
)

// Table is a rectangular table for export: a header row and rows of
// cells, each a string or a number (nil is empty).
type Table struct {
	Title   string
	Headers []string
	Rows    [][]any
}

// Neutralise makes text that a spreadsheet would run as a formula (=, +,
// -, @, a tab or carriage return first) plain text, by putting an
// apostrophe first (OWASP's advice on CSV injection).
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return Neutralise(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	}
	return Neutralise(fmt.Sprint(v))
}

// WriteCSV writes the table as CSV (UTF-8 with a byte-order mark, so that
// spreadsheet programs read Vietnamese correctly).
func (t *Table) WriteCSV(w io.Writer) error {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Headers))
	for i, h := range t.Headers {
		head[i] = Neutralise(h)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range t.Rows {
		rec := make([]string, len(r))
		for i, c := range r {
			rec[i] = cellText(c)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes one or more tables as sheets of a workbook. Numbers
// are numbers; text is set as text (never a formula).
func WriteXLSX(w io.Writer, tables ...*Table) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	for i, t := range tables {
		name := sheetName(t.Title, i)
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		row := 1
		if t.Title != "" {
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, []any{excelize.Cell{Value: Neutralise(t.Title), StyleID: bold}}); err != nil {
				return err
			}
			row += 2
		}
		head := make([]any, len(t.Headers))
		for j, h := range t.Headers {
			head[j] = excelize.Cell{Value: Neutralise(h), StyleID: bold}
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := sw.SetRow(cell, head); err != nil {
			return err
		}
		for _, r := range t.Rows {
			row++
			vals := make([]any, len(r))
			for j, c := range r {
				switch x := c.(type) {
				case string:
					vals[j] = Neutralise(x)
				case *float64:
					if x != nil {
						vals[j] = *x
					}
				default:
					vals[j] = c
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, vals); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// sheetName makes a valid, unique sheet name (31 characters, no []:*?/\).
func sheetName(title string, i int) string {
	r := strings.NewReplacer("[", "(", "]", ")", ":", "-", "*", "", "?", "", "/", "-", "\\", "-")
	s := r.Replace(title)
	if s == "" {
		s = "Sheet"
	}
	prefix := strconv.Itoa(i+1) + " "
	rs := []rune(prefix + s)
	if len(rs) > 31 {
		rs = rs[:31]
	}
	return string(rs)
}

// AnswerTable turns an answer into a table: indicator, period, unit,
// the disaggregation's value, numerator, denominator, value.
func AnswerTable(a *Answer, lang string) *Table {
	en := lang == "en"
	h := []string{"Mã chỉ số", "Chỉ số", "Kỳ", "Mã đơn vị", "Đơn vị"}
	if en {
		h = []string{"Indicator code", "Indicator", "Period", "Unit code", "Unit"}
	}
	if a.Disagg != "" {
		h = append(h, a.cat.DimName(a.Disagg, lang))
	}
	if en {
		h = append(h, "Numerator", "Denominator", "Value")
	} else {
		h = append(h, "Tử số", "Mẫu số", "Giá trị")
	}
	t := &Table{Headers: h}
	names := map[string]string{}
	for _, u := range a.Units {
		names[u.Code] = unitName(u, lang)
	}
	for _, r := range a.Rows {
		ind, _ := a.cat.Indicator(r.Indicator)
		p, _ := ParsePeriod(r.Period)
		row := []any{r.Indicator, ind.Name(lang), p.Label(lang), r.Unit, names[r.Unit]}
		if a.Disagg != "" {
			row = append(row, a.cat.DimLabel(a.Disagg, r.Dim, lang))
		}
		var den any
		if ind.Ratio() {
			den = r.Denominator
		}
		row = append(row, r.Numerator, den, r.Value)
		t.Rows = append(t.Rows, row)
	}
	return t
}

func unitName(u geo.Unit, lang string) string {
	if lang == "en" && u.FullNameEn != "" {
		return u.FullNameEn
	}
	return u.FullName
}

// Report is the annual national report: for each indicator published
// yearly, its value in every province and nationally, beside last year.
type Report struct {
	Year     int
	Lang     string
	Sections []ReportSection
	Notes    []Note
	cat      *Catalogue
}

// ReportSection is one indicator's table.
type ReportSection struct {
	Indicator *Indicator
	Rows      []ReportRow // the provinces, then the nation last
}

// ReportRow is a unit's figure this year and last.
type ReportRow struct {
	Unit     geo.Unit
	Value    *float64
	Previous *float64
}

// AnnualReport computes the report for year in lang.
func (e *Engine) AnnualReport(ctx context.Context, year int, lang string) (*Report, error) {
	cat := e.Catalogue()
	var codes []string
	for _, i := range cat.Indicators {
		if i.HasPeriod(Yearly) {
			codes = append(codes, i.Code)
		}
	}
	ps := []Period{{Type: Yearly, Year: year}, {Type: Yearly, Year: year - 1}}
	a, err := e.Query(ctx, Request{Indicators: codes, Periods: ps, Units: []string{"LEVEL-province", Nation}, Lang: lang})
	if err != nil {
		return nil, err
	}
	rep := &Report{Year: year, Lang: lang, Notes: a.Notes, cat: a.cat}
	units := append(e.units.geo.Provinces(), NationUnit(lang))
	for _, code := range codes {
		ind, _ := cat.Indicator(code)
		sec := ReportSection{Indicator: ind}
		for _, u := range units {
			cur, _ := a.Find(code, ps[0].String(), u.Code, "")
			prev, _ := a.Find(code, ps[1].String(), u.Code, "")
			sec.Rows = append(sec.Rows, ReportRow{Unit: u, Value: cur.Value, Previous: prev.Value})
		}
		rep.Sections = append(rep.Sections, sec)
	}
	return rep, nil
}

func (r *Report) t(vi, en string) string {
	if r.Lang == "en" {
		return en
	}
	return vi
}

// Tables returns the report as tables: a summary of national figures,
// then one table per indicator by province.
func (r *Report) Tables() []*Table {
	y, py := strconv.Itoa(r.Year), strconv.Itoa(r.Year-1)
	sum := &Table{Title: r.t("Báo cáo chỉ số trẻ em toàn quốc năm ", "National children's indicators, ") + y,
		Headers: []string{r.t("Mã", "Code"), r.t("Chỉ số", "Indicator"), r.t("Năm ", "") + py, r.t("Năm ", "") + y, r.t("Thay đổi", "Change")}}
	out := []*Table{sum}
	for _, s := range r.Sections {
		nat := s.Rows[len(s.Rows)-1]
		sum.Rows = append(sum.Rows, []any{s.Indicator.Code, s.Indicator.Name(r.Lang), nat.Previous, nat.Value, change(nat.Previous, nat.Value)})
		t := &Table{Title: s.Indicator.Name(r.Lang),
			Headers: []string{r.t("Mã tỉnh", "Province code"), r.t("Tỉnh, thành phố", "Province"), r.t("Năm ", "") + py, r.t("Năm ", "") + y, r.t("Thay đổi", "Change")}}
		for _, row := range s.Rows {
			code := row.Unit.Code
			t.Rows = append(t.Rows, []any{code, unitName(row.Unit, r.Lang), row.Previous, row.Value, change(row.Previous, row.Value)})
		}
		out = append(out, t)
	}
	if len(r.Notes) > 0 {
		nt := &Table{Title: r.t("Ghi chú về đơn vị hành chính cũ", "Notes on old units"), Headers: []string{r.t("Đơn vị", "Unit"), r.t("Ghi chú", "Note")}}
		for _, n := range r.Notes {
			nt.Rows = append(nt.Rows, []any{n.Unit, n.Text})
		}
		out = append(out, nt)
	}
	return out
}

func change(prev, cur *float64) any {
	if prev == nil || cur == nil {
		return nil
	}
	return math.Round((*cur-*prev)*10) / 10
}

// WritePDF writes the report as a PDF in the ministries' shape: a summary
// of national figures against last year, then a table by province for
// each indicator. The font is Noto Sans, embedded, for Vietnamese.
func (r *Report) WritePDF(w io.Writer) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	fonts.AddTo(pdf)
	pdf.SetTitle(r.t("Báo cáo chỉ số trẻ em năm ", "Children's indicators ")+strconv.Itoa(r.Year), true)
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Noto", "", 8)
		pdf.CellFormat(0, 6, fmt.Sprintf("%s %d", r.t("Trang", "Page"), pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	tables := r.Tables()
	for i, t := range tables {
		if i == 0 || i%3 == 1 {
			pdf.AddPage()
		}
		pdf.SetFont("Noto", "B", 12)
		pdf.MultiCell(0, 6, t.Title, "", "L", false)
		pdf.Ln(1)
		widths := []float64{18, 82, 28, 28, 24}
		if len(t.Headers) == 2 {
			widths = []float64{25, 155}
		}
		if i > 0 && len(t.Headers) == 5 {
			widths = []float64{22, 78, 28, 28, 24}
		}
		pdf.SetFont("Noto", "B", 8)
		pdf.SetFillColor(230, 236, 245)
		for j, h := range t.Headers {
			pdf.CellFormat(widths[j], 6, h, "1", 0, "C", true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Noto", "", 8)
		for _, row := range t.Rows {
			if len(t.Headers) == 2 {
				pdf.CellFormat(widths[0], 5, cellPDF(row[0]), "1", 0, "L", false, 0, "")
				pdf.MultiCell(widths[1], 5, cellPDF(row[1]), "1", "L", false)
				continue
			}
			for j, c := range row {
				align := "L"
				if j >= 2 {
					align = "R"
				}
				pdf.CellFormat(widths[j], 5, fit(pdf, cellPDF(c), widths[j]), "1", 0, align, false, 0, "")
			}
			pdf.Ln(-1)
		}
		pdf.Ln(4)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// fit shortens text to a cell's width.
func fit(pdf *fpdf.Fpdf, s string, width float64) string {
	if pdf.GetStringWidth(s) <= width-2 {
		return s
	}
	rs := []rune(s)
	for len(rs) > 1 && pdf.GetStringWidth(string(rs)+"…") > width-2 {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// cellPDF writes a number the Vietnamese way (1.234,5).
func cellPDF(v any) string {
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return "–"
		}
		return FormatNumber(*x)
	case float64:
		return FormatNumber(x)
	case int64:
		return FormatNumber(float64(x))
	case nil:
		return "–"
	}
	return fmt.Sprint(v)
}

// FormatNumber writes a number with dots between thousands and a decimal
// comma, as Vietnamese documents do.
func FormatNumber(v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 {
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
