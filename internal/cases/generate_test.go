package cases_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"treem/internal/audit"
	"treem/internal/cases"
	"treem/internal/children"
	"treem/internal/geo"
	"treem/internal/indicators"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

// generated fills a new database with a small registry and 600 invented
// cases over 2023–2026, as they stand on 27/11/2026.
func generated(t *testing.T, engine store.Engine, now time.Time) *store.DB {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, engine)
	if err := children.Generate(ctx, db, children.GenOptions{Children: 400, FirstYear: 2023, LastYear: 2026, Seed: 3, At: now}, nil); err != nil {
		t.Fatal(err)
	}
	var done []int
	err := cases.Generate(ctx, db, cases.GenOptions{Cases: 600, FirstYear: 2023, LastYear: 2026, Seed: 3, At: now},
		func(n int) { done = append(done, n) })
	if err != nil {
		t.Fatal(err)
	}
	if len(done) == 0 || done[len(done)-1] != 600 {
		t.Fatalf("progress reported %v, want it to end at 600", done)
	}
	return db
}

// TestGeneratedCasesCountAsTheIndicatorsSay writes invented cases into the
// real case tables and checks that every case indicator has a realistic
// value and that the engine agrees exactly with the plain SQL of the case
// area's fact sources.
func TestGeneratedCasesCountAsTheIndicatorsSay(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db := generated(t, engine, now)
			q := db.Read()
			one := func(query string, args ...any) int64 {
				t.Helper()
				var n int64
				if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				return n
			}
			if n := one(`SELECT COUNT(*) FROM cases`); n != 600 {
				t.Fatalf("%d cases, want 600", n)
			}
			if n := one(`SELECT COUNT(*) FROM cases WHERE received_at > $1 OR received_on < 20230101`, now.UnixMilli()); n != 0 {
				t.Errorf("%d cases received outside 2023 – now", n)
			}
			open := one(`SELECT COUNT(*) FROM cases WHERE step <> 'closed'`)
			if open == 0 || open > 60 {
				t.Errorf("%d open cases of 600, want a few per cent", open)
			}
			if n := one(`SELECT COUNT(*) FROM case_deadlines d JOIN cases c ON c.id = d.case_id
				WHERE d.done_at IS NULL AND c.step <> 'closed'`); n == 0 {
				t.Errorf("no open deadline on the open cases")
			}
			if n := one(`SELECT COUNT(*) FROM case_deadlines d JOIN cases c ON c.id = d.case_id
				WHERE d.done_at IS NULL AND c.step = 'closed'`); n != 0 {
				t.Errorf("%d open deadlines on closed cases", n)
			}
			if n := one(`SELECT COUNT(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_children cc WHERE cc.case_id = c.id)
				OR NOT EXISTS (SELECT 1 FROM case_steps s WHERE s.case_id = c.id AND s.left_at IS NULL AND s.step = c.step)
				OR c.version <> (SELECT MAX(e.version) FROM case_events e WHERE e.case_id = c.id)`); n != 0 {
				t.Errorf("%d cases without children, with a current step that is not theirs, or a version not on their timeline", n)
			}
			if n := one(`SELECT COUNT(*) FROM case_children cc LEFT JOIN children ch ON ch.id = cc.child_id
				LEFT JOIN cases c ON c.id = cc.case_id WHERE ch.id IS NULL OR ch.commune_code <> c.commune`); n != 0 {
				t.Errorf("%d case children not in the registry or not in the case's commune", n)
			}
			if n := one(`SELECT COUNT(*) FROM case_children cc JOIN cases c ON c.id = cc.case_id JOIN children ch ON ch.id = cc.child_id
				WHERE ch.dob_on <> 0 AND (ch.dob_on > c.received_on OR c.received_on - ch.dob_on >= 180000)`); n != 0 {
				t.Errorf("%d case children born after the report or 18 and over at it", n)
			}
			if n := one(`SELECT COUNT(*) FROM case_children WHERE child_id <= 400`); n == 0 {
				t.Errorf("no case linked to a child who was in the registry before")
			}
			if one(`SELECT COUNT(*) FROM case_children`) == one(`SELECT COUNT(DISTINCT child_id) FROM case_children`) {
				t.Errorf("no child is in two cases")
			}

			// Numbers: CCCCC-YYYY-NNNNNN of the case's commune and year,
			// unique, and the counters at the largest.
			rows, err := q.QueryContext(ctx, `SELECT number, commune, received_on FROM cases`)
			if err != nil {
				t.Fatal(err)
			}
			last := map[string]int{}
			format := regexp.MustCompile(`^(\d{5})-(\d{4})-(\d{6})$`)
			for rows.Next() {
				var number, commune string
				var on int
				if err := rows.Scan(&number, &commune, &on); err != nil {
					t.Fatal(err)
				}
				m := format.FindStringSubmatch(number)
				if m == nil || m[1] != commune || m[2] != strconv.Itoa(on/10000) {
					t.Errorf("case number %s of a case of %s received on %d", number, commune, on)
					continue
				}
				seq, _ := strconv.Atoi(m[3])
				k := m[1] + "-" + m[2]
				last[k] = max(last[k], seq)
			}
			rows.Close()
			if n := one(`SELECT COUNT(DISTINCT number) FROM cases`); n != 600 {
				t.Errorf("%d distinct numbers for 600 cases", n)
			}
			if n := one(`SELECT COUNT(*) FROM case_counters`); n != int64(len(last)) {
				t.Errorf("%d counters for %d communes and years", n, len(last))
			}
			for k, seq := range last {
				commune, year, _ := strings.Cut(k, "-")
				if got := one(`SELECT last FROM case_counters WHERE commune = $1 AND year = $2`, commune, year); got != int64(seq) {
					t.Errorf("counter of %s is %d, the largest number %d", k, got, seq)
				}
			}

			// The indicators: the engine against plain SQL, and figures
			// that look like a year's work.
			e, err := indicators.New(ctx, db, geo.Default(), append(cases.FactSources(), children.FactSource{}),
				indicators.Config{FromYear: 2015}, func() time.Time { return now }, nil)
			if err != nil {
				t.Fatal(err)
			}
			ps := []indicators.Period{{Type: indicators.Yearly, Year: 2025}, {Type: indicators.Yearly, Year: 2026},
				{Type: indicators.Quarterly, Year: 2024, N: 2}, {Type: indicators.Monthly, Year: 2023, N: 7}}
			rep, err := e.Verify(ctx, ps)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []string{"m_cases", "m_abused", "m_emergency", "m_emergency_12h", "m_plans", "m_plans_on_time",
				"m_first_action_minutes", "m_first_action_cases"} {
				if !strings.Contains(" "+strings.Join(rep.Measures, " ")+" ", " "+m+" ") {
					t.Errorf("the verifier did not compare %s (%v)", m, rep.Measures)
				}
			}
			if !rep.OK() || rep.Compared == 0 {
				t.Fatalf("engine and plain SQL disagree (%d compared): %+v", rep.Compared, rep.Mismatches)
			}
			a, err := e.Query(ctx, indicators.Request{Indicators: []string{"abuse_cases", "abused_children", "emergency_12h_pct",
				"plans_on_time_pct", "first_action_hours"}, Periods: []indicators.Period{{Type: indicators.Yearly, Year: 2025}}, Units: []string{"VN"}})
			if err != nil {
				t.Fatal(err)
			}
			val := func(ind string) float64 {
				r, ok := a.Find(ind, "2025", "VN", "")
				if !ok || r.Value == nil {
					t.Fatalf("no value of %s for 2025", ind)
				}
				return *r.Value
			}
			checks := []struct {
				ind    string
				lo, hi float64
			}{
				{"abuse_cases", 120, 180},        // 600 over 3 years and 11 months
				{"abused_children", 150, 260},    // one to three children a case
				{"emergency_12h_pct", 60, 95},    // four in five
				{"plans_on_time_pct", 55, 90},    // five in six submitted, nine in ten approved in time
				{"first_action_hours", 0.5, 100}, // hours to the first step
			}
			for _, c := range checks {
				v := val(c.ind)
				t.Logf("%s 2025: %v", c.ind, v)
				if v < c.lo || v > c.hi {
					t.Errorf("%s 2025 = %v, want %v–%v", c.ind, v, c.lo, c.hi)
				}
			}
			byForm, err := e.Query(ctx, indicators.Request{Indicators: []string{"abuse_cases"}, Periods: ps[:1], Units: []string{"VN"}, Disagg: "form"})
			if err != nil {
				t.Fatal(err)
			}
			if r, ok := byForm.Find("abuse_cases", "2025", "VN", "xam_hai_tinh_duc"); !ok || r.Numerator == 0 {
				t.Errorf("no case of sexual abuse in 2025: %+v", r)
			}
			bySex, err := e.Query(ctx, indicators.Request{Indicators: []string{"abused_children"}, Periods: ps[:1], Units: []string{"VN"}, Disagg: "sex"})
			if err != nil {
				t.Fatal(err)
			}
			girls, _ := bySex.Find("abused_children", "2025", "VN", "female")
			boys, _ := bySex.Find("abused_children", "2025", "VN", "male")
			if girls.Numerator <= boys.Numerator || boys.Numerator == 0 {
				t.Errorf("abused children 2025: %d girls, %d boys; want more girls, and some boys", girls.Numerator, boys.Numerator)
			}
		})
	}
}

// TestGeneratedCasesLeaveRoomForRealOnes: a case created after the
// generator gets the next number of its commune and year, and a second
// generation goes on from the first.
func TestGeneratedCasesLeaveRoomForRealOnes(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := cases.GenOptions{Cases: 300, FirstYear: 2026, LastYear: 2026, Seed: 9, At: now}
		if err := cases.Generate(ctx, db, o, nil); err != nil {
			t.Fatal(err)
		}
		var commune string
		var last int
		if err := db.Read().QueryRowContext(ctx, `SELECT commune, last FROM case_counters WHERE year = 2026
			ORDER BY last DESC, commune LIMIT 1`).Scan(&commune, &last); err != nil {
			t.Fatal(err)
		}
		keys, err := seal.New(seal.Generate(now))
		if err != nil {
			t.Fatal(err)
		}
		kids, err := children.New(ctx, children.Deps{DB: db, Keys: keys, Audit: audit.New(db, keys.AuditMAC(), func() time.Time { return now }),
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		s := cases.New(cases.Deps{DB: db, Keys: keys, Audit: audit.New(db, keys.AuditMAC(), func() time.Time { return now }),
			Children: kids, Now: func() time.Time { return now }})
		c, err := s.Create(ctx, nil, cases.NewCase{Commune: commune, Source: "police", Summary: "Báo tin", AbuseForms: []string{"bao_luc"},
			Children: []cases.ChildRef{{Name: "Lò Thị Mai", DOB: "05/05/2016", Sex: "Nữ"}}})
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%s-2026-%06d", commune, last+1); c.Number != want {
			t.Errorf("a real case after the generator is %s, want %s", c.Number, want)
		}
		o.Seed = 10
		if err := cases.Generate(ctx, db, o, nil); err != nil {
			t.Fatalf("a second generation: %v", err)
		}
		var n, ids int64
		db.Read().QueryRowContext(ctx, `SELECT COUNT(*), MAX(id) FROM cases`).Scan(&n, &ids)
		if n != 601 || ids != 601 {
			t.Errorf("%d cases, largest id %d; want 601 and 601", n, ids)
		}
		// The feed has every case and child for the live roll-ups.
		var touched int64
		db.Read().QueryRowContext(ctx, `SELECT COUNT(DISTINCT entity) FROM indicator_changes WHERE source = 'cases'`).Scan(&touched)
		if touched != 601 {
			t.Errorf("%d cases in the indicators' change feed, want 601", touched)
		}
	})
}

// TestGenerateIsDeterministic: the same seed on the same data gives the
// same cases.
func TestGenerateIsDeterministic(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	digest := func() string {
		db := generated(t, store.SQLite, now)
		var b strings.Builder
		rows, err := db.Read().QueryContext(context.Background(), `SELECT c.number, c.step, c.risk, c.abuse_forms, c.updated_at,
			(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id), (SELECT COUNT(*) FROM case_children k WHERE k.case_id = c.id)
			FROM cases c ORDER BY c.id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var number, step, risk, forms string
			var at, evs, kids int64
			if err := rows.Scan(&number, &step, &risk, &forms, &at, &evs, &kids); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, number, step, risk, forms, at, evs, kids)
		}
		return b.String()
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("two generations with the same seed differ")
	}
}
