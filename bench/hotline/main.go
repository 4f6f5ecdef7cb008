// Command hotline measures the hotline's figures (docs/PERFORMANCE.md):
// the Zalo webhook under a burst, creating contacts under concurrency, and
// contact search over a generated national history, on SQLite or
// PostgreSQL, through real HTTP against the same wiring as `treem serve`.
//
//	go run ./bench/hotline -db sqlite:/tmp/b.db -zalo -rate 2000 -seconds 30
//	go run ./bench/hotline -db sqlite:/tmp/b.db -create -clients 200 -seconds 20
//	go run ./bench/hotline -db sqlite:/tmp/big.db -generate 5000000
//	go run ./bench/hotline -db sqlite:/tmp/big.db -search -queries 2000
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"treem/internal/app"
	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/hotline"
	"treem/internal/seal"
	"treem/internal/store"
)

const (
	zaloApp    = "bench-app"
	zaloSecret = "bench-oa-secret"
)

func main() {
	dsn := flag.String("db", "sqlite:bench.db", "database")
	keyFile := flag.String("key-file", "", "key file (default beside the database, made if absent)")
	sync := flag.String("sqlite-sync", "FULL", "SQLite synchronous")
	doZalo := flag.Bool("zalo", false, "Zalo burst")
	noJobs := flag.Bool("no-jobs", false, "do not run the background jobs during the burst (acknowledgement path alone)")
	rate := flag.Int("rate", 2000, "Zalo deliveries a second (each sent twice)")
	doCreate := flag.Bool("create", false, "create contacts")
	clients := flag.Int("clients", 200, "concurrent clients for -create")
	createRate := flag.Int("create-rate", 0, "for -create: contacts a second shared by the clients, each sending at its own steady pace (0: closed loop, each sends again as soon as answered)")
	seconds := flag.Int("seconds", 30, "length of a run")
	generate := flag.Int("generate", 0, "generate this many contacts first")
	doSearch := flag.Bool("search", false, "contact search")
	queries := flag.Int("queries", 2000, "searches per kind")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the runs to this file")
	workers := flag.Int("job-workers", config.DefaultJobWorkers, "background job workers (treem's --job-workers)")
	conns := flag.Int("db-read-conns", 0, "treem's --db-read-conns (SQLite readers; PostgreSQL's pool, at least 16)")
	flag.Parse()
	ctx := context.Background()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		must(err)
		must(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	if *keyFile == "" {
		dir := os.TempDir()
		if eng, target, err := store.ParseDSN(*dsn); err == nil && eng == store.SQLite {
			dir = filepath.Dir(target)
		}
		*keyFile = filepath.Join(dir, "bench.key")
	}
	if _, err := os.Stat(*keyFile); err != nil {
		must(seal.Write(*keyFile, seal.Generate(time.Now())))
	}
	getenv := func(string) string { return "" }
	fs, cfg := config.FlagSet("serve", getenv, true)
	must(fs.Parse([]string{"--db", *dsn, "--key-file", *keyFile, "--sqlite-sync", *sync, "--require-totp", "none",
		"--job-workers", strconv.Itoa(*workers), "--db-read-conns", strconv.Itoa(*conns)}))
	cfg.Hotline.ZaloAppID, cfg.Hotline.ZaloOASecret, cfg.Hotline.TelephonySecret = zaloApp, zaloSecret, "bench"
	must(cfg.Check(getenv))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	inst, err := app.Build(ctx, cfg, app.Env{Getenv: getenv, Stdout: io.Discard, Stderr: os.Stderr, Now: time.Now}, log)
	must(err)
	defer inst.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	hs := &http.Server{Handler: inst.Web}
	go hs.Serve(ln)
	base := "http://" + ln.Addr().String()
	bg, stop := context.WithCancel(ctx)
	defer stop()
	fmt.Printf("engine %s, %s\n", inst.DB.Engine, inst.DB)

	if *generate > 0 {
		ids := counsellors(ctx, inst, 40)
		// A bulk load: secondary indexes are dropped and built again after.
		indexes := secondaryIndexes(ctx, inst)
		must(inst.DB.Write(ctx, func(tx *store.Tx) error {
			for name := range indexes {
				if _, err := tx.ExecContext(ctx, "DROP INDEX "+name); err != nil {
					return err
				}
			}
			return nil
		}))
		t0 := time.Now()
		last := time.Now()
		must(inst.Hotline.Generate(ctx, hotline.GenOptions{Contacts: *generate, Years: 10, Seed: 42, Counsellors: ids}, func(done int) {
			if time.Since(last) > 10*time.Second {
				fmt.Fprintf(os.Stderr, "  %d contacts (%.0f/s)\n", done, float64(done)/time.Since(t0).Seconds())
				last = time.Now()
			}
		}))
		fmt.Printf("generated %d contacts in %s\n", *generate, time.Since(t0).Round(time.Second))
		t1 := time.Now()
		for _, def := range indexes {
			must(inst.DB.Write(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, def); return err }))
		}
		fmt.Printf("built %d indexes in %s\n", len(indexes), time.Since(t1).Round(time.Second))
		if inst.DB.Engine == store.Postgres {
			_, err := inst.DB.Read().ExecContext(ctx, "ANALYZE")
			must(err)
		} else {
			must(inst.DB.Write(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE"); return err }))
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 4000, MaxIdleConnsPerHost: 4000, IdleConnTimeout: time.Minute}}
	if *doZalo {
		if *noJobs {
			processWait = 0
		}
		if !*noJobs {
			inst.Jobs.Start(bg)
		}
		zaloBurst(ctx, inst, client, base, *rate, *seconds)
	}
	if *doCreate {
		create(ctx, inst, client, base, *clients, *createRate, *seconds)
	}
	if *doSearch {
		search(ctx, inst, client, base, *queries)
	}
}

// secondaryIndexes are the hotline tables' indexes that no constraint
// owns: name → CREATE statement.
func secondaryIndexes(ctx context.Context, inst *app.Instance) map[string]string {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('contacts', 'contact_words', 'contact_reasons', 'contact_children')`
	if inst.DB.Engine == store.Postgres {
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
			AND tablename IN ('contacts', 'contact_words', 'contact_reasons', 'contact_children')
			AND indexname NOT IN (SELECT conname FROM pg_constraint)`
	}
	rows, err := inst.DB.Read().QueryContext(ctx, q)
	must(err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		must(rows.Scan(&name, &def))
		out[name] = def
	}
	return out
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// counsellors makes (or finds) n counsellor accounts and returns their ids.
func counsellors(ctx context.Context, inst *app.Instance, n int) []int64 {
	ctx = audit.WithActor(ctx, audit.System)
	var ids []int64
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("bench.tv%02d", i)
		u, err := inst.Auth.UserByName(ctx, name)
		if err != nil {
			u, _, err = inst.Auth.CreateUser(ctx, nil, auth.NewUser{Username: name, FullName: "Tư vấn viên " + strconv.Itoa(i),
				Role: "counsellor", Password: "bench password 2026"})
			must(err)
		}
		ids = append(ids, u.ID)
	}
	return ids
}

func tokens(ctx context.Context, inst *app.Instance, n int) []string {
	var out []string
	for _, id := range counsellors(ctx, inst, n) {
		tok, err := inst.Auth.CreateToken(audit.WithActor(ctx, audit.System), id, "bench")
		must(err)
		out = append(out, tok)
	}
	return out
}

type lat struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *lat) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *lat) report(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return name + ": no samples"
	}
	slices.Sort(l.d)
	p := func(q float64) string {
		return fmt.Sprintf("%.1f", float64(l.d[min(len(l.d)-1, int(q*float64(len(l.d))))].Microseconds())/1000)
	}
	return fmt.Sprintf("| %s | %d | %s | %s | %s | %s |", name, len(l.d), p(.5), p(.95), p(.99), p(1))
}

// processWait bounds the wait for the background processing after a burst.
var processWait = 90 * time.Second

const header = "| what | requests | p50 ms | p95 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- |"

// zaloBurst sends rate deliveries a second for seconds, each twice (the
// copy 0–3 s later, as a Zalo retry), and checks nothing is lost or doubled.
func zaloBurst(ctx context.Context, inst *app.Instance, client *http.Client, base string, rate, seconds int) {
	total := rate * seconds
	var l lat
	var bad, dups atomic.Int64
	var wg sync.WaitGroup
	send := func(body []byte, sig string) {
		defer wg.Done()
		t := time.Now()
		req, _ := http.NewRequest("POST", base+"/webhooks/zalo", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-ZEvent-Signature", sig)
		res, err := client.Do(req)
		if err != nil {
			if bad.Add(1) <= 3 {
				fmt.Fprintln(os.Stderr, "zalo post:", err)
			}
			return
		}
		var out struct {
			Data struct{ Duplicate bool }
		}
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		l.add(time.Since(t))
		if res.StatusCode != 200 {
			bad.Add(1)
		} else if out.Data.Duplicate {
			dups.Add(1)
		}
	}
	start := time.Now()
	run := fmt.Sprintf("%d", start.UnixNano())
	for i := 0; i < total; i++ {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			time.Sleep(d)
		}
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		body, _ := json.Marshal(map[string]any{"app_id": zaloApp, "event_name": "user_send_text", "timestamp": ts,
			"sender": map[string]string{"id": "zu-" + strconv.Itoa(i%5000)}, "recipient": map[string]string{"id": "oa"},
			"message": map[string]string{"msg_id": run + "-" + strconv.Itoa(i), "text": "Em cần giúp đỡ, tin số " + strconv.Itoa(i)}})
		sig := "mac=" + hotline.ZaloMAC(zaloApp, body, ts, zaloSecret)
		wg.Add(2)
		go send(body, sig)
		time.AfterFunc(time.Duration(rand.IntN(3000))*time.Millisecond, func() { send(body, sig) })
	}
	sent := time.Since(start)
	wg.Wait()
	var stored int
	inst.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM zalo_deliveries WHERE msg_key LIKE $1`, run+"-%").Scan(&stored)
	fmt.Printf("\nZalo burst: %d deliveries at %d/s over %s, each sent twice (%d requests)\n", total, rate, sent.Round(time.Millisecond), 2*total)
	fmt.Println(header)
	fmt.Println(l.report("POST /webhooks/zalo"))
	fmt.Printf("\nstored %d of %d (lost %d), duplicates acknowledged without storing: %d, errors: %d\n", stored, total, total-stored, dups.Load(), bad.Load())
	t0 := time.Now()
	for {
		var left int
		inst.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM zalo_deliveries WHERE processed_at = 0`).Scan(&left)
		if left == 0 || time.Since(t0) > processWait {
			var msgs int
			inst.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM hotline_messages WHERE msg_id LIKE $1`, run+"-%").Scan(&msgs)
			el := time.Since(start)
			fmt.Printf("processing (background jobs): %d messages from %d deliveries %s after the burst began (%.0f a second); %d left\n",
				msgs, total, el.Round(time.Second), float64(msgs)/el.Seconds(), left)
			return
		}
		time.Sleep(time.Second)
	}
}

// create runs clients that record complete contacts for seconds.
// create has clients send contacts: in a closed loop (rate 0: each sends
// again as soon as answered, which measures the most the server carries),
// or open (together rate a second, each client at its own steady pace from
// a random start, as counsellors do: latency at a given load).
func create(ctx context.Context, inst *app.Instance, client *http.Client, base string, clients, rate, seconds int) {
	toks := tokens(ctx, inst, 20)
	var l lat
	var bad atomic.Int64
	body := []byte(`{"channel":"phone","type":"about_child","urgency":"high","reasons":["bao_luc.the_chat","tam_than.lo_au"],
		"caller":{"kind":"adult","relation":"mẹ","age_band":"18_plus","sex":"Nữ","commune":"00004","name":"Nguyễn Thị Lan","phone":"0912345678"},
		"children":[{"name":"Trần Minh Khôi","age":9,"sex":"Nam","commune":"00004"}],"actions":["counselling","refer_commune"],
		"summary":"Mẹ gọi vì con bị bạn đánh ở trường nhiều lần, cháu sợ không dám đi học.","complete":true}`)
	end := time.Now().Add(time.Duration(seconds) * time.Second)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := toks[c%len(toks)]
			var every time.Duration
			next := time.Now()
			if rate > 0 {
				every = time.Duration(float64(time.Second) * float64(clients) / float64(rate))
				next = next.Add(time.Duration(rand.Int64N(int64(every))))
			}
			for time.Now().Before(end) {
				if every > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(every)
				}
				req, _ := http.NewRequest("POST", base+"/api/v1/contacts", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				t := time.Now()
				res, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				l.add(time.Since(t))
				if res.StatusCode != 201 {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if rate > 0 {
		fmt.Printf("\nCreate contacts: %d clients sending %d a second together for %d s\n", clients, rate, seconds)
	} else {
		fmt.Printf("\nCreate contacts: %d clients in a closed loop for %d s\n", clients, seconds)
	}
	fmt.Println(header)
	fmt.Println(l.report("POST /api/v1/contacts"))
	fmt.Printf("\n%.0f contacts/s, errors: %d\n", float64(len(l.d))/float64(seconds), bad.Load())
}

// search runs a mix of searches through the API, and the same statements
// as plain SQL, and (PostgreSQL) a naive ILIKE search of names.
func search(ctx context.Context, inst *app.Instance, client *http.Client, base string, n int) {
	toks := tokens(ctx, inst, 4)
	var maxStarted int64
	inst.DB.Read().QueryRowContext(ctx, `SELECT MAX(started_at) FROM contacts`).Scan(&maxStarted)
	end := time.UnixMilli(maxStarted)
	var counsellor string
	// A counsellor who answered contacts here (the bench's -generate
	// attributes them; other generated data may attribute none).
	inst.DB.Read().QueryRowContext(ctx, `SELECT u.username FROM users u WHERE u.username LIKE 'bench.tv%'
		AND EXISTS (SELECT 1 FROM contacts c WHERE c.counsellor_id = u.id) ORDER BY u.id LIMIT 1`).Scan(&counsellor)
	r := rand.New(rand.NewPCG(7, 7))
	day := func() (string, string) {
		d := end.AddDate(0, 0, -r.IntN(3650))
		return d.Format("02/01/2006"), d.Format("02/01/2006")
	}
	reasons := []string{"bao_luc", "bao_luc.tinh_duc", "tam_than.tu_tu", "mat_tich", "dich_vu.giao_duc"}
	kinds := []struct {
		name string
		q    func() url.Values
	}{
		{"full name (3–4 words)", func() url.Values { return url.Values{"q": {hotline.GenName(r)}} }},
		{"given + family name", func() url.Values {
			parts := strings.Fields(hotline.GenName(r))
			return url.Values{"q": {parts[len(parts)-1] + " " + parts[0]}}
		}},
		{"phone number", func() url.Values { return url.Values{"q": {hotline.GenPhone(r.IntN(1_500_000))}} }},
		{"contact number", func() url.Values {
			return url.Values{"q": {fmt.Sprintf("111-%d-%07d", end.Year()-r.IntN(9), 1+r.IntN(400000))}}
		}},
		{"channel + one day", func() url.Values {
			f, t := day()
			return url.Values{"channel": {[]string{"phone", "zalo", "web"}[r.IntN(3)]}, "from": {f}, "to": {t}}
		}},
		{"reason + one week", func() url.Values {
			d := end.AddDate(0, 0, -r.IntN(3650))
			return url.Values{"reason": {reasons[r.IntN(len(reasons))]}, "from": {d.AddDate(0, 0, -6).Format("02/01/2006")}, "to": {d.Format("02/01/2006")}}
		}},
		{"counsellor + one day", func() url.Values {
			f, t := day()
			return url.Values{"counsellor": {counsellor}, "from": {f}, "to": {t}}
		}},
	}
	fmt.Printf("\nContact search over %s: %d of each kind, 8 concurrent clients, through the API (limit 50, with total)\n", countContacts(ctx, inst), n)
	fmt.Println(header)
	var all lat
	for _, k := range kinds {
		if strings.HasPrefix(k.name, "counsellor") && counsellor == "" {
			fmt.Println("(no contacts attributed to the bench's counsellors here: counsellor searches skipped)")
			continue
		}
		var l lat
		qs := make(chan url.Values, n)
		for i := 0; i < n; i++ {
			qs <- k.q()
		}
		close(qs)
		var wg sync.WaitGroup
		var bad atomic.Int64
		for c := 0; c < 8; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for q := range qs {
					req, _ := http.NewRequest("GET", base+"/api/v1/contacts?"+q.Encode(), nil)
					req.Header.Set("Authorization", "Bearer "+toks[c%len(toks)])
					t := time.Now()
					res, err := client.Do(req)
					if err != nil {
						bad.Add(1)
						continue
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					d := time.Since(t)
					l.add(d)
					all.add(d)
					if res.StatusCode != 200 {
						bad.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		fmt.Println(l.report(k.name))
		if bad.Load() > 0 {
			fmt.Printf("(%d errors)\n", bad.Load())
		}
	}
	fmt.Println(all.report("all kinds"))
	plain(ctx, inst, n, end)
}

func countContacts(ctx context.Context, inst *app.Instance) string {
	var n int
	inst.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts`).Scan(&n)
	return fmt.Sprintf("%d contacts", n)
}

// plain runs the searches as the statements alone, straight on the
// database (no HTTP, no audit entry), and on PostgreSQL a naive name
// search with ILIKE, the obvious way without a token index.
func plain(ctx context.Context, inst *app.Instance, n int, end time.Time) {
	db := inst.DB.Read()
	r := rand.New(rand.NewPCG(7, 7))
	keys := inst.Keys
	run := func(name string, f func() error) {
		var l lat
		times := min(n, 500)
		if strings.HasPrefix(name, "naive") {
			times = min(n, 20) // each reads the whole table
		}
		for i := 0; i < times; i++ {
			t := time.Now()
			must(f())
			l.add(time.Since(t))
		}
		fmt.Println(l.report(name))
	}
	list := func(where string, args ...any) error {
		var total int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM contacts c WHERE "+where, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := db.QueryContext(ctx, "SELECT c.id, c.number, c.started_at FROM contacts c WHERE "+where+
			" ORDER BY c.started_at + 0 DESC, c.id DESC LIMIT 51", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	}
	fmt.Printf("\nThe same searches as plain SQL on the %s pool, one client (statements only: no HTTP, no audit)\n", inst.DB.Engine)
	fmt.Println(header)
	run("plain SQL: given + family name (one token)", func() error {
		parts := strings.Fields(hotline.GenName(r))
		tok := hotline.NameTokens(parts[len(parts)-1] + " " + parts[0])
		word := tok[len(tok)-1]
		var total int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM contact_words WHERE word = $1", word).Scan(&total); err != nil {
			return err
		}
		rows, err := db.QueryContext(ctx, `SELECT c.id, c.number, c.started_at FROM contact_words cw JOIN contacts c ON c.id = cw.contact_id
			WHERE cw.word = $1 ORDER BY cw.started_at DESC, cw.contact_id DESC LIMIT 51`, word)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	})
	run("plain SQL: phone number (keyed hash)", func() error {
		return list("c.caller_hash = $1", keys.Lookup("phone", hotline.GenPhone(r.IntN(1_500_000))))
	})
	run("plain SQL: channel + one day", func() error {
		d := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -r.IntN(3650))
		return list("c.channel = $1 AND c.started_at >= $2 AND c.started_at < $3", "phone", d.UnixMilli(), d.AddDate(0, 0, 1).UnixMilli())
	})
	if inst.DB.Engine == store.Postgres {
		run("naive SQL: name ILIKE '%given%family%' on children", func() error {
			parts := strings.Fields(hotline.GenName(r))
			return list("c.id IN (SELECT contact_id FROM contact_children WHERE name ILIKE $1)", "%"+parts[0]+"%"+parts[len(parts)-1]+"%")
		})
	}
	_ = sql.ErrNoRows
}
