package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
