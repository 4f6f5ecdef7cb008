package cases_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/geo"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

// TestOverdueListsAt50000Cases fills the case tables with 50,000 cases
// over five years (most closed, a few thousand open, with their deadlines)
// and times the overdue lists: a user's, a commune's, a province's. Run
// with TREEM_SCALE_CASES=1 (it takes a minute); figures in
// docs/PERFORMANCE.md.
func TestOverdueListsAt50000Cases(t *testing.T) {
	if os.Getenv("TREEM_SCALE_CASES") == "" {
		t.Skip("set TREEM_SCALE_CASES=1 to run")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
		keys, err := seal.New(seal.Generate(now))
		if err != nil {
			t.Fatal(err)
		}
		s := cases.New(cases.Deps{DB: db, Keys: keys, Audit: audit.New(db, keys.AuditMAC(), func() time.Time { return now }),
			Now: func() time.Time { return now }})
		start := time.Now()
		users, provinces := fill(t, db, now, 50000)
		t.Logf("%s: 50,000 cases written in %v", db.Engine, time.Since(start).Round(time.Millisecond))

		rng := rand.New(rand.NewPCG(1, 2))
		if os.Getenv("TREEM_SCALE_EXPLAIN") != "" {
			explain(t, db, now)
		}
		measure := func(name string, f func() (int, error)) {
			var times []time.Duration
			rows := 0
			for i := 0; i < 300; i++ {
				t0 := time.Now()
				n, err := f()
				if err != nil {
					t.Fatal(err)
				}
				times = append(times, time.Since(t0))
				rows += n
			}
			slices.Sort(times)
			p50, p95 := times[len(times)/2], times[len(times)*95/100]
			t.Logf("%s %-34s p50 %6.2f ms  p95 %6.2f ms  (mean total %d)", db.Engine, name,
				float64(p50.Microseconds())/1000, float64(p95.Microseconds())/1000, rows/len(times))
			if p95 > 30*time.Millisecond {
				// The target; on a shared machine the tail is the scheduler's.
				t.Logf("%s: p95 %v > 30 ms (load average: see uptime)", name, p95)
			}
		}
		measure("my overdue work", func() (int, error) {
			u := users[rng.IntN(len(users))]
			p := &auth.Principal{UserID: u.id, Role: auth.CommuneOfficer, Unit: u.commune, Province: u.province}
			pg, err := s.List(ctx, p, cases.Filter{Overdue: true, Mine: true})
			return pg.Total, err
		})
		measure("a commune's overdue list", func() (int, error) {
			u := users[rng.IntN(len(users))]
			p := &auth.Principal{UserID: u.id, Role: auth.CommuneOfficer, Unit: u.commune, Province: u.province}
			pg, err := s.List(ctx, p, cases.Filter{Overdue: true})
			return pg.Total, err
		})
		measure("a province's overdue list", func() (int, error) {
			pr := provinces[rng.IntN(len(provinces))]
			p := &auth.Principal{UserID: 1, Role: auth.ProvinceOfficer, Unit: pr, Province: pr}
			pg, err := s.List(ctx, p, cases.Filter{Overdue: true})
			return pg.Total, err
		})
		measure("Hà Nội's overdue list", func() (int, error) {
			p := &auth.Principal{UserID: 1, Role: auth.ProvinceOfficer, Unit: "01", Province: "01"}
			pg, err := s.List(ctx, p, cases.Filter{Overdue: true})
			return pg.Total, err
		})
		measure("national overdue list", func() (int, error) {
			p := &auth.Principal{UserID: 1, Role: auth.Analyst}
			pg, err := s.List(ctx, p, cases.Filter{Overdue: true})
			return pg.Total, err
		})
		measure("a province's open cases", func() (int, error) {
			pr := provinces[rng.IntN(len(provinces))]
			p := &auth.Principal{UserID: 1, Role: auth.ProvinceOfficer, Unit: pr, Province: pr}
			pg, err := s.List(ctx, p, cases.Filter{Step: "open"})
			return pg.Total, err
		})
	})
}

type user struct {
	id                int64
	commune, province string
}

// fill writes n cases over the five years before now: 95% closed, the
// others open at some step, each open one with a deadline (a third of
// them overdue), the closed ones with their done deadlines and a few
// timeline entries.
func fill(t *testing.T, db *store.DB, now time.Time, n int) ([]user, []string) {
	ctx := context.Background()
	units := geo.Default()
	var communes []geo.Unit
	var provinces []string
	for _, p := range units.Provinces() {
		provinces = append(provinces, p.Code)
		communes = append(communes, units.Communes(p.Code)...)
	}
	var users []user
	for i, c := range communes {
		users = append(users, user{id: int64(1000 + i), commune: c.Code, province: c.Province})
	}
	rng := rand.New(rand.NewPCG(7, 8))
	open := []string{"received", "verifying", "initial_assessment", "emergency", "detailed_assessment", "planning", "plan_approval", "implementing", "reviewing"}
	const batch = 400
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	for lo := 0; lo < n; lo += batch {
		err := db.Write(ctx, func(tx *store.Tx) error {
			var cs, ds, es []string
			for i := lo; i < min(n, lo+batch); i++ {
				u := users[rng.IntN(len(users))]
				received := now.Add(-time.Duration(rng.Int64N(int64(5 * 365 * 24 * time.Hour))))
				step, closed := "closed", "NULL"
				if rng.IntN(100) < 5 {
					step = open[rng.IntN(len(open))]
					received = now.Add(-time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
				} else {
					closed = fmt.Sprint(ms(received.Add(30 * 24 * time.Hour)))
				}
				id := i + 1
				cs = append(cs, fmt.Sprintf("(%d, '%s-%d-%06d', '%s', '%s', '%s', %d, 'medium', 'hotline', 'bao_luc', %d, 0, 1, %d, %d, %d, %s)",
					id, u.commune, received.Year(), id, u.commune, u.province, step, ms(received), u.id, ms(received), ms(received), ms(received), closed))
				due := received.Add(time.Duration(rng.IntN(10*24)) * time.Hour)
				done := "NULL"
				if step == "closed" {
					done = fmt.Sprint(ms(due))
				} else if rng.IntN(3) != 0 {
					due = now.Add(time.Duration(1+rng.IntN(10*24)) * time.Hour) // not yet due
				}
				ds = append(ds, fmt.Sprintf("(%d, 'plan', 'planning', %d, %s, '%s', '%s', %d, %d)", id, ms(due), done, u.commune, u.province, u.id, ms(received)))
				if step == "closed" {
					ds = append(ds, fmt.Sprintf("(%d, 'approval', 'plan_approval', %d, %d, '%s', '%s', %d, %d)", id, ms(due), ms(due), u.commune, u.province, u.id, ms(received)))
				}
				for k := 0; k < 4; k++ {
					es = append(es, fmt.Sprintf("(%d, %d, %d, 'x', 'step', '{}', %d)", id, ms(received)+int64(k), u.id, k+1))
				}
			}
			stmts := []string{
				`INSERT INTO cases (id, number, commune, province, step, step_at, risk, source, abuse_forms, assigned_to, confidential, version,
					received_at, created_at, updated_at, closed_at) VALUES ` + strings.Join(cs, ","),
				`INSERT INTO case_deadlines (case_id, what, step, due_at, done_at, commune, province, assigned_to, created_at) VALUES ` + strings.Join(ds, ","),
				`INSERT INTO case_events (case_id, at, actor_id, actor_name, kind, detail, version) VALUES ` + strings.Join(es, ","),
			}
			for _, q := range stmts {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if db.Engine == store.Postgres {
		// A steady state: autovacuum has run (visibility map for index-only scans).
		if _, err := db.Read().ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			t.Fatal(err)
		}
	} else if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE"); return err }); err != nil {
		t.Fatal(err)
	}
	return users, provinces
}

func explain(t *testing.T, db *store.DB, now time.Time) {
	prefix := "EXPLAIN QUERY PLAN "
	if db.Engine == store.Postgres {
		prefix = "EXPLAIN ANALYZE "
	}
	for _, q := range []string{
		`SELECT COUNT(*) FROM case_deadlines d JOIN cases c ON c.id = d.case_id WHERE d.done_at IS NULL AND d.due_at < $1`,
		`SELECT c.id, d.due_at FROM case_deadlines d JOIN cases c ON c.id = d.case_id WHERE d.done_at IS NULL AND d.due_at < $1 ORDER BY d.due_at, d.id LIMIT 51`,
		`SELECT COUNT(*) FROM cases c WHERE c.province = '01' AND c.step <> 'closed' AND c.step <> 'transferred' AND c.received_at < CAST($1 AS BIGINT)`,
		`SELECT c.id, (SELECT MIN(y.due_at) FROM case_deadlines y WHERE y.case_id = c.id AND y.done_at IS NULL) FROM cases c WHERE c.province = '01' AND c.step <> 'closed' AND c.step <> 'transferred' AND c.received_at < CAST($1 AS BIGINT) ORDER BY c.received_at DESC, c.id DESC LIMIT 51`,
	} {
		rows, err := db.Read().QueryContext(context.Background(), prefix+q, now.UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			out = append(out, fmt.Sprint(vals...))
		}
		rows.Close()
		t.Logf("%s\n%s", q, strings.Join(out, "\n"))
	}
}
