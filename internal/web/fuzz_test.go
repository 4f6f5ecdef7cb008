package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/hotline"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

// The fuzz targets below run their seeds (testdata/fuzz/<target>) with
// every `go test`; `go test ./internal/web -run '^$' -fuzz FuzzWebhooks`
// explores further.

// fuzzEnv is one treem for a fuzz target: on PostgreSQL when the tests
// have one (PostgreSQL refuses text SQLite takes), else on SQLite.
func fuzzEnv(f *testing.F) *testenv.Env {
	engines := storetest.Engines()
	return testenv.NewWith(f, testenv.Options{Engine: engines[len(engines)-1], Config: func(c *config.Config) {
		c.Hotline.TelephonySecret = telephonySecret
		c.Hotline.ZaloAppID = zaloApp
		c.Hotline.ZaloOASecret = zaloSecret
		c.Hotline.ZaloAppSecret = "app-secret"
		c.Hotline.ZaloMediaHosts = "media.invalid" // never fetch anything
	}})
}

// post sends a body with one header and returns the status; a transport
// error fails the test (the server must answer).
func post(t *testing.T, h *testenv.Env, path string, body []byte, header, value string) int {
	req, err := http.NewRequest(http.MethodPost, h.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if value != "" {
		req.Header.Set(header, value)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil && res.StatusCode != http.StatusNoContent {
		t.Fatalf("POST %s: %d with a body that is not JSON: %v", path, res.StatusCode, err)
	}
	return res.StatusCode
}

// FuzzWebhooks sends correctly signed arbitrary bodies to the telephony and
// Zalo webhooks through the whole HTTP stack: whatever the body, the
// answer is never a 5xx, and the queued work runs without harm.
func FuzzWebhooks(f *testing.F) {
	h := fuzzEnv(f)
	now := h.Clock.Now()
	f.Add([]byte(event("c1", "ringing", "0912345678", "101", now)), "user_send_text", "u-1", "Em cần giúp đỡ")
	f.Add([]byte(event("c1", "answered", "0912345678", "101", now)), "user_send_image", "u-2", "")
	f.Add([]byte(`{"call_id":"","event":"hangup","at":"not a time"}`), "follow", "", "<script>alert(1)</script>")
	f.Add([]byte(`{"call_id":"c2","event":"ringing","caller":"'; DROP TABLE contacts;--","at":"2026-11-27T01:00:00Z"}`), "user_send_text", "u-3", "=HYPERLINK(\"x\")")
	f.Add([]byte("\xc0\xaf\x00\xff"), "user_send_text", "\x00", "\xc0\xaf")
	f.Add([]byte(strings.Repeat("[", 5000)), "", "u", strings.Repeat("a", 3000))
	f.Fuzz(func(t *testing.T, body []byte, ev, sender, text string) {
		if code := post(t, h, "/api/v1/telephony/events", body, "X-Treem-Signature", hotline.SignTelephony(telephonySecret, body)); code >= 500 {
			t.Fatalf("telephony event %q: %d", body, code)
		}
		zb, sig := zaloDelivery(ev, sender, "m-"+sender, text, h.Clock.Now())
		if code := post(t, h, "/webhooks/zalo", zb, "X-ZEvent-Signature", sig); code >= 500 {
			t.Fatalf("zalo event %q: %d", zb, code)
		}
		// The raw body too, signed (its own timestamp decides whether it
		// is fresh enough).
		var probe struct {
			Timestamp string `json:"timestamp"`
		}
		json.Unmarshal(body, &probe)
		rawSig := "mac=" + hotline.ZaloMAC(zaloApp, body, probe.Timestamp, zaloSecret)
		if code := post(t, h, "/webhooks/zalo", body, "X-ZEvent-Signature", rawSig); code >= 500 {
			t.Fatalf("raw zalo body %q: %d", body, code)
		}
		h.App.Jobs.RunDue(context.Background())
	})
}

// FuzzSearchQueries sends arbitrary search text and filters to the
// children, contacts and units searches, API and pages: never a 5xx.
func FuzzSearchQueries(f *testing.F) {
	h := fuzzEnv(f)
	officer := h.User(f, auth.ProvinceOfficer, "01")
	counsellor := h.User(f, auth.Counsellor, "")
	res := officer.Post(f, "/api/v1/children", `{"name":"Lò Thị Mai","dob":"2016","sex":"Nữ","commune":"00004","phone":"0912345678"}`)
	if res.Code != http.StatusCreated {
		f.Fatalf("seed child: %s", res)
	}
	if res := counsellor.Post(f, "/api/v1/contacts", `{"channel":"walk_in","summary":"x","caller":{"name":"Trần Văn Gọi"}}`); res.Code != http.StatusCreated {
		f.Fatalf("seed contact: %s", res)
	}
	for _, s := range []struct{ q, unit, limit string }{
		{"Lò Thị Mai", "00004", "10"}, {"mai lo", "01", ""}, {"0912345678", "", "1"}, {"001316012345", "", "500"},
		{"' OR 1=1--", "'; DROP TABLE children;--", "-1"}, {"%", "_", "999999999999999999999"}, {"\x00", "\xc0\xaf", "NaN"},
		{strings.Repeat("a ", 2000), "", ""}, {"Ng* Th? M[a]i", "../..", "1e3"}, {"Đặng Thị Ánh Nguyệt", "0", "0"},
	} {
		f.Add(s.q, s.unit, s.limit)
	}
	f.Fuzz(func(t *testing.T, q, unit, limit string) {
		v := url.Values{"q": {q}, "unit": {unit}, "limit": {limit}, "next": {q}}
		for _, c := range []struct {
			cl   *testenv.Client
			path string
		}{
			{officer, "/api/v1/children"}, {officer, "/api/v1/units"}, {counsellor, "/api/v1/contacts"},
			{counsellor, "/api/v1/children"}, {officer, "/children"}, {officer, "/units"}, {counsellor, "/hotline/contacts"},
		} {
			res := c.cl.Get(t, c.path+"?"+v.Encode())
			if res.Code >= 500 {
				t.Fatalf("GET %s with q=%q unit=%q limit=%q: %d %.300s", c.path, q, unit, limit, res.Code, res.Body)
			}
		}
	})
}
