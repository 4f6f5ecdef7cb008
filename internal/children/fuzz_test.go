package children

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Any bytes given as a CSV or XLSX file: the reader never panics, and what
// it accepts is valid UTF-8 text (legacy fonts converted, nothing mangled).
func FuzzReadTable(f *testing.F) {
	header := "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân,Mã xã,Nhóm hoàn cảnh đặc biệt,Số điện thoại\n"
	f.Add([]byte(header+"Lò Thị Mai,05/05/2016,Nữ,,00004,d;i,0912345678\n"), false)
	f.Add([]byte("\xef\xbb\xbf"+header+"Nguyễn Văn An,2015,Nam,,00004,a,\n"), false)
	f.Add([]byte("Họ và tên;Ngày sinh;Giới tính;Mã xã\n\"Trần, Thị\";1/2/16;Nữ;00008\n"), false)
	f.Add([]byte("Ho va ten,Ngay sinh\nNguy\xd4n V\xa8n An,2016\n"), false) // TCVN3 typed in Windows-1252
	f.Add([]byte("\"unterminated,quote\n"), false)
	f.Add([]byte{}, false)
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"Họ và tên", "Ngày sinh", "Giới tính", "Mã xã"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"Lò Thị Mai", 42495, "Nữ", "00004"})
	var buf bytes.Buffer
	x.Write(&buf)
	f.Add(buf.Bytes(), true)
	f.Add([]byte("PK\x03\x04 not really a zip"), true)

	f.Fuzz(func(t *testing.T, data []byte, xlsx bool) {
		name := "file.csv"
		if xlsx {
			name = "file.xlsx"
		}
		tb, err := readTable(name, data)
		if err != nil {
			return
		}
		tb.columns()
		for _, h := range tb.header {
			if !utf8.ValidString(h) {
				t.Fatalf("header %q is not valid UTF-8", h)
			}
		}
		for _, r := range tb.rows {
			for _, c := range r.cells {
				if !utf8.ValidString(c) {
					t.Fatalf("line %d: cell %q is not valid UTF-8", r.line, c)
				}
			}
		}
	})
}
