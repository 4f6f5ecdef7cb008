package indicators_test

import (
	"context"
	"testing"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/children"
	"treem/internal/geo"
	"treem/internal/hotline"
	"treem/internal/indicators"
	"treem/internal/indicators/facts"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fixture is the indicator engine over the real record areas: the
// registry, the hotline and cases, recorded through their services.
type fixture struct {
	db    *store.DB
	e     *indicators.Engine
	clock *clock
	ctx   context.Context
	kids  *children.Service
	hl    *hotline.Service
	cs    *cases.Service
}

// today is when the tests run: Friday 27/11/2026, 08:00 in Hà Nội.
var today = time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)

func open(t *testing.T, engine store.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, engine)
	c := &clock{t: today}
	keys, err := seal.New(seal.Generate(today))
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, keys.AuditMAC(), c.now)
	kids, err := children.New(ctx, children.Deps{DB: db, Keys: keys, Audit: log, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	hl := hotline.New(hotline.Deps{DB: db, Keys: keys, Audit: log, Now: c.now})
	cs := cases.New(cases.Deps{DB: db, Keys: keys, Audit: log, Children: kids, Hotline: hl, Now: c.now})
	sources := append([]facts.Source{indicators.ReturnsSource{}, children.FactSource{}, hotline.FactSource{}}, cases.FactSources()...)
	e, err := indicators.New(ctx, db, geo.Default(), sources, indicators.Config{FromYear: 2015}, c.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, e: e, clock: c, ctx: ctx, kids: kids, hl: hl, cs: cs}
}

func (f *fixture) value(t *testing.T, ind, pe, ou, disagg, dim string) float64 {
	t.Helper()
	p, err := indicators.ParsePeriod(pe)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.e.Query(f.ctx, indicators.Request{Indicators: []string{ind}, Periods: []indicators.Period{p}, Units: []string{ou}, Disagg: disagg})
	if err != nil {
		t.Fatalf("query %s %s %s: %v", ind, pe, ou, err)
	}
	r, ok := a.Find(ind, p.String(), ou, dim)
	if !ok {
		t.Fatalf("no row for %s %s %s %q", ind, pe, ou, dim)
	}
	if r.Value == nil {
		return -1
	}
	return *r.Value
}

// at sets the clock to an RFC 3339 time.
func (f *fixture) at(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.t = at
	return at
}

func ptr[T any](v T) *T { return &v }

// version is a case's current version.
func (f *fixture) version(t *testing.T, id int64) int {
	t.Helper()
	c, err := f.cs.Get(f.ctx, nil, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Version
}

// move takes a case to a step.
func (f *fixture) move(t *testing.T, id int64, to string) {
	t.Helper()
	if _, err := f.cs.Transition(f.ctx, nil, id, cases.TransitionInput{To: to, Reason: "Theo quy trình", Version: f.version(t, id)}); err != nil {
		t.Fatalf("case %d to %s: %v", id, to, err)
	}
}

// seed records, through the areas' services, a small registry in Ba Đình
// (00004) and Ngọc Hà (00008) of Hà Nội (01) and a commune of province 04
// (01273), hotline contacts and cases.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	f.at(t, "2026-11-27T01:00:00Z")
	kids := []struct {
		name, dob, sex, commune string
		groups                  []children.GroupInput
	}{
		{"Nguyễn Thị An", "10/03/2015", "Nữ", "00004", []children.GroupInput{{Code: "a", Start: "01/01/2020"}}},
		{"Trần Văn Bình", "01/06/2019", "Nam", "00004", []children.GroupInput{{Code: "d", Start: "01/05/2024", End: "31/12/2025"}, {Code: "a", Start: "01/01/2025"}}},
		{"Lê Văn Cường", "01/01/2012", "Nam", "00008", []children.GroupInput{{Code: "l", Start: "01/02/2026", End: "30/06/2026"}}},
		{"Hoàng Văn Dũng", "01/01/2009", "Nam", "01273", []children.GroupInput{{Code: "n", Start: "01/01/2023"}}},
		{"Phạm Thị Em", "01/01/2010", "Nữ", "01273", nil}, // in no group
	}
	var ids []int64
	for _, k := range kids {
		c, err := f.kids.Create(f.ctx, nil, children.Input{Name: ptr(k.name), DOB: ptr(k.dob), Sex: ptr(k.sex), Commune: ptr(k.commune),
			Groups: ptr(k.groups)})
		if err != nil {
			t.Fatalf("child %s: %v", k.name, err)
		}
		ids = append(ids, c.ID)
	}
	supports := []struct {
		child        int
		date, status string
	}{
		{0, "15/01/2026", "delivered"}, {0, "20/01/2026", "delivered"}, {0, "10/03/2025", "delivered"},
		{1, "05/04/2026", "planned"}, {1, "06/04/2026", "cancelled"},
		{2, "01/03/2026", "delivered"},
		{3, "10/10/2023", "delivered"},
		{4, "01/01/2026", "delivered"}, // not in special circumstances
	}
	for _, s := range supports {
		if _, err := f.kids.AddSupport(f.ctx, nil, ids[s.child], children.SupportInput{Kind: "education", Date: s.date, Status: s.status}); err != nil {
			t.Fatalf("support %v: %v", s, err)
		}
	}

	// Contacts: each recorded as it happens.
	sup := &auth.Principal{UserID: 1, Name: "Giám sát", Role: auth.Supervisor}
	contacts := []struct {
		channel, typ, at string
		child, caller    string // communes
		referTo          string
	}{
		{"phone", "about_child", "2026-01-10T02:00:00Z", "00004", "", "00004"},
		{"zalo", "child_self", "2026-02-11T02:00:00Z", "", "00008", ""},
		{"phone", "silent", "2026-02-12T02:00:00Z", "", "", ""},
		{"phone", "prank", "2025-12-31T02:00:00Z", "", "00008", ""},
	}
	for _, c := range contacts {
		started := f.at(t, c.at)
		f.clock.t = started.Add(5 * time.Minute)
		in := hotline.NewContact{Channel: c.channel, StartedAt: &started, WrapUp: hotline.WrapUp{Type: ptr(c.typ)}}
		if c.child != "" {
			in.Children = &[]hotline.Child{{Name: "Hoa", Commune: c.child}}
		}
		if c.caller != "" {
			in.Caller = &hotline.Caller{Kind: "adult", Commune: c.caller}
		}
		ct, err := f.hl.Create(f.ctx, sup, in)
		if err != nil {
			t.Fatalf("contact %v: %v", c, err)
		}
		if c.referTo != "" {
			if _, err := f.hl.Refer(f.ctx, sup, ct.ID, hotline.ReferralInput{Commune: c.referTo}); err != nil {
				t.Fatalf("referral: %v", err)
			}
		}
	}

	// Cases. 1: an emergency acted on 90 minutes after the report, the
	// measure within 12 hours, a plan approved on time.
	f.at(t, "2026-03-01T01:00:00Z")
	c1, err := f.cs.Create(f.ctx, nil, cases.NewCase{Commune: "00004", Source: "police", Summary: "Trẻ bị đánh", Risk: cases.RiskHigh,
		AbuseForms: []string{"bao_luc", "xam_hai_tinh_duc"}, Children: []cases.ChildRef{{Name: "Lò Thị Hoa", DOB: "01/01/2014", Sex: "Nữ"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.t = f.clock.t.Add(90 * time.Minute)
	f.move(t, c1.ID, cases.StepEmergency)
	f.clock.t = f.clock.t.Add(30 * time.Minute)
	if _, err := f.cs.AddEmergency(f.ctx, nil, c1.ID, cases.EmergencyInput{Version: f.version(t, c1.ID), Measure: "shelter", Reason: "An toàn"}); err != nil {
		t.Fatal(err)
	}
	f.move(t, c1.ID, cases.StepDetailedAssessment)
	f.move(t, c1.ID, cases.StepPlanning)
	pl, err := f.cs.SavePlan(f.ctx, nil, c1.ID, cases.PlanInput{Version: f.version(t, c1.ID), Goals: []string{"Trẻ an toàn"},
		Measures: []cases.Measure{{Action: "Khám sức khỏe", Responsible: "Trạm y tế"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.move(t, c1.ID, cases.StepPlanApproval)
	if _, err := f.cs.Decide(f.ctx, nil, c1.ID, pl.ID, cases.ApprovalInput{Version: f.version(t, c1.ID), Approve: true, DecisionNo: "05/QĐ"}); err != nil {
		t.Fatal(err)
	}
	// 2: the same girl and her brother; acted on after 15 hours.
	f.at(t, "2026-06-10T01:00:00Z")
	c2, err := f.cs.Create(f.ctx, nil, cases.NewCase{Commune: "00004", Source: "school", Summary: "Trẻ bị đánh", Risk: cases.RiskHigh,
		AbuseForms: []string{"bao_luc"}, Children: []cases.ChildRef{{ID: c1.Children[0]}, {Name: "Lò Văn Hải", DOB: "01/01/2020", Sex: "Nam"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.t = f.clock.t.Add(15 * time.Hour)
	f.move(t, c2.ID, cases.StepEmergency)
	if _, err := f.cs.AddEmergency(f.ctx, nil, c2.ID, cases.EmergencyInput{Version: f.version(t, c2.ID), Measure: "medical", Reason: "Thương tích"}); err != nil {
		t.Fatal(err)
	}
	// 3: not acted on yet.
	f.at(t, "2026-01-15T01:00:00Z")
	if _, err := f.cs.Create(f.ctx, nil, cases.NewCase{Commune: "01273", Source: "family", Summary: "Trẻ bỏ nhà đi", AbuseForms: []string{"bo_mat"},
		Children: []cases.ChildRef{{Name: "Vàng Văn Sử", DOB: "01/06/2008", Sex: "Nam"}}}); err != nil {
		t.Fatal(err)
	}
	f.at(t, "2026-11-27T01:00:00Z")
}

func TestFiguresFromFacts(t *testing.T) {
	for _, eng := range storetest.Engines() {
		t.Run(string(eng), func(t *testing.T) {
			f := open(t, eng)
			f.seed(t)
			checks := []struct {
				ind, pe, ou, disagg, dim string
				want                     float64
			}{
				{"csc_total", "2026", "VN", "", "", 4}, // children 1–4
				{"csc_total", "2026", "00004", "", "", 2},
				{"csc_total", "2026", "01", "", "", 3},
				{"csc_total", "2026Q3", "VN", "", "", 3}, // 3 left the group in June
				{"csc_total", "202602", "00008", "", "", 1},
				{"csc_total", "202601", "00008", "", "", 0},
				{"csc_helped", "2026", "VN", "", "", 2}, // 1 and 3; 5 is not in a group
				{"csc_helped", "2026Q1", "01", "", "", 2},
				{"csc_helped", "2025", "VN", "", "", 1},
				{"csc_helped", "2023", "04", "", "", 1},
				{"csc_helped_pct", "2026", "00004", "", "", 50},
				{"csc_supports", "2026", "VN", "", "", 4}, // delivered: 1×2, 3, 5
				{"csc_total", "2026", "VN", "sex", "female", 1},
				{"csc_total", "2026", "VN", "sex", "male", 3},
				{"csc_total", "2026", "VN", "age", "11_15", 2}, // child 1 (born 2015: 11 at 31/12/2026), child 3 (14 at 30/06/2026)
				{"csc_total", "2026", "VN", "age", "6_10", 1},
				{"csc_total", "2026", "VN", "age", "16_plus", 1},
				{"csc_total", "2026", "VN", "group", "a", 2},
				{"csc_total", "2025", "VN", "group", "d", 1},
				{"hotline_contacts", "2026", "VN", "", "", 3},
				{"hotline_contacts", "2026", "01", "", "", 2},
				{"hotline_contacts", "2026Q1", "VN", "channel", "phone", 2},
				{"hotline_data_contacts", "2026", "VN", "", "", 2},
				{"hotline_referrals", "202601", "00004", "", "", 1},
				{"abuse_cases", "2026", "VN", "", "", 3},
				{"abuse_cases", "2026", "VN", "form", "bao_luc", 2},
				{"abused_children", "2026", "VN", "", "", 3}, // Hoa once in Ba Đình, Hải, Sử
				{"abused_children", "2026", "VN", "sex", "female", 1},
				{"abused_children", "2026Q2", "00004", "", "", 2},
				{"emergency_12h_pct", "2026", "VN", "", "", 50},
				{"plans_on_time_pct", "2026", "VN", "", "", 100},
				{"first_action_hours", "2026", "VN", "", "", 8.3}, // (90+900)/2/60
			}
			for _, c := range checks {
				if got := f.value(t, c.ind, c.pe, c.ou, c.disagg, c.dim); got != c.want {
					t.Errorf("%s %s %s %s=%s: got %v, want %v", c.ind, c.pe, c.ou, c.disagg, c.dim, got, c.want)
				}
			}
			rep, err := f.e.Verify(f.ctx, []indicators.Period{{Type: indicators.Yearly, Year: 2026}, {Type: indicators.Quarterly, Year: 2026, N: 1}, {Type: indicators.Monthly, Year: 2025, N: 12}})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.Compared == 0 {
				t.Fatalf("engine and plain SQL disagree (%d compared): %+v", rep.Compared, rep.Mismatches)
			}
		})
	}
}

func TestGeneratedDataAgreesWithPlainSQL(t *testing.T) {
	for _, eng := range storetest.Engines() {
		t.Run(string(eng), func(t *testing.T) {
			f := open(t, eng)
			err := children.Generate(f.ctx, f.db, children.GenOptions{Children: 3000, FirstYear: 2023, LastYear: 2026, Seed: 1, At: today}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = f.hl.Generate(f.ctx, hotline.GenOptions{Contacts: 6000, Span: today.Sub(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)),
				End: today, Seed: 1}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = cases.Generate(f.ctx, f.db, cases.GenOptions{Cases: 400, FirstYear: 2023, LastYear: 2026, Seed: 1, At: today}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.e.Build(f.ctx); err != nil {
				t.Fatal(err)
			}
			ps := []indicators.Period{{Type: indicators.Yearly, Year: 2024}, {Type: indicators.Yearly, Year: 2026},
				{Type: indicators.Quarterly, Year: 2025, N: 2}, {Type: indicators.Monthly, Year: 2023, N: 7}}
			rep, err := f.e.Verify(f.ctx, ps)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || len(rep.Measures) < 10 {
				t.Fatalf("engine and plain SQL disagree over %v (%d compared): %+v", rep.Measures, rep.Compared, rep.Mismatches)
			}
			for _, ind := range []string{"csc_total", "csc_helped", "hotline_contacts", "abuse_cases", "abused_children", "emergency_12h_pct"} {
				if v := f.value(t, ind, "2024", "VN", "", ""); v <= 0 {
					t.Errorf("%s 2024 = %v: the generated data should give it a value", ind, v)
				}
			}
			// A change shows after the feed runs: a new delivered support,
			// a child merged into another, a child moved.
			before := f.value(t, "csc_supports", "2026", "VN", "", "")
			if _, err := f.kids.AddSupport(f.ctx, nil, 7, children.SupportInput{Kind: "education", Date: "15/03/2026"}); err != nil {
				t.Fatal(err)
			}
			if got := f.value(t, "csc_supports", "2026", "VN", "", ""); got != before {
				t.Fatalf("the figure changed before the feed ran: %v → %v", before, got)
			}
			if _, err := f.e.Poll(f.ctx); err != nil {
				t.Fatal(err)
			}
			if got := f.value(t, "csc_supports", "2026", "VN", "", ""); got != before+1 {
				t.Fatalf("after the feed: %v, want %v", got, before+1)
			}
			if _, err := f.kids.Merge(f.ctx, nil, 10, 8); err != nil {
				t.Fatal(err)
			}
			nine, err := f.kids.Get(f.ctx, nil, 9)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.kids.Update(f.ctx, nil, 9, children.Input{Commune: ptr("01273"), Version: nine.Version}); err != nil {
				t.Fatal(err)
			}
			if rep, err := f.e.Verify(f.ctx, ps); err != nil || !rep.OK() {
				t.Fatalf("after changes the engine and plain SQL disagree: %v %+v", err, rep.Mismatches)
			}
			// Disaggregations sum to totals for exclusive dimensions.
			for _, dim := range []string{"sex", "age"} {
				a, err := f.e.Query(f.ctx, indicators.Request{Indicators: []string{"csc_total", "csc_helped"}, Periods: ps,
					Units: []string{"VN", "LEVEL-province"}, Disagg: dim})
				if err != nil {
					t.Fatal(err)
				}
				sums := map[[3]string]int64{}
				totals := map[[3]string]int64{}
				for _, r := range a.Rows {
					k := [3]string{r.Indicator, r.Period, r.Unit}
					if r.Dim == "" {
						totals[k] = r.Numerator
					} else {
						sums[k] += r.Numerator
					}
				}
				for k, tot := range totals {
					if sums[k] != tot {
						t.Errorf("%s by %s: values sum to %d, total %d", k, dim, sums[k], tot)
					}
				}
			}
		})
	}
}
