package indicators_test

import (
	"context"
	"testing"
	"time"

	"treem/internal/geo"
	"treem/internal/indicators"
	"treem/internal/indicators/facts"
	"treem/internal/indicators/standin"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type fixture struct {
	db    *store.DB
	e     *indicators.Engine
	clock *clock
	ctx   context.Context
}

func open(t *testing.T, engine store.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, engine)
	if err := standin.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}
	e, err := indicators.New(ctx, db, geo.Default(), append(standin.Sources(), indicators.ReturnsSource{}),
		indicators.Config{FromYear: 2015}, c.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, e: e, clock: c, ctx: ctx}
}

func (f *fixture) at() int64 { return f.clock.t.UnixMilli() }

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

// seed writes a small registry: Ba Đình (00004, Hà Nội 01) and Ngọc Hà
// (00008), a commune in province 04, and hotline contacts and cases.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	kids := []standin.Child{
		{ID: 1, Commune: "00004", Sex: "female", DOB: 20150310, Groups: []standin.Group{{Code: "a", Start: 20200101, End: facts.Open}}},
		{ID: 2, Commune: "00004", Sex: "male", DOB: 20190601, Groups: []standin.Group{{Code: "d", Start: 20240501, End: 20251231}, {Code: "a", Start: 20250101, End: facts.Open}}},
		{ID: 3, Commune: "00008", Sex: "male", DOB: 20120101, Groups: []standin.Group{{Code: "l", Start: 20260201, End: 20260630}}},
		{ID: 4, Commune: "01273", Sex: "", DOB: 0, Groups: []standin.Group{{Code: "n", Start: 20230101, End: facts.Open}}},
		{ID: 5, Commune: "01273", Sex: "female", DOB: 20100101}, // in no group
	}
	for _, k := range kids {
		if err := standin.AddChild(f.ctx, f.db, k, f.at()); err != nil {
			t.Fatal(err)
		}
	}
	supports := []struct {
		child  int64
		on     int32
		status string
	}{
		{1, 20260115, "delivered"}, {1, 20260120, "delivered"}, {1, 20250310, "delivered"},
		{2, 20260405, "planned"}, {2, 20260406, "cancelled"},
		{3, 20260301, "delivered"},
		{4, 20231010, "delivered"},
		{5, 20260101, "delivered"}, // not in special circumstances
	}
	for _, s := range supports {
		if err := standin.AddSupport(f.ctx, f.db, s.child, s.on, s.status, f.at()); err != nil {
			t.Fatal(err)
		}
	}
	contacts := []standin.Contact{
		{ID: 1, Channel: "phone", Type: "about_child", Class: "data", On: 20260110, Unit: "00004", Referred: true},
		{ID: 2, Channel: "zalo", Type: "child_self", Class: "data", On: 20260211, Unit: "01"},
		{ID: 3, Channel: "phone", Type: "silent", Class: "non_data", On: 20260212},
		{ID: 4, Channel: "phone", Type: "prank", Class: "non_data", On: 20251231, Unit: "00008"},
	}
	for _, c := range contacts {
		if err := standin.AddContact(f.ctx, f.db, c, f.at()); err != nil {
			t.Fatal(err)
		}
	}
	cases := []standin.Case{
		{ID: 1, Commune: "00004", On: 20260301, Forms: []string{"bao_luc", "xam_hai_tinh_duc"}, Emergency: true, In12h: true,
			Plan: true, PlanOnTime: true, FirstActionMinutes: 90, Children: []standin.CaseChild{{Key: 101, Sex: "female", DOB: 20140101}}},
		{ID: 2, Commune: "00004", On: 20260610, Forms: []string{"bao_luc"}, Emergency: true, FirstActionMinutes: 900,
			Children: []standin.CaseChild{{Key: 101, Sex: "female", DOB: 20140101}, {Key: 102, Sex: "male", DOB: 20200101}}},
		{ID: 3, Commune: "01273", On: 20260115, Forms: []string{"bo_mat"}, FirstActionMinutes: -1,
			Children: []standin.CaseChild{{Key: 103, Sex: "male", DOB: 20080101}}},
	}
	for _, c := range cases {
		if err := standin.AddCase(f.ctx, f.db, c, f.at()); err != nil {
			t.Fatal(err)
		}
	}
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
				{"csc_total", "2026", "VN", "sex", "unknown", 1},
				{"csc_total", "2026", "VN", "age", "11_15", 2}, // child 1 (born 2015: 11 at 31/12/2026), child 3 (14 at 30/06/2026)
				{"csc_total", "2026", "VN", "age", "6_10", 1},
				{"csc_total", "2026", "VN", "group", "a", 2},
				{"csc_total", "2025", "VN", "group", "d", 1},
				{"hotline_contacts", "2026", "VN", "", "", 3},
				{"hotline_contacts", "2026", "01", "", "", 2},
				{"hotline_contacts", "2026Q1", "VN", "channel", "phone", 2},
				{"hotline_data_contacts", "2026", "VN", "", "", 2},
				{"hotline_referrals", "202601", "00004", "", "", 1},
				{"abuse_cases", "2026", "VN", "", "", 3},
				{"abuse_cases", "2026", "VN", "form", "bao_luc", 2},
				{"abused_children", "2026", "VN", "", "", 3}, // 101 once in Ba Đình, 102, 103
				{"abused_children", "2026Q2", "00004", "", "", 2},
				{"emergency_12h_pct", "2026", "VN", "", "", 50},
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
			sc := standin.Scale{Children: 3000, ContactsPerYear: 1500, Years: 4, LastYear: 2026, Cases: 400, Seed: 1}
			if err := standin.Generate(f.ctx, f.db, sc, nil); err != nil {
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
			// A change shows after the feed runs: a new delivered support
			// for a child in a group, and a child removed.
			before := f.value(t, "csc_supports", "2026", "VN", "", "")
			if err := standin.AddSupport(f.ctx, f.db, 7, 20260315, "delivered", f.at()); err != nil {
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
			if err := standin.DeleteChild(f.ctx, f.db, 8, f.at()); err != nil {
				t.Fatal(err)
			}
			if err := standin.MoveChild(f.ctx, f.db, 9, "01273", f.at()); err != nil {
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
