package hotline_test

import (
	"testing"
	"time"

	"treem/internal/hotline"
)

var fuzzNow = time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)

func zaloService() *hotline.Service {
	return hotline.New(hotline.Deps{Now: func() time.Time { return fuzzNow },
		Config: hotline.Config{TelephonySecret: "tel-secret", Zalo: hotline.ZaloConfig{AppID: "app1", OASecret: "oa-secret", MaxAge: time.Hour}}})
}

// A Zalo delivery is accepted only with the right signature, whatever its
// body and header; nothing panics.
func FuzzVerifyZalo(f *testing.F) {
	ts := "1795741200000" // fuzzNow in milliseconds
	good := []byte(`{"app_id":"app1","event_name":"user_send_text","timestamp":"` + ts + `","sender":{"id":"u1"},"recipient":{"id":"oa"},"message":{"msg_id":"m1","text":"cứu em với"}}`)
	f.Add(good, "mac="+hotline.ZaloMAC("app1", good, ts, "oa-secret"))
	f.Add(good, hotline.ZaloMAC("app1", good, ts, "oa-secret"))
	f.Add(good, "mac=00")
	f.Add([]byte(`{"timestamp":12}`), "")
	f.Add([]byte(`not json`), "mac=")
	s := zaloService()
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		ev, err := s.VerifyZalo(body, header)
		if err != nil {
			return
		}
		if ev == nil {
			t.Fatal("accepted without an event")
		}
	})
}

// A telephony event is accepted exactly when its header is the HMAC of
// its body.
func FuzzVerifyTelephony(f *testing.F) {
	body := []byte(`{"call_id":"c1","event":"ringing","caller":"0912345678","extension":"101","at":"2026-11-27T01:00:00Z"}`)
	f.Add(body, hotline.SignTelephony("tel-secret", body))
	f.Add(body, "sha256=")
	f.Add([]byte{}, "sha256=zz")
	s := zaloService()
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := s.VerifyTelephony(body, header)
		want := hotline.SignTelephony("tel-secret", body)
		if (err == nil) != (header == want) && !(err == nil && equalFoldHex(header, want)) {
			t.Fatalf("header %q accepted=%v; the right one is %q", header, err == nil, want)
		}
	})
}

// equalFoldHex: hex digits may come in capitals.
func equalFoldHex(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'F' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
