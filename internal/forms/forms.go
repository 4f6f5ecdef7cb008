// Package forms fills the documents of the case procedure of Nghị định
// 56/2017/NĐ-CP (Điều 26–32): Mẫu số 01 to Mẫu số 07. Each form is a plain
// data struct (MauSo01 … MauSo07) that builds a Document; a Document is
// written as an HTML fragment for a print-friendly page (Fragment) or as a
// PDF with an embedded Unicode font (WritePDF).
//
// The forms are in Vietnamese only: they are legal documents. Their
// headings and fields follow the forms' subject as the decree names it;
// the exact layout of the official annex is not reproduced (UNCONFIRMED),
// so a commune may print them as working copies and sign them.
package forms

import (
	"fmt"
	"strings"
	"time"
)

// Document is a filled form in a neutral shape: a header, a title,
// sections of labelled values, tables and paragraphs, and signatures.
type Document struct {
	No        int    // 1–7
	Authority string // the issuing body, e.g. "ỦY BAN NHÂN DÂN XÃ NGỌC HÀ"
	Place     string // where it is signed, e.g. "Ngọc Hà"
	Date      time.Time
	Number    string // the document's or the case's number
	Title     string
	Subtitle  string
	Sections  []Section
	Signs     []Signature
}

// Section is a numbered part of a form.
type Section struct {
	Heading string
	Fields  []Field
	Table   *Table
	Lines   []string // paragraphs or list items
}

// Field is one labelled value; an empty value prints a dotted line to fill
// by hand.
type Field struct {
	Label string
	Value string
}

// Table is a grid with a header row.
type Table struct {
	Headers []string
	Rows    [][]string
}

// Signature is a signing block.
type Signature struct {
	Role string // "NGƯỜI TIẾP NHẬN", "CHỦ TỊCH"
	Name string
}

// Code is the form's name, "Mẫu số 01".
func (d Document) Code() string { return fmt.Sprintf("Mẫu số %02d", d.No) }

// Numbers are the forms there are.
var Numbers = []int{1, 2, 3, 4, 5, 6, 7}

// Titles name each form (Nghị định 56/2017/NĐ-CP, Phụ lục).
var Titles = map[int]string{
	1: "Phiếu tiếp nhận thông tin, thông báo, tố giác về hành vi xâm hại trẻ em",
	2: "Báo cáo đánh giá nguy cơ ban đầu",
	3: "Báo cáo thu thập thông tin, đánh giá nguy cơ và nhu cầu của trẻ em",
	4: "Kế hoạch hỗ trợ, can thiệp",
	5: "Quyết định phê duyệt kế hoạch hỗ trợ, can thiệp",
	6: "Báo cáo rà soát, đánh giá việc thực hiện kế hoạch hỗ trợ, can thiệp",
	7: "Quyết định áp dụng biện pháp can thiệp khẩn cấp hoặc tạm thời cách ly trẻ em",
}

// Child is the child a form is about.
type Child struct {
	Name      string
	DOB       string // as written: dd/mm/yyyy, or a year
	Sex       string // Nam, Nữ
	PID       string
	Ethnicity string
	Address   string
	Caregiver string // name and relation
	Phone     string
}

// Header is what every form starts with.
type Header struct {
	Authority  string // e.g. "ỦY BAN NHÂN DÂN XÃ NGỌC HÀ"
	Place      string // the commune's name, for "…, ngày … tháng … năm …"
	Date       time.Time
	CaseNumber string
}

func (h Header) doc(no int) Document {
	return Document{No: no, Authority: h.Authority, Place: h.Place, Date: h.Date, Number: h.CaseNumber,
		Title: strings.ToUpper(Titles[no])}
}

// childSection describes the children of a case.
func childSection(heading string, kids []Child) Section {
	s := Section{Heading: heading}
	if len(kids) == 0 {
		s.Fields = []Field{{"Họ và tên", ""}, {"Ngày sinh", ""}, {"Giới tính", ""}, {"Địa chỉ", ""}}
		return s
	}
	s.Table = &Table{Headers: []string{"Họ và tên", "Ngày sinh", "Giới tính", "Số định danh", "Dân tộc", "Nơi ở", "Người chăm sóc"}}
	for _, c := range kids {
		s.Table.Rows = append(s.Table.Rows, []string{c.Name, c.DOB, c.Sex, c.PID, c.Ethnicity, c.Address, c.Caregiver})
	}
	return s
}

// day writes a date the Vietnamese way, "" for none.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vnTime).Format("02/01/2006")
}

// clock writes a date and time, "" for none.
func clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vnTime).Format("15:04 02/01/2006")
}

// vnTime is Vietnam's time (UTC+7, no daylight saving).
var vnTime = time.FixedZone("ICT", 7*3600)

// dateLine is "Ngọc Hà, ngày 27 tháng 11 năm 2026".
func (d Document) dateLine() string {
	place := d.Place
	if place == "" {
		place = "……………"
	}
	if d.Date.IsZero() {
		return place + ", ngày …… tháng …… năm ……"
	}
	t := d.Date.In(vnTime)
	return fmt.Sprintf("%s, ngày %02d tháng %02d năm %d", place, t.Day(), int(t.Month()), t.Year())
}

// yesNo writes a boolean as the forms do.
func yesNo(b bool) string {
	if b {
		return "Có"
	}
	return "Không"
}

// lines drops empty entries.
func lines(xs ...string) []string {
	var out []string
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return out
}
