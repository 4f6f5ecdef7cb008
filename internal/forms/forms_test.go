package forms_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"treem/internal/forms"
	"treem/internal/forms/pdftext"
)

var (
	at    = time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC) // 08:30 in Hà Nội
	nhung = forms.Child{Name: "Nguyễn Thị Hồng Nhung", DOB: "05/05/2016", Sex: "Nữ", Address: "Thôn Đông, xã Ngọc Hà",
		Caregiver: "Trần Văn Đức (bố)"}
	head = forms.Header{Authority: "ỦY BAN NHÂN DÂN XÃ NGỌC HÀ", Place: "Ngọc Hà", Date: at, CaseNumber: "00004-2026-000123"}
)

// every is one filled example of each form.
func every() []forms.Form {
	factors := []forms.RiskFactor{{Factor: "Mức độ nghiêm trọng của tổn hại", Level: "Cao", Note: "Vết bầm ở tay"}}
	return []forms.Form{
		forms.MauSo01{Header: head, ReceivedAt: at, Channel: "Tổng đài 111", Receiver: forms.Person{Name: "Lê Thị Hương", Position: "Cán bộ xã"},
			Reporter: forms.Person{Name: "Phạm Quốc Việt", Position: "Hàng xóm"}, Children: []forms.Child{nhung},
			AbuseForms: []string{"Bạo lực"}, Description: "Trẻ bị đánh nhiều lần, hàng xóm nghe tiếng khóc."},
		forms.MauSo02{Header: head, AssessedAt: at, Assessors: []forms.Person{{Name: "Lê Thị Hương"}}, Children: []forms.Child{nhung},
			Factors: factors, Risk: "Cao", Emergency: true},
		forms.MauSo03{Header: head, Children: []forms.Child{nhung}, Needs: []string{"Chăm sóc y tế", "Hỗ trợ tâm lý"}, Risk: "Trung bình"},
		forms.MauSo04{Header: head, Children: []forms.Child{nhung}, Goals: []string{"Trẻ được an toàn tại nhà"},
			Measures: []forms.Measure{{What: "Khám sức khỏe", Responsible: "Lê Thị Hương", Partner: "Trạm y tế xã", From: "28/11/2026", To: "05/12/2026"}}},
		forms.MauSo05{Header: head, Chairman: "Hoàng Minh Tuấn", Commune: "xã Ngọc Hà", Children: []forms.Child{nhung}},
		forms.MauSo06{Header: head, Children: []forms.Child{nhung}, Results: []forms.Measure{{What: "Khám sức khỏe", Result: "Đã khám"}}, Close: true, Reason: "Trẻ đã an toàn, ổn định"},
		forms.MauSo07{Header: head, Chairman: "Hoàng Minh Tuấn", Commune: "xã Ngọc Hà", Children: []forms.Child{nhung}, Separation: true,
			CarePlace: "Nhà bà ngoại", Duration: "15 ngày"},
	}
}

func TestEveryFormPrintsTheChildsNameInHTMLAndPDF(t *testing.T) {
	for i, f := range every() {
		d := f.Document()
		if d.No != i+1 {
			t.Fatalf("form %d builds Mẫu số %02d", i+1, d.No)
		}
		t.Run(d.Code(), func(t *testing.T) {
			html, err := forms.Fragment(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Nguyễn Thị Hồng Nhung", d.Code(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Ngọc Hà, ngày 27 tháng 11 năm 2026"} {
				if !strings.Contains(string(html), want) {
					t.Errorf("the page of %s lacks %q", d.Code(), want)
				}
			}
			if strings.Contains(string(html), "style=") || strings.Contains(string(html), "<script") {
				t.Errorf("%s has inline style or script, which the CSP refuses", d.Code())
			}
			var buf bytes.Buffer
			if err := forms.WritePDF(&buf, d); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
				t.Fatalf("not a PDF: %.20q", buf.Bytes())
			}
			text, err := pdftext.Flat(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Nguyễn Thị Hồng Nhung", "Độc lập - Tự do - Hạnh phúc", d.Code(), "Ngọc Hà, ngày 27 tháng 11 năm 2026"} {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF text of %s lacks %q; it reads:\n%s", d.Code(), want, text)
				}
			}
			missing, err := pdftext.Unmapped(buf.Bytes(), "Nguyễn Thị Hồng Nhung ỦY BAN NHÂN DÂN Độc lập")
			if err != nil || len(missing) > 0 {
				t.Errorf("the embedded font lacks glyphs for %q (%v)", string(missing), err)
			}
			if !bytes.Contains(buf.Bytes(), []byte("/ToUnicode")) || !bytes.Contains(buf.Bytes(), []byte("/FontFile2")) {
				t.Errorf("%s: the font is not embedded with a ToUnicode map", d.Code())
			}
		})
	}
}

func TestDecomposedTextIsComposedInThePDF(t *testing.T) {
	kid := nhung
	kid.Name = norm.NFD.String("Nguyễn Thị Hồng Nhung")
	var buf bytes.Buffer
	if err := forms.WritePDF(&buf, forms.MauSo04{Header: head, Children: []forms.Child{kid}}.Document()); err != nil {
		t.Fatal(err)
	}
	text, _ := pdftext.Flat(buf.Bytes())
	if !strings.Contains(text, "Nguyễn Thị Hồng Nhung") {
		t.Errorf("a name typed decomposed (NFD) did not come out composed: %s", text)
	}
}

func TestAnEmptyFormLeavesLinesToFillByHand(t *testing.T) {
	html, err := forms.Fragment(forms.MauSo01{}.Document())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "gov-blank") || !strings.Contains(string(html), "ngày …… tháng …… năm ……") {
		t.Errorf("an empty Mẫu số 01 has no blanks to fill: %s", html)
	}
}
