package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/hotline"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

const telephonySecret = "s3cret-of-the-switch"

// eachHotline runs f on every engine with the hotline's channels configured.
func eachHotline(t *testing.T, extra func(*config.Config), f func(t *testing.T, h *testenv.Env)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f(t, testenv.NewWith(t, testenv.Options{Engine: e, Config: func(c *config.Config) {
				c.Hotline.TelephonySecret = telephonySecret
				c.Hotline.ZaloAppID = zaloApp
				c.Hotline.ZaloOASecret = zaloSecret
				c.Hotline.ZaloAppSecret = "app-secret"
				if extra != nil {
					extra(c)
				}
			}}))
		})
	}
}

func count(t *testing.T, h *testenv.Env, table string) int {
	t.Helper()
	var n int
	if err := h.App.DB.Read().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// postEvent posts a call event signed as the switch does.
func postEvent(t *testing.T, h *testenv.Env, body, signature string) *testenv.Response {
	t.Helper()
	hdr := http.Header{"Content-Type": {"application/json"}}
	if signature != "" {
		hdr.Set("X-Treem-Signature", signature)
	}
	return h.Anonymous().Do(t, "POST", "/api/v1/telephony/events", strings.NewReader(body), hdr)
}

func event(callID, ev, caller, ext string, at time.Time) string {
	b, _ := json.Marshal(hotline.CallEvent{CallID: callID, Event: ev, Caller: caller, Extension: ext, At: at})
	return string(b)
}

func TestTelephonyEventsMustBeSigned(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		body := event("c-1", "ringing", "0912345678", "", testenv.Start)
		for name, sig := range map[string]string{
			"missing":         "",
			"wrong secret":    hotline.SignTelephony("another secret", []byte(body)),
			"no prefix":       strings.TrimPrefix(hotline.SignTelephony(telephonySecret, []byte(body)), "sha256="),
			"of another body": hotline.SignTelephony(telephonySecret, []byte(body+" ")),
			"not hex":         "sha256=zz",
		} {
			if res := postEvent(t, h, body, sig); res.Code != http.StatusUnauthorized {
				t.Errorf("%s signature: %s", name, res)
			}
		}
		if n := count(t, h, "hotline_call_events") + count(t, h, "contacts"); n != 0 {
			t.Fatalf("refused events stored %d rows", n)
		}
		if res := postEvent(t, h, body, hotline.SignTelephony(telephonySecret, []byte(body))); res.Code != http.StatusOK {
			t.Fatalf("good signature: %s", res)
		}
	})
}

func TestOneCallIsOneContactWhateverTheOrderOfItsEvents(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		counsellor := h.User(t, auth.Counsellor, "")
		if res := counsellor.Do(t, "PUT", "/api/v1/hotline/extension", strings.NewReader(`{"extension":"201"}`),
			http.Header{"Content-Type": {"application/json"}}); res.Code != 200 {
			t.Fatalf("set extension: %s", res)
		}
		t0 := testenv.Start.Add(-10 * time.Minute)
		events := []string{
			event("call-42", "ringing", "+84 912 345 678", "", t0),
			event("call-42", "answered", "", "201", t0.Add(12*time.Second)),
			event("call-42", "ended", "", "201", t0.Add(5*time.Minute+12*time.Second)),
		}
		rec, _ := json.Marshal(hotline.CallEvent{CallID: "call-42", Event: "recording_ready", At: t0.Add(6 * time.Minute), RecordingURL: "https://pbx.example/rec/42.wav"})
		events = append(events, string(rec))
		// Every event twice, in a shuffled order, some at the same time.
		all := append(append([]string{}, events...), events...)
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		var wg sync.WaitGroup
		for i, body := range all {
			send := func() {
				if res := postEvent(t, h, body, hotline.SignTelephony(telephonySecret, []byte(body))); res.Code != 200 {
					t.Errorf("event: %s", res)
				}
			}
			if i%2 == 0 {
				wg.Add(1)
				go func() { defer wg.Done(); send() }()
			} else {
				send()
			}
		}
		wg.Wait()
		if n := count(t, h, "contacts"); n != 1 {
			t.Fatalf("one call made %d contacts", n)
		}
		var list struct {
			Data []hotline.Summary
		}
		counsellor.Get(t, "/api/v1/contacts").JSON(t, &list)
		c := counsellor.Get(t, fmt.Sprintf("/api/v1/contacts/%d", list.Data[0].ID)).Data(t)
		if c["wait_seconds"] != 12.0 || c["talk_seconds"] != 300.0 || c["outcome"] != "answered" {
			t.Fatalf("wait 12 s and talk 300 s answered, got %v %v %v", c["wait_seconds"], c["talk_seconds"], c["outcome"])
		}
		if c["counsellor_id"] != float64(counsellor.UserID) || c["state"] != "active" || c["has_recording"] != true {
			t.Fatalf("the answering counsellor should have the contact in hand: %v", c)
		}
		if caller := c["caller"].(map[string]any); caller["phone"] != "0912345678" {
			t.Fatalf("caller phone normalised and readable: %v", caller)
		}
		// The counsellor's workspace shows it.
		b := h.Browser(t)
		b.Login(t, counsellor.Username, testenv.Password)
		page := string(b.Get(t, "/hotline").Body)
		if !strings.Contains(page, c["number"].(string)) {
			t.Fatal("the answered call is not on the counsellor's desk")
		}
		// The phone number is sealed at rest.
		var raw []byte
		h.App.DB.Read().QueryRow("SELECT caller_phone FROM contacts").Scan(&raw)
		if strings.Contains(string(raw), "912345678") {
			t.Fatal("phone number stored in clear")
		}
	})
}

func TestMissedAndAbandonedCallsAreCounted(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		sup := h.User(t, auth.Supervisor, "")
		t0 := testenv.Start.Add(-time.Hour)
		for _, body := range []string{
			event("m1", "ringing", "0987654321", "", t0), event("m1", "missed", "", "", t0.Add(40*time.Second)),
			event("a1", "ringing", "0987654322", "", t0), event("a1", "ended", "", "", t0.Add(20*time.Second)),
			event("w1", "ringing", "0987654323", "", testenv.Start.Add(-90*time.Second)),
		} {
			postEvent(t, h, body, hotline.SignTelephony(telephonySecret, []byte(body)))
		}
		st := sup.Get(t, "/api/v1/hotline/stats").Data(t)
		if st["missed"] != 1.0 || st["abandoned"] != 1.0 || st["waiting"] != 1.0 || st["longest_wait_seconds"] != 90.0 {
			t.Fatalf("missed 1, abandoned 1, one waiting 90 s: %v", st)
		}
	})
}

func TestPublicReportLandsInTheQueueAndShowsOnlyItsStatus(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		anon := h.Anonymous()
		res := anon.Post(t, "/api/v1/public/reports", `{"description":"Em bé hàng xóm bị đánh hằng đêm, khóc rất to.",
			"commune":"00004","child":{"name":"Lò Văn Nam","age":7,"sex":"Nam"},"reporter":{"name":"Người dân","phone":"0911222333"}}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("report: %s", res)
		}
		code := res.Data(t)["tracking_code"].(string)
		st := anon.Get(t, "/api/v1/public/reports/"+code)
		if st.Code != 200 || st.Data(t)["status"] != "received" || strings.Contains(string(st.Body), "đánh") || strings.Contains(string(st.Body), "Nam") {
			t.Fatalf("status should show the status only: %s", st)
		}
		if anon.Get(t, "/api/v1/public/reports/AAAAA-BBBBB").Code != http.StatusNotFound {
			t.Fatal("unknown tracking code")
		}
		c := h.User(t, auth.Counsellor, "")
		var q struct{ Data []hotline.Summary }
		c.Get(t, "/api/v1/hotline/queue").JSON(t, &q)
		if len(q.Data) != 1 || q.Data[0].Channel != "web" {
			t.Fatalf("the report should wait in the queue: %+v", q)
		}
		if res := c.Post(t, fmt.Sprintf("/api/v1/contacts/%d/claim", q.Data[0].ID), `{}`); res.Code != 200 {
			t.Fatalf("claim: %s", res)
		}
		if res := h.User(t, auth.Counsellor, "").Post(t, fmt.Sprintf("/api/v1/contacts/%d/claim", q.Data[0].ID), `{}`); res.Code != http.StatusConflict {
			t.Fatalf("second claim: %s", res)
		}
		if anon.Get(t, "/api/v1/public/reports/"+strings.ToLower(code)).Data(t)["status"] != "in_progress" {
			t.Fatal("claimed report should be in progress")
		}
	})
}

func TestPublicReportLimits(t *testing.T) {
	h := testenv.New(t)
	anon := h.Anonymous()
	good := `{"description":"Một em nhỏ bị bỏ đói nhiều ngày.","commune":"00004","anonymous":true}`
	if res := anon.Post(t, "/api/v1/public/reports", `{"description":"`+strings.Repeat("x", 40<<10)+`","commune":"00004"}`); res.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized report: %s", res)
	}
	bot := anon.Post(t, "/api/v1/public/reports", `{"description":"buy cheap things now!!","commune":"00004","website":"http://spam.example"}`)
	if bot.Code != http.StatusCreated || count(t, h, "contacts") != 0 {
		t.Fatalf("a bot filling the honeypot should be told yes and nothing stored: %s", bot)
	}
	if res := anon.Post(t, "/api/v1/public/reports", `{"description":"ngắn","commune":"99999"}`); res.Code != 400 {
		t.Fatalf("invalid report: %s", res)
	}
	var last *testenv.Response
	for i := 0; i < 5; i++ {
		last = anon.Post(t, "/api/v1/public/reports", good)
	}
	if last.Code != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("the sixth report in a minute should be refused: %s", last)
	}
	h.Clock.Advance(time.Minute)
	if res := anon.Post(t, "/api/v1/public/reports", good); res.Code != http.StatusCreated {
		t.Fatalf("after a minute: %s", res)
	}
	// The page works without JavaScript: a plain form post.
	b := h.Browser(t)
	h.Clock.Advance(time.Minute)
	res := b.PostForm(t, "/report", url.Values{"description": {"Trẻ bị bắt đi làm ở xưởng may."}, "commune": {"00004"}, "anonymous": {"1"}})
	if res.Code != http.StatusCreated || !strings.Contains(string(res.Body), "-") {
		t.Fatalf("report form: %d", res.Code)
	}
}

func TestContactNumbersStayUniqueUnderConcurrentCreation(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		var clients []*testenv.Client
		for i := 0; i < 4; i++ {
			clients = append(clients, h.User(t, auth.Counsellor, ""))
		}
		const n = 60
		numbers := make(chan string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := clients[i%4].Post(t, "/api/v1/contacts", `{"channel":"walk_in","type":"thanks","complete":true}`)
				if res.Code != http.StatusCreated {
					t.Errorf("create: %s", res)
					return
				}
				numbers <- res.Data(t)["number"].(string)
			}()
		}
		wg.Wait()
		close(numbers)
		seen := map[string]bool{}
		for num := range numbers {
			if seen[num] {
				t.Fatalf("number %s given twice", num)
			}
			if !strings.HasPrefix(num, "111-2026-") || len(num) != len("111-2026-0000001") {
				t.Fatalf("number %q", num)
			}
			seen[num] = true
		}
		if len(seen) != n || !seen["111-2026-0000001"] || !seen[fmt.Sprintf("111-2026-%07d", n)] {
			t.Fatalf("want 1..%d without gaps, got %d numbers", n, len(seen))
		}
	})
}

func TestWrapUpIsSavedUnfinishedThenCompleted(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		c := h.User(t, auth.Counsellor, "")
		res := c.Post(t, "/api/v1/contacts", `{"channel":"phone","caller":{"phone":"0912 000 111"}}`)
		id := int64(res.Data(t)["id"].(float64))
		path := fmt.Sprintf("/api/v1/contacts/%d", id)
		// Unfinished: anything goes.
		if res := c.Patch(t, path, `{"summary":"Cháu gọi, khóc, chưa nói được chuyện gì."}`); res.Code != 200 || res.Data(t)["complete"] != false {
			t.Fatalf("draft: %s", res)
		}
		// Completing a data contact asks for what is missing, all at once.
		res = c.Patch(t, path, `{"type":"child_self","complete":true}`)
		_, _, fields := res.Error(t)
		if res.Code != 400 || fields["reasons"] == "" || fields["urgency"] == "" || fields["caller.kind"] == "" {
			t.Fatalf("incomplete wrap-up: %s", res)
		}
		res = c.Patch(t, path, `{"type":"child_self","urgency":"high","reasons":["bao_luc.the_chat","tam_than"],
			"caller":{"kind":"child","age_band":"11_15","sex":"Nữ","phone":"0912000111","commune":"00004"},
			"children":[{"name":"Nguyễn Thị Hoa","age":13,"sex":"female","commune":"00004"}],
			"actions":["counselling"],"follow_up_on":"05/12/2026","complete":true}`)
		d := res.Data(t)
		if res.Code != 200 || d["complete"] != true || d["state"] != "closed" || d["follow_up_on"] != "2026-12-05" || d["province"] != "01" {
			t.Fatalf("complete: %s", res)
		}
		h.AssertAudited(t, c, "contact.update", fmt.Sprint(id))
		// The summary is sealed at rest.
		var raw []byte
		h.App.DB.Read().QueryRow("SELECT summary FROM contacts WHERE id = $1", id).Scan(&raw)
		if strings.Contains(string(raw), "khóc") {
			t.Fatal("summary stored in clear")
		}
	})
}

func TestRepeatCallersBlocksAndReferrals(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		c := h.User(t, auth.Counsellor, "")
		var ids []int64
		for i := 0; i < 3; i++ {
			res := c.Post(t, "/api/v1/contacts", `{"channel":"phone","caller":{"phone":"+84 988 777 666"},"type":"prank","complete":true}`)
			ids = append(ids, int64(res.Data(t)["id"].(float64)))
			h.Clock.Advance(time.Minute)
		}
		d := c.Get(t, fmt.Sprintf("/api/v1/contacts/%d", ids[2])).Data(t)
		prev := d["previous"].(map[string]any)
		if prev["total"] != 2.0 || len(prev["contacts"].([]any)) != 2 {
			t.Fatalf("two previous contacts from the same phone: %v", prev)
		}
		h.AssertAudited(t, c, "contact.read", fmt.Sprint(ids[2]))
		// Block for a day: the caller's next call does not queue.
		if res := c.Post(t, fmt.Sprintf("/api/v1/contacts/%d/block", ids[2]), `{"hours":24,"reason":"prank"}`); res.Code != 201 {
			t.Fatalf("block: %s", res)
		}
		body := event("blocked-1", "ringing", "0988777666", "", h.Clock.Now())
		postEvent(t, h, body, hotline.SignTelephony(telephonySecret, []byte(body)))
		var q struct{ Data []hotline.Summary }
		c.Get(t, "/api/v1/hotline/queue").JSON(t, &q)
		if len(q.Data) != 0 {
			t.Fatalf("a blocked caller queued: %+v", q.Data)
		}
		h.Clock.Advance(25 * time.Hour)
		body = event("after-block", "ringing", "0988777666", "", h.Clock.Now())
		postEvent(t, h, body, hotline.SignTelephony(telephonySecret, []byte(body)))
		c.Get(t, "/api/v1/hotline/queue").JSON(t, &q)
		if len(q.Data) != 1 || q.Data[0].Repeat != 4 {
			t.Fatalf("after the block the caller queues again, marked as calling a fifth time: %+v", q.Data)
		}

		// A referral to a commune of Huế opens the contact to Huế's province officers only.
		hue := h.User(t, auth.ProvinceOfficer, "46")
		hanoi := h.User(t, auth.ProvinceOfficer, "01")
		res := c.Post(t, fmt.Sprintf("/api/v1/contacts/%d/referrals", ids[0]), `{"commune":"19753","note":"Cần xác minh ngay"}`)
		if res.Code != 201 || res.Data(t)["province"] != "46" {
			t.Fatalf("refer: %s", res)
		}
		if res := hue.Get(t, fmt.Sprintf("/api/v1/contacts/%d", ids[0])); res.Code != 200 {
			t.Fatalf("Huế officer reads the referred contact: %s", res)
		}
		if res := hanoi.Get(t, fmt.Sprintf("/api/v1/contacts/%d", ids[0])); res.Code != http.StatusNotFound {
			t.Fatalf("Hà Nội officer read a contact referred to Huế: %s", res)
		}
		h.AssertAudited(t, hanoi, "contact.read", fmt.Sprint(ids[0]))
	})
}

func TestContactSearchIsScopedAndAudited(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		c := h.User(t, auth.Counsellor, "")
		mk := func(body string) int64 {
			res := c.Post(t, "/api/v1/contacts", body)
			if res.Code != 201 {
				t.Fatalf("create: %s", res)
			}
			return int64(res.Data(t)["id"].(float64))
		}
		a := mk(`{"channel":"phone","type":"about_child","urgency":"emergency","reasons":["bao_luc.tinh_duc"],"caller":{"kind":"adult","phone":"0903111222","name":"Trần Văn Bình"},
			"children":[{"name":"Phạm Thị Ngọc Ánh","age":9,"commune":"19753"}],"complete":true}`)
		h.Clock.Advance(time.Hour)
		b := mk(`{"channel":"walk_in","type":"child_self","urgency":"low","reasons":["hoc_tap"],"caller":{"kind":"child"},
			"children":[{"name":"Lê Minh Anh","age":15,"commune":"00004"}],"complete":true}`)
		h.Clock.Advance(time.Hour)
		mk(`{"channel":"phone","type":"silent","complete":true}`)
		find := func(cl *testenv.Client, query string) ([]int64, int) {
			t.Helper()
			var out struct {
				Data  []hotline.Summary
				Total int
				Next  string
			}
			res := cl.Get(t, "/api/v1/contacts?"+query)
			if res.Code != 200 {
				t.Fatalf("search %s: %s", query, res)
			}
			res.JSON(t, &out)
			var ids []int64
			for _, s := range out.Data {
				ids = append(ids, s.ID)
			}
			return ids, out.Total
		}
		cases := []struct {
			query string
			want  []int64
		}{
			{"q=" + url.QueryEscape("ngoc anh"), []int64{a}},
			{"q=" + url.QueryEscape("ANH pham"), []int64{a}},
			{"q=anh", []int64{b, a}},
			{"q=" + url.QueryEscape("+84 903 111 222"), []int64{a}},
			{"q=111-2026-2", []int64{b}},
			{"q=" + url.QueryEscape("Bình"), []int64{a}},
			{"reason=bao_luc", []int64{a}},
			{"channel=walk_in", []int64{b}},
			{"from=27/11/2026&to=27/11/2026&type=child_self", []int64{b}},
			{"counsellor=" + c.Username + "&urgency=emergency", []int64{a}},
		}
		for _, tc := range cases {
			got, total := find(c, tc.query)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || total != len(tc.want) {
				t.Errorf("%s: got %v (total %d), want %v", tc.query, got, total, tc.want)
			}
		}
		// Paging: limit and cursor.
		var page struct {
			Data  []hotline.Summary
			Total int
			Next  string
		}
		c.Get(t, "/api/v1/contacts?limit=2").JSON(t, &page)
		if page.Total != 3 || len(page.Data) != 2 || page.Next == "" {
			t.Fatalf("page 1: %+v", page)
		}
		c.Get(t, "/api/v1/contacts?limit=2&next="+page.Next).JSON(t, &page)
		if len(page.Data) != 1 || page.Next != "" || page.Data[0].ID != a {
			t.Fatalf("page 2: %+v", page)
		}
		h.AssertAudited(t, c, "contact.search", "")

		// A province officer sees the contacts referred to their province only.
		hue := h.User(t, auth.ProvinceOfficer, "46")
		if got, total := find(hue, ""); len(got) != 0 || total != 0 {
			t.Fatalf("nothing referred yet, officer sees %v", got)
		}
		c.Post(t, fmt.Sprintf("/api/v1/contacts/%d/referrals", a), `{"commune":"19753"}`)
		if got, total := find(hue, "q=anh"); fmt.Sprint(got) != fmt.Sprint([]int64{a}) || total != 1 {
			t.Fatalf("officer of Huế: %v", got)
		}
		// Roles without contacts.read are refused.
		if res := h.User(t, auth.CommuneOfficer, "00004").Get(t, "/api/v1/contacts"); res.Code != http.StatusForbidden {
			t.Fatalf("commune officer searched contacts: %s", res)
		}
		if res := c.Get(t, "/api/v1/contacts?from=31/02/2026"); res.Code != 400 {
			t.Fatalf("impossible date: %s", res)
		}
	})
}

func TestReferenceDataIsVersioned(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		admin := h.User(t, auth.Admin, "")
		c := h.User(t, auth.Counsellor, "")
		old := c.Post(t, "/api/v1/contacts", `{"channel":"walk_in","type":"thanks","complete":true}`).Data(t)
		res := admin.Do(t, "PUT", "/api/v1/hotline/reference/contact_type/thanks", strings.NewReader(`{"label_vi":"Lời cảm ơn","label_en":"Thank-you"}`),
			http.Header{"Content-Type": {"application/json"}})
		if res.Code != 200 || res.Data(t)["version"] != 2.0 {
			t.Fatalf("new version: %s", res)
		}
		if res := c.Do(t, "PUT", "/api/v1/hotline/reference/contact_type/thanks", strings.NewReader(`{"label_vi":"x"}`),
			http.Header{"Content-Type": {"application/json"}}); res.Code != http.StatusForbidden {
			t.Fatalf("a counsellor edited reference data: %s", res)
		}
		nu := c.Post(t, "/api/v1/contacts", `{"channel":"walk_in","type":"thanks","complete":true}`).Data(t)
		if old["type_ref"] == nu["type_ref"] {
			t.Fatal("the new contact should use the new version, the old one keep its own")
		}
		ref, ok := h.App.Hotline.RefByID(context.Background(), int64(old["type_ref"].(float64)))
		if !ok || ref.LabelVI != "Cảm ơn" || ref.ValidTo.IsZero() {
			t.Fatalf("the old version stays, closed: %+v", ref)
		}
		// A new level-2 reason under an existing level-1 one.
		res = admin.Do(t, "PUT", "/api/v1/hotline/reference/reason/tam_than.game", strings.NewReader(`{"label_vi":"Nghiện trò chơi điện tử","label_en":"Gaming addiction"}`),
			http.Header{"Content-Type": {"application/json"}})
		if res.Code != 200 || res.Data(t)["parent"] != "tam_than" {
			t.Fatalf("new reason: %s", res)
		}
		var refs struct{ Data []hotline.Ref }
		c.Get(t, "/api/v1/hotline/reference?kind=reason").JSON(t, &refs)
		if len(refs.Data) < 40 {
			t.Fatalf("the seeded reason tree: %d entries", len(refs.Data))
		}
	})
}

func TestHotlinePagesRenderInBothLanguages(t *testing.T) {
	h := testenv.NewWith(t, testenv.Options{Config: func(c *config.Config) { c.Hotline.TelephonySecret = telephonySecret }})
	c := h.User(t, auth.Counsellor, "")
	sup := h.User(t, auth.Supervisor, "")
	h.Anonymous().Post(t, "/api/v1/public/reports", `{"description":"Trẻ em bị đánh ở nhà bên cạnh.","commune":"00004"}`)
	id := int64(c.Post(t, "/api/v1/contacts", `{"channel":"phone","type":"child_self","urgency":"emergency","reasons":["bao_luc"],"caller":{"kind":"child","phone":"0912345678"},"children":[{"name":"Hoa","commune":"00004"}]}`).Data(t)["id"].(float64))
	body := event("p1", "ringing", "0912345678", "", h.Clock.Now())
	postEvent(t, h, body, hotline.SignTelephony(telephonySecret, []byte(body)))
	pages := map[*testenv.Client][]string{
		c:   {"/hotline", "/hotline/queue", "/hotline/contacts", "/hotline/contacts?q=hoa", fmt.Sprintf("/hotline/contacts/%d", id)},
		sup: {"/hotline", "/hotline/supervisor", "/hotline/wallboard", "/hotline/wallboard/panel"},
		nil: {"/report", "/report/status?code=AAAAA-BBBBB"},
	}
	for who, paths := range pages {
		b := h.Browser(t)
		if who != nil {
			b.Login(t, who.Username, testenv.Password)
		}
		for _, lang := range []string{"vi", "en"} {
			b.PostForm(t, "/lang", url.Values{"lang": {lang}, "next": {"/"}})
			for _, p := range paths {
				res := b.Get(t, p)
				page := string(res.Body)
				if res.Code != 200 {
					t.Fatalf("%s %s: %d %s", lang, p, res.Code, page)
				}
				if i := strings.Index(page, "⟦"); i >= 0 {
					t.Errorf("%s %s: missing translation near %q", lang, p, page[i:min(len(page), i+60)])
				}
			}
		}
	}
	// The wrap-up form works without JavaScript, and shows problems by field.
	b := h.Browser(t)
	b.Login(t, c.Username, testenv.Password)
	path := fmt.Sprintf("/hotline/contacts/%d", id)
	res := b.PostForm(t, path, url.Values{"type": {"child_self"}, "caller_phone": {"12"}, "complete": {"1"}})
	if res.Code != 400 || !strings.Contains(string(res.Body), `href="#f-caller_phone"`) {
		t.Fatalf("form errors: %d", res.Code)
	}
	res = b.PostForm(t, path, url.Values{"type": {"child_self"}, "urgency": {"emergency"}, "caller_kind": {"child"},
		"reasons": {"bao_luc", "bao_luc.the_chat"}, "children_0_name": {"Hoa"}, "children_0_commune": {"00004"}, "complete": {"1"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("complete by form: %d %s", res.Code, res.Body)
	}
}

func TestHotlineEndpointsAreDescribed(t *testing.T) {
	h := testenv.New(t)
	var doc struct {
		Paths map[string]map[string]any
	}
	h.Anonymous().Get(t, "/api/v1/openapi.json").JSON(t, &doc)
	for _, r := range h.App.Web.Routes() {
		method, path, _ := strings.Cut(r.Pattern, " ")
		hot := strings.HasPrefix(path, "/api/v1/contacts") || strings.HasPrefix(path, "/api/v1/hotline") ||
			strings.HasPrefix(path, "/api/v1/public") || strings.HasPrefix(path, "/api/v1/telephony") || strings.HasPrefix(path, "/webhooks/")
		if !hot {
			continue
		}
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("%s is not in openapi.json", r.Pattern)
		}
	}
}

func TestHotlineCatalogsHaveTheSameKeys(t *testing.T) {
	h := testenv.New(t)
	b := h.App.I18n
	for _, k := range b.Keys("vi") {
		if strings.HasPrefix(k, "hotline.") || strings.HasPrefix(k, "report.") {
			if !b.Has("en", k) {
				t.Errorf("%s has no English", k)
			}
		}
	}
	for _, k := range b.Keys("en") {
		if !b.Has("vi", k) {
			t.Errorf("%s has no Vietnamese", k)
		}
	}
}

func TestDemoHasAHotlineToLookAt(t *testing.T) {
	h := testenv.NewWith(t, testenv.Options{Demo: true})
	b := h.Browser(t)
	if res := b.Login(t, "tuvan", "treem-demo-2026"); res.Code != http.StatusSeeOther {
		t.Fatalf("demo login: %d", res.Code)
	}
	page := string(b.Get(t, "/hotline").Body)
	if !strings.Contains(page, "111-2026-") {
		t.Fatal("the demo queue is empty")
	}
	if n := count(t, h, "contacts"); n < 1000 {
		t.Fatalf("demo contacts: %d", n)
	}
}
