package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/indicators"
	"treem/internal/store"
	"treem/internal/testenv"
)

// openCase creates a case and returns its data.
func openCase(t *testing.T, c *testenv.Client, body string) map[string]any {
	t.Helper()
	res := c.Post(t, "/api/v1/cases", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create case: %s", res)
	}
	return res.Data(t)
}

const newCaseBody = `{"commune":"00004","children":[{"name":"Lò Thị Hoa","dob":"2015-03-02","sex":"Nữ"}],
	"received_at":"2026-11-27T00:30:00Z","source":"hotline","summary":"Hàng xóm báo trẻ bị đánh.","abuse_forms":["bao_luc"],"risk":"%s"}`

func caseID(d map[string]any) string { return fmt.Sprint(d["id"]) }

// getCase reads a case.
func getCase(t *testing.T, c *testenv.Client, id string) map[string]any {
	t.Helper()
	res := c.Get(t, "/api/v1/cases/"+id)
	if res.Code != http.StatusOK {
		t.Fatalf("get case %s: %s", id, res)
	}
	return res.Data(t)
}

func version(t *testing.T, c *testenv.Client, id string) int {
	return int(getCase(t, c, id)["version"].(float64))
}

// move makes a transition and fails the test unless it answers want.
func move(t *testing.T, c *testenv.Client, id, to string, want int, extra string) *testenv.Response {
	t.Helper()
	body := fmt.Sprintf(`{"to":%q,"reason":"lý do %s","version":%d%s}`, to, to, version(t, c, id), extra)
	res := c.Post(t, "/api/v1/cases/"+id+"/transitions", body)
	if res.Code != want {
		t.Fatalf("transition to %s: %s, want %d", to, res, want)
	}
	return res
}

func TestCreatingACaseNumbersItAndStartsTheEmergencyClock(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		child := createChild(t, ba, `{"name":"Lò Văn Tú","dob":"2014","sex":"Nam","commune":"00004"}`)
		d := openCase(t, ba, `{"commune":"00004","children":[`+child+`,{"name":"Lò Thị Hoa","dob":"02/03/2015","sex":"Nữ"}],
			"received_at":"2026-11-27T00:30:00Z","source":"hotline","summary":"Trẻ bị đánh","abuse_forms":["bao_luc","bo_mat"],"risk":"high"}`)
		if d["number"] != "00004-2026-000001" || d["step"] != "received" {
			t.Fatalf("first case of 00004 in 2026: %v", d)
		}
		dl := d["deadlines"].([]any)
		if len(dl) != 1 || dl[0].(map[string]any)["what"] != "emergency" || dl[0].(map[string]any)["due_at"] != "2026-11-27T12:30:00Z" {
			t.Fatalf("a high-risk case is due for an emergency measure 12 hours after receipt: %v", dl)
		}
		got := getCase(t, ba, caseID(d))
		if kids := got["children"].([]any); len(kids) != 2 {
			t.Fatalf("the case holds the registry child and the new one: %v", kids)
		}
		h.AssertAudited(t, ba, "case.create", caseID(d))
		h.AssertAudited(t, ba, "case.read", caseID(d))

		low := openCase(t, ba, fmt.Sprintf(newCaseBody, "low"))
		if low["number"] != "00004-2026-000002" || len(low["deadlines"].([]any)) != 0 {
			t.Fatalf("second case: %v", low)
		}

		// Codes outside DOMAIN.md are refused with the valid ones named.
		res := ba.Post(t, "/api/v1/cases", strings.Replace(strings.Replace(fmt.Sprintf(newCaseBody, "high"), `"hotline"`, `"radio"`, 1), `"bao_luc"`, `"beating"`, 1))
		_, _, fields := res.Error(t)
		if res.Code != http.StatusBadRequest || !strings.Contains(fields["source"], "neighbour") || !strings.Contains(fields["abuse_forms"], "xam_hai_tinh_duc") {
			t.Fatalf("bad source and form: %s", res)
		}
	})
}

func TestConcurrentCasesGetUniqueNumbers(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		const n = 12
		numbers := make(chan string, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				res := ba.Post(t, "/api/v1/cases", fmt.Sprintf(newCaseBody, "medium"))
				if res.Code != http.StatusCreated {
					t.Errorf("create: %s", res)
					return
				}
				numbers <- fmt.Sprint(res.Data(t)["number"])
			})
		}
		wg.Wait()
		close(numbers)
		seen := map[string]bool{}
		for num := range numbers {
			if seen[num] {
				t.Errorf("number %s given twice", num)
			}
			seen[num] = true
		}
		if len(seen) != n || !seen[fmt.Sprintf("00004-2026-%06d", n)] {
			t.Fatalf("numbers: %v", seen)
		}
	})
}

func TestTheCaseWorkflowFollowsTheStateMachine(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		analyst := h.User(t, auth.Analyst, "")
		id := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "")))

		// An illegal move lists the allowed ones.
		res := move(t, ba, id, "planning", http.StatusConflict, "")
		var body struct {
			Error struct {
				Allowed []string `json:"allowed"`
				Message string   `json:"message"`
			} `json:"error"`
		}
		res.JSON(t, &body)
		if strings.Join(body.Error.Allowed, ",") != "verifying,initial_assessment,emergency,closed,transferred" {
			t.Fatalf("allowed from received: %v", body.Error.Allowed)
		}
		// A role that reads cases may not move them.
		if res := analyst.Post(t, "/api/v1/cases/"+id+"/transitions", `{"to":"verifying","reason":"x","version":1}`); res.Code != http.StatusForbidden {
			t.Fatalf("analyst moved a case: %s", res)
		}
		// A reason is required.
		if res := ba.Post(t, "/api/v1/cases/"+id+"/transitions", `{"to":"verifying","version":1}`); res.Code != http.StatusBadRequest {
			t.Fatalf("no reason: %s", res)
		}
		move(t, ba, id, "verifying", http.StatusOK, "")
		move(t, ba, id, "initial_assessment", http.StatusOK, "")
		res = ba.Post(t, "/api/v1/cases/"+id+"/assessments", fmt.Sprintf(`{"version":%d,"kind":"initial","risk":"high","findings":"Trẻ có vết bầm"}`, version(t, ba, id)))
		if res.Code != http.StatusCreated {
			t.Fatalf("initial assessment: %s", res)
		}
		c := getCase(t, ba, id)
		if c["risk"] != "high" || !hasDeadline(c, "emergency", "2026-11-27T12:30:00Z") {
			t.Fatalf("a high initial risk starts the 12-hour clock from receipt: %v", c["deadlines"])
		}
		move(t, ba, id, "emergency", http.StatusOK, "")
		// Leaving the emergency step needs the measure (Mẫu 07).
		move(t, ba, id, "detailed_assessment", http.StatusConflict, "")
		res = ba.Post(t, "/api/v1/cases/"+id+"/emergency-measures", fmt.Sprintf(`{"version":%d,"measure":"separation","decision_no":"07/QĐ-UBND",
			"decided_by":"Chủ tịch UBND xã","place":"Nhà tạm lánh","reason":"Nguy cơ bị đánh tiếp"}`, version(t, ba, id)))
		if res.Code != http.StatusCreated {
			t.Fatalf("emergency measure: %s", res)
		}
		if c := getCase(t, ba, id); !deadlineDone(c, "emergency") {
			t.Fatalf("the measure meets the emergency deadline: %v", c["deadlines"])
		}
		move(t, ba, id, "detailed_assessment", http.StatusOK, "")
		res = ba.Post(t, "/api/v1/cases/"+id+"/assessments", fmt.Sprintf(`{"version":%d,"kind":"detailed",
			"factors":{"severity":"high","access":"medium","care":"low","resilience":"medium"}}`, version(t, ba, id)))
		if res.Code != http.StatusCreated || res.Data(t)["risk"] != "high" {
			t.Fatalf("detailed assessment: %s", res)
		}
		move(t, ba, id, "planning", http.StatusOK, "")
		if c := getCase(t, ba, id); !hasDeadline(c, "plan", "2026-12-04T16:59:59.999Z") {
			t.Fatalf("plan due 5 working days after Friday 27/11: %v", c["deadlines"])
		}
		move(t, ba, id, "plan_approval", http.StatusConflict, "") // no plan yet
		res = ba.Post(t, "/api/v1/cases/"+id+"/plans", fmt.Sprintf(`{"version":%d,"goals":["Trẻ an toàn"],
			"measures":[{"action":"Khám sức khỏe","responsible":"Trạm y tế","from":"2026-11-30","to":"2026-12-05"}]}`, version(t, ba, id)))
		if res.Code != http.StatusCreated {
			t.Fatalf("plan: %s", res)
		}
		pid := fmt.Sprint(res.Data(t)["id"])
		move(t, ba, id, "plan_approval", http.StatusOK, "")
		// Approval needs cases.approve: a counsellor has neither.
		res = ba.Post(t, "/api/v1/cases/"+id+"/plans/"+pid+"/approval", fmt.Sprintf(`{"version":%d,"approve":true,"decision_no":"05/QĐ"}`, version(t, ba, id)))
		if res.Code != http.StatusOK || res.Data(t)["step"] != "implementing" {
			t.Fatalf("approval: %s", res)
		}
		move(t, ba, id, "reviewing", http.StatusOK, "")
		res = ba.Post(t, "/api/v1/cases/"+id+"/reviews", fmt.Sprintf(`{"version":%d,"outcome":"close","findings":"Trẻ an toàn, ổn định","close_reason":"safe"}`, version(t, ba, id)))
		if res.Code != http.StatusOK || res.Data(t)["step"] != "closed" {
			t.Fatalf("review closing the case: %s", res)
		}
		move(t, ba, id, "verifying", http.StatusOK, "") // reopen
		tl := ba.Get(t, "/api/v1/cases/"+id+"/timeline")
		if tl.Code != http.StatusOK || !strings.Contains(string(tl.Body), `"reopened":true`) || !strings.Contains(string(tl.Body), "lý do emergency") {
			t.Fatalf("timeline: %s", tl)
		}
		h.AssertAudited(t, ba, "case.transition", id)
	})
}

func hasDeadline(c map[string]any, what, due string) bool {
	for _, d := range c["deadlines"].([]any) {
		m := d.(map[string]any)
		if m["what"] == what && m["due_at"] == due && m["done_at"] == nil {
			return true
		}
	}
	return false
}

func deadlineDone(c map[string]any, what string) bool {
	for _, d := range c["deadlines"].([]any) {
		m := d.(map[string]any)
		if m["what"] == what && m["done_at"] != nil {
			return true
		}
	}
	return false
}

func TestPlanDeadlineSkipsTet(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		h.Clock.Set(time.Date(2026, 2, 12, 2, 0, 0, 0, time.UTC)) // Thursday 12/02/2026, before Tết Bính Ngọ
		ba := h.User(t, auth.CommuneOfficer, "00004")
		id := caseID(openCase(t, ba, strings.Replace(fmt.Sprintf(newCaseBody, "low"), "2026-11-27T00:30:00Z", "2026-02-12T01:00:00Z", 1)))
		for _, to := range []string{"initial_assessment", "detailed_assessment", "planning"} {
			move(t, ba, id, to, http.StatusOK, "")
		}
		// Friday 13/02 is day 1; 14–22/02 are Tết; 23, 24, 25, 26/02 are days 2–5.
		if c := getCase(t, ba, id); !hasDeadline(c, "plan", "2026-02-26T16:59:59.999Z") {
			t.Fatalf("plan deadline over Tết: %v", c["deadlines"])
		}
	})
}

func TestAStaleWriteIsAConflictThatSaysWhatChanged(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		other := h.User(t, auth.CommuneOfficer, "00004")
		id := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "low")))
		if res := other.Post(t, "/api/v1/cases/"+id+"/notes", `{"version":1,"text":"Đã gọi điện cho gia đình"}`); res.Code != http.StatusOK {
			t.Fatalf("note: %s", res)
		}
		res := ba.Post(t, "/api/v1/cases/"+id+"/transitions", `{"to":"verifying","reason":"xác minh","version":1}`)
		code, msg, _ := res.Error(t)
		if res.Code != http.StatusConflict || code != "conflict" || !strings.Contains(string(res.Body), `"changed":[{`) || !strings.Contains(string(res.Body), `"kind":"note"`) || msg == "" {
			t.Fatalf("stale transition: %s", res)
		}
		if v := version(t, ba, id); v != 2 {
			t.Fatalf("version after the note: %d", v)
		}
		ba.Lang = "en"
		res = ba.Patch(t, "/api/v1/cases/"+id, `{"version":1,"risk":"high"}`)
		if _, msg, _ := res.Error(t); res.Code != http.StatusConflict || !strings.Contains(msg, "changed") {
			t.Fatalf("stale patch in English: %s", res)
		}
	})
}

func TestSexualAbuseCasesMaskTheChildAndBreakGlassIsAudited(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		worker := h.User(t, auth.CommuneOfficer, "00004")
		colleague := h.User(t, auth.CommuneOfficer, "00004")
		province := h.User(t, auth.ProvinceOfficer, "01")
		d := openCase(t, worker, `{"commune":"00004","children":[{"name":"Lò Thị Bí Mật","dob":"2013","sex":"Nữ"}],
			"source":"school","summary":"Cô giáo báo nghi bị xâm hại","abuse_forms":["xam_hai_tinh_duc"],"risk":"high",
			"perpetrator":{"name":"Nguyễn Văn X","relation":"neighbour"}}`)
		id := caseID(d)
		if c := getCase(t, worker, id); c["masked"] != false || !strings.Contains(fmt.Sprint(c["children_detail"]), "Bí Mật") {
			t.Fatalf("the assigned worker sees the child: %v", c)
		}
		for _, who := range []*testenv.Client{colleague, province} {
			res := who.Get(t, "/api/v1/cases/"+id)
			if res.Code != http.StatusOK || strings.Contains(string(res.Body), "Bí Mật") || strings.Contains(string(res.Body), "xâm hại") ||
				res.Data(t)["masked"] != true {
				t.Fatalf("%s read a confidential case unmasked: %s", who.Role, res)
			}
		}
		// The commune's officers see the perpetrator; the province does not.
		if c := getCase(t, worker, id); fmt.Sprint(c["perpetrator"]) != "map[name:Nguyễn Văn X relation:neighbour]" {
			t.Fatalf("the assigned worker and the perpetrator: %v", c["perpetrator"])
		}
		h.AssertAudited(t, worker, "case.perpetrator.read", id)
		// Writing needs the case opened; opening needs a reason.
		if res := colleague.Post(t, "/api/v1/cases/"+id+"/notes", `{"version":1,"text":"x"}`); res.Code != http.StatusConflict {
			t.Fatalf("masked write: %s", res)
		}
		if res := colleague.Post(t, "/api/v1/cases/"+id+"/access", `{"reason":""}`); res.Code != http.StatusBadRequest {
			t.Fatalf("break-glass without a reason: %s", res)
		}
		res := colleague.Post(t, "/api/v1/cases/"+id+"/access", `{"reason":"Cán bộ phụ trách nghỉ ốm, cần xử lý khẩn"}`)
		if res.Code != http.StatusOK || !strings.Contains(string(res.Body), "Bí Mật") {
			t.Fatalf("break-glass: %s", res)
		}
		h.AssertAudited(t, colleague, "case.break_glass", id)
		if !strings.Contains(string(res.Body), "Nguyễn Văn X") {
			t.Fatalf("a commune officer who opened the case sees the perpetrator: %s", res)
		}
		if res := province.Post(t, "/api/v1/cases/"+id+"/access", `{"reason":"Kiểm tra việc xử lý vụ việc của xã"}`); res.Code != http.StatusOK ||
			strings.Contains(string(res.Body), "Nguyễn Văn X") || !strings.Contains(string(res.Body), "Bí Mật") {
			t.Fatalf("the province opening the case sees the child but not the perpetrator: %s", res)
		}
		// The supervisors see who opened it and why.
		for _, sup := range []*testenv.Client{worker, province} {
			res := sup.Get(t, "/api/v1/cases/access-log")
			if res.Code != http.StatusOK || !strings.Contains(string(res.Body), "nghỉ ốm") || !strings.Contains(string(res.Body), colleague.Username) {
				t.Fatalf("%s's access log: %s", sup.Role, res)
			}
		}
		// It lasts 8 hours.
		h.Clock.Advance(9 * time.Hour)
		if c := getCase(t, colleague, id); c["masked"] != true {
			t.Fatalf("break-glass did not expire")
		}
	})
}

func TestCasesOutsideTheUnitAreNotFound(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		other := h.User(t, auth.CommuneOfficer, "25747")
		hcm := h.User(t, auth.ProvinceOfficer, "79")
		provider := h.User(t, auth.Provider, "00004")
		id := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "high")))
		for _, c := range []*testenv.Client{other, hcm} {
			if res := c.Get(t, "/api/v1/cases/"+id); res.Code != http.StatusNotFound {
				t.Fatalf("%s of %s read a case of 00004: %s", c.Role, c.Unit, res)
			}
			if res := c.Post(t, "/api/v1/cases/"+id+"/transitions", `{"to":"verifying","reason":"x","version":1}`); res.Code != http.StatusNotFound {
				t.Fatalf("%s moved a case outside its unit: %s", c.Role, res)
			}
		}
		h.AssertAudited(t, other, "case.read", id)
		if res := provider.Get(t, "/api/v1/cases/"+id); res.Code != http.StatusForbidden {
			t.Fatalf("provider read a case: %s", res)
		}
		if res := other.Post(t, "/api/v1/cases", fmt.Sprintf(newCaseBody, "low")); res.Code != http.StatusNotFound {
			t.Fatalf("officer of 25747 opened a case in 00004: %s", res)
		}
	})
}

func TestOverdueWorkIsListedPerUserCommuneAndProvince(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		colleague := h.User(t, auth.CommuneOfficer, "00004")
		province := h.User(t, auth.ProvinceOfficer, "01")
		hcm := h.User(t, auth.ProvinceOfficer, "79")
		high := openCase(t, ba, fmt.Sprintf(newCaseBody, "high"))
		openCase(t, colleague, fmt.Sprintf(newCaseBody, "low"))
		count := func(c *testenv.Client, q string) int {
			res := c.Get(t, "/api/v1/cases?"+q)
			if res.Code != http.StatusOK {
				t.Fatalf("list %s: %s", q, res)
			}
			var out struct{ Total int }
			res.JSON(t, &out)
			return out.Total
		}
		if n := count(ba, "overdue=true"); n != 0 {
			t.Fatalf("overdue before the deadline: %d", n)
		}
		h.Clock.Advance(12 * time.Hour)
		for _, tc := range []struct {
			c    *testenv.Client
			q    string
			want int
		}{
			{ba, "overdue=true&assigned=me", 1},
			{colleague, "overdue=true&assigned=me", 0},
			{colleague, "overdue=true", 1},
			{province, "overdue=true&unit=01", 1},
			{province, "overdue=true&unit=00004&step=received", 1},
			{province, "overdue=true&step=closed", 0},
			{province, "step=received", 2},
		} {
			if n := count(tc.c, tc.q); n != tc.want {
				t.Errorf("%s %s: %d, want %d", tc.c.Role, tc.q, n, tc.want)
			}
		}
		if res := hcm.Get(t, "/api/v1/cases?overdue=true&unit=01"); res.Code != http.StatusNotFound {
			t.Fatalf("province 79 listed province 01: %s", res)
		}
		if res := ba.Get(t, "/api/v1/cases?step=nowhere"); res.Code != http.StatusBadRequest {
			t.Fatalf("bad step: %s", res)
		}
		_ = high
	})
}

func TestACaseIsTransferredWhenTheReceivingCommuneAccepts(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		ngocha := h.User(t, auth.CommuneOfficer, "00008")
		id := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "medium")))
		move(t, ba, id, "verifying", http.StatusOK, "")
		if res := ngocha.Get(t, "/api/v1/cases/"+id); res.Code != http.StatusNotFound {
			t.Fatalf("another commune saw the case before the transfer: %s", res)
		}
		move(t, ba, id, "transferred", http.StatusBadRequest, "") // no commune
		move(t, ba, id, "transferred", http.StatusOK, `,"commune":"00008"`)
		c := getCase(t, ngocha, id)
		if c["step"] != "transferred" || fmt.Sprint(c["allowed"]) != "[verifying]" {
			t.Fatalf("the receiving commune sees the case and may accept it: %v %v", c["step"], c["allowed"])
		}
		move(t, ngocha, id, "verifying", http.StatusOK, "")
		c = getCase(t, ngocha, id)
		if c["commune"] != "00008" || c["transfer_from"] != "00004" || int64(c["assigned_to"].(float64)) != ngocha.UserID {
			t.Fatalf("after acceptance: %v", c)
		}
		if res := ba.Get(t, "/api/v1/cases/"+id); res.Code != http.StatusNotFound {
			t.Fatalf("the sending commune still sees the case: %s", res)
		}
	})
}

func TestACaseOpenedFromAHotlineContact(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		counsellor := h.User(t, auth.Counsellor, "")
		ba := h.User(t, auth.CommuneOfficer, "00004")
		res := counsellor.Post(t, "/api/v1/contacts", `{"channel":"walk_in","summary":"trẻ bị đánh"}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("contact: %s", res)
		}
		contact := fmt.Sprint(res.Data(t)["id"])
		if res := counsellor.Post(t, "/api/v1/contacts/"+contact+"/referrals", `{"commune":"00004"}`); res.Code != http.StatusCreated {
			t.Fatalf("referral: %s", res)
		}
		d := openCase(t, ba, strings.Replace(fmt.Sprintf(newCaseBody, "high"), `"source":"hotline"`, `"source":"hotline","contact_id":`+contact, 1))
		c := getCase(t, ba, caseID(d))
		reports := c["reports"].([]any)
		if len(reports) != 1 || fmt.Sprint(reports[0].(map[string]any)["contact_id"]) != contact {
			t.Fatalf("the case keeps the contact that opened it: %v", reports)
		}
		if res := ba.Post(t, "/api/v1/cases", strings.Replace(fmt.Sprintf(newCaseBody, "high"), `"source":"hotline"`, `"source":"hotline","contact_id":999999`, 1)); res.Code != http.StatusBadRequest {
			t.Fatalf("unknown contact: %s", res)
		}
	})
}

func TestCaseIndicatorsMatchPlainSQL(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		ngocha := h.User(t, auth.CommuneOfficer, "00008")
		id := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "high")))
		openCase(t, ngocha, strings.Replace(fmt.Sprintf(newCaseBody, "low"), "00004", "00008", 1))
		move(t, ba, id, "emergency", http.StatusOK, "")
		if res := ba.Post(t, "/api/v1/cases/"+id+"/emergency-measures", fmt.Sprintf(`{"version":%d,"measure":"shelter","reason":"an toàn"}`, version(t, ba, id))); res.Code != http.StatusCreated {
			t.Fatalf("measure: %s", res)
		}
		ps, err := indicators.ParsePeriods("2026")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := h.App.Indicators.Build(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := h.App.Indicators.Verify(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Compared == 0 {
			t.Fatalf("case indicators against plain SQL: %+v", rep)
		}
		for _, m := range []string{"m_cases", "m_abused", "m_emergency", "m_emergency_12h", "m_first_action_cases"} {
			if !slices.Contains(rep.Measures, m) {
				t.Errorf("measure %s not compared: %v", m, rep.Measures)
			}
		}
	})
}

func TestReportsIncidentsAndChildrenJoinACase(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		id := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "low")))
		res := ba.Post(t, "/api/v1/cases/"+id+"/reports", `{"version":1,"source":"school","content":"Cô giáo báo thêm","reporter":{"name":"Cô Lan"}}`)
		if res.Code != http.StatusOK || len(res.Data(t)["reports"].([]any)) != 2 {
			t.Fatalf("report: %s", res)
		}
		res = ba.Post(t, "/api/v1/cases/"+id+"/incidents", `{"version":2,"form":"bao_luc","setting":"classroom"}`)
		if _, _, f := res.Error(t); res.Code != http.StatusBadRequest || !strings.Contains(f["setting"], "community") {
			t.Fatalf("bad setting: %s", res)
		}
		res = ba.Post(t, "/api/v1/cases/"+id+"/incidents", `{"version":2,"form":"xam_hai_tinh_duc","setting":"online","date":"2026-11-20","place":"Zalo"}`)
		if res.Code != http.StatusOK || res.Data(t)["confidential"] != true {
			t.Fatalf("a sexual-abuse incident makes the case confidential: %s", res)
		}
		res = ba.Post(t, "/api/v1/cases/"+id+"/children", `{"version":3,"child":{"name":"Lò Văn Em","dob":"2018","sex":"Nam"}}`)
		if res.Code != http.StatusOK || len(res.Data(t)["children"].([]any)) != 2 {
			t.Fatalf("child: %s", res)
		}
	})
}

// forceStep puts a case in a step directly (test set-up), with what the
// step's guards need: a measure in emergency, a draft plan in planning, a
// submitted one in plan_approval.
func forceStep(t *testing.T, h *testenv.Env, id, step string) {
	t.Helper()
	ctx := context.Background()
	err := h.App.DB.Write(ctx, func(tx *store.Tx) error {
		now := h.Clock.Now().UnixMilli()
		stmts := []string{
			`UPDATE cases SET step = '` + step + `' WHERE id = ` + id,
			`INSERT INTO case_steps (case_id, step, entered_at) VALUES (` + id + `, '` + step + `', ` + fmt.Sprint(now) + `)`,
		}
		switch step {
		case "emergency":
			stmts = append(stmts, `INSERT INTO case_emergencies (case_id, measure, decided_at, created_at) VALUES (`+id+`, 'shelter', `+fmt.Sprint(now)+`, `+fmt.Sprint(now)+`)`)
		case "planning":
			stmts = append(stmts, `INSERT INTO case_plans (case_id, seq, state, created_at) VALUES (`+id+`, 1, 'draft', `+fmt.Sprint(now)+`)`)
		case "plan_approval":
			stmts = append(stmts, `INSERT INTO case_plans (case_id, seq, state, created_at) VALUES (`+id+`, 1, 'submitted', `+fmt.Sprint(now)+`)`)
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every pair of steps: the table's transitions succeed for an officer and
// are refused to a reading role (403); every other pair answers 409 with
// the allowed steps.
func TestEveryTransitionOfTheStateMachine(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		analyst := h.User(t, auth.Analyst, "")
		allowed := map[string][]string{}
		for _, tr := range cases.Transitions() {
			allowed[tr.From] = append(allowed[tr.From], tr.To)
		}
		var fresh string
		for _, from := range cases.Steps {
			if from == "transferred" {
				continue // tested with the receiving commune
			}
			for _, to := range cases.Steps {
				if fresh == "" {
					fresh = caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "low")))
				}
				id := fresh
				forceStep(t, h, id, from)
				extra := ""
				switch to {
				case "closed":
					extra = `,"close_reason":"safe"`
				case "transferred":
					extra = `,"commune":"00008"`
				}
				ok := slices.Contains(allowed[from], to)
				if ok {
					if res := analyst.Post(t, "/api/v1/cases/"+id+"/transitions", fmt.Sprintf(`{"to":%q,"reason":"x","version":%d}`, to, version(t, ba, id))); res.Code != http.StatusForbidden {
						t.Errorf("analyst %s → %s: %d", from, to, res.Code)
					}
					move(t, ba, id, to, http.StatusOK, extra)
					fresh = "" // used up
					continue
				}
				res := move(t, ba, id, to, http.StatusConflict, extra)
				var body struct {
					Error struct {
						Allowed []string `json:"allowed"`
					} `json:"error"`
				}
				res.JSON(t, &body)
				if !slices.Equal(body.Error.Allowed, allowed[from]) {
					t.Errorf("%s → %s refused with allowed %v, want %v", from, to, body.Error.Allowed, allowed[from])
				}
			}
		}
	})
}
