package notify_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"treem/internal/config"
	"treem/internal/geo"
	"treem/internal/store"
	"treem/internal/testenv"
)

// benchCases is the number of open cases the scanner benchmark runs over.
const benchCases = 50000

// benchEnv builds a treem with 50,000 open cases, each with an open
// deadline, due from 30 days ago to 60 days ahead (one in ten on the
// 12-hour emergency clock), spread over 500 communes with an officer each
// and their provinces' officers. The marks are those of a scanner that ran
// until a day ago: older deadlines are escalated to the province, the last
// day's are not yet handled.
func benchEnv(b *testing.B, engine store.Engine) *testenv.Env {
	b.Helper()
	h := testenv.NewWith(b, testenv.Options{Engine: engine, Config: func(c *config.Config) {
		c.SMTP = config.SMTP{Host: "127.0.0.1", Port: 2525, From: "treem <no-reply@treem.example.vn>", TLS: "none"}
	}})
	ctx := context.Background()
	db := h.App.DB
	now := store.Millis(h.Clock.Now())
	communes := geo.Default().Communes("")[:500]
	err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE bench_communes (i INTEGER PRIMARY KEY, code TEXT NOT NULL, province TEXT NOT NULL, officer BIGINT NOT NULL)`); err != nil {
			return err
		}
		provinces := map[string]bool{}
		for i, c := range communes {
			var officer int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO users (username, email, role, unit_code, province_code, password_hash,
				password_changed_at, created_at, updated_at) VALUES ($1, $2, 'commune_officer', $3, $4, 'x', $5, $5, $5) RETURNING id`,
				fmt.Sprintf("bench.%s", c.Code), fmt.Sprintf("bench.%s@example.vn", c.Code), c.Code, c.Province, now).Scan(&officer); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO bench_communes (i, code, province, officer) VALUES ($1, $2, $3, $4)`,
				i, c.Code, c.Province, officer); err != nil {
				return err
			}
			if !provinces[c.Province] {
				provinces[c.Province] = true
				if _, err := tx.ExecContext(ctx, `INSERT INTO users (username, email, role, unit_code, province_code, password_hash,
					password_changed_at, created_at, updated_at) VALUES ($1, $2, 'province_officer', $3, $3, 'x', $4, $4, $4)`,
					"bench.p"+c.Province, "bench.p"+c.Province+"@example.vn", c.Province, now); err != nil {
					return err
				}
			}
		}
		const day = int64(24 * time.Hour / time.Millisecond)
		seq := `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ` + fmt.Sprint(benchCases) + `) `
		if _, err := tx.ExecContext(ctx, seq+`INSERT INTO cases (id, number, commune, province, step, step_at, risk, source,
			assigned_to, received_at, created_at, updated_at)
			SELECT n + 1000000, 'BENCH-' || n, b.code, b.province, 'planning', $1, 'medium', 'hotline', b.officer, $1, $1, $1
			FROM seq JOIN bench_communes b ON b.i = n % 500`, now-40*day); err != nil {
			return fmt.Errorf("cases: %w", err)
		}
		// due_at from now-30d to now+60d.
		if _, err := tx.ExecContext(ctx, seq+`INSERT INTO case_deadlines (id, case_id, what, step, due_at, reminded_at, escalation,
			commune, province, assigned_to, created_at)
			SELECT n + 1000000, n + 1000000, CASE WHEN n % 10 = 0 THEN 'emergency' ELSE 'plan' END, 'planning',
				CAST($1 AS BIGINT) + n * CAST($2 AS BIGINT),
				CASE WHEN CAST($1 AS BIGINT) + n * CAST($2 AS BIGINT) < CAST($3 AS BIGINT) THEN CAST($1 AS BIGINT) + n * CAST($2 AS BIGINT) ELSE NULL END,
				CASE WHEN CAST($1 AS BIGINT) + n * CAST($2 AS BIGINT) < CAST($3 AS BIGINT) THEN 2 ELSE 0 END,
				b.code, b.province, b.officer, $4
			FROM seq JOIN bench_communes b ON b.i = n % 500`, now-30*day, 90*day/benchCases, now-day, now-40*day); err != nil {
			return fmt.Errorf("deadlines: %w", err)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if engine == store.Postgres {
		if _, err := db.Read().ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	return h
}

// reset undoes what a pass did to the last day's deadlines.
func reset(b *testing.B, h *testenv.Env) {
	ctx := context.Background()
	now := store.Millis(h.Clock.Now())
	const day = int64(24 * time.Hour / time.Millisecond)
	err := h.App.DB.Write(ctx, func(tx *store.Tx) error {
		for q, arg := range map[string]int64{
			`UPDATE case_deadlines SET reminded_at = NULL, escalation = 0 WHERE due_at >= $1`: now - day,
			`DELETE FROM notifications WHERE created_at >= $1`:                                now,
			`DELETE FROM mail_outbox WHERE created_at >= $1`:                                  now,
			`DELETE FROM case_events WHERE kind LIKE 'deadline.%' AND at >= $1`:               now,
			`DELETE FROM jobs WHERE kind = 'notify.mail' AND created_at >= $1`:                now,
		} {
			if _, err := tx.ExecContext(ctx, q, arg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDeadlineScan measures one pass of the scanner over 50,000 open
// cases: "catch-up" acts on the last day's deadlines (about 1,100:
// reminders, level 1 and level 2 escalations, with their notifications,
// e-mails in the outbox and timeline entries), "steady" is a pass with
// nothing new to do, and "sql" is the plain query alone (the peer).
//
//	go test ./internal/notify -run '^$' -bench DeadlineScan -benchtime 5x
func BenchmarkDeadlineScan(b *testing.B) {
	for _, engine := range enginesUnderTest() {
		b.Run(string(engine), func(b *testing.B) {
			h := benchEnv(b, engine)
			ctx := context.Background()
			b.Run("catch-up", func(b *testing.B) {
				var acted int
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					reset(b, h)
					b.StartTimer()
					r, err := h.App.Deadlines.Scan(ctx, h.Clock.Now())
					if err != nil {
						b.Fatal(err)
					}
					acted = r.Reminders + r.Escalations
					b.ReportMetric(float64(r.Read), "deadlines-read")
				}
				b.ReportMetric(float64(acted), "actions")
			})
			b.Run("steady", func(b *testing.B) {
				h.App.Deadlines.Scan(ctx, h.Clock.Now())
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r, err := h.App.Deadlines.Scan(ctx, h.Clock.Now())
					if err != nil {
						b.Fatal(err)
					}
					if r.Reminders+r.Escalations != 0 {
						b.Fatalf("a steady pass acted: %+v", r)
					}
					b.ReportMetric(float64(r.Read), "deadlines-read")
				}
			})
			b.Run("sql", func(b *testing.B) {
				// The peer: the scanner's own read query alone, paged the
				// same way (no calendar, no writes).
				now := h.Clock.Now()
				q := `SELECT d.id, d.case_id, d.what, d.due_at, d.reminded_at, d.escalation, d.commune, d.province,
					d.assigned_to, c.number
					FROM case_deadlines d JOIN cases c ON c.id = d.case_id
					WHERE d.done_at IS NULL AND d.escalation < 2 AND d.due_at <= $1
					AND (d.reminded_at IS NULL OR (d.escalation = 0 AND d.due_at < $2) OR (d.escalation = 1 AND d.due_at <= $3))
					AND (d.due_at > $4 OR (d.due_at = $4 AND d.id > $5))
					ORDER BY d.due_at, d.id LIMIT 500`
				for i := 0; i < b.N; i++ {
					n, afterDue, afterID := 0, int64(-1<<62), int64(0)
					for {
						rows, err := h.App.DB.Read().QueryContext(ctx, q, store.Millis(now.Add(24*time.Hour)), store.Millis(now),
							store.Millis(now.Add(-2*time.Hour)), afterDue, afterID)
						if err != nil {
							b.Fatal(err)
						}
						k := 0
						for rows.Next() {
							var id, caseID, due, esc int64
							var what, commune, province, number string
							var reminded, assigned sql.NullInt64
							if err := rows.Scan(&id, &caseID, &what, &due, &reminded, &esc, &commune, &province, &assigned, &number); err != nil {
								b.Fatal(err)
							}
							afterDue, afterID = due, id
							k++
						}
						rows.Close()
						n += k
						if k < 500 {
							break
						}
					}
					b.ReportMetric(float64(n), "rows")
				}
			})
		})
	}
}
