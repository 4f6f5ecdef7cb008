package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/hotline"
	"treem/internal/testenv"
)

const (
	zaloApp    = "4321987654321"
	zaloSecret = "oa-secret-key"
)

// zaloDelivery builds an event as Zalo sends it, with its signature.
func zaloDelivery(event, sender, msgID, text string, at time.Time, attachments ...map[string]any) ([]byte, string) {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	msg := map[string]any{"msg_id": msgID, "text": text}
	if len(attachments) > 0 {
		msg["attachments"] = attachments
	}
	body, _ := json.Marshal(map[string]any{"app_id": zaloApp, "event_name": event, "timestamp": ts,
		"sender": map[string]string{"id": sender}, "recipient": map[string]string{"id": "oa-111"}, "message": msg})
	return body, "mac=" + hotline.ZaloMAC(zaloApp, body, ts, zaloSecret)
}

func postZalo(t *testing.T, h *testenv.Env, body []byte, sig string) *testenv.Response {
	t.Helper()
	hdr := http.Header{"Content-Type": {"application/json"}}
	if sig != "" {
		hdr.Set("X-ZEvent-Signature", sig)
	}
	return h.Anonymous().Do(t, "POST", "/webhooks/zalo", bytes.NewReader(body), hdr)
}

func TestZaloWebhookSignature(t *testing.T) {
	eachHotline(t, nil, func(t *testing.T, h *testenv.Env) {
		body, sig := zaloDelivery("user_send_text", "u-1", "m-1", "Em cần giúp đỡ", h.Clock.Now())
		old, oldSig := zaloDelivery("user_send_text", "u-1", "m-0", "cũ", h.Clock.Now().Add(-2*time.Hour))
		ts := strconv.FormatInt(h.Clock.Now().UnixMilli(), 10)
		hmacLike := "mac=" + hotline.ZaloMAC(zaloApp, body, ts, "wrong secret")
		for name, c := range map[string]struct {
			body []byte
			sig  string
		}{
			"missing":          {body, ""},
			"wrong secret":     {body, hmacLike},
			"body changed":     {append(bytes.Clone(body[:len(body)-1]), ' ', '}'), sig},
			"stale":            {old, oldSig},
			"garbage":          {body, "mac=xyz"},
			"upper-case wrong": {body, "mac=" + strings.Repeat("A", 64)},
		} {
			if res := postZalo(t, h, c.body, c.sig); res.Code != http.StatusUnauthorized {
				t.Errorf("%s: %s", name, res)
			}
		}
		if n := count(t, h, "zalo_deliveries") + count(t, h, "jobs WHERE kind LIKE 'hotline.zalo%'"); n != 0 {
			t.Fatalf("refused deliveries stored %d rows", n)
		}
		if res := postZalo(t, h, body, sig); res.Code != 200 {
			t.Fatalf("with mac= prefix: %s", res)
		}
		body2, sig2 := zaloDelivery("user_send_text", "u-1", "m-2", "Alo", h.Clock.Now())
		if res := postZalo(t, h, body2, strings.TrimPrefix(sig2, "mac=")); res.Code != 200 {
			t.Fatalf("without mac= prefix: %s", res)
		}
	})
}

// fakeZalo is a local fake of Zalo's OAuth and OA servers. Refresh
// tokens are single-use; before accepting a message it checks that treem
// stored the refresh token it was last given.
type fakeZalo struct {
	t        *testing.T
	h        *testenv.Env
	mu       sync.Mutex
	srv      *httptest.Server
	refresh  map[string]bool // valid refresh tokens
	access   map[string]bool
	n        int
	lastRT   string
	sent     []string
	refusals int
}

func newFakeZalo(t *testing.T) *fakeZalo {
	f := &fakeZalo{t: t, refresh: map[string]bool{"rt-0": true}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v4/oa/access_token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		rt := r.PostFormValue("refresh_token")
		if r.Header.Get("secret_key") != "app-secret" || r.PostFormValue("app_id") != zaloApp || !f.refresh[rt] {
			f.refusals++
			json.NewEncoder(w).Encode(map[string]any{"error": -14014, "error_name": "Invalid refresh token"})
			return
		}
		delete(f.refresh, rt) // single use
		f.n++
		f.lastRT = fmt.Sprintf("rt-%d", f.n)
		f.refresh[f.lastRT] = true
		at := fmt.Sprintf("at-%d", f.n)
		f.access = map[string]bool{at: true}
		json.NewEncoder(w).Encode(map[string]any{"access_token": at, "refresh_token": f.lastRT, "expires_in": "90000"})
	})
	mux.HandleFunc("POST /v3.0/oa/message/cs", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.access[r.Header.Get("access_token")] {
			json.NewEncoder(w).Encode(map[string]any{"error": -216, "message": "Access token is invalid"})
			return
		}
		// The refresh token that came with this access token must already be durable.
		var sealed []byte
		f.h.App.DB.Read().QueryRow("SELECT refresh_token FROM zalo_tokens WHERE id = 1").Scan(&sealed)
		stored, _ := f.h.App.Keys.OpenString("zalo.refresh_token", sealed)
		if stored != f.lastRT {
			f.t.Errorf("new access token used before the refresh token %s was stored (stored: %s)", f.lastRT, stored)
		}
		var in struct {
			Recipient struct {
				UserID string `json:"user_id"`
			}
			Message struct{ Text string }
		}
		json.NewDecoder(r.Body).Decode(&in)
		f.sent = append(f.sent, in.Recipient.UserID+":"+in.Message.Text)
		json.NewEncoder(w).Encode(map[string]any{"error": 0, "message": "Success", "data": map[string]string{"message_id": fmt.Sprintf("oa-%d", len(f.sent))}})
	})
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 200)...)
	mux.HandleFunc("GET /media/photo.png", func(w http.ResponseWriter, r *http.Request) { w.Write(png) })
	mux.HandleFunc("GET /media/big.bin", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("x"), 11<<20)) })
	mux.HandleFunc("GET /media/prog.exe", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("MZ\x90\x00 binary program")) })
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func zaloEnv(t *testing.T, f func(t *testing.T, h *testenv.Env, z *fakeZalo)) {
	z := newFakeZalo(t)
	eachHotline(t, func(c *config.Config) {
		c.Hotline.ZaloAPIURL, c.Hotline.ZaloOAuthURL = z.srv.URL, z.srv.URL
		c.Hotline.ZaloMediaHosts = "127.0.0.1"
	}, func(t *testing.T, h *testenv.Env) {
		z.mu.Lock()
		z.h, z.refresh, z.n, z.lastRT, z.sent, z.refusals = h, map[string]bool{"rt-0": true}, 0, "", nil, 0
		z.mu.Unlock()
		f(t, h, z)
	})
}

func TestZaloRetriesMakeOneMessageInOneConversation(t *testing.T) {
	zaloEnv(t, func(t *testing.T, h *testenv.Env, z *fakeZalo) {
		now := h.Clock.Now()
		first, sig1 := zaloDelivery("user_send_text", "zu-77", "m-1", "Chào anh chị, em bị bố đánh", now)
		img, sig2 := zaloDelivery("user_send_image", "zu-77", "m-2", "", now.Add(time.Second),
			map[string]any{"type": "image", "payload": map[string]any{"url": z.srv.URL + "/media/photo.png"}},
			map[string]any{"type": "file", "payload": map[string]any{"url": z.srv.URL + "/media/big.bin", "name": "big.bin"}},
			map[string]any{"type": "file", "payload": map[string]any{"url": z.srv.URL + "/media/prog.exe", "name": "prog.exe"}},
			map[string]any{"type": "image", "payload": map[string]any{"url": "https://evil.example/x.png"}})
		for i := 0; i < 3; i++ { // Zalo retries
			for _, d := range []struct {
				b []byte
				s string
			}{{first, sig1}, {img, sig2}} {
				res := postZalo(t, h, d.b, d.s)
				if res.Code != 200 {
					t.Fatalf("delivery: %s", res)
				}
			}
		}
		follow, sig3 := zaloDelivery("follow", "zu-77", "", "", now)
		postZalo(t, h, follow, sig3)
		if n := count(t, h, "zalo_deliveries"); n != 3 {
			t.Fatalf("3 distinct deliveries stored, got %d", n)
		}
		// The processing job runs later, and again (a crash rerun) without effect.
		if _, err := h.App.Jobs.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, h, "hotline_messages"); n != 2 {
			t.Fatalf("two messages, got %d", n)
		}
		if n := count(t, h, "contacts"); n != 1 {
			t.Fatalf("one conversation, got %d contacts", n)
		}
		c := h.User(t, auth.Counsellor, "")
		var q struct{ Data []hotline.Summary }
		c.Get(t, "/api/v1/hotline/queue").JSON(t, &q)
		if len(q.Data) != 1 || q.Data[0].Channel != "zalo" {
			t.Fatalf("the conversation waits in the queue: %+v", q)
		}
		var out struct {
			Data struct {
				Messages []hotline.Message
			}
		}
		c.Get(t, fmt.Sprintf("/api/v1/contacts/%d", q.Data[0].ID)).JSON(t, &out)
		msgs := out.Data.Messages
		if len(msgs) != 2 || msgs[0].Text != "Chào anh chị, em bị bố đánh" || len(msgs[1].Attachments) != 4 {
			t.Fatalf("conversation: %+v", msgs)
		}
		states := ""
		for _, a := range msgs[1].Attachments {
			states += a.State + ","
		}
		if states != "stored,refused,refused,refused," || msgs[1].Attachments[0].Mime != "image/png" {
			t.Fatalf("image kept; too large, not allowed and foreign-host files refused: %s", states)
		}
		res := c.Get(t, fmt.Sprintf("/api/v1/contacts/%d/attachments/%d", q.Data[0].ID, msgs[1].Attachments[0].ID))
		if res.Code != 200 || res.Header.Get("Content-Type") != "image/png" || len(res.Body) != 208 {
			t.Fatalf("attachment: %d %v", res.Code, res.Header)
		}
		var raw []byte
		h.App.DB.Read().QueryRow("SELECT data FROM hotline_attachments WHERE state = 'stored'").Scan(&raw)
		if bytes.Contains(raw, []byte("PNG")) {
			t.Fatal("attachment stored in clear")
		}
		// A new message after the conversation is closed opens a new one.
		id := q.Data[0].ID
		c.Post(t, fmt.Sprintf("/api/v1/contacts/%d/claim", id), `{}`)
		c.Patch(t, fmt.Sprintf("/api/v1/contacts/%d", id), `{"type":"child_self","urgency":"high","reasons":["bao_luc.the_chat"],"caller":{"kind":"child"},"complete":true}`)
		later, sig4 := zaloDelivery("user_send_text", "zu-77", "m-9", "Em lại đây", h.Clock.Now())
		postZalo(t, h, later, sig4)
		h.App.Jobs.RunDue(context.Background())
		c.Get(t, "/api/v1/hotline/queue").JSON(t, &q)
		if len(q.Data) != 1 || q.Data[0].ID == id || q.Data[0].Repeat != 1 {
			t.Fatalf("a new conversation, marked as a repeat contact: %+v", q.Data)
		}
	})
}

func TestZaloRepliesRefreshTheTokenAndStoreItFirst(t *testing.T) {
	zaloEnv(t, func(t *testing.T, h *testenv.Env, z *fakeZalo) {
		admin := h.User(t, auth.Admin, "")
		if res := admin.Do(t, "PUT", "/api/v1/hotline/zalo/token", strings.NewReader(`{"refresh_token":"rt-0"}`),
			http.Header{"Content-Type": {"application/json"}}); res.Code != http.StatusNoContent {
			t.Fatalf("set token: %s", res)
		}
		body, sig := zaloDelivery("user_send_text", "zu-5", "m-1", "Alo", h.Clock.Now())
		postZalo(t, h, body, sig)
		h.App.Jobs.RunDue(context.Background())
		c := h.User(t, auth.Counsellor, "")
		var q struct{ Data []hotline.Summary }
		c.Get(t, "/api/v1/hotline/queue").JSON(t, &q)
		id := q.Data[0].ID
		reply := func(text string) {
			t.Helper()
			if res := c.Post(t, fmt.Sprintf("/api/v1/contacts/%d/messages", id), map[string]string{"text": text}); res.Code != 201 {
				t.Fatalf("reply: %s", res)
			}
			if _, err := h.App.Jobs.RunDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		reply("Chào em, anh chị nghe đây.")
		reply("Em đang ở đâu?") // the same access token, no refresh
		h.Clock.Advance(26 * time.Hour)
		reply("Em còn đó không?") // expired: refreshed with rt-1, which rt-0 would not do
		z.mu.Lock()
		sent, n, refusals := z.sent, z.n, z.refusals
		z.mu.Unlock()
		if len(sent) != 3 || sent[0] != "zu-5:Chào em, anh chị nghe đây." || n != 2 || refusals != 0 {
			t.Fatalf("three replies with two refreshes and no reused refresh token: sent %v, refreshes %d, refusals %d", sent, n, refusals)
		}
		var out struct {
			Data struct{ Messages []hotline.Message }
		}
		c.Get(t, fmt.Sprintf("/api/v1/contacts/%d", id)).JSON(t, &out)
		for _, m := range out.Data.Messages[1:] {
			if m.Direction != "out" || m.Status != "sent" {
				t.Fatalf("replies should be sent: %+v", m)
			}
		}
		// A Zalo user cannot be replied to by a counsellor who does not have the conversation.
		if res := h.User(t, auth.Counsellor, "").Post(t, fmt.Sprintf("/api/v1/contacts/%d/messages", id), `{"text":"x"}`); res.Code != http.StatusConflict {
			t.Fatalf("another counsellor replied: %s", res)
		}
	})
}

func TestBlockedZaloUserStaysOutOfTheQueue(t *testing.T) {
	zaloEnv(t, func(t *testing.T, h *testenv.Env, z *fakeZalo) {
		c := h.User(t, auth.Counsellor, "")
		body, sig := zaloDelivery("user_send_text", "zu-troll", "t-1", "hahaha", h.Clock.Now())
		postZalo(t, h, body, sig)
		h.App.Jobs.RunDue(context.Background())
		var q struct{ Data []hotline.Summary }
		c.Get(t, "/api/v1/hotline/queue").JSON(t, &q)
		id := q.Data[0].ID
		if res := c.Post(t, fmt.Sprintf("/api/v1/contacts/%d/block", id), `{"hours":24,"reason":"abusive"}`); res.Code != 201 {
			t.Fatalf("block: %s", res)
		}
		c.Patch(t, fmt.Sprintf("/api/v1/contacts/%d", id), `{"type":"abusive","complete":true}`)
		for i := 2; i <= 4; i++ {
			body, sig := zaloDelivery("user_send_text", "zu-troll", fmt.Sprintf("t-%d", i), "lại đây", h.Clock.Now())
			postZalo(t, h, body, sig)
		}
		h.App.Jobs.RunDue(context.Background())
		c.Get(t, "/api/v1/hotline/queue").JSON(t, &q)
		if len(q.Data) != 0 {
			t.Fatalf("a blocked Zalo user queued: %+v", q.Data)
		}
		if n := count(t, h, "contacts"); n != 2 {
			t.Fatalf("the blocked user's messages should gather in one blocked conversation: %d contacts", n)
		}
	})
}
