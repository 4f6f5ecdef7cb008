package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"treem/internal/auth"
	"treem/internal/testenv"
)

// createProvider adds a provider and returns its id.
func createProvider(t *testing.T, c *testenv.Client, body string) string {
	t.Helper()
	res := c.Post(t, "/api/v1/providers", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create provider: %s", res)
	}
	return fmt.Sprint(res.Data(t)["id"])
}

func TestProvinceOfficersKeepTheirProvincesDirectory(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		hanoi := h.User(t, auth.ProvinceOfficer, "01")
		hcm := h.User(t, auth.ProvinceOfficer, "79")
		officer := h.User(t, auth.CommuneOfficer, "00004")
		id := createProvider(t, hanoi, `{"name":"Trung tâm Công tác xã hội Hà Nội","kind":"social_work","unit":"01",
			"address":"Số 1 Phố Huế","contacts":[{"name":"Trực ban","phone":"024 3826 1234","hours":"7:30–17:00, thứ Hai–thứ Sáu"},
			{"name":"Chị Hoa","email":"hoa@ctxh.hanoi.gov.vn"}]}`)
		h.AssertAudited(t, hanoi, "provider.create", id)
		clinic := createProvider(t, hanoi, `{"name":"Trạm y tế phường Ba Đình","kind":"health","unit":"00004","contacts":[{"name":"Trạm","phone":"0243 123 456"}]}`)
		createProvider(t, hcm, `{"name":"Bệnh viện Nhi Đồng 1","kind":"health","unit":"79"}`)

		// The commune officer chooses among the providers serving the commune.
		var out struct {
			Data []struct {
				ID       int64
				Name     string
				Contacts []map[string]string
				Users    []int64
			}
			Total int
		}
		officer.Get(t, "/api/v1/providers?unit=00004").JSON(t, &out)
		if out.Total != 2 {
			t.Fatalf("providers serving 00004: %d, want the province's centre and the commune's clinic", out.Total)
		}
		for _, p := range out.Data {
			if strings.Contains(p.Name, "Nhi Đồng") {
				t.Errorf("a Hà Nội officer sees a provider of Hồ Chí Minh City")
			}
		}
		got := officer.Get(t, "/api/v1/providers/"+id).Data(t)
		if cs := got["contacts"].([]any); len(cs) != 2 || cs[0].(map[string]any)["hours"] != "7:30–17:00, thứ Hai–thứ Sáu" {
			t.Errorf("contact points: %v", got["contacts"])
		}
		if res := hcm.Get(t, "/api/v1/providers/"+id); res.Code != http.StatusNotFound {
			t.Errorf("another province's officer read the provider: %d", res.Code)
		}
		if res := officer.Patch(t, "/api/v1/providers/"+id, `{"active":false,"version":1}`); res.Code != http.StatusForbidden {
			t.Errorf("a commune officer changed the directory: %d", res.Code)
		}
		if res := hcm.Patch(t, "/api/v1/providers/"+id, `{"active":false,"version":1}`); res.Code != http.StatusNotFound {
			t.Errorf("another province's officer changed the provider: %d", res.Code)
		}

		// Changes are versioned: a stale version is a conflict.
		res := hanoi.Patch(t, "/api/v1/providers/"+clinic, `{"active":false,"version":1}`)
		if res.Code != http.StatusOK || res.Data(t)["active"] != false {
			t.Fatalf("deactivate: %s", res)
		}
		if res := hanoi.Patch(t, "/api/v1/providers/"+clinic, `{"name":"x","version":1}`); res.Code != http.StatusConflict {
			t.Errorf("a stale version: %d, want 409", res.Code)
		}
		officer.Get(t, "/api/v1/providers?unit=00004&active=true").JSON(t, &out)
		if out.Total != 1 {
			t.Errorf("active providers: %d, want 1", out.Total)
		}

		// Bad input is explained field by field.
		res = hanoi.Post(t, "/api/v1/providers", `{"name":"","kind":"spa","unit":"79","contacts":[{"name":"A","phone":"abc"},{"name":"B"}]}`)
		_, _, fields := res.Error(t)
		for _, f := range []string{"name", "kind", "unit", "contacts[0].phone", "contacts[1].phone"} {
			if fields[f] == "" {
				t.Errorf("no problem reported for %s: %v", f, fields)
			}
		}

		// Accounts of role provider are linked to one provider.
		staff := h.User(t, auth.Provider, "01")
		if res := hanoi.Post(t, "/api/v1/providers/"+id+"/users", fmt.Sprintf(`{"user_id":%d}`, officer.UserID)); res.Code != http.StatusBadRequest {
			t.Errorf("linked a commune officer as a provider's staff: %d", res.Code)
		}
		res = hanoi.Post(t, "/api/v1/providers/"+id+"/users", fmt.Sprintf(`{"username":%q}`, staff.Username))
		if res.Code != http.StatusOK {
			t.Fatalf("link: %s", res)
		}
		if users := res.Data(t)["users"].([]any); len(users) != 1 || int64(users[0].(float64)) != staff.UserID {
			t.Errorf("linked users: %v", users)
		}
		h.AssertAudited(t, hanoi, "provider.link_user", id)
		if got := officer.Get(t, "/api/v1/providers/"+id).Data(t); got["users"] != nil {
			t.Errorf("an officer who does not manage the directory sees its accounts: %v", got["users"])
		}
		if res := hanoi.Do(t, http.MethodDelete, fmt.Sprintf("/api/v1/providers/%s/users/%d", id, staff.UserID), nil, nil); res.Code != http.StatusNoContent {
			t.Errorf("unlink: %s", res)
		}
	})
}

func TestTheDirectoryPages(t *testing.T) {
	h := testenv.New(t)
	po := h.User(t, auth.ProvinceOfficer, "01")
	b := h.Browser(t)
	if res := b.Login(t, po.Username, testenv.Password); res.Code != http.StatusSeeOther {
		t.Fatalf("login: %s", res)
	}
	res := b.PostForm(t, "/providers", url.Values{"name": {"Nhà tạm lánh Bình Minh"}, "kind": {"shelter"}, "unit": {"01"},
		"contact_name": {"Trực 24/7"}, "contact_phone": {"0912 345 678"}, "active": {"1"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("create from the form: %s", res)
	}
	page := b.Get(t, res.Header.Get("Location"))
	for _, want := range []string{"Nhà tạm lánh Bình Minh", "Nơi tạm lánh", "0912 345 678"} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("the provider page lacks %q", want)
		}
	}
	res = b.PostForm(t, "/providers", url.Values{"name": {""}, "kind": {"shelter"}, "unit": {"01"}})
	if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), "Cần nhập thông tin này.") {
		t.Errorf("an empty name: %d", res.Code)
	}
	list := b.Get(t, "/providers")
	if !strings.Contains(string(list.Body), "Nhà tạm lánh Bình Minh") {
		t.Errorf("the directory does not list the new provider")
	}
}
