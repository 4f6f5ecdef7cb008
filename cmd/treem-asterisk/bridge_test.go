package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"treem/internal/hotline"
)

// A fake Asterisk sends a call's AMI events; the bridge must post them to
// treem signed, mapped to the webhook's events.
func TestBridgeTurnsAMIEventsIntoSignedWebhookPosts(t *testing.T) {
	var mu sync.Mutex
	got := map[string]hotline.CallEvent{}
	done := make(chan struct{})
	treem := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Treem-Signature") != hotline.SignTelephony("sig", body) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev hotline.CallEvent
		json.Unmarshal(body, &ev)
		mu.Lock()
		got[ev.Event] = ev
		if len(got) == 4 {
			close(done)
		}
		mu.Unlock()
	}))
	defer treem.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "Asterisk Call Manager/9.0.0\r\n")
		r := bufio.NewReader(conn)
		for line, _ := r.ReadString('\n'); line != "\r\n"; line, _ = r.ReadString('\n') {
		}
		io.WriteString(conn, "Response: Success\r\nMessage: Authentication accepted\r\n\r\n")
		for _, ev := range []string{
			"Event: QueueCallerJoin\r\nChannel: PJSIP/trunk-01\r\nCallerIDNum: 0912345678\r\nUniqueid: 17.1\r\nLinkedid: 17.1\r\nQueue: 111\r\n\r\n",
			"Event: AgentConnect\r\nInterface: PJSIP/201\r\nMemberName: Mai\r\nUniqueid: 17.2\r\nLinkedid: 17.1\r\n\r\n",
			"Event: Hangup\r\nUniqueid: 17.2\r\nLinkedid: 17.1\r\n\r\n",
			"Event: Hangup\r\nUniqueid: 17.1\r\nLinkedid: 17.1\r\n\r\n",
			"Event: UserEvent\r\nUserEvent: TreemRecording\r\nRecordingURL: https://pbx/rec/17.1.wav\r\nUniqueid: 17.1\r\nLinkedid: 17.1\r\n\r\n",
		} {
			io.WriteString(conn, ev)
		}
		time.Sleep(2 * time.Second)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := map[string]string{"TREEM_TELEPHONY_SECRET": "sig"}
	go run(ctx, []string{"--ami", ln.Addr().String(), "--url", treem.URL}, func(k string) string { return env[k] }, io.Discard)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("events received: %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if got["ringing"].Caller != "0912345678" || got["ringing"].CallID != "17.1" || got["answered"].Extension != "201" ||
		got["ended"].CallID != "17.1" || !strings.HasSuffix(got["recording_ready"].RecordingURL, "17.1.wav") {
		t.Fatalf("mapped events: %+v", got)
	}
}
