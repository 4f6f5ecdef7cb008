package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"treem/internal/hotline"
)

type config struct {
	ami, user, secret string
	url, signing      string
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("treem-asterisk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	var c config
	fs.StringVar(&c.ami, "ami", env("TREEM_AMI_ADDR", "127.0.0.1:5038"), "Asterisk Manager Interface address (TREEM_AMI_ADDR)")
	fs.StringVar(&c.user, "ami-user", env("TREEM_AMI_USER", "treem"), "AMI user, with read = call,agent (TREEM_AMI_USER)")
	fs.StringVar(&c.url, "url", env("TREEM_URL", "http://127.0.0.1:8111"), "treem's address (TREEM_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.secret, c.signing = getenv("TREEM_AMI_SECRET"), getenv("TREEM_TELEPHONY_SECRET")
	if c.signing == "" {
		return errors.New("set TREEM_TELEPHONY_SECRET to the secret treem was given")
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	post := poster(c, &http.Client{Timeout: 10 * time.Second}, log)
	for ctx.Err() == nil {
		err := listen(ctx, c, post)
		if ctx.Err() != nil {
			return nil
		}
		log.Warn("AMI connection lost; reconnecting", "err", fmt.Sprint(err))
		select {
		case <-ctx.Done():
		case <-time.After(3 * time.Second):
		}
	}
	return nil
}

// listen logs in to the AMI and handles events until the connection ends.
func listen(ctx context.Context, c config, post func(context.Context, hotline.CallEvent)) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.ami)
	if err != nil {
		return err
	}
	defer conn.Close()
	go func() { <-ctx.Done(); conn.Close() }()
	r := textproto.NewReader(bufio.NewReader(conn))
	if _, err := r.ReadLine(); err != nil { // banner: Asterisk Call Manager/…
		return err
	}
	fmt.Fprintf(conn, "Action: Login\r\nUsername: %s\r\nSecret: %s\r\nEvents: call,agent,user\r\n\r\n", c.user, c.secret)
	for {
		h, err := r.ReadMIMEHeader()
		if err != nil {
			return err
		}
		if h.Get("Response") == "Error" {
			return fmt.Errorf("AMI login refused: %s", h.Get("Message"))
		}
		if ev, ok := translate(h, time.Now()); ok {
			go post(ctx, ev)
		}
	}
}

// translate maps one AMI event to a webhook event.
func translate(h textproto.MIMEHeader, now time.Time) (hotline.CallEvent, bool) {
	call := h.Get("Linkedid")
	if call == "" {
		call = h.Get("Uniqueid")
	}
	ev := hotline.CallEvent{CallID: call, At: now.UTC().Truncate(time.Millisecond)}
	switch h.Get("Event") {
	case "QueueCallerJoin":
		ev.Event, ev.Caller = "ringing", h.Get("CallerIDNum")
	case "AgentConnect":
		ev.Event, ev.Extension = "answered", extension(h.Get("Interface"), h.Get("MemberName"))
	case "QueueCallerAbandon":
		ev.Event = "ended"
	case "Hangup":
		if h.Get("Uniqueid") != h.Get("Linkedid") {
			return ev, false // a counsellor's leg or a local channel
		}
		ev.Event = "ended"
	case "UserEvent":
		switch h.Get("UserEvent") {
		case "TreemMissed":
			ev.Event = "missed"
		case "TreemRecording":
			ev.Event, ev.RecordingURL = "recording_ready", h.Get("RecordingURL")
		default:
			return ev, false
		}
	default:
		return ev, false
	}
	return ev, call != ""
}

// extension reads "PJSIP/201", "SIP/201-0000a", "Local/201@agents/n" as 201.
func extension(iface, member string) string {
	s := iface
	if s == "" {
		s = member
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, "@-"); i >= 0 {
		s = s[:i]
	}
	return s
}

// poster posts events signed, retrying with back-off for up to an hour.
func poster(c config, client *http.Client, log *slog.Logger) func(context.Context, hotline.CallEvent) {
	url := strings.TrimRight(c.url, "/") + "/api/v1/telephony/events"
	return func(ctx context.Context, ev hotline.CallEvent) {
		body, _ := json.Marshal(ev)
		wait := 500 * time.Millisecond
		for deadline := time.Now().Add(time.Hour); time.Now().Before(deadline); {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Treem-Signature", hotline.SignTelephony(c.signing, body))
			res, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return
				}
				if res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusUnauthorized {
					log.Error("treem refused an event", "status", res.StatusCode, "event", ev.Event)
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, time.Minute)
		}
	}
}
