package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/store"
	"treem/internal/testenv"
)

// createChild registers a child and returns its id.
func createChild(t *testing.T, c *testenv.Client, body string) string {
	t.Helper()
	res := c.Post(t, "/api/v1/children", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create child: %s", res)
	}
	return fmt.Sprint(res.Data(t)["id"])
}

// listNames returns the names of a list answer, in order, and its total.
func listNames(t *testing.T, res *testenv.Response) ([]string, int, string) {
	t.Helper()
	if res.Code != http.StatusOK {
		t.Fatalf("list: %s", res)
	}
	var out struct {
		Data []struct {
			ID   int64
			Name string
		}
		Total int
		Next  string
	}
	res.JSON(t, &out)
	var names []string
	for _, d := range out.Data {
		names = append(names, d.Name)
	}
	return names, out.Total, out.Next
}

func TestCreateReadAndPatchAChild(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		id := createChild(t, ba, `{"name":"  Lò   Thị Mai ","dob":"2016-05-05","sex":"Nữ","commune":"00004","ethnicity":"Thái",
			"pid":"001316012345","phone":"+84 912 345 678","groups":["a",{"code":"dd","start":"01/02/2020"}],
			"caregivers":[{"name":"Lò Văn Páo","relation":"father","phone":"0987654321"}],"risks":["bo_hoc"],
			"disability_type":"vision","disability_level":"mild","school_status":"in_school","insurance_card":"TE1 79 0123456789",
			"notes":"Sống với bố, mẹ đi làm xa."}`)
		d := ba.Get(t, "/api/v1/children/"+id).Data(t)
		want := map[string]any{"name": "Lò Thị Mai", "dob": "2016-05-05", "sex": "female", "ethnicity": "03", "pid": "001316012345",
			"phone": "0912345678", "commune": "00004", "province": "01", "insurance_card": "TE1790123456789",
			"notes": "Sống với bố, mẹ đi làm xa.", "version": float64(1), "school_status": "in_school"}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("%s = %v, want %v", k, d[k], v)
			}
		}
		if g := fmt.Sprint(d["groups"]); g != "[a đ]" {
			t.Errorf("groups %s, want [a đ]", g)
		}
		h.AssertAudited(t, ba, "child.read", id)

		// A change needs the version it was made on, and raises it.
		res := ba.Patch(t, "/api/v1/children/"+id, `{"name":"Lò Thị Mây"}`)
		if _, _, f := res.Error(t); res.Code != http.StatusBadRequest || f["version"] == "" {
			t.Fatalf("patch without version: %s", res)
		}
		res = ba.Patch(t, "/api/v1/children/"+id, `{"version":1,"name":"Lò Thị Mây","groups":["dd"],"phone":""}`)
		if res.Code != http.StatusOK {
			t.Fatalf("patch: %s", res)
		}
		d = res.Data(t)
		if d["name"] != "Lò Thị Mây" || d["version"] != float64(2) || d["phone"] != "" || fmt.Sprint(d["groups"]) != "[đ]" {
			t.Fatalf("after patch: %v", d)
		}
		// Group a ended today; its period stays as history.
		if periods := d["group_periods"].([]any); len(periods) != 2 {
			t.Fatalf("group periods: %v", periods)
		}
		h.AssertAudited(t, ba, "child.update", id)

		// Someone who read version 1 cannot overwrite version 2.
		res = ba.Patch(t, "/api/v1/children/"+id, `{"version":1,"address":"Ngõ 5"}`)
		code, msg, _ := res.Error(t)
		if res.Code != http.StatusConflict || code != "conflict" || !strings.Contains(msg, "2") {
			t.Fatalf("stale patch: want 409 naming version 2, got %s", res)
		}
		if got := ba.Get(t, "/api/v1/children/"+id).Data(t)["address"]; got != "" {
			t.Fatalf("stale patch wrote the address: %v", got)
		}
	})
}

func TestChildValidationReportsEveryProblem(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		ba.Lang = "en"
		res := ba.Post(t, "/api/v1/children", `{"name":"","dob":"31/02/2016","sex":"x","commune":"99999","pid":"12345",
			"phone":"0123","insurance_card":"TE9790123456789","groups":["z"],"risks":["nope"],"ethnicity":"Martian",
			"caregivers":[{"name":"","phone":"12"}]}`)
		_, _, fields := res.Error(t)
		if res.Code != http.StatusBadRequest {
			t.Fatalf("want 400, got %s", res)
		}
		for _, f := range []string{"name", "dob", "sex", "commune", "pid", "phone", "insurance_card", "groups.0", "risks.0",
			"ethnicity", "caregivers.0.name", "caregivers.0.phone"} {
			if fields[f] == "" || strings.Contains(fields[f], "⟦") {
				t.Errorf("no clear message for %s: %v", f, fields)
			}
		}
		if !strings.Contains(fields["dob"], "29 days") || !strings.Contains(fields["insurance_card"], "benefit level") {
			t.Errorf("messages do not say what is wrong: %v", fields)
		}

		// The identification number must agree with the date of birth and sex.
		for _, c := range []struct{ body, want string }{
			{`{"name":"Lò Thị Mai","dob":"05/05/2015","sex":"Nữ","commune":"00004","pid":"001316012345"}`, "2016"},
			{`{"name":"Lò Văn Mai","dob":"05/05/2016","sex":"Nam","commune":"00004","pid":"001316012345"}`, "girl"},
			{`{"name":"Lò Văn Mai","dob":"05/05/2016","sex":"Nam","commune":"00004","pid":"099316012345"}`, "province"},
		} {
			_, _, f := ba.Post(t, "/api/v1/children", c.body).Error(t)
			if !strings.Contains(f["pid"], c.want) {
				t.Errorf("%s: pid problem %q should mention %q", c.body, f["pid"], c.want)
			}
		}
		// In Vietnamese by default.
		ba.Lang = ""
		_, _, f := ba.Post(t, "/api/v1/children", `{"name":"A","dob":"2030","sex":"Nữ","commune":"00004"}`).Error(t)
		if !strings.Contains(f["dob"], "tương lai") {
			t.Errorf("future dob in Vietnamese: %v", f)
		}
		var n struct{ Total int }
		ba.Get(t, "/api/v1/children").JSON(t, &n)
		if n.Total != 0 {
			t.Fatalf("invalid input wrote %d children", n.Total)
		}
	})
}

func TestOldCommuneCodes(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.ProvinceOfficer, "01")
		// Phường Trúc Bạch (00004 before July 2025) went whole into Ba Đình.
		id := createChild(t, officer, `{"name":"Trần An","dob":"2016","sex":"Nam","old_commune":"00004"}`)
		d := officer.Get(t, "/api/v1/children/"+id).Data(t)
		if d["commune"] != "00004" || d["old_commune"] != "00004" {
			t.Fatalf("old 00004: %v", d)
		}
		// Phường Cống Vị (00007) was split between Ngọc Hà and Giảng Võ: the
		// officer must say which.
		res := officer.Post(t, "/api/v1/children", `{"name":"Trần Bình","dob":"2016","sex":"Nam","old_commune":"00007"}`)
		_, _, f := res.Error(t)
		if res.Code != http.StatusBadRequest || !strings.Contains(f["commune"], "00008") || !strings.Contains(f["commune"], "00025") {
			t.Fatalf("split commune without a choice: %s", res)
		}
		res = officer.Post(t, "/api/v1/children", `{"name":"Trần Bình","dob":"2016","sex":"Nam","old_commune":"00007","commune":"00004"}`)
		if _, _, f := res.Error(t); res.Code != http.StatusBadRequest || f["commune"] == "" {
			t.Fatalf("commune not among the successors: %s", res)
		}
		id = createChild(t, officer, `{"name":"Trần Bình","dob":"2016","sex":"Nam","old_commune":"00007","commune":"00025"}`)
		if d := officer.Get(t, "/api/v1/children/"+id).Data(t); d["commune"] != "00025" {
			t.Fatalf("chosen successor: %v", d)
		}
		if _, _, f := officer.Post(t, "/api/v1/children", `{"name":"Trần C","dob":"2016","sex":"Nam","old_commune":"99999"}`).Error(t); f["old_commune"] == "" {
			t.Fatalf("unknown old code accepted: %v", f)
		}
	})
}

func TestChildOutsideScopeIsNotFound(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		other := h.User(t, auth.CommuneOfficer, "00008")
		id := createChild(t, ba, `{"name":"Lò Thị Mai","dob":"05/05/2016","sex":"Nữ","commune":"00004"}`)

		res := other.Get(t, "/api/v1/children/"+id)
		if res.Code != http.StatusNotFound {
			t.Fatalf("officer of 00008 read a child of 00004: %s", res)
		}
		h.AssertAudited(t, other, "child.read", id)
		if res := other.Patch(t, "/api/v1/children/"+id, `{"version":1,"name":"X"}`); res.Code != http.StatusNotFound {
			t.Fatalf("officer of 00008 changed a child of 00004: %s", res)
		}
		if names, total, _ := listNames(t, other.Get(t, "/api/v1/children?q=mai")); total != 0 {
			t.Fatalf("officer of 00008 found %v", names)
		}
		if res := other.Post(t, "/api/v1/children", `{"name":"B","dob":"2016","sex":"Nữ","commune":"00004"}`); res.Code != http.StatusBadRequest {
			t.Fatalf("officer of 00008 registered a child in 00004: %s", res)
		}
		if res := other.Get(t, "/api/v1/children?unit=00004"); res.Code != http.StatusBadRequest {
			t.Fatalf("officer of 00008 listed 00004: %s", res)
		}

		// The province sees its communes; another province does not; the
		// hotline (national) does.
		for _, c := range []struct {
			role auth.Role
			unit string
			code int
		}{{auth.ProvinceOfficer, "01", 200}, {auth.ProvinceOfficer, "79", 404}, {auth.Counsellor, "", 200},
			{auth.Analyst, "", 200}, {auth.Provider, "00004", 403}} {
			u := h.User(t, c.role, c.unit)
			if res := u.Get(t, "/api/v1/children/"+id); res.Code != c.code {
				t.Errorf("%s %s: %d, want %d", c.role, c.unit, res.Code, c.code)
			}
		}
		// Counsellors read but do not write.
		if res := h.User(t, auth.Counsellor, "").Post(t, "/api/v1/children", `{}`); res.Code != http.StatusForbidden {
			t.Errorf("counsellor created a child: %d", res.Code)
		}
	})
}

func TestSupportsAndHelpedThisYear(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		helped := createChild(t, ba, `{"name":"Nguyễn An","dob":"2015","sex":"Nam","commune":"00004"}`)
		planned := createChild(t, ba, `{"name":"Nguyễn Bình","dob":"2015","sex":"Nam","commune":"00004"}`)
		lastYear := createChild(t, ba, `{"name":"Nguyễn Châu","dob":"2015","sex":"Nữ","commune":"00004"}`)

		res := ba.Post(t, "/api/v1/children/"+helped+"/supports", `{"kind":"social_allowance","date":"01/03/2026","amount_vnd":750000,"provider":"UBND phường"}`)
		if res.Code != http.StatusCreated || res.Data(t)["amount_vnd"] != float64(750000) || res.Data(t)["status"] != "delivered" {
			t.Fatalf("add support: %s", res)
		}
		h.AssertAudited(t, ba, "support.create", helped)
		if res := ba.Post(t, "/api/v1/children/"+planned+"/supports", `{"kind":"education","date":"2026-12-15","status":"planned"}`); res.Code != http.StatusCreated {
			t.Fatalf("planned support: %s", res)
		}
		if res := ba.Post(t, "/api/v1/children/"+lastYear+"/supports", `{"kind":"health_care","date":"20/12/2025"}`); res.Code != http.StatusCreated {
			t.Fatalf("support last year: %s", res)
		}
		res = ba.Post(t, "/api/v1/children/"+helped+"/supports", `{"kind":"money","date":"01/01/2030","amount_vnd":-5,"status":"done"}`)
		if _, _, f := res.Error(t); res.Code != http.StatusBadRequest || f["kind"] == "" || f["amount_vnd"] == "" || f["status"] == "" {
			t.Fatalf("bad support: %s", res)
		}
		if res := ba.Post(t, "/api/v1/children/"+helped+"/supports", `{"kind":"education","date":"01/01/2027"}`); res.Code != http.StatusBadRequest {
			t.Fatalf("delivered in the future: %s", res)
		}

		// Helped this year = at least one delivered support dated this year.
		names, total, _ := listNames(t, ba.Get(t, "/api/v1/children?helped=yes"))
		if total != 1 || names[0] != "Nguyễn An" {
			t.Fatalf("helped this year: %v", names)
		}
		names, total, _ = listNames(t, ba.Get(t, "/api/v1/children?helped=no"))
		if total != 2 {
			t.Fatalf("not helped this year: %v", names)
		}
		if names, _, _ := listNames(t, ba.Get(t, "/api/v1/children?helped=yes&year=2025")); len(names) != 1 || names[0] != "Nguyễn Châu" {
			t.Fatalf("helped in 2025: %v", names)
		}
		if names, _, _ := listNames(t, ba.Get(t, "/api/v1/children?helped=yes&q=nguyen")); len(names) != 1 {
			t.Fatalf("search and helped: %v", names)
		}
		if d := ba.Get(t, "/api/v1/children/"+helped).Data(t); len(d["supports"].([]any)) != 1 {
			t.Fatalf("supports of the child: %v", d["supports"])
		}
	})
}

func TestListInVietnameseOrderWithPaging(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		for _, n := range []string{"Trần Văn Đức", "Nguyễn Thị Ánh", "Lê Văn Dũng", "Đỗ Thị Anh", "Bùi Văn Bình"} {
			createChild(t, ba, `{"name":"`+n+`","dob":"2014","sex":"Nam","commune":"00004","groups":["d"]}`)
		}
		var all []string
		next := ""
		for page := 0; page < 5; page++ {
			names, total, n := listNames(t, ba.Get(t, "/api/v1/children?limit=2&next="+url.QueryEscape(next)))
			if total != 5 {
				t.Fatalf("total %d", total)
			}
			all = append(all, names...)
			if next = n; next == "" {
				break
			}
		}
		// By given name, Vietnamese alphabet: Anh < Ánh < Bình < Dũng < Đức.
		want := []string{"Đỗ Thị Anh", "Nguyễn Thị Ánh", "Bùi Văn Bình", "Lê Văn Dũng", "Trần Văn Đức"}
		if fmt.Sprint(all) != fmt.Sprint(want) {
			t.Fatalf("order %v, want %v", all, want)
		}
		if _, total, _ := listNames(t, ba.Get(t, "/api/v1/children?group=d&age=11-15")); total != 5 {
			t.Fatalf("group d aged 11-15: %d", total)
		}
		if _, total, _ := listNames(t, ba.Get(t, "/api/v1/children?group=a")); total != 0 {
			t.Fatalf("group a: %d", total)
		}
		if res := ba.Get(t, "/api/v1/children?group=zz&age=3-1&helped=maybe&limit=900"); res.Code != http.StatusBadRequest {
			t.Fatalf("bad filters: %s", res)
		} else if _, _, f := res.Error(t); len(f) != 4 {
			t.Fatalf("want four problems, got %v", f)
		}
	})
}

func TestSearchIgnoresDiacriticsCaseAndWordOrder(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		c := h.User(t, auth.CommuneOfficer, "00004")
		createChild(t, c, `{"name":"An Nguyễn Văn","dob":"2016","sex":"Nam","commune":"00004"}`)
		createChild(t, c, `{"name":"Phạm Thị Hoa","dob":"2016","sex":"Nữ","commune":"00004","pid":"001316012345"}`)
		for _, q := range []string{"Nguyen Van An", "nguyễn an", "AN NGUYEN", "Nguyen Vna An"} {
			names, _, _ := listNames(t, c.Get(t, "/api/v1/children?q="+url.QueryEscape(q)))
			if len(names) == 0 || names[0] != "An Nguyễn Văn" {
				t.Errorf("q=%q found %v", q, names)
			}
		}
		if names, _, _ := listNames(t, c.Get(t, "/api/v1/children?q=001316012345")); len(names) != 1 || names[0] != "Phạm Thị Hoa" {
			t.Errorf("by identification number: %v", names)
		}
	})
}

func TestMatchKeepsOtherCommunesPrivate(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		ngocHa := h.User(t, auth.CommuneOfficer, "00008")
		id := createChild(t, ngocHa, `{"name":"Hoàng Văn Nam","dob":"12/03/2015","sex":"Nam","commune":"00008","phone":"0912000111"}`)
		mine := createChild(t, ba, `{"name":"Hoàng Văn Nam","dob":"12/03/2012","sex":"Nam","commune":"00004"}`)

		res := ba.Post(t, "/api/v1/children/match", `{"name":"Hoang Van Nam","dob":"12/03/2015","sex":"Nam","commune":"00004"}`)
		if res.Code != http.StatusOK {
			t.Fatalf("match: %s", res)
		}
		var out struct {
			Data []struct {
				ID      int64
				Verdict string
			}
			Elsewhere []struct {
				Commune     string
				CommuneName string `json:"commune_name"`
				Contacts    []struct{ Name string }
			}
		}
		res.JSON(t, &out)
		body := string(res.Body)
		for _, d := range out.Data {
			if fmt.Sprint(d.ID) == id {
				t.Fatalf("the answer names the child of 00008: %s", body)
			}
		}
		if len(out.Elsewhere) != 1 || out.Elsewhere[0].Commune != "00008" || len(out.Elsewhere[0].Contacts) == 0 ||
			!strings.Contains(out.Elsewhere[0].Contacts[0].Name, ngocHa.Username) {
			t.Fatalf("want a likely match in 00008 with whom to ask: %s", body)
		}
		if strings.Contains(body, "0912000111") || strings.Contains(body, `"id":`+id) {
			t.Fatalf("the answer leaks the child: %s", body)
		}
		// The officer's own child is named (a possible match: another year).
		if len(out.Data) != 1 || fmt.Sprint(out.Data[0].ID) != mine {
			t.Fatalf("own child: %s", body)
		}

		// The hotline sees the whole country: the child, likely.
		counsellor := h.User(t, auth.Counsellor, "")
		res = counsellor.Post(t, "/api/v1/children/match", `{"name":"Nam Hoàng Văn","dob":"2015","phone":"+84912000111"}`)
		res.JSON(t, &out)
		if len(out.Data) == 0 || fmt.Sprint(out.Data[0].ID) != id || out.Data[0].Verdict != "likely" {
			t.Fatalf("counsellor match: %s", res.Body)
		}
		if res := counsellor.Post(t, "/api/v1/children/match", `{"dob":"2015"}`); res.Code != http.StatusBadRequest {
			t.Fatalf("a match with nothing to match on: %s", res)
		}
		h.AssertAudited(t, counsellor, "children.match", "")
	})
}

// The registry keeps phones only as keyed hashes, in the name index too:
// a candidate's phone still counts, and picks out the right twin.
func TestMatchWeighsThePhone(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		createChild(t, ba, `{"name":"Lê Minh Khang","dob":"02/09/2017","sex":"Nam","commune":"00004"}`)
		withPhone := createChild(t, ba, `{"name":"Lê Minh Khang","dob":"02/09/2017","sex":"Nam","commune":"00004","phone":"0987001122"}`)
		res := ba.Post(t, "/api/v1/children/match", `{"name":"Le Minh Khang","phone":"+84 987 001 122"}`)
		var out struct {
			Data []struct {
				ID      int64
				Reasons []string
			}
		}
		res.JSON(t, &out)
		if len(out.Data) != 2 || fmt.Sprint(out.Data[0].ID) != withPhone || !slices.Contains(out.Data[0].Reasons, "phone") ||
			slices.Contains(out.Data[1].Reasons, "phone") {
			t.Fatalf("want the child with that phone first, by the phone: %s", res.Body)
		}
		if strings.Contains(string(res.Body), "0987001122") {
			t.Fatalf("the answer shows the phone: %s", res.Body)
		}
	})
}

func TestMergeKeepsBothHistoriesAndAnAdminCanUndoIt(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		admin := h.User(t, auth.Admin, "")
		keep := createChild(t, ba, `{"name":"Vũ Thị Hồng","dob":"07/08/2014","sex":"Nữ","commune":"00004","groups":["a"]}`)
		dup := createChild(t, ba, `{"name":"Vu Thi Hong","dob":"08/07/2014","sex":"Nữ","commune":"00004","groups":["d"]}`)
		ba.Post(t, "/api/v1/children/"+dup+"/supports", `{"kind":"health_care","date":"01/02/2026"}`)

		res := ba.Post(t, "/api/v1/children/"+keep+"/merge", `{"duplicate":`+dup+`}`)
		if res.Code != http.StatusOK {
			t.Fatalf("merge: %s", res)
		}
		d := res.Data(t)
		if len(d["supports"].([]any)) != 1 || fmt.Sprint(d["groups"]) != "[a d]" || fmt.Sprint(d["merged"]) != "["+dup+"]" {
			t.Fatalf("survivor after merge: %v", d)
		}
		h.AssertAudited(t, ba, "child.merge", keep)
		if d := ba.Get(t, "/api/v1/children/"+dup).Data(t); fmt.Sprint(d["merged_into"]) != keep {
			t.Fatalf("duplicate after merge: %v", d)
		}
		if res := ba.Patch(t, "/api/v1/children/"+dup, `{"version":2,"name":"X"}`); res.Code != http.StatusConflict {
			t.Fatalf("change to a merged duplicate: %s", res)
		}
		if names, total, _ := listNames(t, ba.Get(t, "/api/v1/children")); total != 1 {
			t.Fatalf("list after merge: %v", names)
		}
		if res := ba.Post(t, "/api/v1/children/"+keep+"/merge", `{"duplicate":`+keep+`}`); res.Code != http.StatusBadRequest {
			t.Fatalf("merge into itself: %s", res)
		}

		// Only an administrator may undo a merge.
		if res := ba.Post(t, "/api/v1/children/"+dup+"/unmerge", `{}`); res.Code != http.StatusForbidden {
			t.Fatalf("commune officer unmerged: %s", res)
		}
		res = admin.Post(t, "/api/v1/children/"+dup+"/unmerge", `{}`)
		if res.Code != http.StatusOK {
			t.Fatalf("unmerge: %s", res)
		}
		h.AssertAudited(t, admin, "child.unmerge", dup)
		if d := ba.Get(t, "/api/v1/children/"+dup).Data(t); d["merged_into"] != nil || len(d["supports"].([]any)) != 1 {
			t.Fatalf("duplicate after unmerge: %v", d)
		}
		if d := ba.Get(t, "/api/v1/children/"+keep).Data(t); len(d["supports"].([]any)) != 0 || fmt.Sprint(d["groups"]) != "[a]" {
			t.Fatalf("survivor after unmerge: %v", d)
		}
	})
}

// TestIndexesOfInstancesConverge runs two instances on one database: a child
// registered through one is found through the other once it has looked for
// changes.
func TestIndexesOfInstancesConverge(t *testing.T) {
	testenv.Each(t, func(t *testing.T, a *testenv.Env) {
		b := testenv.NewWith(t, testenv.Options{Engine: a.Engine, DSN: a.DSN, KeyFile: a.KeyFile})
		ca := a.User(t, auth.CommuneOfficer, "00004")
		cb := b.User(t, auth.Counsellor, "")
		createChild(t, ca, `{"name":"Mai Văn Tuấn","dob":"2013","sex":"Nam","commune":"00004"}`)
		if _, err := b.App.Children.SyncIndex(context.Background()); err != nil {
			t.Fatal(err)
		}
		if names, _, _ := listNames(t, cb.Get(t, "/api/v1/children?q=tuan")); len(names) != 1 {
			t.Fatalf("instance b does not find the child made on a: %v", names)
		}
	})
}

// TestIndexSyncLeavesSettledChangesAlone: an instance whose registry last
// changed long ago does not read those rows again at every poll (a bulk
// import's rows were all read again each second), and still learns of the
// next change made elsewhere.
func TestIndexSyncLeavesSettledChangesAlone(t *testing.T) {
	testenv.Each(t, func(t *testing.T, a *testenv.Env) {
		ca := a.User(t, auth.CommuneOfficer, "00004")
		for _, name := range []string{"Mai Văn Tuấn", "Lò Thị Mai", "Hà Văn Sơn"} {
			createChild(t, ca, `{"name":"`+name+`","dob":"2013","sex":"Nam","commune":"00004"}`)
		}
		a.Clock.Advance(2 * time.Minute)
		b := testenv.NewWith(t, testenv.Options{Engine: a.Engine, DSN: a.DSN, KeyFile: a.KeyFile})
		b.Clock.Set(a.Clock.Now())
		ctx := context.Background()
		if _, err := b.App.Children.LoadIndex(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if n, err := b.App.Children.SyncIndex(ctx); err != nil || n != 0 {
				t.Fatalf("poll %d after loading a registry that changed two minutes ago applied %d rows again (%v)", i+1, n, err)
			}
		}
		createChild(t, ca, `{"name":"Đinh Văn Khang","dob":"2014","sex":"Nam","commune":"00004"}`)
		if n, err := b.App.Children.SyncIndex(ctx); err != nil || n != 1 {
			t.Fatalf("the poll after a new child applied %d rows (%v), want 1", n, err)
		}
		cb := b.User(t, auth.Counsellor, "")
		if names, _, _ := listNames(t, cb.Get(t, "/api/v1/children?q=khang")); len(names) != 1 {
			t.Fatalf("instance b does not find the child made on a: %v", names)
		}
	})
}

// listItems returns a list answer's items by name.
func listItems(t *testing.T, res *testenv.Response) (map[string]map[string]any, int) {
	t.Helper()
	if res.Code != http.StatusOK {
		t.Fatalf("list: %s", res)
	}
	var out struct {
		Data  []map[string]any
		Total int
	}
	res.JSON(t, &out)
	items := map[string]map[string]any{}
	for _, d := range out.Data {
		delete(d, "score")
		items[fmt.Sprint(d["name"])] = d
	}
	return items, out.Total
}

// A page of children, listed or searched, shows each child as recorded
// with the groups it is in today (in the law's order, not the ones it
// left) and whether it was helped this year: both read for the whole page
// at once.
func TestListAndSearchShowGroupsAndHelp(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		an := createChild(t, ba, `{"name":"Nguyễn Văn An","dob":"03/04/2015","sex":"Nam","commune":"00004",
			"groups":["d","a",{"code":"b","start":"2020","end":"01/01/2024"}]}`)
		binh := createChild(t, ba, `{"name":"Nguyễn Thị Bình","dob":"~2016","sex":"Nữ","commune":"00004"}`)
		createChild(t, ba, `{"name":"Nguyễn Văn Cường","dob":"2014","sex":"Nam","commune":"00004","groups":["g"]}`)
		for _, sp := range []struct{ id, body string }{
			{an, `{"kind":"social_allowance","date":"01/03/2026"}`},
			{binh, `{"kind":"education","date":"2026-12-15","status":"planned"}`},
			{binh, `{"kind":"health_care","date":"20/12/2025"}`},
		} {
			if res := ba.Post(t, "/api/v1/children/"+sp.id+"/supports", sp.body); res.Code != http.StatusCreated {
				t.Fatalf("support: %s", res)
			}
		}
		want := map[string]string{
			"Nguyễn Văn An":    "2015-04-03 false male 00004 [a d] true",
			"Nguyễn Thị Bình":  "2016 true female 00004 [] false",
			"Nguyễn Văn Cường": "2014 false male 00004 [g] false",
		}
		for _, path := range []string{"/api/v1/children", "/api/v1/children?q=nguyen", "/api/v1/children?limit=2&q=nguyen"} {
			items, total := listItems(t, ba.Get(t, path))
			if total != 3 {
				t.Errorf("%s: total %d, want 3", path, total)
			}
			for name, d := range items {
				got := fmt.Sprint(d["dob"], " ", d["dob_estimated"], " ", d["sex"], " ", d["commune"], " ", d["groups"], " ", d["helped"])
				if got != want[name] {
					t.Errorf("%s: %s is %q, want %q", path, name, got, want[name])
				}
			}
		}
		if items, _ := listItems(t, ba.Get(t, "/api/v1/children?q=nguyen&year=2025")); items["Nguyễn Thị Bình"]["helped"] != true {
			t.Errorf("helped in 2025: %v", items["Nguyễn Thị Bình"])
		}
	})
}

// A search's hits come from the instance's name index, which may not yet
// know that another instance moved a child away: the page shows only the
// children the database has in the caller's scope.
func TestSearchShowsOnlyWhatTheDatabaseHasInScope(t *testing.T) {
	testenv.Each(t, func(t *testing.T, a *testenv.Env) {
		b := testenv.NewWith(t, testenv.Options{Engine: a.Engine, DSN: a.DSN, KeyFile: a.KeyFile})
		admin := a.User(t, auth.Admin, "")
		id := createChild(t, admin, `{"name":"Mai Văn Tuấn","dob":"2013","sex":"Nam","commune":"00004"}`)
		createChild(t, admin, `{"name":"Mai Thị Tuyết","dob":"2013","sex":"Nữ","commune":"00008"}`)
		if _, err := b.App.Children.SyncIndex(context.Background()); err != nil {
			t.Fatal(err)
		}
		hanoi := b.User(t, auth.ProvinceOfficer, "01")
		if names, _, _ := listNames(t, hanoi.Get(t, "/api/v1/children?q=mai")); len(names) != 2 {
			t.Fatalf("before the move: %v", names)
		}
		if res := admin.Patch(t, "/api/v1/children/"+id, `{"version":1,"commune":"25747"}`); res.Code != http.StatusOK {
			t.Fatalf("move to Hồ Chí Minh City: %s", res)
		}
		// b has not looked for changes: its index still has the child in Hà Nội.
		if names, _, _ := listNames(t, hanoi.Get(t, "/api/v1/children?q=mai")); len(names) != 1 || names[0] != "Mai Thị Tuyết" {
			t.Fatalf("Hà Nội's officer sees a child now in Hồ Chí Minh City: %v", names)
		}
	})
}

// Once an instance's index has caught up with the registry, a plain
// search's page is answered from the index, with the groups and the help
// read for the page at once: the same page as from the database. A child
// another instance changed since is read from the database again.
func TestSearchPageFromTheIndex(t *testing.T) {
	testenv.Each(t, func(t *testing.T, a *testenv.Env) {
		admin := a.User(t, auth.Admin, "")
		an := createChild(t, admin, `{"name":"Nguyễn Văn An","dob":"03/04/2015","sex":"Nam","commune":"00004",
			"groups":["d","a",{"code":"b","start":"2020","end":"01/01/2024"}]}`)
		createChild(t, admin, `{"name":"Nguyễn Thị Bình","dob":"~2016","sex":"Nữ","commune":"00008"}`)
		moved := createChild(t, admin, `{"name":"Nguyễn Văn Cường","dob":"2014","sex":"Nam","commune":"00004","groups":["g"]}`)
		createChild(t, admin, `{"name":"Nguyễn Văn Dũng","dob":"2013","sex":"Nam","commune":"25747"}`)
		if res := admin.Post(t, "/api/v1/children/"+an+"/supports", `{"kind":"social_allowance","date":"01/03/2026"}`); res.Code != http.StatusCreated {
			t.Fatalf("support: %s", res)
		}
		// b starts two minutes later: its index knows every change.
		a.Clock.Advance(2 * time.Minute)
		b := testenv.NewWith(t, testenv.Options{Engine: a.Engine, DSN: a.DSN, KeyFile: a.KeyFile})
		b.Clock.Set(a.Clock.Now())
		if _, err := b.App.Children.LoadIndex(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			role auth.Role
			unit string
		}{{auth.Analyst, ""}, {auth.ProvinceOfficer, "01"}, {auth.CommuneOfficer, "00004"}} {
			for _, path := range []string{"/api/v1/children?q=nguyen", "/api/v1/children?q=nguyen&limit=1&next=o1", "/api/v1/children?q=nguyen+van&year=2025"} {
				fromDB, fromIndex := a.User(t, c.role, c.unit).Get(t, path), b.User(t, c.role, c.unit).Get(t, path)
				if fromDB.Code != 200 || string(fromDB.Body) != string(fromIndex.Body) {
					t.Errorf("%s %s %s:\nfrom the database %s\nfrom the index    %s", c.role, c.unit, path, fromDB.Body, fromIndex.Body)
				}
			}
		}
		// A name changed behind the index's back, without a new stamp,
		// shows that b answers from its index.
		err := a.App.DB.Write(context.Background(), func(tx *store.Tx) error {
			_, err := tx.ExecContext(context.Background(), "UPDATE children SET name = 'Nguyễn Văn Ân' WHERE id = $1", an)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		national := b.User(t, auth.Analyst, "")
		if names, _, _ := listNames(t, national.Get(t, "/api/v1/children?q=nguyen+van+an")); len(names) == 0 || names[0] != "Nguyễn Văn An" {
			t.Fatalf("b did not answer from its index: %v", names)
		}
		// a moves a child to Hồ Chí Minh City; b has not looked yet, but
		// its page asks the database and leaves the child out for Hà Nội.
		if res := admin.Patch(t, "/api/v1/children/"+moved, `{"version":1,"commune":"25750"}`); res.Code != http.StatusOK {
			t.Fatalf("move: %s", res)
		}
		hanoi := b.User(t, auth.ProvinceOfficer, "01")
		if names, _, _ := listNames(t, hanoi.Get(t, "/api/v1/children?q=nguyen")); slices.Contains(names, "Nguyễn Văn Cường") {
			t.Fatalf("Hà Nội's officer sees a child now in Hồ Chí Minh City: %v", names)
		}
	})
}

// The total of a list without filters comes from the name index; it counts
// what the database counts in each scope, merged children left out.
func TestListTotalsInEachScope(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		admin := h.User(t, auth.Admin, "")
		for i, commune := range []string{"00004", "00004", "00004", "00008", "25747", "25747"} {
			createChild(t, admin, fmt.Sprintf(`{"name":"Lò Văn Páo %c","dob":"2014","sex":"Nam","commune":"%s"}`, 'A'+i, commune))
		}
		keep := createChild(t, admin, `{"name":"Đinh Văn Khang","dob":"2014","sex":"Nam","commune":"00004"}`)
		dup := createChild(t, admin, `{"name":"Đinh Văn Khang","dob":"2014","sex":"Nam","commune":"00004"}`)
		if res := admin.Post(t, "/api/v1/children/"+keep+"/merge", `{"duplicate":`+dup+`}`); res.Code != http.StatusOK {
			t.Fatalf("merge: %s", res)
		}
		for _, c := range []struct {
			role  auth.Role
			unit  string
			query string
			want  int
		}{
			{auth.CommuneOfficer, "00004", "", 4},
			{auth.CommuneOfficer, "00008", "", 1},
			{auth.ProvinceOfficer, "01", "", 5},
			{auth.ProvinceOfficer, "01", "unit=00008", 1},
			{auth.ProvinceOfficer, "79", "", 2},
			{auth.Analyst, "", "", 7},
			{auth.Analyst, "", "unit=79", 2},
		} {
			u := h.User(t, c.role, c.unit)
			_, total, _ := listNames(t, u.Get(t, "/api/v1/children?"+c.query))
			_, counted, _ := listNames(t, u.Get(t, "/api/v1/children?helped=no&"+c.query)) // counted by the database
			if total != c.want || counted != c.want {
				t.Errorf("%s %s %s: total %d (the database counts %d), want %d", c.role, c.unit, c.query, total, counted, c.want)
			}
		}
	})
}

func TestChildJSONShapes(t *testing.T) {
	h := testenv.New(t)
	c := h.User(t, auth.CommuneOfficer, "00004")
	id := createChild(t, c, `{"name":"Lý Văn Sơn","dob":"~2015","sex":"male","commune":"00004"}`)
	var got map[string]any
	json.Unmarshal(c.Get(t, "/api/v1/children/"+id).Body, &got)
	d := got["data"].(map[string]any)
	if d["dob"] != "2015" || d["dob_estimated"] != true || d["sex"] != "male" {
		t.Fatalf("estimated year of birth: %v", d)
	}
	if d := c.Patch(t, "/api/v1/children/"+id, `{"version":1,"dob_estimated":false}`).Data(t); d["dob"] != "2015" || d["dob_estimated"] != false {
		t.Fatalf("estimate mark taken off: %v", d)
	}
	for _, k := range []string{"caregivers", "groups", "risks", "supports", "group_periods"} {
		if _, ok := d[k].([]any); !ok {
			t.Errorf("%s should be a list, is %v", k, d[k])
		}
	}
	res := c.Get(t, "/api/v1/children/options")
	if res.Code != 200 || !strings.Contains(string(res.Body), `"social_allowance"`) {
		t.Fatalf("options: %s", res)
	}
}
