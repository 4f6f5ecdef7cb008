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

// A working-day deadline (the plan, 5 working days): the reminder on the
// morning of the day it is due, level 1 once it has passed, level 2 after
// one more working day — weekends not counted.
func TestPlanDeadlineCountsWorkingDays(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		_, lan := person(t, h, auth.CommuneOfficer, "00004", "vi")
		_, tinh := person(t, h, auth.ProvinceOfficer, "01", "vi")
		ctx := audit.WithActor(context.Background(), audit.System)
		p := principal(t, h, lan)
		c, err := h.App.Cases.Create(ctx, p, cases.NewCase{Commune: "00004", Source: "school",
			Summary: "Trẻ nghỉ học nhiều ngày", AbuseForms: []string{"bo_mat"}, Risk: "medium",
			AssignedTo: lan.UserID, Children: []cases.ChildRef{{Name: "Lò Văn Kế", DOB: "2014", Sex: "Nam"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range []string{cases.StepInitialAssessment, cases.StepDetailedAssessment, cases.StepPlanning} {
			if c, err = h.App.Cases.Transition(ctx, p, c.ID, cases.TransitionInput{To: to, Reason: "tiếp tục", Version: c.Version}); err != nil {
				t.Fatalf("to %s: %v", to, err)
			}
		}
		// Entered planning on Friday 27/11 08:00: due by the end of Friday 4/12.
		at := func(day, hour int) {
			h.Clock.Set(time.Date(2026, 12, day, hour, 5, 0, 0, time.FixedZone("ICT", 7*3600)))
			runDue(t, h)
		}
		at(3, 22) // Thursday evening
		if got := notices(t, lan); len(got) != 0 {
			t.Fatalf("reminded before the last working day: %v", got)
		}
		at(4, 0) // Friday, the day it is due
		if got := notices(t, lan); len(got) != 1 || got[0] != "deadline.reminder "+c.Number {
			t.Fatalf("on the day it is due Lan has %v", got)
		}
		at(5, 0) // Saturday: past due
		if got := notices(t, lan); len(got) != 2 || got[1] != "deadline.overdue "+c.Number {
			t.Fatalf("after the deadline Lan has %v", got)
		}
		at(7, 12) // Monday noon: the working day after is not over
		if got := notices(t, tinh); len(got) != 0 {
			t.Fatalf("the province was told before a working day had passed: %v", got)
		}
		at(8, 0) // Tuesday
		if got := notices(t, tinh); len(got) != 1 || got[0] != "deadline.escalation2 "+c.Number {
			t.Fatalf("on Tuesday the province has %v", got)
		}
	})
}
