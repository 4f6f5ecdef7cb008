package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"treem/internal/geo"
	"treem/internal/match/quality"
	"treem/internal/store"
	"treem/internal/synth"
	"treem/internal/vntext"
)

// The registry at national scale on each engine: 2,000,000 invented
// children with realistic Vietnamese names in real communes (package
// synth), written straight into the tables; then the server is started on
// them and measured: time until it is ready to search (the name index is
// loaded before it listens), resident memory, and search and matching
// through the API from 20 concurrent clients, with reports of registry
// children written differently (synth.Reword). On PostgreSQL the obvious
// peer, pg_trgm similarity over the same unaccented names with a GIN
// index, runs in the same run.
//
//	go test ./bench -run '^$' -bench Registry -benchtime 1x -timeout 2h
//
// TREEM_BENCH_CHILDREN changes the size (default 2,000,000);
// TREEM_BENCH_ENGINES=sqlite runs one engine; TREEM_BENCH_KEEP=DIR keeps the
// SQLite database there and reuses it on the next run (writing 2 million
// children takes a while). TREEM_BENCH_PROFILE=DIR builds the server with
// its profiler and writes CPU, allocation, block and mutex profiles of the
// search and match loads there. TREEM_BENCH_SETTLE=10s waits that long
// after the server is ready before the loads begin.
func BenchmarkRegistry(b *testing.B) {
	n := 2_000_000
	if s := os.Getenv("TREEM_BENCH_CHILDREN"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	engines := []string{"sqlite", "postgres"}
	if e := os.Getenv("TREEM_BENCH_ENGINES"); e != "" {
		engines = strings.Split(e, ",")
	}
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			dir, reuse := b.TempDir(), false
			if keep := os.Getenv("TREEM_BENCH_KEEP"); keep != "" && engine == "sqlite" {
				dir = keep
				_, err := os.Stat(filepath.Join(dir, "treem.db"))
				reuse = err == nil
			}
			dsn := "sqlite:" + filepath.Join(dir, "treem.db")
			if engine == "postgres" {
				dsn = Postgres(b)
			}
			registry(b, engine, dsn, dir, n, reuse)
		})
	}
}

type registryQuery struct {
	Name, DOB, Sex, Commune string
}

func registry(b *testing.B, engine, dsn, dir string, n int, reuse bool) {
	env := []string{"TREEM_DB=" + dsn, "TREEM_KEY_FILE=" + filepath.Join(dir, "bench.key")}
	env = append(env, ProfileEnv(b)...)
	if !reuse {
		Run(b, env, "keys", "init")
		Run(b, env, "migrate")
		Run(b, env, "user", "add", "--name", "bench.analyst", "--role", "analyst")
	}
	tok := strings.TrimSpace(Run(b, env, "token", "create", "--user", "bench.analyst"))

	ctx := context.Background()
	t0 := time.Now()
	queries, err := fillRegistry(ctx, dsn, n, reuse)
	if err != nil {
		b.Fatal(err)
	}
	if !reuse {
		fmt.Printf("\n%s: %d children written in %v\n", engine, n, time.Since(t0).Round(time.Second))
	}

	s, ready := StartWait(b, 10*time.Minute, env)
	defer s.Stop()
	fmt.Printf("%s: ready to search %v after start; resident memory %.0f MiB\n", engine, ready.Round(time.Millisecond), s.RSS(b))

	if d, err := time.ParseDuration(os.Getenv("TREEM_BENCH_SETTLE")); err == nil {
		time.Sleep(d) // let start-up work in the background (the indicators' first build) finish
	}
	c := HTTPClient(20)
	before := s.Cost(b)
	wait := s.Profile(b, engine+"-search", 15*time.Second)
	search := Load(20, 20*time.Second, func(client, i int) error {
		q := queries[(client*7919+i)%len(queries)]
		return Get(c, s.URL+"/api/v1/children?limit=20&q="+url.QueryEscape(q.Name), tok)
	})
	wait()
	after := s.Cost(b)
	fmt.Printf("%s: search, 20 clients: %s (load average %s)\n", engine, search, loadAvg())
	fmt.Printf("%s: search: %s\n", engine, after.PerRequest(before, search.All))
	before = after
	wait = s.Profile(b, engine+"-match", 15*time.Second)
	matchSt := Load(20, 20*time.Second, func(client, i int) error {
		q := queries[(client*104729+i)%len(queries)]
		body, _ := json.Marshal(map[string]string{"name": q.Name, "dob": q.DOB, "sex": q.Sex, "commune": q.Commune})
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/children/match", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("match: %d", res.StatusCode)
		}
		return nil
	})
	wait()
	after = s.Cost(b)
	fmt.Printf("%s: match, 20 clients: %s (load average %s)\n", engine, matchSt, loadAvg())
	fmt.Printf("%s: match: %s\n", engine, after.PerRequest(before, matchSt.All))
	fmt.Printf("%s: resident memory after the load %.0f MiB\n", engine, s.RSS(b))
	b.ReportMetric(float64(ready.Milliseconds()), "ms-to-ready")
	b.ReportMetric(float64(search.P95.Microseconds())/1000, "search-p95-ms")
	b.ReportMetric(float64(matchSt.P95.Microseconds())/1000, "match-p95-ms")
	b.ReportMetric(s.RSS(b), "MiB-RSS")
	if engine == "postgres" {
		trigramPeer(b, dsn, queries)
	}
}

// fillRegistry writes n children with their groups and returns reworded
// reports of some of them to search for.
// With reuse the children are already there: only the reports are made
// again (the same seed gives the same children).
func fillRegistry(ctx context.Context, dsn string, n int, reuse bool) ([]registryQuery, error) {
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	g := synth.New(3, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	r := rand.New(rand.NewPCG(3, 4))
	units := geo.Default()
	now := time.Now().UnixMilli()
	var queries []registryQuery
	const batch = 500
	// SQLite looks $N up by name on every bind: plain ? is much faster.
	ph := func(i int) string {
		if db.Engine == store.SQLite {
			return "?"
		}
		return "$" + strconv.Itoa(i+1)
	}
	for done := 0; done < n; done += batch {
		m := min(batch, n-done)
		var q strings.Builder
		q.WriteString(`INSERT INTO children (id, name, name_folded, name_key, dob_on, sex, ethnicity, pid, commune_code,
			province_code, groups_mask, created_at, updated_at) VALUES `)
		var gq strings.Builder
		gq.WriteString(`INSERT INTO child_groups (child_id, origin_child_id, code, start_on, recorded_at) VALUES `)
		args := make([]any, 0, m*13)
		var gargs []any
		for i := range m {
			c := g.RegistryChild()
			id := int64(done + i + 1)
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for k := range 13 {
				if k > 0 {
					q.WriteString(", ")
				}
				q.WriteString(ph(len(args) + k))
			}
			q.WriteString(")")
			prov := ""
			if u, ok := units.Get(c.Commune); ok {
				prov = u.Province
			}
			dob := 0
			if !c.DOB.IsZero() {
				dob = c.DOB.Year*10000 + c.DOB.Month*100 + c.DOB.Day
			}
			args = append(args, id, c.Name, vntext.Fold(c.Name), vntext.NameSortKey(c.Name), dob, c.Sex.String(),
				c.Ethnicity, c.PID, c.Commune, prov, int64(quality.GroupBits(c.Groups)), now, now)
			for _, code := range c.Groups {
				if len(gargs) > 0 {
					gq.WriteString(", ")
				}
				k := len(gargs)
				if db.Engine == store.SQLite {
					gq.WriteString("(?, ?, ?, ?, ?)")
				} else {
					fmt.Fprintf(&gq, "($%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5)
				}
				gargs = append(gargs, id, id, code, 20200101, now)
			}
			if r.IntN(1000) == 0 && len(queries) < 5000 {
				w := synth.Reword(c, r)
				queries = append(queries, registryQuery{Name: w.Name, DOB: w.DOBText, Sex: w.Sex.String(), Commune: w.Commune})
			}
		}
		if reuse {
			continue
		}
		err := db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return fmt.Errorf("insert children: %w", err)
			}
			if len(gargs) > 0 {
				if _, err := tx.ExecContext(ctx, gq.String(), gargs...); err != nil {
					return fmt.Errorf("insert groups: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if db.Engine == store.Postgres {
		if _, err := db.Read().ExecContext(ctx, "VACUUM ANALYZE children"); err != nil {
			return nil, err
		}
	}
	return queries, nil
}

// trigramPeer runs the same names through pg_trgm on the same table.
func trigramPeer(b *testing.B, dsn string, queries []registryQuery) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	t0 := time.Now()
	for _, q := range []string{"CREATE EXTENSION IF NOT EXISTS pg_trgm",
		"CREATE INDEX children_trgm ON children USING gin (name_folded gin_trgm_ops)", "ANALYZE children"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Skipf("pg_trgm peer: %s: %v", q, err)
		}
	}
	fmt.Printf("postgres: pg_trgm index built in %v\n", time.Since(t0).Round(time.Second))
	const query = `SELECT id, similarity(name_folded, $1) FROM children
		WHERE name_folded % $1 ORDER BY 2 DESC, id LIMIT 20`
	st := Load(1, 60*time.Second, func(client, i int) error {
		rows, err := db.QueryContext(ctx, query, vntext.Fold(queries[i%len(queries)].Name))
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		rows.Close()
		return rows.Err()
	})
	fmt.Printf("postgres: the peer, pg_trgm similarity over the same names, one client: %s\n", st)
}
