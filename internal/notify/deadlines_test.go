package notify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/testenv"
)

// notices lists the kinds of c's notifications, oldest first.
func notices(t *testing.T, c *testenv.Client) []string {
	t.Helper()
	var list struct {
		Data []struct {
			Kind string
			Args map[string]string
		}
	}
	c.Get(t, "/api/v1/notifications?limit=200").JSON(t, &list)
	var out []string
	for i := len(list.Data) - 1; i >= 0; i-- {
		out = append(out, list.Data[i].Kind+" "+list.Data[i].Args["number"])
	}
	return out
}

func principal(t *testing.T, h *testenv.Env, c *testenv.Client) *auth.Principal {
	t.Helper()
	u, err := h.App.Auth.UserByName(context.Background(), c.Username)
	if err != nil {
		t.Fatal(err)
	}
	return u.Principal("token")
}

func runDue(t *testing.T, hs ...*testenv.Env) {
	t.Helper()
	for _, h := range hs {
		if _, err := h.App.Jobs.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func advance(d time.Duration, hs ...*testenv.Env) {
	for _, h := range hs {
		h.Clock.Advance(d)
	}
}

// The 12-hour emergency clock: a reminder to the assignee 2 hours before,
// at the deadline the commune's other officers (and the assignee) hear it
// is overdue, 2 hours later the province. Each once, by e-mail too, across
// a restart and with two instances running the jobs.
func TestEmergencyDeadlineIsRemindedThenEscalatedOnce(t *testing.T) {
	for _, engine := range enginesUnderTest() {
		t.Run(string(engine), func(t *testing.T) {
			srv := newSMTPServer(t)
			h := smtpEnv(t, engine, srv, "", "")
			_, lan := person(t, h, auth.CommuneOfficer, "00004", "vi")
			_, binh := person(t, h, auth.CommuneOfficer, "00004", "vi")
			_, tinh := person(t, h, auth.ProvinceOfficer, "01", "vi")
			_, elsewhere := person(t, h, auth.CommuneOfficer, "00008", "vi")
			ctx := audit.WithActor(context.Background(), audit.System)
			c, err := h.App.Cases.Create(ctx, principal(t, h, lan), cases.NewCase{Commune: "00004", Source: "hotline",
				Summary: "Trẻ bị đánh, cần can thiệp ngay", AbuseForms: []string{"bao_luc"}, Risk: "high",
				AssignedTo: lan.UserID, Children: []cases.ChildRef{{Name: "Lò Thị Khẩn", DOB: "2015", Sex: "Nữ"}}})
			if err != nil {
				t.Fatalf("create the case: %v", err)
			}
			n := c.Number
			runDue(t, h) // 08:00, due 20:00: nothing yet
			if got := notices(t, lan); len(got) != 0 {
				t.Fatalf("at 08:00 Lan was told %v", got)
			}
			advance(10*time.Hour+5*time.Minute, h) // 18:05: within 2 hours
			runDue(t, h)
			if got := notices(t, lan); len(got) != 1 || got[0] != "deadline.reminder "+n {
				t.Fatalf("at 18:05 Lan has %v, want the reminder", got)
			}

			// Restart: a second instance on the same database; both run jobs.
			h2 := smtpEnv(t, engine, srv, h.DSN, h.KeyFile)
			h2.Clock.Set(h.Clock.Now())
			runDue(t, h2, h)
			if got := notices(t, lan); len(got) != 1 {
				t.Fatalf("after the restart Lan has %v: reminded twice", got)
			}
			advance(2*time.Hour, h, h2) // 20:05: overdue
			runDue(t, h2, h)
			if got := notices(t, lan); len(got) != 2 || got[1] != "deadline.overdue "+n {
				t.Fatalf("at 20:05 Lan has %v, want the reminder and the overdue notice", got)
			}
			if got := notices(t, binh); len(got) != 1 || got[0] != "deadline.escalation1 "+n {
				t.Fatalf("at 20:05 Bình (the commune's other officer) has %v", got)
			}
			if got := notices(t, tinh); len(got) != 0 {
				t.Fatalf("the province heard before level 2: %v", got)
			}
			advance(2*time.Hour, h, h2) // 22:05: level 2
			runDue(t, h, h2)
			advance(24*time.Hour, h, h2)
			runDue(t, h2, h)
			if got := notices(t, tinh); len(got) != 1 || got[0] != "deadline.escalation2 "+n {
				t.Fatalf("the province officer has %v, want one level-2 escalation", got)
			}
			if got := notices(t, lan); len(got) != 2 {
				t.Fatalf("Lan has %v at the end", got)
			}
			if got := notices(t, binh); len(got) != 1 {
				t.Fatalf("Bình has %v at the end", got)
			}
			if got := notices(t, elsewhere); len(got) != 0 {
				t.Fatalf("an officer of another commune was told %v", got)
			}
			// One e-mail per notification, none twice.
			mails := srv.received()
			seen := map[string]bool{}
			for _, m := range mails {
				id := m.Msg.Header.Get("Message-ID")
				if seen[id] {
					t.Fatalf("e-mail %s sent twice", id)
				}
				seen[id] = true
			}
			if len(mails) != 4 {
				t.Fatalf("%d e-mails, want 4 (reminder, overdue, level 1, level 2)", len(mails))
			}
			// The case's timeline shows each step once.
			got, err := h.App.Cases.Get(ctx, principal(t, h, lan), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			tl, err := h.App.Cases.Timeline(ctx, principal(t, h, lan), got)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range tl {
				if strings.HasPrefix(e.Kind, "deadline.") {
					kinds = append(kinds, fmt.Sprint(e.Kind, e.Detail["level"]))
				}
			}
			if strings.Join(kinds, ",") != "deadline.reminder<nil>,deadline.escalated1,deadline.escalated2" &&
				strings.Join(kinds, ",") != "deadline.escalated2,deadline.escalated1,deadline.reminder<nil>" {
				t.Fatalf("timeline deadline entries: %v", kinds)
			}
		})
	}
}
