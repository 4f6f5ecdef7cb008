package web_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"treem/internal/auth"
	"treem/internal/testenv"
)

func TestChildPagesRenderInBothLanguages(t *testing.T) {
	h := testenv.New(t)
	officer := h.User(t, auth.CommuneOfficer, "00004")
	id := createChild(t, officer, `{"name":"Lò Thị Mai","dob":"05/05/2016","sex":"Nữ","commune":"00004","groups":["a",{"code":"l","subgroup":"l4"}],
		"caregivers":[{"name":"Lò Văn Páo","relation":"father","phone":"0912345678"}],"risks":["bo_hoc"],"school_status":"in_school",
		"disability_type":"vision","disability_level":"mild","insurance_card":"TE1790123456789","notes":"Ở với bố."}`)
	officer.Patch(t, "/api/v1/children/"+id, `{"version":1,"address":"Số 5, ngõ 12","groups":["l"]}`)
	officer.Post(t, "/api/v1/children/"+id+"/supports", `{"kind":"education","date":"01/09/2026","amount_vnd":1500000,"provider":"Trường Tiểu học Ba Đình"}`)
	b := h.Browser(t)
	b.Login(t, officer.Username, testenv.Password)
	for _, lang := range []string{"vi", "en"} {
		b.PostForm(t, "/lang", url.Values{"lang": {lang}, "next": {"/"}})
		for _, p := range []string{"/", "/children", "/children?q=mai&group=l&age=6-10&helped=yes", "/children/" + id,
			"/children/new", "/children/" + id + "/edit", "/children/import"} {
			res := b.Get(t, p)
			body := string(res.Body)
			if res.Code != http.StatusOK {
				t.Fatalf("%s %s: %d %s", lang, p, res.Code, body)
			}
			if i := strings.Index(body, "⟦"); i >= 0 {
				t.Errorf("%s %s: missing translation near %q", lang, p, body[i:min(len(body), i+60)])
			}
		}
	}
}

// multipart builds an upload form with one file.
func multipartFile(t *testing.T, name string, data []byte, fields map[string]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// waitImport polls an import's status page until it has finished.
func waitImport(t *testing.T, h *testenv.Env, c *testenv.Client, id string) map[string]any {
	t.Helper()
	for i := 0; i < 200; i++ {
		d := c.Get(t, "/api/v1/children/imports/"+id).Data(t)
		if d["state"] != "running" {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("import %s did not finish", id)
	return nil
}

func TestUploadAnImportAndWatchItsProgress(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		file := "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân,Mã xã,Nhóm hoàn cảnh đặc biệt,Số điện thoại\n" +
			"Lò Thị Mai,05/05/2016,Nữ,,00004,a,\n" +
			"Lò Văn Páo,06/06/2015,Nam,,00008,a,\n" // another commune: not the officer's to import

		// The page: upload, then a status page that refreshes itself.
		b := h.Browser(t)
		b.Login(t, officer.Username, testenv.Password)
		ct, body := multipartFile(t, "ds.csv", []byte(file), nil)
		res := b.Do(t, http.MethodPost, "/children/import", bytes.NewReader(body), http.Header{"Content-Type": {ct},
			"Origin": {h.URL}, "Sec-Fetch-Site": {"same-origin"}})
		if res.Code != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "/children/import?id=") {
			t.Fatalf("upload: %s", res)
		}
		id := strings.TrimPrefix(res.Header.Get("Location"), "/children/import?id=")
		d := waitImport(t, h, officer, id)
		if d["state"] != "rejected" || d["invalid"] != float64(1) {
			t.Fatalf("an upload with a row outside the unit: %v", d)
		}
		page := string(b.Get(t, "/children/import?id="+id).Body)
		if !strings.Contains(page, "Không nhập dòng nào") || !strings.Contains(page, "00008") {
			t.Fatalf("status page does not explain the refusal:\n%s", page)
		}

		// The API: the same file with skip_invalid.
		res = officer.Do(t, http.MethodPost, "/api/v1/children/imports?name=ds.csv&skip_invalid=1", strings.NewReader(file),
			http.Header{"Content-Type": {"text/csv"}})
		if res.Code != http.StatusAccepted {
			t.Fatalf("API upload: %s", res)
		}
		id = fmt.Sprint(res.Data(t)["id"])
		d = waitImport(t, h, officer, id)
		if d["state"] != "done" || d["imported"] != float64(1) || d["invalid"] != float64(1) {
			t.Fatalf("API import: %v", d)
		}
		rej := b.Get(t, "/children/import/rejects.csv?id="+id)
		if rej.Code != http.StatusOK || !strings.Contains(string(rej.Body), "Lò Văn Páo") {
			t.Fatalf("rejects download: %s", rej)
		}
		h.AssertAudited(t, officer, "children.import.rejects", id)
		// Someone else's import is not theirs to see.
		if res := h.User(t, auth.CommuneOfficer, "00004").Get(t, "/api/v1/children/imports/"+id); res.Code != http.StatusNotFound {
			t.Fatalf("another officer read the import: %s", res)
		}
	})
}

func TestExportNeutralisesFormulasAndIsAudited(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		createChild(t, officer, `{"name":"Lò Thị Mai","dob":"05/05/2016","sex":"Nữ","commune":"00004","address":"=HYPERLINK(\"http://x\")","groups":["a"],"pid":"001316012345"}`)
		createChild(t, officer, `{"name":"Đỗ An","dob":"2014","sex":"Nam","commune":"00004","address":"@SUM(1)","notes":"bí mật"}`)

		res := officer.Get(t, "/api/v1/children/export?format=csv&group=a")
		if res.Code != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV export: %s", res)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("CSV: %v %s", err, res.Body)
		}
		row := strings.Join(recs[1], "|")
		if !strings.Contains(row, `'=HYPERLINK`) || !strings.Contains(row, "001316012345") || !strings.Contains(row, "Lò Thị Mai") {
			t.Fatalf("CSV row: %s", row)
		}
		h.AssertAudited(t, officer, "children.export", "")

		res = officer.Get(t, "/api/v1/children/export?format=xlsx")
		if res.Code != http.StatusOK {
			t.Fatalf("XLSX export: %s", res)
		}
		f, err := excelize.OpenReader(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("Sheet1")
		if len(rows) != 3 {
			t.Fatalf("XLSX rows: %v", rows)
		}
		all := fmt.Sprint(rows)
		if !strings.Contains(all, "'@SUM(1)") || !strings.Contains(all, "'=HYPERLINK") || strings.Contains(all, "bí mật") {
			t.Fatalf("XLSX cells: %v", rows)
		}
		// The audit entry holds the filter and the count, not the data.
		var out struct {
			Data []struct{ Detail string }
		}
		h.User(t, auth.Admin, "").Get(t, "/api/v1/audit?action=children.export").JSON(t, &out)
		if len(out.Data) != 2 || !strings.Contains(out.Data[1].Detail, "rows=1") || !strings.Contains(out.Data[1].Detail, "group=a") {
			t.Fatalf("audit of exports: %+v", out.Data)
		}
		if res := h.User(t, auth.Counsellor, "").Get(t, "/api/v1/children/export"); res.Code != http.StatusForbidden {
			t.Fatalf("counsellor exported: %d", res.Code)
		}
	})
}

func TestCreateFormSearchesBeforeCreating(t *testing.T) {
	h := testenv.New(t)
	officer := h.User(t, auth.CommuneOfficer, "00004")
	id := createChild(t, officer, `{"name":"Nguyễn Thị Lan","dob":"01/01/2016","sex":"Nữ","commune":"00004"}`)
	b := h.Browser(t)
	b.Login(t, officer.Username, testenv.Password)
	form := url.Values{"name": {"Nguyen Thi Lan"}, "dob": {"01/01/2016"}, "sex": {"Nữ"}, "commune": {"00004"}}

	// Without a script: the first submit shows the possible match and asks.
	res := b.PostForm(t, "/children", form)
	if res.Code != http.StatusOK || !strings.Contains(string(res.Body), "/children/"+id) || !strings.Contains(string(res.Body), `name="confirmed"`) {
		t.Fatalf("first submit should show the match: %d %s", res.Code, res.Body)
	}
	// The script asks for the same as the officer types.
	res = b.PostForm(t, "/children/match", url.Values{"name": {"nguyen thi lan"}, "dob": {"2016"}})
	if !strings.Contains(string(res.Body), "/children/"+id) || strings.Contains(string(res.Body), "<html") {
		t.Fatalf("match fragment: %s", res.Body)
	}
	// Confirmed: created.
	form.Set("confirmed", "1")
	res = b.PostForm(t, "/children", form)
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/children/") {
		t.Fatalf("confirmed create: %s", res)
	}
	// Problems come back on the form, each with its field.
	res = b.PostForm(t, "/children", url.Values{"name": {""}, "dob": {"32/01/2016"}, "sex": {""}, "commune": {"12"}, "cg0_phone": {"123"}})
	page := string(res.Body)
	if res.Code != http.StatusBadRequest || !strings.Contains(page, "error-summary") || !strings.Contains(page, `href="#f-dob"`) ||
		!strings.Contains(page, `href="#f-cg0_phone"`) || !strings.Contains(page, `id="f-name"`) {
		t.Fatalf("form with problems: %d\n%s", res.Code, page)
	}
	// An edit made on an old version is refused with a clear message.
	officer.Patch(t, "/api/v1/children/"+id, `{"version":1,"address":"Ngõ 1"}`)
	res = b.PostForm(t, "/children/"+id, url.Values{"version": {"1"}, "name": {"Nguyễn Thị Lan"}, "dob": {"01/01/2016"},
		"sex": {"Nữ"}, "commune": {"00004"}})
	if res.Code != http.StatusConflict || !strings.Contains(string(res.Body), "phiên bản 2") {
		t.Fatalf("stale edit: %d %s", res.Code, res.Body)
	}
	// Help is recorded from the child's page.
	res = b.PostForm(t, "/children/"+id+"/supports", url.Values{"kind": {"education"}, "date": {"02/02/2026"}, "amount_vnd": {"1.500.000"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("support form: %s", res)
	}
	if page := string(b.Get(t, "/children/"+id).Body); !strings.Contains(page, "1.500.000 ₫") {
		t.Fatal("the child page does not show the support")
	}
	h.AssertAudited(t, nil, "child.read", id)
}
