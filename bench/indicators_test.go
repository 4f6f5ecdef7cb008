package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"treem/internal/cases"
	"treem/internal/children"
)

// indicatorScale is the data size: national (issue 6: 2 million children
// with their help, ten years of contacts, 50,000 cases) unless
// TREEM_BENCH_SCALE=small.
func indicatorScale() []string {
	if os.Getenv("TREEM_BENCH_SCALE") == "small" {
		return []string{"--children", "20000", "--contacts-per-year", "5000", "--years", "10", "--cases", "500"}
	}
	return nil // the national defaults of treem indicators generate
}

// The indicators on national-scale generated data, on each engine: the
// verifier (engine against plain SQL GROUP BY, exactly), the national
// dashboard right after start (from the saved roll-ups) and warm, one
// indicator for all 3,321 communes for a year, and the same numbers with
// plain SQL on PostgreSQL in the same run.
//
//	go test ./bench -run '^$' -bench Indicators -benchtime 1x -timeout 2h
//
// Generating the national data takes most of an hour per engine; to
// measure data generated before (treem indicators generate), name it:
// TREEM_BENCH_INDICATORS_POSTGRES=DSN, TREEM_BENCH_INDICATORS_SQLITE=FILE
// and the key file they were made with, TREEM_BENCH_KEY_FILE. An engine
// not named is then skipped. Figures are printed, not logged, so that
// nothing is cut.
func BenchmarkIndicators(b *testing.B) {
	existing := map[string]string{
		"postgres": os.Getenv("TREEM_BENCH_INDICATORS_POSTGRES"),
		"sqlite":   os.Getenv("TREEM_BENCH_INDICATORS_SQLITE"),
	}
	reuse := existing["postgres"] != "" || existing["sqlite"] != ""
	year := time.Now().Year() - 1
	for _, engine := range []string{"postgres", "sqlite"} {
		b.Run(engine, func(b *testing.B) {
			var dsn string
			keyFile := filepath.Join(b.TempDir(), "bench.key")
			switch {
			case reuse && existing[engine] == "":
				b.Skip("no existing data named for this engine")
			case reuse && engine == "postgres":
				dsn, keyFile = existing[engine], os.Getenv("TREEM_BENCH_KEY_FILE")
			case reuse:
				dsn, keyFile = "sqlite:"+existing[engine], os.Getenv("TREEM_BENCH_KEY_FILE")
			case engine == "postgres":
				dsn = Postgres(b)
			default:
				dsn = "sqlite:" + filepath.Join(b.TempDir(), "treem.db")
			}
			env := []string{"TREEM_DB=" + dsn, "TREEM_KEY_FILE=" + keyFile, "TREEM_SQLITE_SYNC=NORMAL"}
			t0 := time.Now()
			if !reuse {
				Run(b, env, "keys", "init")
				Run(b, env, "migrate")
				Run(b, env, append([]string{"indicators", "generate"}, indicatorScale()...)...)
				logf("%s: generated in %s", engine, time.Since(t0).Round(time.Second))
			}
			if engine == "postgres" {
				db, _ := sql.Open("pgx", strings.TrimPrefix(dsn, ""))
				db.Exec("ANALYZE")
				db.Close()
			}
			pe := fmt.Sprintf("%d;%dQ2;%d07;%d", year, year, year, year-5)
			out := Run(b, env, "indicators", "verify", "--periods", pe)
			logf("%s: verify %s\n%s", engine, pe, out)
			analyst := fmt.Sprintf("bench.analyst%d", time.Now().Unix())
			Run(b, env, "user", "add", "--name", analyst, "--role", "analyst")
			tok := strings.TrimSpace(Run(b, env, "token", "create", "--user", analyst))

			headline := "csc_total;csc_helped;csc_helped_pct;abuse_cases;abused_children;emergency_12h_pct;hotline_contacts;cfc_pct"
			ys := []string{}
			for y := year - 9; y <= year; y++ {
				ys = append(ys, strconv.Itoa(y))
			}
			dashboard := []string{
				"/api/v1/indicators?dx=" + headline + fmt.Sprintf("&pe=%d;%d&ou=VN", year, year-1),
				"/api/v1/indicators?dx=csc_helped_pct&pe=" + strings.Join(ys, ";") + "&ou=VN",
				"/api/v1/indicators?dx=csc_helped_pct&pe=" + fmt.Sprint(year) + "&ou=LEVEL-province",
				"/api/v1/indicators?dx=csc_helped_pct&pe=" + fmt.Sprint(year) + "&ou=VN&disagg=sex",
			}
			c := HTTPClient(4)
			get := func(path string) (time.Duration, error) {
				t := time.Now()
				err := Get(c, "http://"+strings.TrimPrefix(srvURL, "http://")+path, tok)
				return time.Since(t), err
			}
			// Right after start: the roll-ups saved by verify answer at once.
			tStart := time.Now()
			s, ready := Start(b, env)
			srvURL = s.URL
			var first time.Duration
			for _, p := range dashboard {
				d, err := get(p)
				if err != nil {
					b.Fatalf("dashboard after start: %v", err)
				}
				first += d
			}
			logf("%s: ready in %s; national dashboard (4 queries) right after start: %s", engine, ready.Round(time.Millisecond), first.Round(time.Microsecond))
			// Wait until the facts are loaded (live), then measure warm.
			for t := time.Now(); time.Since(t) < 10*time.Minute; time.Sleep(time.Second) {
				res, err := c.Get(s.URL + "/healthz")
				if err == nil {
					res.Body.Close()
				}
				req, _ := http.NewRequest("GET", s.URL+"/api/v1/indicators/catalogue", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err = c.Do(req)
				if err != nil {
					continue
				}
				var body strings.Builder
				buf := make([]byte, 1<<16)
				for {
					n, err := res.Body.Read(buf)
					body.Write(buf[:n])
					if err != nil {
						break
					}
				}
				res.Body.Close()
				if strings.Contains(body.String(), `"live":true`) {
					break
				}
			}
			logf("%s: live (facts loaded from the records) %s after the start", engine, time.Since(tStart).Round(time.Second))
			var warm []time.Duration
			for i := 0; i < 30; i++ {
				var sum time.Duration
				for _, p := range dashboard {
					d, err := get(p)
					if err != nil {
						b.Fatal(err)
					}
					sum += d
				}
				warm = append(warm, sum)
			}
			sort.Slice(warm, func(i, j int) bool { return warm[i] < warm[j] })
			logf("%s: national dashboard warm (4 queries): median %s, worst %s", engine, warm[len(warm)/2].Round(time.Microsecond), warm[len(warm)-1].Round(time.Microsecond))
			var communes []time.Duration
			for i := 0; i < 20; i++ {
				d, err := get("/api/v1/indicators?dx=csc_helped_pct&pe=" + fmt.Sprint(year) + "&ou=LEVEL-commune")
				if err != nil {
					b.Fatal(err)
				}
				communes = append(communes, d)
			}
			sort.Slice(communes, func(i, j int) bool { return communes[i] < communes[j] })
			logf("%s: csc_helped_pct for all 3,321 communes for %d: median %s, worst %s", engine, year,
				communes[len(communes)/2].Round(time.Microsecond), communes[len(communes)-1].Round(time.Microsecond))
			b.ReportMetric(float64(warm[len(warm)/2].Microseconds())/1000, "dashboard-warm-ms")
			b.ReportMetric(float64(first.Microseconds())/1000, "dashboard-after-start-ms")
			b.ReportMetric(float64(communes[len(communes)/2].Microseconds())/1000, "communes-year-ms")

			if engine == "postgres" {
				plainSQL(b, dsn, year)
			}
		})
	}
}

var srvURL string

// logf prints a figure: b.Logf output is cut short in benchmarks.
func logf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// plainSQL computes the dashboard's children figures and the commune
// ranking with plain GROUP BY queries on PostgreSQL, as the peer.
func plainSQL(b *testing.B, dsn string, year int) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	start, end := year*10000+101, year*10000+1231
	// The registry's and the cases' figures as the verifier computes them.
	csc, _ := children.FactSource{}.CheckSQL("m_csc")
	helped, _ := children.FactSource{}.CheckSQL("m_csc_helped")
	abuse, _ := cases.CaseFacts{}.CheckSQL("m_cases")
	queries := map[string]string{
		"csc_total by commune":      csc,
		"csc_helped by commune":     helped,
		"hotline contacts national": `SELECT COUNT(*) FROM contacts WHERE started_on BETWEEN $1 AND $2`,
		"abuse cases by commune":    abuse,
	}
	var total time.Duration
	for name, q := range queries {
		best := time.Hour
		for i := 0; i < 3; i++ {
			t := time.Now()
			rows, err := db.QueryContext(ctx, q, start, end)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			best = min(best, time.Since(t))
		}
		total += best
		logf("plain SQL on PostgreSQL, %s for %d: best of 3 %s", name, year, best.Round(time.Millisecond))
	}
	logf("plain SQL on PostgreSQL, the dashboard's figures: %s", total.Round(time.Millisecond))
	b.ReportMetric(float64(total.Microseconds())/1000, "plain-sql-ms")
}
