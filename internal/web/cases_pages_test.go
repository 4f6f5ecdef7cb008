package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/testenv"
)

// noMissing fails on a page with an untranslated key.
func noMissing(t *testing.T, where string, res *testenv.Response) string {
	t.Helper()
	body := string(res.Body)
	if i := strings.Index(body, "⟦"); i >= 0 {
		t.Errorf("%s: missing translation near %q", where, body[i:min(len(body), i+60)])
	}
	return body
}

func TestCasePagesWalkACaseInBothLanguages(t *testing.T) {
	h := testenv.New(t)
	officer := h.User(t, auth.CommuneOfficer, "00004")
	createChild(t, officer, `{"name":"Lò Thị Mai","dob":"05/05/2016","sex":"Nữ","commune":"00004"}`)
	admin := h.User(t, auth.Admin, "")
	b := h.Browser(t)
	b.Login(t, officer.Username, testenv.Password)

	// Search before create: the same child is offered before a new one is made.
	form := url.Values{"commune": {"00004"}, "received_at": {"2026-11-27T07:30"}, "source": {"police"}, "abuse_forms": {"bao_luc"},
		"risk": {"high"}, "summary": {"Công an xã báo trẻ bị đánh"}, "child_name": {"Lo Thi Mai"}, "child_dob": {"05/05/2016"}, "child_sex": {"Nữ"}}
	res := b.PostForm(t, "/cases", form)
	if body := noMissing(t, "match", res); res.Code != http.StatusOK || !strings.Contains(body, "Lò Thị Mai") || !strings.Contains(body, `name="use_child"`) {
		t.Fatalf("search before create: %d %s", res.Code, body)
	}
	id := regexp.MustCompile(`id="use-(\d+)"`).FindStringSubmatch(string(res.Body))[1]
	form.Set("use_child", id)
	res = b.PostForm(t, "/cases", form)
	if res.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	page := res.Header.Get("Location")
	caseID := strings.TrimPrefix(page, "/cases/")
	if d := getCase(t, officer, caseID); fmt.Sprint(d["children"]) != "["+id+"]" {
		t.Fatalf("the case holds the registry child: %v", d["children"])
	}
	for _, lang := range []string{"vi", "en"} {
		b.PostForm(t, "/lang", url.Values{"lang": {lang}, "next": {"/"}})
		for _, p := range []string{"/cases", "/cases?overdue=true&assigned=me&step=open", "/cases/new", page, "/cases/access-log"} {
			res := b.Get(t, p)
			if noMissing(t, lang+" "+p, res); res.Code != http.StatusOK {
				t.Fatalf("%s %s: %d", lang, p, res.Code)
			}
		}
	}
	// Moving the case from its page; a stale form shows what changed.
	res = b.PostForm(t, page+"/transitions", url.Values{"version": {"1"}, "to": {"emergency"}, "reason": {"Nguy cơ cao"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("transition form: %d %s", res.Code, res.Body)
	}
	res = b.PostForm(t, page+"/notes", url.Values{"version": {"1"}, "text": {"Ghi chú cũ"}})
	if body := noMissing(t, "stale", res); res.Code != http.StatusConflict || !strings.Contains(body, "Sang bước") && !strings.Contains(body, "→") {
		t.Fatalf("stale note: %d %s", res.Code, body)
	}
	res = b.Get(t, page)
	if body := noMissing(t, "emergency page", res); !strings.Contains(body, "/emergency-measures") {
		t.Fatalf("the emergency step offers the Mẫu 07 form")
	}
	// The holiday calendar is for settings.edit.
	ab := h.Browser(t)
	ab.Login(t, admin.Username, testenv.Password)
	if res := ab.Get(t, "/holidays?year=2026"); res.Code != http.StatusOK || !strings.Contains(noMissing(t, "holidays", res), "Bính Ngọ") {
		t.Fatalf("holidays page: %d", res.Code)
	}
	if res := ab.PostForm(t, "/holidays", url.Values{"day": {"2026-11-24"}, "name_vi": {"Ngày Văn hóa Việt Nam"}, "confirmed": {"1"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("add holiday: %d %s", res.Code, res.Body)
	}
	if res := admin.Get(t, "/api/v1/holidays?year=2026"); !strings.Contains(string(res.Body), "Văn hóa") {
		t.Fatalf("holiday not saved: %s", res)
	}
}

func TestTheDemoHasCasesAtEveryStage(t *testing.T) {
	h := testenv.NewWith(t, testenv.Options{Demo: true})
	page, err := h.App.Cases.List(context.Background(), nil, cases.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]bool{}
	for _, it := range page.Items {
		steps[it.Step] = true
	}
	for _, s := range []string{"received", "verifying", "detailed_assessment", "planning", "plan_approval", "implementing", "closed"} {
		if !steps[s] {
			t.Errorf("no demo case in step %s: %v", s, steps)
		}
	}
	over, err := h.App.Cases.List(context.Background(), nil, cases.Filter{Overdue: true})
	if err != nil || over.Total == 0 {
		t.Errorf("the demo shows overdue work: %v %v", over.Total, err)
	}
}

func TestAssigningAnOfficerFromTheCasePage(t *testing.T) {
	h := testenv.New(t)
	officer := h.User(t, auth.CommuneOfficer, "00004")
	colleague := h.User(t, auth.CommuneOfficer, "00004")
	id := caseID(openCase(t, officer, fmt.Sprintf(newCaseBody, "high")))
	b := h.Browser(t)
	b.Login(t, officer.Username, testenv.Password)
	if res := b.Get(t, "/cases/"+id); !strings.Contains(noMissing(t, "case", res), "Người Thử "+colleague.Username) {
		t.Fatalf("the colleague is offered in the assignment form")
	}
	res := b.PostForm(t, "/cases/"+id+"/assign", url.Values{"version": {"1"}, "assigned_to": {fmt.Sprint(colleague.UserID)}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", res.Code, res.Body)
	}
	h.Clock.Advance(13 * time.Hour)
	res = colleague.Get(t, "/api/v1/cases?overdue=true&assigned=me")
	var out struct{ Total int }
	res.JSON(t, &out)
	if out.Total != 1 {
		t.Fatalf("the overdue emergency moved to the new assignee: %s", res)
	}
}
