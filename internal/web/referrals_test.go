package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/config"
	"treem/internal/errs"
	"treem/internal/forms/pdftext"
	"treem/internal/testenv"
)

// openCaseFor opens a case in the officer's commune about one new child and
// returns the case id and the child's id.
func openCaseFor(t *testing.T, h *testenv.Env, officer *testenv.Client, child cases.ChildRef, mutate ...func(*cases.NewCase)) (int64, int64) {
	t.Helper()
	p := &auth.Principal{UserID: officer.UserID, Username: officer.Username, Role: officer.Role, Unit: officer.Unit,
		Province: h.App.Web.Units.ProvinceOf(officer.Unit)}
	in := cases.NewCase{Commune: officer.Unit, Children: []cases.ChildRef{child}, Source: "hotline",
		Summary: "Hàng xóm báo trẻ bị đánh nhiều lần.", AbuseForms: []string{"bao_luc"}, Risk: "medium",
		Reporter: &cases.Reporter{Name: "Phạm Quốc Việt", Relation: "neighbour", Phone: "0912345678"}}
	for _, m := range mutate {
		m(&in)
	}
	ctx := auth.With(audit.WithActor(context.Background(), p.Actor("test")), p)
	c, err := h.App.Web.Cases.Create(ctx, p, in)
	if err != nil {
		t.Fatalf("open a case: %v", err)
	}
	if len(c.Children) != 1 {
		t.Fatalf("the case has %d children", len(c.Children))
	}
	return c.ID, c.Children[0]
}

func idOf(t *testing.T, res *testenv.Response) string {
	t.Helper()
	return fmt.Sprint(int64(res.Data(t)["id"].(float64)))
}

func TestAReferralGoesFromRequestToDoneAndTheHelpIsRecorded(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		po := h.User(t, auth.ProvinceOfficer, "01")
		staff := h.User(t, auth.Provider, "01")
		otherStaff := h.User(t, auth.Provider, "01")
		stranger := h.User(t, auth.CommuneOfficer, "25747")
		clinic := createProvider(t, po, `{"name":"Trạm y tế phường Ba Đình","kind":"health","unit":"00004","contacts":[{"name":"Trực","phone":"024 3823 0000"}]}`)
		other := createProvider(t, po, `{"name":"Trung tâm Công tác xã hội","kind":"social_work","unit":"01"}`)
		far := createProvider(t, h.User(t, auth.ProvinceOfficer, "79"), `{"name":"Bệnh viện Nhi Đồng 1","kind":"health","unit":"79"}`)
		for who, pid := range map[*testenv.Client]string{staff: clinic, otherStaff: other} {
			if res := po.Post(t, "/api/v1/providers/"+pid+"/users", fmt.Sprintf(`{"user_id":%d}`, who.UserID)); res.Code != http.StatusOK {
				t.Fatalf("link: %s", res)
			}
		}
		caseID, childID := openCaseFor(t, h, officer, cases.ChildRef{Name: "Nguyễn Thị Hồng Nhung", DOB: "05/05/2016", Sex: "Nữ"})
		cid := strconv.FormatInt(caseID, 10)

		// Only active providers of the case's province.
		if res := officer.Post(t, "/api/v1/cases/"+cid+"/referrals", `{"provider_id":`+far+`}`); res.Code != http.StatusBadRequest {
			t.Errorf("referred to another province's provider: %s", res)
		}
		res := officer.Post(t, "/api/v1/cases/"+cid+"/referrals", `{"provider_id":`+clinic+`,"note":"Khám vết bầm ở tay, cấp giấy chứng nhận thương tích."}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("refer: %s", res)
		}
		d := res.Data(t)
		rid := idOf(t, res)
		if d["state"] != "requested" || d["service"] != "health_care" || fmt.Sprint(d["allowed"]) != "[accepted declined]" {
			t.Errorf("a new referral: %v", d)
		}
		h.AssertAudited(t, officer, "referral.create", rid)
		if res := stranger.Post(t, "/api/v1/cases/"+cid+"/referrals", `{"provider_id":`+clinic+`}`); res.Code != http.StatusNotFound {
			t.Errorf("an officer of another commune referred the case: %d", res.Code)
		}

		// The provider's staff see the child's identity and the referral, nothing of the case.
		res = staff.Get(t, "/api/v1/referrals/"+rid)
		if res.Code != http.StatusOK {
			t.Fatalf("the provider reads its referral: %s", res)
		}
		got := res.Data(t)
		child := got["child"].(map[string]any)
		if child["name"] != "Nguyễn Thị Hồng Nhung" || child["dob"] != "2016-05-05" || child["sex"] != "female" {
			t.Errorf("the provider sees the child as %v", child)
		}
		if got["case_id"] != nil || got["case_number"] != nil || bytes.Contains(res.Body, []byte("đánh nhiều lần")) || bytes.Contains(res.Body, []byte("Phạm Quốc Việt")) {
			t.Errorf("the provider sees the case: %s", res.Body)
		}
		if len(child) != 4 {
			t.Errorf("the provider sees more of the child than name, date of birth and sex: %v", child)
		}
		for path, who := range map[string]*testenv.Client{"/api/v1/cases/" + cid: staff, "/api/v1/children/" + strconv.FormatInt(childID, 10): staff,
			"/api/v1/cases/" + cid + "/referrals": staff, "/api/v1/cases/" + cid + "/attachments": staff} {
			if res := who.Get(t, path); res.Code != http.StatusForbidden && res.Code != http.StatusNotFound {
				t.Errorf("a provider's staff read %s: %d", path, res.Code)
			}
		}
		// The case service itself answers 404 to a provider, even the one
		// the case was referred to.
		pp := &auth.Principal{UserID: staff.UserID, Username: staff.Username, Role: auth.Provider, Unit: "01", Province: "01"}
		if _, err := h.App.Web.Cases.Get(auth.With(context.Background(), pp), pp, caseID); !errs.Is(err, http.StatusNotFound) {
			t.Errorf("cases.Get for the referred provider's staff: %v, want 404", err)
		}
		if res := otherStaff.Get(t, "/api/v1/referrals/"+rid); res.Code != http.StatusNotFound {
			t.Errorf("another provider's staff read the referral: %d", res.Code)
		}
		var inbox struct {
			Data  []map[string]any
			Total int
		}
		staff.Get(t, "/api/v1/referrals").JSON(t, &inbox)
		if inbox.Total != 1 {
			t.Errorf("the provider's inbox has %d referrals", inbox.Total)
		}
		otherStaff.Get(t, "/api/v1/referrals").JSON(t, &inbox)
		if inbox.Total != 0 {
			t.Errorf("another provider's inbox has %d referrals", inbox.Total)
		}

		// requested → accepted → delivered → done.
		if res := staff.Post(t, "/api/v1/referrals/"+rid+"/transitions", `{"to":"done","version":1}`); res.Code != http.StatusConflict {
			t.Errorf("skipped to done: %s", res)
		} else if !strings.Contains(string(res.Body), `"allowed":["accepted","declined"]`) {
			t.Errorf("an illegal move does not list the allowed ones: %s", res.Body)
		}
		if res := staff.Post(t, "/api/v1/referrals/"+rid+"/transitions", `{"to":"accepted","version":1,"note":"Mời đến khám sáng thứ Hai."}`); res.Code != http.StatusOK {
			t.Fatalf("accept: %s", res)
		}
		if res := staff.Post(t, "/api/v1/referrals/"+rid+"/transitions", `{"to":"delivered","version":1}`); res.Code != http.StatusConflict {
			t.Errorf("a stale version: %d", res.Code)
		}
		res = staff.Post(t, "/api/v1/referrals/"+rid+"/transitions", `{"to":"delivered","version":2,"date":"27/11/2026","note":"Đã khám, cấp giấy chứng nhận."}`)
		if res.Code != http.StatusOK {
			t.Fatalf("deliver: %s", res)
		}
		d = res.Data(t)
		if d["state"] != "delivered" || d["delivered_on"] != "2026-11-27" || d["support_id"] == nil || fmt.Sprint(d["allowed"]) != "[]" {
			t.Errorf("delivered: %v", d)
		}
		h.AssertAudited(t, staff, "referral.delivered", rid)
		h.AssertAudited(t, staff, "support.create", strconv.FormatInt(childID, 10))
		// The help is on the child's registry record.
		kid := officer.Get(t, "/api/v1/children/"+strconv.FormatInt(childID, 10))
		if !strings.Contains(string(kid.Body), `"kind":"health_care"`) || !strings.Contains(string(kid.Body), "Trạm y tế phường Ba Đình") {
			t.Errorf("the delivered service is not on the child's record: %s", kid.Body)
		}
		if res := staff.Post(t, "/api/v1/referrals/"+rid+"/transitions", `{"to":"done","version":3}`); res.Code != http.StatusConflict {
			t.Errorf("the provider closed the referral: %d", res.Code)
		}
		res = officer.Post(t, "/api/v1/referrals/"+rid+"/transitions", `{"to":"done","version":3}`)
		if res.Code != http.StatusOK || res.Data(t)["state"] != "done" {
			t.Fatalf("done: %s", res)
		}

		// The case's timeline has every step.
		var list struct{ Data []map[string]any }
		officer.Get(t, "/api/v1/cases/"+cid+"/referrals").JSON(t, &list)
		if len(list.Data) != 1 || list.Data[0]["state"] != "done" {
			t.Errorf("the case's referrals: %v", list.Data)
		}
		tl := caseEvents(t, h, caseID)
		for _, kind := range []string{"referral.requested", "referral.accepted", "referral.delivered", "referral.done"} {
			if !strings.Contains(tl, kind) {
				t.Errorf("the case's timeline lacks %s: %s", kind, tl)
			}
		}

		// A decline needs a reason.
		res = officer.Post(t, "/api/v1/cases/"+cid+"/referrals", `{"provider_id":`+other+`}`)
		rid2 := idOf(t, res)
		if res := otherStaff.Post(t, "/api/v1/referrals/"+rid2+"/transitions", `{"to":"declined","version":1}`); res.Code != http.StatusBadRequest {
			t.Errorf("declined without a reason: %d", res.Code)
		}
		if res := otherStaff.Post(t, "/api/v1/referrals/"+rid2+"/transitions", `{"to":"declined","version":1,"note":"Quá tải, đề nghị chuyển nơi khác."}`); res.Code != http.StatusOK {
			t.Errorf("decline: %s", res)
		}
	})
}

// caseEvents is the case's timeline kinds, read from the database.
func caseEvents(t *testing.T, h *testenv.Env, caseID int64) string {
	t.Helper()
	rows, err := h.App.DB.Read().QueryContext(context.Background(), `SELECT kind FROM case_events WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var kinds []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		kinds = append(kinds, k)
	}
	return strings.Join(kinds, " ")
}

func TestTheProviderWorksFromItsInboxPage(t *testing.T) {
	h := testenv.New(t)
	officer := h.User(t, auth.CommuneOfficer, "00004")
	po := h.User(t, auth.ProvinceOfficer, "01")
	staff := h.User(t, auth.Provider, "01")
	clinic := createProvider(t, po, `{"name":"Trạm y tế phường Ba Đình","kind":"health","unit":"00004"}`)
	po.Post(t, "/api/v1/providers/"+clinic+"/users", fmt.Sprintf(`{"user_id":%d}`, staff.UserID))
	caseID, _ := openCaseFor(t, h, officer, cases.ChildRef{Name: "Lò Văn Páo", DOB: "2015", Sex: "Nam"})
	rid := idOf(t, officer.Post(t, fmt.Sprintf("/api/v1/cases/%d/referrals", caseID), `{"provider_id":`+clinic+`}`))

	b := h.Browser(t)
	b.Login(t, staff.Username, testenv.Password)
	page := b.Get(t, "/referrals")
	if page.Code != http.StatusOK || !strings.Contains(string(page.Body), "Lò Văn Páo") || !strings.Contains(string(page.Body), "/referrals/"+rid) {
		t.Fatalf("the inbox page: %d", page.Code)
	}
	res := b.PostForm(t, "/referrals/"+rid, url.Values{"to": {"accepted"}, "version": {"1"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("accept from the page: %s", res)
	}
	page = b.Get(t, "/referrals/"+rid)
	if !strings.Contains(string(page.Body), "Đã nhận") || !strings.Contains(string(page.Body), `value="delivered"`) {
		t.Errorf("the referral page after accepting: %s", page.Body)
	}
	res = b.PostForm(t, "/referrals/"+rid, url.Values{"to": {"delivered"}, "version": {"2"}, "date": {"01/01/2030"}})
	if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), "tương lai") {
		t.Errorf("a delivery in the future: %d", res.Code)
	}
}

// Smallest valid files of each type, and a fake.
var (
	jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{0x42}, 200)...)
	png  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)
	pdf  = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	webp = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{1}, 40)...)
)

func TestAttachmentsAreSealedTypedByContentAndBounded(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		stranger := h.User(t, auth.CommuneOfficer, "25747")
		staff := h.User(t, auth.Provider, "00004")
		caseID, _ := openCaseFor(t, h, officer, cases.ChildRef{Name: "Hà Thị Lan", DOB: "2014", Sex: "Nữ"})
		base := fmt.Sprintf("/api/v1/cases/%d/attachments", caseID)

		upload := func(c *testenv.Client, name, claimed string, body []byte) *testenv.Response {
			return c.Do(t, http.MethodPost, base+"?name="+url.QueryEscape(name), bytes.NewReader(body), http.Header{"Content-Type": {claimed}})
		}
		res := upload(officer, "ảnh vết thương.jpg", "application/octet-stream", jpeg)
		if res.Code != http.StatusCreated || res.Data(t)["mime"] != "image/jpeg" {
			t.Fatalf("upload a JPEG: %s", res)
		}
		aid := idOf(t, res)
		h.AssertAudited(t, officer, "attachment.create", aid)
		for name, body := range map[string][]byte{"a.png": png, "thư.pdf": pdf, "b.webp": webp} {
			if res := upload(officer, name, "image/jpeg", body); res.Code != http.StatusCreated {
				t.Errorf("upload %s: %s", name, res)
			}
		}
		// A script that claims to be a JPEG is refused by its content.
		res = upload(officer, "x.jpg", "image/jpeg", []byte("<script>alert(1)</script>"))
		if res.Code != http.StatusUnsupportedMediaType {
			t.Errorf("a fake JPEG: %d, want 415", res.Code)
		}
		if _, msg, _ := res.Error(t); !strings.Contains(msg, "JPEG, PNG, WebP") {
			t.Errorf("the 415 does not say what is accepted: %q", msg)
		}
		officer.Lang = "en"
		res = upload(officer, "big.pdf", "application/pdf", append([]byte("%PDF-"), make([]byte, 10<<20)...))
		officer.Lang = ""
		if res.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("an 11 MiB file: %d, want 413", res.Code)
		} else if _, msg, _ := res.Error(t); msg != "The file is too large: at most 10 MiB." {
			t.Errorf("the 413 says %q", msg)
		}
		// Multipart, as a browser sends it.
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		fw, _ := mw.CreateFormFile("file", "biên bản.pdf")
		fw.Write(pdf)
		mw.Close()
		if res := officer.Do(t, http.MethodPost, base, &mp, http.Header{"Content-Type": {mw.FormDataContentType()}}); res.Code != http.StatusCreated {
			t.Errorf("a multipart upload: %s", res)
		} else if res.Data(t)["name"] != "biên bản.pdf" {
			t.Errorf("the multipart file's name: %v", res.Data(t)["name"])
		}

		var list struct{ Total int }
		officer.Get(t, base).JSON(t, &list)
		if list.Total != 5 {
			t.Errorf("the case has %d attachments, want 5", list.Total)
		}
		// Download: the stored content, typed by what it is, audited.
		res = officer.Get(t, "/api/v1/attachments/"+aid)
		if res.Code != http.StatusOK || !bytes.Equal(res.Body, jpeg) || res.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("download: %d %s", res.Code, res.Header.Get("Content-Type"))
		}
		if !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("the download is not served as an attachment: %q", res.Header.Get("Content-Disposition"))
		}
		h.AssertAudited(t, officer, "attachment.download", aid)
		for _, c := range []*testenv.Client{stranger, staff} {
			if res := c.Get(t, "/api/v1/attachments/"+aid); res.Code != http.StatusNotFound && res.Code != http.StatusForbidden {
				t.Errorf("%s downloaded the attachment: %d", c.Role, res.Code)
			}
		}
		// Sealed at rest: neither the content nor the name is in the clear.
		var data, name []byte
		if err := h.App.DB.Read().QueryRowContext(context.Background(), `SELECT data, name FROM case_attachments WHERE id = $1`, aid).Scan(&data, &name); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, jpeg[:40]) || bytes.Contains(name, []byte("vết thương")) {
			t.Errorf("the attachment is stored in the clear")
		}
		if !strings.Contains(caseEvents(t, h, caseID), "attachment.added") {
			t.Errorf("the timeline lacks the attachment")
		}
	})
}

func TestTheCaseFormsPrintAsPagesAndPDF(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		stranger := h.User(t, auth.CommuneOfficer, "25747")
		staff := h.User(t, auth.Provider, "00004")
		caseID, _ := openCaseFor(t, h, officer, cases.ChildRef{Name: "Nguyễn Thị Hồng Nhung", DOB: "05/05/2016", Sex: "Nữ"})
		for n := 1; n <= 7; n++ {
			path := fmt.Sprintf("/cases/%d/forms/%02d", caseID, n)
			res := officer.Get(t, path)
			if res.Code != http.StatusOK {
				t.Fatalf("%s: %d", path, res.Code)
			}
			body := string(res.Body)
			for _, want := range []string{"Nguyễn Thị Hồng Nhung", fmt.Sprintf("Mẫu số %02d", n), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", `.pdf"`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s lacks %q", path, want)
				}
			}
			res = officer.Get(t, path+".pdf")
			if res.Code != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("%s.pdf: %d %s", path, res.Code, res.Header.Get("Content-Type"))
			}
			text, err := pdftext.Flat(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, "Nguyễn Thị Hồng Nhung") || !strings.Contains(text, fmt.Sprintf("Mẫu số %02d", n)) {
				t.Errorf("the PDF of Mẫu số %02d reads: %s", n, text)
			}
			if missing, err := pdftext.Unmapped(res.Body, "Nguyễn Thị Hồng Nhung"); err != nil || len(missing) > 0 {
				t.Errorf("Mẫu số %02d: glyphs missing for %q (%v)", n, string(missing), err)
			}
		}
		one := fmt.Sprintf("/cases/%d/forms/01", caseID)
		if !strings.Contains(string(officer.Get(t, one).Body), "Phạm Quốc Việt") {
			t.Errorf("Mẫu số 01 does not name the reporter")
		}
		h.AssertAudited(t, officer, "case.form", strconv.FormatInt(caseID, 10))
		if res := officer.Get(t, fmt.Sprintf("/cases/%d/forms/08", caseID)); res.Code != http.StatusNotFound {
			t.Errorf("Mẫu số 08: %d", res.Code)
		}
		if res := stranger.Get(t, one); res.Code != http.StatusNotFound {
			t.Errorf("an officer of another commune printed the form: %d", res.Code)
		}
		if res := staff.Get(t, one+".pdf"); res.Code != http.StatusForbidden {
			t.Errorf("a provider printed a case form: %d", res.Code)
		}
	})
}

func TestTheAttachmentLimitIsConfigurable(t *testing.T) {
	h := testenv.NewWith(t, testenv.Options{Config: func(c *config.Config) { c.AttachmentMax = 1 << 10 }})
	officer := h.User(t, auth.CommuneOfficer, "00004")
	caseID, _ := openCaseFor(t, h, officer, cases.ChildRef{Name: "Hà Thị Lan", DOB: "2014", Sex: "Nữ"})
	path := fmt.Sprintf("/api/v1/cases/%d/attachments?name=a.png", caseID)
	if res := officer.Do(t, http.MethodPost, path, bytes.NewReader(png), nil); res.Code != http.StatusCreated {
		t.Fatalf("a small PNG: %s", res)
	}
	big := append(append([]byte{}, png...), make([]byte, 1<<10)...)
	res := officer.Do(t, http.MethodPost, path, bytes.NewReader(big), nil)
	if res.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a PNG over 1 KiB: %d", res.Code)
	}
	if _, msg, _ := res.Error(t); msg != "Tệp quá lớn: tối đa 1 KiB." {
		t.Errorf("the 413 says %q", msg)
	}
}

func TestAnOfficerRefersAndAttachesFromTheCasesServicesPage(t *testing.T) {
	h := testenv.New(t)
	officer := h.User(t, auth.CommuneOfficer, "00004")
	po := h.User(t, auth.ProvinceOfficer, "01")
	clinic := createProvider(t, po, `{"name":"Trạm y tế phường Ba Đình","kind":"health","unit":"00004"}`)
	caseID, _ := openCaseFor(t, h, officer, cases.ChildRef{Name: "Lò Văn Páo", DOB: "2015", Sex: "Nam"})
	b := h.Browser(t)
	b.Login(t, officer.Username, testenv.Password)
	base := fmt.Sprintf("/cases/%d", caseID)
	page := b.Get(t, base+"/services")
	if page.Code != http.StatusOK || !strings.Contains(string(page.Body), "Trạm y tế phường Ba Đình") || !strings.Contains(string(page.Body), "Lò Văn Páo") {
		t.Fatalf("the services page: %d", page.Code)
	}
	if res := b.PostForm(t, base+"/referrals", url.Values{"provider_id": {""}}); res.Code != http.StatusBadRequest {
		t.Errorf("a referral without a provider: %d", res.Code)
	}
	res := b.PostForm(t, base+"/referrals", url.Values{"provider_id": {clinic}, "note": {"Khám sức khỏe"}})
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/referrals/") {
		t.Fatalf("refer from the page: %s", res)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "ảnh.png")
	fw.Write(png)
	mw.Close()
	res = b.Do(t, http.MethodPost, base+"/attachments", &mp, http.Header{"Content-Type": {mw.FormDataContentType()},
		"Origin": {h.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("upload from the page: %s", res)
	}
	mp.Reset()
	mw = multipart.NewWriter(&mp)
	fw, _ = mw.CreateFormFile("file", "x.exe")
	fw.Write([]byte("MZ not an image"))
	mw.Close()
	res = b.Do(t, http.MethodPost, base+"/attachments", &mp, http.Header{"Content-Type": {mw.FormDataContentType()},
		"Origin": {h.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if res.Code != http.StatusUnsupportedMediaType || !strings.Contains(string(res.Body), "Chỉ nhận ảnh JPEG") {
		t.Errorf("an executable from the page: %d", res.Code)
	}
	page = b.Get(t, base+"/services")
	for _, want := range []string{"ảnh.png", "Đã gửi yêu cầu", "Mẫu số 01"} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("the services page lacks %q", want)
		}
	}
	// The case page links here and its timeline tells the referral and the file.
	page = b.Get(t, base)
	for _, want := range []string{base + "/services", "Chuyển gửi đến Trạm y tế phường Ba Đình: Đã gửi yêu cầu", "Thêm tệp đính kèm (image/png)"} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
}

func TestTheFormsAreFilledFromTheCasesRecords(t *testing.T) {
	h := testenv.New(t)
	ba := h.User(t, auth.CommuneOfficer, "00004")
	d := openCase(t, ba, `{"commune":"00004","children":[{"name":"Nguyễn Thị Hồng Nhung","dob":"05/05/2016","sex":"Nữ"}],
		"received_at":"2026-11-27T00:30:00Z","source":"hotline","summary":"Trẻ bị đánh","abuse_forms":["bao_luc","bo_mat"],"risk":"high",
		"reporter":{"name":"Phạm Quốc Việt","relation":"neighbour"},"incidents":[{"form":"bao_luc","date":"2026-11-26","setting":"home","place":"Thôn Đông"}]}`)
	id := caseID(d)
	move(t, ba, id, "verifying", http.StatusOK, "")
	move(t, ba, id, "initial_assessment", http.StatusOK, "")
	ba.Post(t, "/api/v1/cases/"+id+"/assessments", fmt.Sprintf(`{"version":%d,"kind":"initial","risk":"high","findings":"Trẻ có vết bầm ở tay"}`, version(t, ba, id)))
	move(t, ba, id, "emergency", http.StatusOK, "")
	ba.Post(t, "/api/v1/cases/"+id+"/emergency-measures", fmt.Sprintf(`{"version":%d,"measure":"separation","decision_no":"07/QĐ-UBND",
		"decided_by":"Hoàng Minh Tuấn","place":"Nhà tạm lánh Bình Minh","reason":"Nguy cơ bị đánh tiếp"}`, version(t, ba, id)))
	move(t, ba, id, "detailed_assessment", http.StatusOK, "")
	ba.Post(t, "/api/v1/cases/"+id+"/assessments", fmt.Sprintf(`{"version":%d,"kind":"detailed",
		"factors":{"severity":"high","access":"medium","care":"low","resilience":"medium"},"needs":"Chăm sóc y tế\nHỗ trợ tâm lý"}`, version(t, ba, id)))
	move(t, ba, id, "planning", http.StatusOK, "")
	res := ba.Post(t, "/api/v1/cases/"+id+"/plans", fmt.Sprintf(`{"version":%d,"goals":["Trẻ được an toàn tại nhà"],
		"measures":[{"action":"Khám sức khỏe","responsible":"Lê Thị Hương","organisation":"Trạm y tế xã","from":"2026-11-30","to":"2026-12-05"}]}`, version(t, ba, id)))
	pid := fmt.Sprint(res.Data(t)["id"])
	move(t, ba, id, "plan_approval", http.StatusOK, "")
	ba.Post(t, "/api/v1/cases/"+id+"/plans/"+pid+"/approval", fmt.Sprintf(`{"version":%d,"approve":true,"decision_no":"05/QĐ-UBND"}`, version(t, ba, id)))
	move(t, ba, id, "reviewing", http.StatusOK, "")
	ba.Post(t, "/api/v1/cases/"+id+"/reviews", fmt.Sprintf(`{"version":%d,"outcome":"close","findings":"Trẻ đã đi học lại","close_reason":"safe"}`, version(t, ba, id)))

	want := map[int][]string{
		1: {"Phạm Quốc Việt", "Tổng đài 111", "Bạo lực, Bỏ mặc", "Thôn Đông"},
		2: {"Trẻ có vết bầm ở tay", "Cần can thiệp khẩn cấp"},
		3: {"Hỗ trợ tâm lý", "Khả năng tiếp cận trẻ em của người gây tổn hại"},
		4: {"Trẻ được an toàn tại nhà", "Khám sức khỏe", "Trạm y tế xã", "30/11/2026"},
		5: {"05/QĐ-UBND", "Nguyễn Thị Hồng Nhung"},
		6: {"Trẻ đã đi học lại", "Đóng hồ sơ", "Trẻ em đã an toàn, ổn định"},
		7: {"07/QĐ-UBND", "Hoàng Minh Tuấn", "Nhà tạm lánh Bình Minh", "Tạm thời cách ly"},
	}
	for n, words := range want {
		res := ba.Get(t, fmt.Sprintf("/cases/%s/forms/%02d.pdf", id, n))
		text, err := pdftext.Flat(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range words {
			if !strings.Contains(text, w) {
				t.Errorf("Mẫu số %02d lacks %q; it reads:\n%s", n, w, text)
			}
		}
	}
}
