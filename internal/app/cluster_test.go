package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"treem/internal/app"
	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/jobs"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

// cluster is several treem instances on one PostgreSQL database behind a
// round-robin proxy, sharing a key file and a clock.
type cluster struct {
	instances []*app.Instance
	proxy     *httptest.Server
	clock     *testenv.Clock
	hits      []atomic.Int64
}

func newCluster(t *testing.T, n int) *cluster {
	t.Helper()
	if !contains(storetest.Engines(), store.Postgres) {
		t.Skip("several instances need PostgreSQL: set TREEM_TEST_POSTGRES")
	}
	dsn := storetest.DSN(t, store.Postgres)
	keyFile := filepath.Join(t.TempDir(), "shared.key")
	if err := seal.Write(keyFile, seal.Generate(testenv.Start)); err != nil {
		t.Fatal(err)
	}
	c := &cluster{clock: testenv.NewClock(testenv.Start), hits: make([]atomic.Int64, n)}
	var targets []*url.URL
	for i := 0; i < n; i++ {
		getenv := func(k string) string { return "" }
		fs, cfg := config.FlagSet("serve", getenv, true)
		fs.Parse([]string{"--db", dsn, "--key-file", keyFile, "--require-totp", "none"})
		if err := cfg.Check(getenv); err != nil {
			t.Fatal(err)
		}
		inst, err := app.Build(context.Background(), cfg, app.Env{Getenv: getenv, Stdout: io.Discard, Stderr: io.Discard, Now: c.clock.Now},
			app.NewLogger(io.Discard, "error"))
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		srv := httptest.NewServer(inst.Web)
		t.Cleanup(func() { srv.Close(); inst.Close() })
		u, _ := url.Parse(srv.URL)
		targets = append(targets, u)
		c.instances = append(c.instances, inst)
	}
	var next atomic.Int64
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		i := int(next.Add(1)-1) % len(targets)
		c.hits[i].Add(1)
		r.SetURL(targets[i])
		r.Out.Host = r.In.Host // the instances see the proxy's host, as behind a real balancer
	}}
	c.proxy = httptest.NewServer(rp)
	t.Cleanup(c.proxy.Close)
	return c
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestSessionStartedOnOneInstanceWorksOnTheOthers(t *testing.T) {
	c := newCluster(t, 3)
	ctx := context.Background()
	if _, _, err := c.instances[0].Auth.CreateUser(ctx, nil, authUser("cluster.lan", "commune_officer", "00004")); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"username": {"cluster.lan"}, "password": {testenv.Password}}
	req, _ := http.NewRequest("POST", c.proxy.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := client.Do(req)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login through the proxy: %v %v", err, res)
	}
	res.Body.Close()
	for i := 0; i < 9; i++ {
		res, err := client.Get(c.proxy.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		var me struct{ Data struct{ Username string } }
		json.NewDecoder(res.Body).Decode(&me)
		res.Body.Close()
		if res.StatusCode != 200 || me.Data.Username != "cluster.lan" {
			t.Fatalf("request %d: %d %+v", i, res.StatusCode, me)
		}
	}
	for i := range c.hits {
		if c.hits[i].Load() < 3 {
			t.Fatalf("instance %d served %d requests: the proxy did not spread them", i, c.hits[i].Load())
		}
	}
	// Logging out on one instance ends the session everywhere (at once on
	// that one, within the 5-second credential cache on the others).
	req, _ = http.NewRequest("POST", c.proxy.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, _ = client.Do(req)
	res.Body.Close()
	c.clock.Advance(6 * time.Second)
	for i := 0; i < 3; i++ {
		res, _ := client.Get(c.proxy.URL + "/api/v1/me")
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after logout, request %d: %d", i, res.StatusCode)
		}
	}
}

func TestEachJobRunsOnceAcrossThreeInstances(t *testing.T) {
	c := newCluster(t, 3)
	ctx := context.Background()
	var mu sync.Mutex
	runs := map[int]int{}
	for _, inst := range c.instances {
		inst.Jobs.Handle("cluster.test", func(ctx context.Context, j jobs.Job) error {
			var a struct{ N int }
			json.Unmarshal(j.Args, &a)
			mu.Lock()
			runs[a.N]++
			mu.Unlock()
			return nil
		})
	}
	const n = 300
	for i := 0; i < n; i++ {
		if err := c.instances[i%3].Jobs.EnqueueNow(ctx, "cluster.test", struct{ N int }{i}, jobs.Opts{}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, inst := range c.instances {
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(q *jobs.Queue) {
				defer wg.Done()
				if _, err := q.RunDue(ctx); err != nil {
					t.Error(err)
				}
			}(inst.Jobs)
		}
	}
	wg.Wait()
	if len(runs) != n {
		t.Fatalf("%d of %d jobs ran", len(runs), n)
	}
	for k, v := range runs {
		if v != 1 {
			t.Errorf("job %d ran %d times", k, v)
		}
	}
}

func authUser(name, role, unit string) auth.NewUser {
	return auth.NewUser{Username: name, FullName: name, Role: role, Unit: unit, Password: testenv.Password}
}

// Counsellors on three instances record contacts at the same moment: every
// one gets its own number.
func TestContactNumbersStayUniqueAcrossThreeInstances(t *testing.T) {
	c := newCluster(t, 3)
	ctx := context.Background()
	u, _, err := c.instances[0].Auth.CreateUser(ctx, nil, authUser("cluster.counsellor", "counsellor", ""))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.instances[0].Auth.CreateToken(ctx, u.ID, "cluster")
	if err != nil {
		t.Fatal(err)
	}
	const clients, each = 12, 10
	var mu sync.Mutex
	numbers := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				body := `{"channel":"phone","type":"thanks","complete":true}`
				req, _ := http.NewRequest("POST", c.proxy.URL+"/api/v1/contacts", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var out struct{ Data struct{ Number string } }
				json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated || out.Data.Number == "" {
					t.Errorf("create contact: %d %+v", res.StatusCode, out)
					return
				}
				mu.Lock()
				numbers[out.Data.Number]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(numbers) != clients*each {
		t.Fatalf("%d distinct numbers for %d contacts", len(numbers), clients*each)
	}
	for n, k := range numbers {
		if k != 1 {
			t.Errorf("number %s given %d times", n, k)
		}
	}
	for i := range c.hits {
		if c.hits[i].Load() == 0 {
			t.Fatalf("instance %d created nothing", i)
		}
	}
}

// Commune officers on three instances open cases in the same commune at
// the same moment: every case gets its own number.
func TestCaseNumbersStayUniqueAcrossThreeInstances(t *testing.T) {
	c := newCluster(t, 3)
	ctx := context.Background()
	u, _, err := c.instances[0].Auth.CreateUser(ctx, nil, authUser("cluster.officer", "commune_officer", "00004"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.instances[0].Auth.CreateToken(ctx, u.ID, "cluster")
	if err != nil {
		t.Fatal(err)
	}
	const clients, each = 9, 6
	var mu sync.Mutex
	numbers := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				body := `{"commune":"00004","children":[{"name":"Lò Thị Hoa","dob":"2015-03-02","sex":"Nữ"}],
					"received_at":"2026-11-27T00:30:00Z","source":"hotline","summary":"x","abuse_forms":["bo_mat"],"risk":"low"}`
				req, _ := http.NewRequest("POST", c.proxy.URL+"/api/v1/cases", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var out struct{ Data struct{ Number string } }
				json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated || out.Data.Number == "" {
					t.Errorf("create case: %d %+v", res.StatusCode, out)
					return
				}
				mu.Lock()
				numbers[out.Data.Number]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(numbers) != clients*each {
		t.Fatalf("%d distinct numbers for %d cases", len(numbers), clients*each)
	}
	for n, k := range numbers {
		if k != 1 {
			t.Errorf("number %s given %d times", n, k)
		}
	}
}
