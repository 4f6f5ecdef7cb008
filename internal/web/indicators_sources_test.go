package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/hotline"
	"treem/internal/i18n"
	"treem/internal/indicators"
	"treem/internal/indicators/facts"
	"treem/internal/store"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

// The registry's and the hotline's real fact sources: figures over records
// made through the API equal the hand-computed ones, follow every change
// through the change feed, and agree with the verifier's plain SQL — which
// catches a record changed behind the feed's back.
func TestIndicatorsCountTheRegistryAndTheHotline(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ctx := context.Background()
		admin := h.User(t, auth.Admin, "")
		analyst := h.User(t, auth.Analyst, "")
		c := h.User(t, auth.Counsellor, "")
		post := func(cl *testenv.Client, path, body string) map[string]any {
			t.Helper()
			res := cl.Post(t, path, body)
			if res.Code != http.StatusCreated && res.Code != http.StatusOK {
				t.Fatalf("POST %s: %s", path, res)
			}
			return res.Data(t)
		}
		// The registry (Hà Nội: 00004 Ba Đình, 00008 Ngọc Hà; 01273 elsewhere).
		k1 := createChild(t, admin, `{"name":"Nguyễn Thị An","dob":"10/03/2015","sex":"Nữ","commune":"00004",
			"groups":[{"code":"a","start":"01/01/2020"}]}`)
		k2 := createChild(t, admin, `{"name":"Phạm Văn Bảo","dob":"2019","sex":"Nam","commune":"00004",
			"groups":[{"code":"d","start":"2024","end":"31/03/2026"}]}`)
		k3 := createChild(t, admin, `{"name":"Lê Văn Cường","dob":"01/01/2012","sex":"Nam","commune":"00008",
			"groups":[{"code":"l","start":"01/02/2026"},{"code":"k","start":"01/02/2026"}]}`)
		k4 := createChild(t, admin, `{"name":"Đỗ Thị Dung","dob":"05/05/2010","sex":"Nữ","commune":"01273",
			"groups":[{"code":"n","start":"01/01/2023","end":"31/12/2025"}]}`)
		k5 := createChild(t, admin, `{"name":"Vũ Minh Em","dob":"03/03/2013","sex":"Nam","commune":"00008",
			"groups":[{"code":"a","start":"01/06/2026"}]}`)
		for _, s := range []struct{ child, body string }{
			{k1, `{"kind":"education","date":"10/01/2026"}`},
			{k1, `{"kind":"health_care","date":"15/01/2026"}`},
			{k1, `{"kind":"education","date":"20/02/2026","status":"planned"}`},
			{k2, `{"kind":"psychological","date":"01/03/2026"}`},
			{k3, `{"kind":"legal_aid","date":"01/03/2026","status":"cancelled"}`},
			{k4, `{"kind":"education","date":"05/05/2026"}`}, // no longer in a group: a support, not a child helped
		} {
			post(admin, "/api/v1/children/"+s.child+"/supports", s.body)
		}
		// The hotline. C2 starts at 01:00 on 1 July, Vietnam time (still
		// 30 June in UTC); C4 at 00:30 on 1 January 2026 in Vietnam.
		c1 := post(c, "/api/v1/contacts", `{"channel":"phone","started_at":"2026-03-01T03:00:00Z","type":"about_child",
			"urgency":"high","reasons":["bao_luc"],"caller":{"kind":"adult","commune":"00008"},
			"children":[{"name":"Hoa","age":9},{"name":"Lan","age":11,"commune":"00004"}],"complete":true}`)
		c2 := post(c, "/api/v1/contacts", `{"channel":"zalo","started_at":"2026-06-30T18:00:00Z","type":"child_self",
			"urgency":"low","reasons":["hoc_tap"],"caller":{"kind":"child","commune":"00008"},"complete":true}`)
		post(c, "/api/v1/contacts", `{"channel":"phone","started_at":"2026-04-02T03:00:00Z","type":"silent","complete":true}`)
		post(c, "/api/v1/contacts", `{"channel":"web","started_at":"2025-12-31T17:30:00Z","type":"prank","complete":true}`)
		post(c, fmt.Sprintf("/api/v1/contacts/%v/referrals", c1["id"]), `{"commune":"00008","target":"commune"}`)

		type want struct {
			dx, pe, ou string
			v          float64
		}
		check := func(stage, q string, ws []want, dim ...string) {
			t.Helper()
			res, a := getAnalytics(t, analyst, q)
			if res.Code != http.StatusOK {
				t.Fatalf("%s: %s", stage, res)
			}
			for _, w := range ws {
				if got := value(a, w.dx, w.pe, w.ou, dim...); got != w.v {
					t.Errorf("%s: %s %s %s %v = %v, want %v", stage, w.dx, w.pe, w.ou, dim, got, w.v)
				}
			}
		}
		check("registry", "dx=csc_total;csc_helped;csc_supports&pe=2026;2026Q2;2025&ou=VN;00004;00008;01273", []want{
			{"csc_total", "2026", "VN", 4}, {"csc_total", "2026", "00004", 2}, {"csc_total", "2026", "00008", 2},
			{"csc_total", "2026", "01273", 0}, {"csc_total", "2025", "VN", 3}, {"csc_total", "2025", "01273", 1},
			{"csc_total", "2026Q2", "VN", 3}, {"csc_total", "2026Q2", "00004", 1},
			{"csc_helped", "2026", "VN", 2}, {"csc_helped", "2026", "00004", 2}, {"csc_helped", "2026", "01273", 0},
			{"csc_supports", "2026", "VN", 4}, {"csc_supports", "2026", "01273", 1}, {"csc_supports", "2026Q2", "VN", 1},
		})
		check("registry by sex", "dx=csc_total&pe=2026&ou=VN&disagg=sex", []want{{"csc_total", "2026", "VN", 3}}, "male")
		check("hotline", "dx=hotline_contacts;hotline_data_contacts;hotline_referrals&pe=2026;2026Q1;2026Q2;2026Q3&ou=VN;00004;00008", []want{
			{"hotline_contacts", "2026", "VN", 4}, {"hotline_contacts", "2026", "00004", 1}, {"hotline_contacts", "2026", "00008", 1},
			{"hotline_contacts", "2026Q1", "VN", 2}, {"hotline_contacts", "2026Q2", "VN", 1}, {"hotline_contacts", "2026Q3", "VN", 1},
			{"hotline_data_contacts", "2026", "VN", 2}, {"hotline_data_contacts", "2026Q3", "00008", 1},
			{"hotline_referrals", "2026", "VN", 1}, {"hotline_referrals", "2026", "00008", 1}, {"hotline_referrals", "2026", "00004", 0},
		})
		check("hotline by channel", "dx=hotline_contacts&pe=2026&ou=VN&disagg=channel", []want{{"hotline_contacts", "2026", "VN", 2}}, "phone")
		check("hotline by reason", "dx=hotline_contacts&pe=2026&ou=VN&disagg=reason", []want{{"hotline_contacts", "2026", "VN", 1}}, "bao_luc")
		check("referrals by target", "dx=hotline_referrals&pe=2026&ou=VN&disagg=target", []want{{"hotline_referrals", "2026", "VN", 1}}, "commune")

		periods, err := indicators.ParsePeriods("2026;2026Q1;2026Q3;202607;2025")
		if err != nil {
			t.Fatal(err)
		}
		verify := func(stage string) indicators.Verification {
			t.Helper()
			rep, err := h.App.Indicators.Verify(ctx, periods)
			if err != nil {
				t.Fatalf("%s: verify: %v", stage, err)
			}
			for _, m := range []string{"m_csc", "m_csc_helped", "m_supports", "m_contacts", "m_data_contacts", "m_referrals"} {
				if !strings.Contains(strings.Join(rep.Measures, ","), m) {
					t.Errorf("%s: the verifier did not check %s: %v", stage, m, rep.Measures)
				}
			}
			return rep
		}
		if rep := verify("as recorded"); !rep.OK() {
			t.Fatalf("engine and plain SQL disagree: %+v", rep.Mismatches)
		}

		// Changes reach the figures through the feed.
		k6 := createChild(t, admin, `{"name":"Hoàng Thị Phương","dob":"07/07/2016","sex":"Nữ","commune":"01273",
			"groups":[{"code":"b","start":"01/06/2026"}]}`)
		post(admin, "/api/v1/children/"+k3+"/supports", `{"kind":"legal_aid","date":"02/04/2026"}`)
		post(c, "/api/v1/contacts", `{"channel":"email","started_at":"2026-08-08T03:00:00Z","type":"about_child",
			"urgency":"medium","reasons":["gia_dinh"],"caller":{"kind":"adult","commune":"01273"},"complete":true}`)
		// C2's child lives in 01273: the contact moves there; and it is referred there.
		c2path := fmt.Sprintf("/api/v1/contacts/%v", c2["id"])
		if res := c.Patch(t, c2path, `{"children":[{"name":"Minh","age":12,"commune":"01273"}]}`); res.Code != http.StatusOK {
			t.Fatalf("wrap-up change: %s", res)
		}
		post(c, c2path+"/referrals", `{"commune":"01273","target":"commune"}`)
		// K5 turns out to be K3: merged, it no longer counts.
		post(admin, "/api/v1/children/"+k3+"/merge", `{"duplicate":`+k5+`}`)
		h.Clock.Advance(time.Second)
		if _, err := h.App.Indicators.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		check("after changes", "dx=csc_total;csc_helped;hotline_contacts;hotline_referrals&pe=2026&ou=VN;00008;01273", []want{
			{"csc_total", "2026", "VN", 4}, {"csc_total", "2026", "00008", 1}, {"csc_total", "2026", "01273", 1},
			{"csc_helped", "2026", "VN", 3}, {"csc_helped", "2026", "00008", 1},
			{"hotline_contacts", "2026", "VN", 5}, {"hotline_contacts", "2026", "01273", 2}, {"hotline_contacts", "2026", "00008", 0},
			{"hotline_referrals", "2026", "VN", 2}, {"hotline_referrals", "2026", "01273", 1},
		})
		// Moving a child to another commune moves its figures.
		version := admin.Get(t, "/api/v1/children/"+k6).Data(t)["version"]
		if res := admin.Patch(t, "/api/v1/children/"+k6, fmt.Sprintf(`{"version":%v,"commune":"00004"}`, version)); res.Code != http.StatusOK {
			t.Fatalf("move: %s", res)
		}
		h.Clock.Advance(time.Second)
		if _, err := h.App.Indicators.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a move", "dx=csc_total&pe=2026&ou=VN;00004;01273", []want{
			{"csc_total", "2026", "VN", 4}, {"csc_total", "2026", "00004", 3}, {"csc_total", "2026", "01273", 0},
		})
		if rep := verify("after changes"); !rep.OK() {
			t.Fatalf("engine and plain SQL disagree after changes: %+v", rep.Mismatches)
		}

		// A support cancelled behind the feed's back: the verifier sees it.
		err = h.App.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE supports SET status = 'cancelled' WHERE child_id = $1`, k2)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rep := verify("tampered")
		found := false
		for _, m := range rep.Mismatches {
			if m.Measure == "m_csc_helped" && m.Period == "2026" && m.Unit == "00004" && m.Engine == 2 && m.SQL == 1 {
				found = true
			}
		}
		if rep.OK() || !found {
			t.Fatalf("a tampered support went unnoticed: %+v", rep.Mismatches)
		}
		// Once the change is on the feed, they agree again.
		var id int64
		fmt.Sscan(k2, &id)
		err = h.App.DB.Write(ctx, func(tx *store.Tx) error {
			return facts.Touch(ctx, tx, "children", id, h.Clock.Now().UnixMilli())
		})
		if err != nil {
			t.Fatal(err)
		}
		if rep := verify("repaired"); !rep.OK() {
			t.Fatalf("still disagree once touched: %+v", rep.Mismatches)
		}
	})
}

// The demo's registry and hotline show in the indicators, and the engine
// agrees with plain SQL on them.
func TestDemoIndicatorsCountTheDemoRecords(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := testenv.NewWith(t, testenv.Options{Engine: e, Demo: true})
			year := h.Clock.Now().In(i18n.Vietnam).Format("2006")
			_, a := getAnalytics(t, h.User(t, auth.Analyst, ""), "dx=csc_total;hotline_contacts&pe="+year+"&ou=VN")
			if v, _ := value(a, "csc_total", year, "VN").(float64); v < 10 {
				t.Errorf("demo children in special circumstances: %v", value(a, "csc_total", year, "VN"))
			}
			if v, _ := value(a, "hotline_contacts", year, "VN").(float64); v < 1000 {
				t.Errorf("demo contacts: %v", value(a, "hotline_contacts", year, "VN"))
			}
			ps, _ := indicators.ParsePeriods(year)
			rep, err := h.App.Indicators.Verify(context.Background(), ps)
			if err != nil || !rep.OK() {
				t.Fatalf("verify the demo: %v %+v", err, rep.Mismatches)
			}
		})
	}
}

// Children imported from a spreadsheet reach the figures through the feed.
func TestImportedChildrenReachTheIndicators(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ctx := context.Background()
		analyst := h.User(t, auth.Analyst, "")
		_, a := getAnalytics(t, analyst, "dx=csc_total&pe=2026&ou=VN;00004")
		if v := value(a, "csc_total", "2026", "00004"); v != 0.0 {
			t.Fatalf("before: %v", v)
		}
		officer := h.User(t, auth.CommuneOfficer, "00004")
		file := "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân,Mã xã,Nhóm hoàn cảnh đặc biệt,Số điện thoại\n" +
			"Lò Thị Mai,05/05/2016,Nữ,,00004,a,\n" +
			"Lò Văn Páo,06/06/2015,Nam,,00004,d,\n" +
			"Lò Văn Sình,07/07/2014,Nam,,00004,,\n" // at risk only: in no group
		res := officer.Do(t, http.MethodPost, "/api/v1/children/imports?name=ds.csv", strings.NewReader(file),
			http.Header{"Content-Type": {"text/csv"}})
		if res.Code != http.StatusAccepted {
			t.Fatalf("import: %s", res)
		}
		if d := waitImport(t, h, officer, fmt.Sprint(res.Data(t)["id"])); d["state"] != "done" || d["imported"] != 3.0 {
			t.Fatalf("import: %v", d)
		}
		h.Clock.Advance(time.Second)
		if _, err := h.App.Indicators.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		_, a = getAnalytics(t, analyst, "dx=csc_total&pe=2026&ou=VN;00004")
		if v := value(a, "csc_total", "2026", "00004"); v != 2.0 {
			t.Errorf("after the import: %v, want 2", v)
		}
		ps, _ := indicators.ParsePeriods("2026;2026Q4")
		if rep, err := h.App.Indicators.Verify(ctx, ps); err != nil || !rep.OK() {
			t.Fatalf("verify: %v %+v", err, rep.Mismatches)
		}
	})
}

// A call from the switch counts as it rings, and its outcome follows the
// switch's later events.
func TestCallsFromTheSwitchReachTheIndicators(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		ctx := context.Background()
		analyst := h.User(t, auth.Analyst, "")
		send := func(body string) {
			t.Helper()
			if res := postEvent(t, h, body, hotline.SignTelephony(telephonySecret, []byte(body))); res.Code != http.StatusOK {
				t.Fatalf("event: %s", res)
			}
			h.Clock.Advance(time.Second)
			if _, err := h.App.Indicators.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		t0 := testenv.Start.Add(-10 * time.Minute)
		send(event("call-7", "ringing", "0912345678", "", t0))
		_, a := getAnalytics(t, analyst, "dx=hotline_contacts&pe=2026&ou=VN")
		if v := value(a, "hotline_contacts", "2026", "VN"); v != 1.0 {
			t.Fatalf("a ringing call: %v", v)
		}
		send(event("call-7", "missed", "", "", t0.Add(40*time.Second)))
		_, a = getAnalytics(t, analyst, "dx=hotline_contacts&pe=2026&ou=VN&disagg=outcome")
		if v := value(a, "hotline_contacts", "2026", "VN", "missed"); v != 1.0 {
			t.Fatalf("a missed call by outcome: %v (%v)", v, a.Rows)
		}
		ps, _ := indicators.ParsePeriods("2026;202611")
		if rep, err := h.App.Indicators.Verify(ctx, ps); err != nil || !rep.OK() {
			t.Fatalf("verify: %v %+v", err, rep.Mismatches)
		}
	})
}
