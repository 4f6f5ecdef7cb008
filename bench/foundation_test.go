package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"treem/internal/geo"
	"treem/internal/vntext"
)

// Start-up to ready on an empty SQLite database: migrations, key file and
// all, until /readyz answers.
//
//	go test ./bench -run '^$' -bench Startup -benchtime 10x
func BenchmarkStartup(b *testing.B) {
	Binary(b)
	var total, worst time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		s, d := Start(b, []string{"TREEM_DB=sqlite:" + filepath.Join(dir, "treem.db")})
		s.Stop()
		total += d
		worst = max(worst, d)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
}

// Resident memory of an idle server after it has served its pages once.
//
//	go test ./bench -run '^$' -bench IdleRSS
func BenchmarkIdleRSS(b *testing.B) {
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		s, _ := Start(b, []string{"TREEM_DB=sqlite:" + filepath.Join(dir, "treem.db")}, "--demo")
		c := HTTPClient(1)
		for _, p := range []string{"/login", "/healthz", "/static/app.css", "/api/v1/openapi.json"} {
			Get(c, s.URL+p, "")
		}
		time.Sleep(3 * time.Second)
		b.ReportMetric(s.RSS(b), "MiB-RSS")
		s.Stop()
	}
}

var unitQueries = []string{"ba dinh", "hoan kiem", "tan phu", "phuong 1", "hue", "xa an", "dinh ba", "00004",
	"Thủy Nguyên", "son", "cu mgar", "truong sa", "long", "ninh", "phu", "binh thanh"}

// serverWithToken starts treem on dsn and returns it with an API token.
func serverWithToken(b *testing.B, dsn string) (*Server, string) {
	dir := b.TempDir()
	env := []string{"TREEM_DB=" + dsn, "TREEM_KEY_FILE=" + filepath.Join(dir, "bench.key")}
	Run(b, env, "keys", "init")
	Run(b, env, "migrate")
	Run(b, env, "user", "add", "--name", "bench.analyst", "--role", "analyst")
	tok := strings.TrimSpace(Run(b, env, "token", "create", "--user", "bench.analyst"))
	s, _ := Start(b, env)
	return s, tok
}

// GET /api/v1/units?q=… from 100 concurrent clients over loopback, on each
// engine: closed loop (each client sends again as soon as answered: the
// server's saturation point) and open loop at fixed rates (as users arrive).
//
//	go test ./bench -run '^$' -bench UnitsSearch -benchtime 1x
func BenchmarkUnitsSearch(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		dsn := func(b *testing.B) string {
			if engine == "postgres" {
				return Postgres(b)
			}
			return "sqlite:" + filepath.Join(b.TempDir(), "treem.db")
		}
		b.Run(engine+"/closed-loop", func(b *testing.B) {
			s, tok := serverWithToken(b, dsn(b))
			c := HTTPClient(100)
			st := Load(100, 10*time.Second, func(client, i int) error {
				return Get(c, s.URL+"/api/v1/units?q="+url.QueryEscape(unitQueries[(client+i)%len(unitQueries)]), tok)
			})
			b.Logf("%s closed loop, 100 clients: %s", engine, st)
			st.Report(b)
		})
		for _, rate := range []int{1000, 4000} {
			b.Run(fmt.Sprintf("%s/open-loop-%d-per-s", engine, rate), func(b *testing.B) {
				s, tok := serverWithToken(b, dsn(b))
				c := HTTPClient(100)
				st := LoadRate(100, rate, 10*time.Second, func(client, i int) error {
					return Get(c, s.URL+"/api/v1/units?q="+url.QueryEscape(unitQueries[i%len(unitQueries)]), tok)
				})
				b.Logf("%s open loop, 100 clients, %d/s: %s", engine, rate, st)
				st.Report(b)
			})
		}
	}
}

// The obvious peer: the same searches as one plain SQL query each
// (unaccent + LIKE over a units table) on PostgreSQL, 100 concurrent
// clients, no HTTP in the way.
//
//	go test ./bench -run '^$' -bench UnitsPlainPostgres -benchtime 1x
func BenchmarkUnitsPlainPostgres(b *testing.B) {
	db, err := sql.Open("pgx", Postgres(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(32)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE EXTENSION IF NOT EXISTS unaccent",
		"CREATE TABLE units (code TEXT PRIMARY KEY, name TEXT, full_name TEXT, province TEXT)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Skipf("%s: %v", q, err)
		}
	}
	all := append(geo.Default().Provinces(), geo.Default().Communes("")...)
	for _, u := range all {
		if _, err := db.ExecContext(ctx, "INSERT INTO units VALUES ($1, $2, $3, $4)", u.Code, u.Name, u.FullName, u.Province); err != nil {
			b.Fatal(err)
		}
	}
	const query = `SELECT code, full_name FROM units
		WHERE unaccent(lower(full_name)) LIKE '%' || $1 || '%' OR code LIKE $1 || '%'
		ORDER BY code LIMIT 20`
	st := Load(100, 10*time.Second, func(client, i int) error {
		q := vntext.Fold(unitQueries[(client+i)%len(unitQueries)])
		rows, err := db.QueryContext(ctx, query, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		if n < 0 {
			return fmt.Errorf("impossible")
		}
		return rows.Err()
	})
	b.Logf("plain PostgreSQL: %s", st)
	st.Report(b)
}
