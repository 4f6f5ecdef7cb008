package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"treem/internal/app"
	"treem/internal/auth"
	"treem/internal/testenv"
)

const header = "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân,Mã xã,Nhóm hoàn cảnh đặc biệt,Số điện thoại\n"

// importFile runs `treem import children FILE args…` against the
// environment's database, as an operator would.
func importFile(t *testing.T, h *testenv.Env, name string, data []byte, args ...string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	argv := append([]string{"import", "children", path}, args...)
	argv = append(argv, "--db", h.DSN, "--key-file", h.KeyFile, "--quiet", "--lang", "en")
	err := app.Run(context.Background(), argv, func(string) string { return "" }, &out, &errOut)
	return out.String(), err
}

// names lists the children an analyst sees, in order.
func names(t *testing.T, h *testenv.Env) []string {
	t.Helper()
	var out struct {
		Data []struct{ Name string }
	}
	h.User(t, auth.Analyst, "").Get(t, "/api/v1/children?limit=200").JSON(t, &out)
	var n []string
	for _, d := range out.Data {
		n = append(n, d.Name)
	}
	return n
}

func TestImportReportsEveryProblemAndImportsNothing(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		file := header +
			"Lò Thị Mai,05/05/2016,Nữ,,00004,a,0912345678\n" +
			"Trần Văn Bình,31/02/2016,Nam,,99999,x,0912\n" +
			"Nguyễn An,2015,Nam,001316012345,00004,,\n" +
			",2015,Nữ,,00004,,\n"
		out, err := importFile(t, h, "ds.csv", []byte(file))
		if err == nil || !strings.Contains(err.Error(), "Nothing imported: 3 of 4 rows") {
			t.Fatalf("want a refusal naming 3 invalid rows of 4, got %v\n%s", err, out)
		}
		for _, want := range []string{
			"Line 3, column “Ngày sinh”: “31/02/2016”: no such day",
			"Line 3, column “Mã xã”: No commune has the current code 99999",
			"Line 3, column “Nhóm hoàn cảnh đặc biệt”: There is no group “x”",
			"Line 3, column “Số điện thoại”: A mobile number has 10 digits",
			"Line 4, column “Số định danh cá nhân”: The number belongs to a girl",
			"Line 5, column “Họ và tên”: Required.",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
		if n := names(t, h); len(n) != 0 {
			t.Fatalf("an invalid file imported %v", n)
		}
	})
}

func TestImportSkipInvalidWritesRejectsAndReimportChangesNothing(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		file := []byte(header +
			"Lò Thị Mai,05/05/2016,Nữ,,00004,a;d,0912345678\n" +
			"Trần Văn Bình,31/02/2016,Nam,,00004,,\n" +
			"Nguyễn An,2015,Nam,,00008,dd,\n")
		rejects := filepath.Join(t.TempDir(), "loi.csv")
		out, err := importFile(t, h, "ds.csv", file, "--skip-invalid", "--rejects", rejects)
		if err != nil || !strings.Contains(out, "3 rows — 2 imported, 0 imported before, 0 possible duplicates, 1 invalid") {
			t.Fatalf("skip-invalid: %v\n%s", err, out)
		}
		raw, err := os.ReadFile(rejects)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][0] != "3" || recs[1][1] != "Trần Văn Bình" ||
			!strings.Contains(recs[1][len(recs[1])-1], "no such day") {
			t.Fatalf("rejects file: %v %q", err, raw)
		}
		before := names(t, h)
		if len(before) != 2 {
			t.Fatalf("imported %v", before)
		}
		// The same file again changes nothing.
		out, err = importFile(t, h, "ds.csv", file, "--skip-invalid")
		if err != nil || !strings.Contains(out, "0 imported, 2 imported before") {
			t.Fatalf("re-import: %v\n%s", err, out)
		}
		if after := names(t, h); strings.Join(after, ",") != strings.Join(before, ",") {
			t.Fatalf("re-import changed the registry: %v → %v", before, after)
		}
		// The running instance learns of the import from the database.
		if _, err := h.App.Children.SyncIndex(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The imported child carries what the file said.
		c := h.User(t, auth.CommuneOfficer, "00004")
		var list struct{ Data []struct{ ID int64 } }
		c.Get(t, "/api/v1/children?q=Lo+Thi+Mai").JSON(t, &list)
		if len(list.Data) != 1 {
			t.Fatalf("search the imported child: %v", list)
		}
		d := c.Get(t, "/api/v1/children/"+itoa(list.Data[0].ID)).Data(t)
		if d["phone"] != "0912345678" || d["dob"] != "2016-05-05" || len(d["groups"].([]any)) != 2 {
			t.Fatalf("imported record: %v", d)
		}
		h.AssertAudited(t, nil, "child.import", "")
	})
}

func TestImportFlagsPossibleDuplicates(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		c := h.User(t, auth.CommuneOfficer, "00004")
		res := c.Post(t, "/api/v1/children", `{"name":"Phạm Thị Hoa","dob":"01/06/2016","sex":"Nữ","commune":"00004","pid":"001316012345"}`)
		if res.Code != 201 {
			t.Fatalf("create: %s", res)
		}
		res = c.Post(t, "/api/v1/children", `{"name":"Đỗ Văn Long","dob":"02/02/2014","sex":"Nam","commune":"00004"}`)
		if res.Code != 201 {
			t.Fatalf("create: %s", res)
		}
		file := header +
			"Pham Thi Hoa Mai,01/06/2016,Nữ,001316012345,00004,,\n" + // same identification number
			"Đỗ Văn Long,02/02/2014,Nam,,00025,,\n" + // same name and date of birth, same province
			"Hà Văn Tú,03/03/2013,Nam,,00004,,\n" +
			"Ha Van Tu,03/03/2013,Nam,,00004,,\n" + // the line before, written differently
			"Lê Thị Na,04/04/2012,Nữ,,00004,,\n"
		out, err := importFile(t, h, "ds.csv", []byte(file))
		if err != nil || !strings.Contains(out, "5 rows — 2 imported, 0 imported before, 3 possible duplicates") {
			t.Fatalf("duplicates: %v\n%s", err, out)
		}
		for _, want := range []string{"Line 2: possible duplicate", "Same identification number", "Line 3: possible duplicate",
			"Line 5: possible duplicate, not imported — Same child as line 4"} {
			if !strings.Contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
		if n := names(t, h); len(n) != 4 {
			t.Fatalf("registry after import: %v", n)
		}
	})
}

func TestImportLegacyFontsAndFileShapes(t *testing.T) {
	h := testenv.New(t)
	latin1 := func(s string) []byte { // the bytes a TCVN3 font's text is stored as
		var b []byte
		for _, r := range s {
			b = append(b, byte(r))
		}
		return b
	}
	tcvn3 := latin1("Hä vµ tªn,Ngµy sinh,Giíi tÝnh,Sè ®Þnh danh c¸ nh©n,M· x·,Nhãm hoµn c¶nh ®Æc biÖt,Sè ®iÖn tho¹i\n" +
		"NguyÔn ThÞ Hång,05/05/2016,N÷,,00004,a,\n" +
		"TrÇn V¨n B×nh,2015,Nam,,00004,d,\n")
	out, err := importFile(t, h, "tcvn3.csv", tcvn3)
	if err != nil || !strings.Contains(out, "2 imported") || !strings.Contains(out, "TCVN3 font was converted") {
		t.Fatalf("TCVN3 file: %v\n%s", err, out)
	}
	vni := "Hoï vaø teân,Ngaøy sinh,Giôùi tính,Soá ñònh danh caù nhaân,Maõ xaõ,Nhoùm hoaøn caûnh ñaëc bieät,Soá ñieän thoaïi\n" +
		"Phaïm Ñöùc Huy,06/06/2015,Nam,,00004,,\n" +
		"Buøi Thò Thuùy,07/07/2014,Nöõ,,00004,,\n"
	out, err = importFile(t, h, "vni.csv", []byte(vni))
	if err != nil || !strings.Contains(out, "2 imported") || !strings.Contains(out, "VNI font was converted") {
		t.Fatalf("VNI file: %v\n%s", err, out)
	}
	semi := "\ufeffHọ và tên;Ngày sinh;Giới tính;Số định danh cá nhân;Mã xã;Nhóm hoàn cảnh đặc biệt;Số điện thoại;Địa chỉ\n" +
		"Hồ Thị Lan;08/08/2013;Nữ;;00008;a,d;0987654321;Số 3, ngõ 4\n"
	out, err = importFile(t, h, "semicolon.csv", []byte(semi))
	if err != nil || !strings.Contains(out, "1 imported") {
		t.Fatalf("semicolon CSV with BOM: %v\n%s", err, out)
	}

	f := excelize.NewFile()
	for i, v := range []any{"Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Mã xã", "Nhóm hoàn cảnh đặc biệt", "Số điện thoại", "Dân tộc"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellValue("Sheet1", cell, v)
	}
	// As spreadsheets store them: a date, numbers that lost their zeros.
	f.SetCellValue("Sheet1", "A2", "Triệu Văn Minh")
	f.SetCellValue("Sheet1", "B2", time.Date(2016, 5, 5, 0, 0, 0, 0, time.UTC))
	f.SetCellValue("Sheet1", "C2", "Nam")
	f.SetCellValue("Sheet1", "D2", 1216012345)
	f.SetCellValue("Sheet1", "E2", 4)
	f.SetCellValue("Sheet1", "F2", "a; dd")
	f.SetCellValue("Sheet1", "G2", 912345678)
	f.SetCellValue("Sheet1", "H2", "Dao")
	var xl bytes.Buffer
	if err := f.Write(&xl); err != nil {
		t.Fatal(err)
	}
	out, err = importFile(t, h, "ds.xlsx", xl.Bytes())
	if err != nil || !strings.Contains(out, "1 imported") {
		t.Fatalf("XLSX: %v\n%s", err, out)
	}

	got := strings.Join(names(t, h), ",")
	for _, want := range []string{"Nguyễn Thị Hồng", "Trần Văn Bình", "Phạm Đức Huy", "Bùi Thị Thúy", "Hồ Thị Lan", "Triệu Văn Minh"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s missing from %s", want, got)
		}
	}
	c := h.User(t, auth.Counsellor, "")
	var list struct{ Data []struct{ ID int64 } }
	c.Get(t, "/api/v1/children?q=001216012345").JSON(t, &list) // identification numbers are looked up in the database
	if len(list.Data) != 1 {
		t.Fatalf("the XLSX child by identification number: %+v", list)
	}
	d := c.Get(t, "/api/v1/children/"+itoa(list.Data[0].ID)).Data(t)
	if d["dob"] != "2016-05-05" || d["commune"] != "00004" || d["phone"] != "0912345678" || d["ethnicity"] != "09" ||
		len(d["groups"].([]any)) != 2 {
		t.Fatalf("XLSX record: %v", d)
	}
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Key rotation re-seals the registry's encrypted fields too: after it, a
// child's phone and notes read back with the new key and none is left on
// the old one.
func TestKeyRotationResealsTheRegistry(t *testing.T) {
	h := testenv.New(t)
	c := h.User(t, auth.CommuneOfficer, "00004")
	res := c.Post(t, "/api/v1/children", `{"name":"Lò Thị Mai","dob":"2016","sex":"Nữ","commune":"00004","phone":"0912345678","notes":"bí mật"}`)
	if res.Code != 201 {
		t.Fatalf("create: %s", res)
	}
	id := itoa(int64(res.Data(t)["id"].(float64)))
	var out, errOut bytes.Buffer
	env := map[string]string{"TREEM_DB": h.DSN, "TREEM_KEY_FILE": h.KeyFile}
	if err := app.Run(context.Background(), []string{"keys", "rotate", "--settle", "0"}, func(k string) string { return env[k] },
		&out, &errOut); err != nil || !strings.Contains(out.String(), "children.phone") {
		t.Fatalf("rotate: %v\n%s%s", err, out.String(), errOut.String())
	}
	fresh := testenv.NewWith(t, testenv.Options{DSN: h.DSN, KeyFile: h.KeyFile})
	d := fresh.User(t, auth.CommuneOfficer, "00004").Get(t, "/api/v1/children/"+id).Data(t)
	if d["phone"] != "0912345678" || d["notes"] != "bí mật" {
		t.Fatalf("after rotation: %v", d)
	}
	if err := app.Run(context.Background(), []string{"keys", "retire"}, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatalf("retire: %v\n%s", err, errOut.String())
	}
}

// The demo seeds a few dozen invented children with groups and help in the
// two demo wards, once: a second start adds nothing.
func TestDemoChildrenAreSeededOnce(t *testing.T) {
	h := testenv.NewWith(t, testenv.Options{Demo: true})
	count := func(e *testenv.Env) (int, int) {
		var out struct{ Total int }
		e.User(t, auth.CommuneOfficer, "00004").Get(t, "/api/v1/children").JSON(t, &out)
		var helped struct{ Total int }
		e.User(t, auth.CommuneOfficer, "00004").Get(t, "/api/v1/children?helped=yes").JSON(t, &helped)
		return out.Total, helped.Total
	}
	n, helped := count(h)
	if n < 10 || helped == 0 || helped == n {
		t.Fatalf("demo children in 00004: %d, helped %d", n, helped)
	}
	again := testenv.NewWith(t, testenv.Options{Demo: true, DSN: h.DSN, KeyFile: h.KeyFile})
	if m, _ := count(again); m != n {
		t.Fatalf("a second demo start made %d children, not %d", m, n)
	}
}
