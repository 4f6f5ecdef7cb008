package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

const privacyChild = `{"name":"Hà Thị Riêng Tư","dob":"12/03/2012","sex":"Nữ","commune":"00004","pid":"001312012345",
	"address":"Số 7 ngõ Bí Mật","phone":"0912345670","notes":"Chuyện riêng của em.","groups":["b"],
	"caregivers":[{"name":"Hà Văn Bố","relation":"father","phone":"0987654320"}]}`

func TestConsentIsVersionedCheckedAndAudited(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		id := createChild(t, officer, privacyChild)

		res := officer.Post(t, "/api/v1/personal-data/children/"+id+"/consents", `{"basis":"consent","version":0}`)
		if res.Code != http.StatusBadRequest {
			t.Fatalf("consent without who, when and scope: %s", res)
		}
		_, _, fields := res.Error(t)
		for _, f := range []string{"given_by", "relation", "given_on", "scope"} {
			if fields[f] == "" {
				t.Errorf("no problem reported for %s: %v", f, fields)
			}
		}
		res = officer.Post(t, "/api/v1/personal-data/children/"+id+"/consents", `{"basis":"legal_obligation","version":0}`)
		if res.Code != http.StatusCreated || res.Data(t)["version"] != float64(1) {
			t.Fatalf("record legal obligation: %s", res)
		}
		res = officer.Post(t, "/api/v1/personal-data/children/"+id+"/consents", `{"basis":"consent","given_by":"Hà Văn Bố","relation":"father",
			"given_on":"20/11/2026","scope":["support","referral"],"version":1}`)
		if res.Code != http.StatusCreated || res.Data(t)["version"] != float64(2) {
			t.Fatalf("record consent: %s", res)
		}
		// A change made on an old version is refused.
		if res := officer.Post(t, "/api/v1/personal-data/children/"+id+"/consents", `{"basis":"legal_obligation","version":1}`); res.Code != http.StatusConflict {
			t.Fatalf("stale version: %s", res)
		}
		var list struct {
			Data []struct {
				Version int
				Basis   string
				GivenBy string `json:"given_by"`
				Scope   []string
			}
		}
		officer.Get(t, "/api/v1/personal-data/children/"+id+"/consents").JSON(t, &list)
		if len(list.Data) != 2 || list.Data[0].Basis != "consent" || list.Data[0].GivenBy != "Hà Văn Bố" || len(list.Data[0].Scope) != 2 {
			t.Fatalf("consents: %+v", list.Data)
		}
		h.AssertAudited(t, officer, "child.consent", id)
		h.AssertAudited(t, officer, "child.consent.read", id)

		// Outside the unit: absent.
		other := h.User(t, auth.CommuneOfficer, "00008")
		if res := other.Get(t, "/api/v1/personal-data/children/"+id+"/consents"); res.Code != http.StatusNotFound {
			t.Fatalf("officer of another commune read the consents: %s", res)
		}
	})
}

func TestSubjectAccessExportHoldsEverythingAndIsAudited(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		id := createChild(t, officer, privacyChild)
		officer.Get(t, "/api/v1/children/"+id)
		if res := officer.Patch(t, "/api/v1/children/"+id, `{"version":1,"address":"Số 9 ngõ Bí Mật"}`); res.Code != http.StatusOK {
			t.Fatalf("patch: %s", res)
		}
		counsellor := h.User(t, auth.Counsellor, "")
		res := counsellor.Post(t, "/api/v1/contacts", `{"channel":"walk_in","summary":"Em kể chuyện ở nhà","children":[{"child_id":`+id+`,"name":"Hà Thị Riêng Tư"}]}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("contact: %s", res)
		}
		// A commune officer may not export; a province officer of the
		// province and an admin may.
		if res := officer.Get(t, "/api/v1/personal-data/children/"+id); res.Code != http.StatusForbidden {
			t.Fatalf("commune officer exported: %s", res)
		}
		outside := h.User(t, auth.ProvinceOfficer, "79")
		if res := outside.Get(t, "/api/v1/personal-data/children/"+id); res.Code != http.StatusNotFound {
			t.Fatalf("province officer elsewhere exported: %s", res)
		}
		prov := h.User(t, auth.ProvinceOfficer, "01")
		res = prov.Get(t, "/api/v1/personal-data/children/"+id)
		if res.Code != http.StatusOK {
			t.Fatalf("export: %s", res)
		}
		body := string(res.Body)
		for _, want := range []string{"Hà Thị Riêng Tư", "001312012345", "Số 9 ngõ Bí Mật", "Số 7 ngõ Bí Mật", "Chuyện riêng của em.",
			"Hà Văn Bố", "0987654320", "Em kể chuyện ở nhà", `"action":"child.read"`, `"action":"child.update"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the export lacks %q", want)
			}
		}
		h.AssertAudited(t, prov, "personal_data.export", id)

		page := h.Browser(t)
		loginAs(t, h, page, prov)
		res = page.Get(t, "/children/"+id+"/personal-data")
		if res.Code != http.StatusOK || !strings.Contains(string(res.Body), "Số 9 ngõ Bí Mật") || strings.Contains(string(res.Body), "⟦") {
			t.Fatalf("export page: %d %s", res.Code, res.Body)
		}
		res = page.Get(t, "/children/"+id+"/privacy")
		if res.Code != http.StatusOK || strings.Contains(string(res.Body), "⟦") {
			t.Fatalf("privacy page: %d %s", res.Code, res.Body)
		}
	})
}

func TestAnonymisationErasesThePersonAndKeepsTheFigures(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		id := createChild(t, officer, privacyChild)
		if res := officer.Post(t, "/api/v1/children/"+id+"/supports", `{"kind":"education","date":"01/09/2026","amount_vnd":500000,"note":"Học phí của em Riêng Tư"}`); res.Code != http.StatusCreated {
			t.Fatalf("support: %s", res)
		}
		if res := officer.Post(t, "/api/v1/personal-data/children/"+id+"/consents", `{"basis":"consent","given_by":"Hà Văn Bố","relation":"father",
			"given_on":"20/11/2026","scope":["support"],"version":0}`); res.Code != http.StatusCreated {
			t.Fatalf("consent: %s", res)
		}
		// A duplicate record of the same child, merged into it.
		dup := createChild(t, officer, `{"name":"Hà Thị Riêng Tư","dob":"2012","sex":"Nữ","commune":"00004","address":"Xóm Riêng","phone":"0912345671"}`)
		if res := officer.Post(t, "/api/v1/children/"+id+"/merge", `{"duplicate":`+dup+`}`); res.Code != http.StatusOK {
			t.Fatalf("merge: %s", res)
		}
		counsellor := h.User(t, auth.Counsellor, "")
		if res := counsellor.Post(t, "/api/v1/contacts", `{"channel":"walk_in","summary":"Gọi về em","caller":{"name":"Trần Văn Gọi"},"children":[{"child_id":`+id+`,"name":"Hà Thị Riêng Tư"}]}`); res.Code != http.StatusCreated {
			t.Fatalf("contact: %s", res)
		}
		admin := h.User(t, auth.Admin, "")
		if res := admin.Post(t, "/api/v1/personal-data/children/"+id+"/anonymise", `{"reason":"request"}`); res.Code != http.StatusBadRequest {
			t.Fatalf("anonymise without confirming: %s", res)
		}
		res := admin.Post(t, "/api/v1/personal-data/children/"+id+"/anonymise", `{"reason":"request","note":"Đơn của gia đình","confirm":true}`)
		if res.Code != http.StatusOK {
			t.Fatalf("anonymise: %s", res)
		}
		h.AssertAudited(t, admin, "personal_data.erase", id)
		if res := admin.Post(t, "/api/v1/personal-data/children/"+id+"/anonymise", `{"reason":"request","confirm":true}`); res.Code != http.StatusConflict {
			t.Fatalf("second anonymisation: %s", res)
		}
		d := officer.Get(t, "/api/v1/children/"+id).Data(t)
		if d["name"] != "Ẩn danh" || d["pid"] != "" || d["address"] != "" || d["phone"] != "" || d["notes"] != "" || d["dob"] != "2012" {
			t.Fatalf("after anonymisation: %v", d)
		}
		if d["sex"] != "female" || d["commune"] != "00004" || fmt.Sprint(d["groups"]) != "[b]" {
			t.Fatalf("statistics fields lost: %v", d)
		}
		ex := admin.Get(t, "/api/v1/personal-data/children/"+id)
		for _, gone := range []string{"Riêng Tư", "001312012345", "Bí Mật", "Chuyện riêng", "Hà Văn Bố", "0987654320", "0912345670", "Học phí", "Xóm Riêng", "0912345671"} {
			if strings.Contains(string(ex.Body), gone) {
				t.Errorf("%q is still held after anonymisation", gone)
			}
		}
		if !strings.Contains(string(ex.Body), `"reason":"request"`) || !strings.Contains(string(ex.Body), "500000") {
			t.Errorf("the export lacks the erasure or the support: %s", ex.Body)
		}
		// Nothing personal is left in any table, in clear or sealed.
		for _, q := range []string{
			"SELECT COUNT(*) FROM children WHERE name LIKE '%Riêng%' OR address <> '' OR pid <> '' OR phone IS NOT NULL OR notes IS NOT NULL",
			"SELECT COUNT(*) FROM child_caregivers WHERE name <> '' OR phone IS NOT NULL",
			"SELECT COUNT(*) FROM child_history WHERE changes IS NOT NULL AND child_id = " + id,
			"SELECT COUNT(*) FROM supports WHERE note IS NOT NULL",
			"SELECT COUNT(*) FROM consents WHERE given_by IS NOT NULL",
			"SELECT COUNT(*) FROM contact_children WHERE name <> ''",
			"SELECT COUNT(*) FROM contact_words WHERE word LIKE '%rieng%'",
		} {
			var n int
			if err := h.App.DB.Read().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s: %d", q, n)
			}
		}
		// No consent may be recorded for a person who is gone.
		if res := officer.Post(t, "/api/v1/personal-data/children/"+id+"/consents", `{"basis":"legal_obligation","version":1}`); res.Code != http.StatusConflict {
			t.Fatalf("consent after anonymisation: %s", res)
		}
	})
}

func TestRetentionJobAnonymisesInactiveRecordsAndReschedules(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := testenv.NewWith(t, testenv.Options{Engine: e, Config: func(c *config.Config) { c.RetentionYears = 5 }})
			officer := h.User(t, auth.CommuneOfficer, "00004")
			// Adult by the time the rule looks: born 2009.
			old := createChild(t, officer, `{"name":"Lê Văn Cũ","dob":"2009","sex":"Nam","commune":"00004","groups":["h"],"address":"Xóm Cũ"}`)
			// Still a child in a group.
			young := createChild(t, officer, `{"name":"Lê Thị Mới","dob":"2020","sex":"Nữ","commune":"00004","groups":["a"],"address":"Xóm Mới"}`)
			ctx := context.Background()
			if n, err := h.App.Privacy.RunRetention(ctx); err != nil || n != 0 {
				t.Fatalf("fresh records erased: %d %v", n, err)
			}
			h.Clock.Advance(6 * 365 * 24 * time.Hour)
			// The job is queued for the night and queues the next one.
			ran := 0
			for i := 0; i < 3; i++ {
				n, err := h.App.Jobs.RunDue(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ran += n
			}
			if ran == 0 {
				t.Fatal("no retention job ran")
			}
			admin := h.User(t, auth.Admin, "")
			if d := admin.Get(t, "/api/v1/children/"+old).Data(t); d["name"] != "Ẩn danh" || d["address"] != "" {
				t.Fatalf("inactive adult kept: %v", d)
			}
			if d := admin.Get(t, "/api/v1/children/"+young).Data(t); d["name"] != "Lê Thị Mới" {
				t.Fatalf("a child still in a group was erased: %v", d)
			}
			if !h.Audited(t, nil, "personal_data.erase", old) {
				t.Fatal("retention erasure not audited")
			}
			var queued int
			if err := h.App.DB.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM jobs WHERE kind = 'privacy.retention' AND state = 'available'").Scan(&queued); err != nil {
				t.Fatal(err)
			}
			if queued != 1 {
				t.Fatalf("%d retention jobs queued, want the next one", queued)
			}
		})
	}
}

// loginAs signs a browser in as the account of c (which has the test
// password).
func loginAs(t *testing.T, h *testenv.Env, b *testenv.Client, c *testenv.Client) {
	t.Helper()
	res := b.PostForm(t, "/login", url.Values{"username": {c.Username}, "password": {testenv.Password}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("login as %s: %s", c.Username, res)
	}
}
