// Command treem-asterisk feeds an Asterisk switch's call events to treem's
// telephony webhook. It logs in to the Asterisk Manager Interface (AMI)
// over TCP, turns queue and channel events into the webhook's events and
// posts them signed with the shared secret (see docs/hotline.md):
//
//	QueueCallerJoin            → ringing   (call_id = Linkedid, caller = CallerIDNum)
//	AgentConnect               → answered  (extension from the member's Interface, PJSIP/201 → 201)
//	QueueCallerAbandon, Hangup → ended     (Hangup of the call's first channel only)
//	UserEvent TreemMissed      → missed    (from the dialplan, when the queue times out)
//	UserEvent TreemRecording   → recording_ready (header RecordingURL)
//
// The webhook is idempotent per call and event and ignores their order, so
// the bridge retries freely and may replay after a reconnect.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "treem-asterisk:", err)
		os.Exit(1)
	}
}
