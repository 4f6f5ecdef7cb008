package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"treem/internal/auth"
	"treem/internal/geo"
	"treem/internal/i18n"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

// indData names what eachIndicators recorded.
type indData struct {
	kids [3]string // the registry children's ids
}

// eachIndicators runs f on every engine with a small registry and hotline
// load recorded through the API (counted by their real fact sources).
func eachIndicators(t *testing.T, f func(t *testing.T, h *testenv.Env, d indData)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := testenv.NewWith(t, testenv.Options{Engine: e})
			admin := h.User(t, auth.Admin, "")
			var d indData
			for i, body := range []string{
				`{"name":"Nguyễn Thị An","dob":"10/03/2015","sex":"Nữ","commune":"00004","groups":[{"code":"a","start":"01/01/2020"}]}`,
				`{"name":"Trần Văn Bình","dob":"01/06/2019","sex":"Nam","commune":"00008","groups":[{"code":"d","start":"01/05/2024"}]}`,
				`{"name":"Lê Văn Cường","dob":"01/01/2012","sex":"Nam","commune":"01273","groups":[{"code":"l","start":"01/02/2026"}]}`,
			} {
				d.kids[i] = createChild(t, admin, body)
			}
			if res := admin.Post(t, "/api/v1/children/"+d.kids[0]+"/supports", `{"kind":"education","date":"10/01/2026"}`); res.Code != http.StatusCreated {
				t.Fatalf("support: %s", res)
			}
			c := h.User(t, auth.Counsellor, "")
			if res := c.Post(t, "/api/v1/contacts", `{"channel":"zalo","started_at":"2026-03-01T03:00:00Z","type":"child_self",
				"urgency":"low","reasons":["hoc_tap"],"caller":{"kind":"child"},"children":[{"name":"Hoa","age":11,"commune":"00004"}],
				"complete":true}`); res.Code != http.StatusCreated {
				t.Fatalf("contact: %s", res)
			}
			f(t, h, d)
		})
	}
}

type analytics struct {
	Headers []struct {
		Name string `json:"name"`
	} `json:"headers"`
	Rows     [][]any        `json:"rows"`
	Metadata map[string]any `json:"metadata"`
}

func getAnalytics(t *testing.T, c *testenv.Client, q string) (*testenv.Response, analytics) {
	t.Helper()
	res := c.Get(t, "/api/v1/indicators?"+q)
	var a analytics
	if res.Code == http.StatusOK {
		res.JSON(t, &a)
	}
	return res, a
}

// value finds the value of the row for indicator, period and unit (and
// disaggregation value when given).
func value(a analytics, dx, pe, ou string, dim ...string) any {
	for _, r := range a.Rows {
		if r[0] == dx && r[1] == pe && r[2] == ou && (len(dim) == 0 || r[3] == dim[0]) {
			return r[len(r)-1]
		}
	}
	return "missing"
}

func TestIndicatorsAPIShapeAndScope(t *testing.T) {
	eachIndicators(t, func(t *testing.T, h *testenv.Env, d indData) {
		analyst := h.User(t, auth.Analyst, "")
		res, a := getAnalytics(t, analyst, "dx=csc_total;csc_helped_pct&pe=2026;2026Q1;202603&ou=VN;01")
		if res.Code != http.StatusOK {
			t.Fatalf("analyst: %s", res)
		}
		var names []string
		for _, hd := range a.Headers {
			names = append(names, hd.Name)
		}
		if strings.Join(names, ",") != "dx,pe,ou,numerator,denominator,value" {
			t.Errorf("headers %v", names)
		}
		if len(a.Rows) != 2*3*2 {
			t.Errorf("%d rows, want one per indicator, period and unit (12)", len(a.Rows))
		}
		if v := value(a, "csc_total", "2026", "VN"); v != 3.0 {
			t.Errorf("national csc_total 2026 = %v, want 3", v)
		}
		if v := value(a, "csc_helped_pct", "2026", "01"); v != 50.0 {
			t.Errorf("Hà Nội csc_helped_pct 2026 = %v, want 50", v)
		}
		items := a.Metadata["items"].(map[string]any)
		if items["VN"] == nil || items["2026Q1"] == nil || items["csc_total"] == nil {
			t.Errorf("metadata lacks names: %v", items)
		}
		// A disaggregation adds a column.
		_, a = getAnalytics(t, analyst, "dx=csc_total&pe=2026&ou=VN&disagg=sex")
		if len(a.Headers) != 7 || a.Headers[3].Name != "sex" || value(a, "csc_total", "2026", "VN", "male") != 2.0 {
			t.Errorf("by sex: headers %v rows %v", a.Headers, a.Rows)
		}

		// A province officer gets their province and its communes only.
		po := h.User(t, auth.ProvinceOfficer, "01")
		if res, _ := getAnalytics(t, po, "dx=csc_total&pe=2026&ou=VN"); res.Code != http.StatusNotFound {
			t.Errorf("province officer asked for the nation: %s", res)
		}
		if res, _ := getAnalytics(t, po, "dx=csc_total&pe=2026&ou=04"); res.Code != http.StatusNotFound {
			t.Errorf("province officer asked for another province: %s", res)
		}
		_, a = getAnalytics(t, po, "dx=csc_total&pe=2026&ou=LEVEL-province")
		if len(a.Rows) != 1 || a.Rows[0][2] != "01" {
			t.Errorf("LEVEL-province for a province officer: %v", a.Rows)
		}
		_, a = getAnalytics(t, po, "dx=csc_total&pe=2026&ou=LEVEL-commune")
		for _, r := range a.Rows {
			if geo.Default().ProvinceOf(r[2].(string)) != "01" {
				t.Errorf("a commune outside Hà Nội in the answer: %v", r)
			}
		}
		if v := value(a, "csc_total", "2026", "00004"); v != 1.0 {
			t.Errorf("Ba Đình = %v", v)
		}
		co := h.User(t, auth.CommuneOfficer, "00004")
		_, a = getAnalytics(t, co, "dx=csc_total&pe=2026&ou=LEVEL-commune")
		if len(a.Rows) != 1 || a.Rows[0][2] != "00004" {
			t.Errorf("LEVEL-commune for a commune officer: %v", a.Rows)
		}
		if res := h.User(t, auth.Counsellor, "").Get(t, "/api/v1/indicators?dx=csc_total&pe=2026&ou=VN"); res.Code != http.StatusForbidden {
			t.Errorf("a counsellor read indicators: %d", res.Code)
		}
	})
}

func TestBadPeriodsAreExplained(t *testing.T) {
	eachIndicators(t, func(t *testing.T, h *testenv.Env, d indData) {
		a := h.User(t, auth.Analyst, "")
		a.Lang = "en"
		res := a.Get(t, "/api/v1/indicators?dx=csc_total;nope&pe=2026Q5;202613;26&ou=VN")
		if res.Code != http.StatusBadRequest {
			t.Fatalf("bad periods: %s", res)
		}
		_, _, fields := res.Error(t)
		if !strings.Contains(fields["pe"], "2026Q5, 202613, 26") || !strings.Contains(fields["dx"], "nope") {
			t.Errorf("fields %v", fields)
		}
	})
}

func TestNewSupportShowsInTheNationalFigureAfterTheFeedRuns(t *testing.T) {
	eachIndicators(t, func(t *testing.T, h *testenv.Env, d indData) {
		analyst := h.User(t, auth.Analyst, "")
		_, a := getAnalytics(t, analyst, "dx=csc_helped&pe=2026&ou=VN")
		if v := value(a, "csc_helped", "2026", "VN"); v != 1.0 {
			t.Fatalf("before: %v", v)
		}
		ctx := context.Background()
		admin := h.User(t, auth.Admin, "")
		if res := admin.Post(t, "/api/v1/children/"+d.kids[1]+"/supports", `{"kind":"health_care","date":"02/04/2026"}`); res.Code != http.StatusCreated {
			t.Fatalf("support: %s", res)
		}
		h.Clock.Advance(time.Second)
		if _, err := h.App.Indicators.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		_, a = getAnalytics(t, analyst, "dx=csc_helped&pe=2026&ou=VN")
		if v := value(a, "csc_helped", "2026", "VN"); v != 2.0 {
			t.Fatalf("after the feed ran: %v, want 2", v)
		}
	})
}

func TestReturnsValidationApprovalAndLocking(t *testing.T) {
	eachIndicators(t, func(t *testing.T, h *testenv.Env, d indData) {
		h.Clock.Set(time.Date(2026, 10, 5, 2, 0, 0, 0, time.UTC)) // before Q3's returns are due (15/10)
		co := h.User(t, auth.CommuneOfficer, "00004")
		bad := map[string]any{"form": "annual", "commune": "00004", "period": "2025", "submit": true, "values": map[string]int{
			"csc_total": 5, "csc_helped": 9, "safe_homes": 1, "safe_schools": 1, "safe_communities": 0,
			"under6_total": 10, "under6_insured": 12, "under5_weighed": 8}}
		res := co.Post(t, "/api/v1/returns", bad)
		if res.Code != http.StatusBadRequest {
			t.Fatalf("bad return: %s", res)
		}
		_, _, fields := res.Error(t)
		for _, f := range []string{"values.csc_helped", "values.under6_insured", "values.under5_malnourished"} {
			if fields[f] == "" {
				t.Errorf("no problem reported for %s: %v", f, fields)
			}
		}
		good := map[string]any{"form": "quarterly", "commune": "00004", "period": "2026Q3", "submit": true, "values": map[string]int{
			"forums_held": 2, "media_programmes": 1, "messages": 10, "messages_answered": 8, "injuries": 3, "drownings": 1,
			"fund_raised_vnd": 15000000, "fund_children_supported": 4, "fund_disbursed_vnd": 9000000}}
		res = co.Post(t, "/api/v1/returns", good)
		if res.Code != http.StatusOK {
			t.Fatalf("good return: %s", res)
		}
		id := int64(res.Data(t)["id"].(float64))
		sid := jsonID(id)
		if res.Data(t)["on_time"] != true {
			t.Errorf("submitted before 15/10 is late? %s", res)
		}
		// Completeness: one of Ba Đình's province's communes sent it, on time.
		po := h.User(t, auth.ProvinceOfficer, "01")
		res = po.Get(t, "/api/v1/returns/completeness?form=quarterly&period=2026Q3")
		cd := res.Data(t)
		total := cd["total"].(map[string]any)
		if total["received"] != 1.0 || total["on_time"] != 1.0 || total["expected"].(float64) < 100 {
			t.Errorf("completeness %v", total)
		}
		// The province approves: locked for the commune.
		if res := po.Post(t, "/api/v1/returns/"+sid+"/approve", "{}"); res.Code != http.StatusOK {
			t.Fatalf("province approval: %s", res)
		}
		good["values"].(map[string]int)["forums_held"] = 3
		if res := co.Post(t, "/api/v1/returns", good); res.Code != http.StatusConflict {
			t.Errorf("change after approval: %s", res)
		}
		admin := h.User(t, auth.Admin, "")
		if res := admin.Post(t, "/api/v1/returns/"+sid+"/approve", "{}"); res.Code != http.StatusOK {
			t.Fatalf("national approval: %s", res)
		}
		if res := po.Post(t, "/api/v1/returns/"+sid+"/reopen", map[string]string{"note": "sai số"}); res.Code != http.StatusConflict {
			t.Errorf("the province reopened a nationally approved return: %s", res)
		}
		if res := admin.Post(t, "/api/v1/returns/"+sid+"/reopen", map[string]string{"note": ""}); res.Code != http.StatusBadRequest {
			t.Errorf("reopened without a reason: %s", res)
		}
		if res := admin.Post(t, "/api/v1/returns/"+sid+"/reopen", map[string]string{"note": "số diễn đàn sai"}); res.Code != http.StatusOK {
			t.Fatalf("national reopen: %s", res)
		}
		h.AssertAudited(t, admin, "return.reopen", sid)
		if res := co.Post(t, "/api/v1/returns", good); res.Code != http.StatusOK {
			t.Errorf("change after reopening: %s", res)
		}
		// Submitted returns count in the indicators once the feed runs.
		h.Clock.Advance(time.Second)
		if _, err := h.App.Indicators.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, a := getAnalytics(t, h.User(t, auth.Analyst, ""), "dx=forums_held;messages_answered_pct&pe=2026;2026Q3&ou=VN;00004")
		if v := value(a, "forums_held", "2026", "VN"); v != 3.0 {
			t.Errorf("forums held 2026 = %v, want 3", v)
		}
		if v := value(a, "messages_answered_pct", "2026Q3", "00004"); v != 80.0 {
			t.Errorf("messages answered = %v, want 80", v)
		}
		// A late return.
		h.Clock.Set(time.Date(2027, 2, 20, 3, 0, 0, 0, time.UTC))
		late := map[string]any{"form": "quarterly", "commune": "00004", "period": "2026Q4", "submit": true, "values": good["values"]}
		if res := co.Post(t, "/api/v1/returns", late); res.Code != http.StatusOK || res.Data(t)["on_time"] != false {
			t.Errorf("late return: %s", res)
		}
	})
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }

func TestOldUnitDataIsReportedInTodaysUnitsWithASplitNote(t *testing.T) {
	eachIndicators(t, func(t *testing.T, h *testenv.Env, d indData) {
		// Phường Cống Vị (00007) was split in 2025 between Ngọc Hà (00008)
		// and Giảng Võ (00025): its 2020 figures go whole to Ngọc Hà, the
		// first successor listed, with a note.
		po := h.User(t, auth.ProvinceOfficer, "01")
		ret := map[string]any{"form": "quarterly", "commune": "00007", "old_unit": true, "period": "2020Q2", "submit": true,
			"values": map[string]int{"forums_held": 4, "media_programmes": 0, "messages": 0, "messages_answered": 0, "injuries": 0,
				"drownings": 0, "fund_raised_vnd": 0, "fund_children_supported": 0, "fund_disbursed_vnd": 0}}
		if res := po.Post(t, "/api/v1/returns", ret); res.Code != http.StatusOK {
			t.Fatalf("old-unit return: %s", res)
		}
		// A case of 2020 (the case area records today's communes only).
		ba := h.User(t, auth.CommuneOfficer, "00004")
		if res := ba.Post(t, "/api/v1/cases", `{"commune":"00004","children":[{"name":"Lò Thị Hoa","dob":"2012","sex":"Nữ"}],
			"received_at":"2020-05-05T03:00:00Z","source":"police","summary":"x","abuse_forms":["bao_luc"]}`); res.Code != http.StatusCreated {
			t.Fatalf("case of 2020: %s", res)
		}
		h.Clock.Advance(time.Second)
		if _, err := h.App.Indicators.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, a := getAnalytics(t, h.User(t, auth.Analyst, ""), "dx=forums_held;abuse_cases&pe=2020&ou=VN;00008;00025;00004")
		if v := value(a, "forums_held", "2020", "00008"); v != 4.0 {
			t.Errorf("Ngọc Hà 2020 forums = %v, want 4", v)
		}
		if v := value(a, "forums_held", "2020", "00025"); v != 0.0 {
			t.Errorf("Giảng Võ 2020 forums = %v, want 0", v)
		}
		if v := value(a, "forums_held", "2020", "VN"); v != 4.0 {
			t.Errorf("national 2020 forums = %v", v)
		}
		if v := value(a, "abuse_cases", "2020", "00004"); v != 1.0 {
			t.Errorf("a 2020 case in Ba Đình: %v", v)
		}
		notes, _ := a.Metadata["notes"].([]any)
		found := false
		for _, n := range notes {
			m := n.(map[string]any)
			if m["old_unit"] == "00007" && m["ou"] == "00008" {
				found = true
			}
		}
		if !found {
			t.Errorf("no split note for 00007: %v", notes)
		}
	})
}

func TestExportsNeutraliseFormulasAndReportHasVietnamese(t *testing.T) {
	eachIndicators(t, func(t *testing.T, h *testenv.Env, d indData) {
		admin := h.User(t, auth.Admin, "")
		// An admin edits an indicator's name (a new version) to text a
		// spreadsheet would run as a formula.
		res := admin.Get(t, "/api/v1/indicators/catalogue/csc_total")
		ind := res.Data(t)["indicator"].(map[string]any)
		ind["name_vi"] = "=HYPERLINK(\"http://x\")"
		ind["note"] = "thử"
		if res := admin.Do(t, http.MethodPut, "/api/v1/indicators/catalogue/csc_total", mustJSON(ind), http.Header{"Content-Type": {"application/json"}}); res.Code != http.StatusOK {
			t.Fatalf("edit: %s", res)
		}
		res = admin.Get(t, "/api/v1/indicators/catalogue/csc_total")
		if vs := res.Data(t)["versions"].([]any); len(vs) != 2 {
			t.Errorf("%d versions, want 2", len(vs))
		}
		res = admin.Get(t, "/api/v1/indicators/export?format=csv&dx=csc_total&pe=2026&ou=LEVEL-province")
		if res.Code != http.StatusOK || !bytes.Contains(res.Body, []byte(`'=HYPERLINK`)) || bytes.Contains(res.Body, []byte(",=HYPERLINK")) {
			t.Fatalf("CSV not neutralised: %s", res.Body)
		}
		h.AssertAudited(t, admin, "indicators.export", "chi-so")
		res = admin.Get(t, "/api/v1/indicators/export?format=xlsx&dx=csc_total&pe=2026&ou=VN")
		f, err := excelize.OpenReader(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatalf("XLSX: %v", err)
		}
		sheet := f.GetSheetList()[0]
		cell, _ := f.GetCellValue(sheet, "B2")
		formula, _ := f.GetCellFormula(sheet, "B2")
		if !strings.HasPrefix(cell, "'=") || formula != "" {
			t.Errorf("XLSX cell %q formula %q", cell, formula)
		}
		res = admin.Get(t, "/api/v1/indicators/report?format=pdf&year=2026")
		if res.Code != http.StatusOK || !bytes.HasPrefix(res.Body, []byte("%PDF")) {
			t.Fatalf("PDF: %d %.40s", res.Code, res.Body)
		}
		title := utf16.Encode([]rune("Báo cáo chỉ số trẻ em năm 2026"))
		var be []byte
		for _, u := range title {
			be = append(be, byte(u>>8), byte(u))
		}
		if !bytes.Contains(res.Body, be) || !bytes.Contains(res.Body, []byte("/FontFile2")) {
			t.Errorf("the PDF lacks its Vietnamese title or the embedded Noto Sans font")
		}
		res = admin.Get(t, "/api/v1/indicators/report?format=xlsx&year=2026")
		if f, err := excelize.OpenReader(bytes.NewReader(res.Body)); err != nil || len(f.GetSheetList()) < 10 {
			t.Errorf("XLSX report: %v", err)
		}
		po := h.User(t, auth.ProvinceOfficer, "01")
		if res := po.Get(t, "/api/v1/indicators/report?format=pdf&year=2026"); res.Code != http.StatusNotFound {
			t.Errorf("a province officer got the national report: %d", res.Code)
		}
	})
}

func mustJSON(v any) *bytes.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

func TestDashboardsRenderInBothLanguages(t *testing.T) {
	eachIndicators(t, func(t *testing.T, h *testenv.Env, d indData) {
		for _, who := range []struct {
			role auth.Role
			unit string
			path string
		}{
			{auth.Analyst, "", "/indicators"},
			{auth.Analyst, "", "/indicators?ou=01&ind=hotline_contacts&trend=quarter"},
			{auth.ProvinceOfficer, "01", "/indicators?ou=00004&trend=month"},
			{auth.CommuneOfficer, "00004", "/indicators"},
			{auth.Admin, "", "/indicators/catalogue"},
			{auth.CommuneOfficer, "00004", "/returns"},
			{auth.CommuneOfficer, "00004", "/returns/new?form=cfc&period=2025"},
			{auth.ProvinceOfficer, "01", "/returns?form=annual&period=2025"},
		} {
			u := h.User(t, who.role, who.unit)
			b := h.Browser(t)
			if res := b.Login(t, u.Username, testenv.Password); res.Code != http.StatusSeeOther {
				t.Fatalf("login: %s", res)
			}
			for _, lang := range []string{"vi", "en"} {
				b.PostForm(t, "/lang", map[string][]string{"lang": {lang}})
				res := b.Get(t, who.path)
				if res.Code != http.StatusOK {
					t.Fatalf("%s %s as %s: %s", lang, who.path, who.role, res.Body)
				}
				if bytes.Contains(res.Body, []byte(i18n.MissingMark)) {
					i := bytes.Index(res.Body, []byte(i18n.MissingMark))
					t.Errorf("%s %s: missing translation near %q", lang, who.path, res.Body[i:min(i+60, len(res.Body))])
				}
				if strings.HasPrefix(who.path, "/indicators?") || who.path == "/indicators" {
					if !bytes.Contains(res.Body, []byte("<svg")) || !bytes.Contains(res.Body, []byte("Trường Sa")) && !bytes.Contains(res.Body, []byte("Truong Sa")) {
						t.Errorf("%s %s: no map with the archipelagos", lang, who.path)
					}
					if bytes.Contains(res.Body, []byte("style=")) {
						t.Errorf("%s %s: a style attribute", lang, who.path)
					}
				}
			}
		}
	})
}
