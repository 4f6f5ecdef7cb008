// Package bench measures treem as it runs: the real binary, real databases,
// HTTP over loopback, side by side with plain PostgreSQL queries. The
// benchmarks only run when asked (go test -bench); docs/PERFORMANCE.md
// records their results and the commands.
package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Binary builds cmd/treem once per process and returns its path. With
// TREEM_BENCH_PROFILE set it is built with the profiler (see Profile).
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "treem-bench")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "treem")
		args := []string{"build", "-o", binary}
		if os.Getenv("TREEM_BENCH_PROFILE") != "" {
			args = append(args, "-tags", "pprof") // cmd/treem/pprof.go
		}
		cmd := exec.Command("go", append(args, "treem/cmd/treem")...)
		cmd.Stderr = os.Stderr
		buildErr = cmd.Run()
	})
	if buildErr != nil {
		tb.Fatalf("build treem: %v", buildErr)
	}
	return binary
}

// Server is a running treem process.
type Server struct {
	URL string
	Cmd *exec.Cmd
	Env []string
}

// FreeAddr returns a free loopback address.
func FreeAddr(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start runs `treem serve` with the given extra arguments and environment
// and waits until /readyz answers; it returns the time that took.
func Start(tb testing.TB, env []string, args ...string) (*Server, time.Duration) {
	tb.Helper()
	return StartWait(tb, 30*time.Second, env, args...)
}

// StartWait is Start with a longer wait, for servers that load a large
// database before they listen.
func StartWait(tb testing.TB, wait time.Duration, env []string, args ...string) (*Server, time.Duration) {
	tb.Helper()
	addr := FreeAddr(tb)
	cmd := exec.Command(Binary(tb), append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &lockedWriter{w: &logs}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &Server{URL: "http://" + addr, Cmd: cmd, Env: env}
	tb.Cleanup(s.Stop)
	client := &http.Client{Timeout: time.Second}
	for time.Since(start) < wait {
		res, err := client.Get(s.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, time.Since(start)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	tb.Fatalf("treem did not become ready in %v:\n%s", wait, logs.String())
	return nil, 0
}

// Stop ends the process with SIGTERM and waits.
func (s *Server) Stop() {
	if s.Cmd.Process == nil || s.Cmd.ProcessState != nil {
		return
	}
	s.Cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.Cmd.Process.Kill()
	}
}

// RSS is the resident memory of the process in MiB, from /proc.
func (s *Server) RSS(tb testing.TB) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kb) / 1024
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// Stats summarise a load run.
type Stats struct {
	Requests int
	All      int // Requests and those of the warm-up (Load only)
	Errors   int
	Elapsed  time.Duration
	P50      time.Duration
	P95      time.Duration
	P99      time.Duration
	Max      time.Duration
}

func (s Stats) String() string {
	return fmt.Sprintf("%d requests in %s (%.0f/s), %d errors, p50 %s p95 %s p99 %s max %s",
		s.Requests, s.Elapsed.Round(time.Millisecond), float64(s.Requests)/s.Elapsed.Seconds(), s.Errors,
		s.P50.Round(10*time.Microsecond), s.P95.Round(10*time.Microsecond), s.P99.Round(10*time.Microsecond), s.Max.Round(10*time.Microsecond))
}

// Report adds the figures to a benchmark's output.
func (s Stats) Report(b *testing.B) {
	b.ReportMetric(float64(s.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(s.P95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(s.P99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(s.Requests)/s.Elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(s.Errors), "errors")
}

// Load runs fn from n concurrent clients for d (after a short warm-up) and
// returns the latency distribution. fn gets the client's number and the
// iteration.
func Load(n int, d time.Duration, fn func(client, i int) error) Stats {
	var mu sync.Mutex
	var lat []time.Duration
	var errs, all atomic.Int64
	warm := time.Now().Add(d / 10)
	end := warm.Add(d)
	var wg sync.WaitGroup
	for c := 0; c < n; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; ; i++ {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				err := fn(c, i)
				el := time.Since(t0)
				all.Add(1)
				if t0.After(warm) {
					if err != nil {
						errs.Add(1)
					}
					mine = append(mine, el)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	st := summarise(lat, int(errs.Load()), d)
	st.All = int(all.Load())
	return st
}

// LoadRate sends rate requests a second in all, spread over n concurrent
// clients, for d (after a warm-up): an open loop, as users arrive, unlike
// Load's clients that send again as soon as answered. Latency counts from
// when a request was due, so a server that falls behind shows it (no
// coordinated omission).
func LoadRate(n, rate int, d time.Duration, fn func(client, i int) error) Stats {
	type job struct {
		due time.Time
		i   int
	}
	jobs := make(chan job, rate) // a second of backlog at most
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	start := time.Now()
	warm := start.Add(d / 10)
	var wg sync.WaitGroup
	for c := 0; c < n; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var mine []time.Duration
			for j := range jobs {
				err := fn(c, j.i)
				el := time.Since(j.due)
				if j.due.After(warm) {
					if err != nil {
						errs.Add(1)
					}
					mine = append(mine, el)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(c)
	}
	interval := time.Second / time.Duration(rate)
	total := int((d + d/10) / interval)
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		jobs <- job{due: due, i: i}
	}
	close(jobs)
	wg.Wait()
	return summarise(lat, int(errs.Load()), d)
}

func summarise(lat []time.Duration, errs int, d time.Duration) Stats {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	s := Stats{Requests: len(lat), Errors: errs, Elapsed: d, P50: q(.50), P95: q(.95), P99: q(.99)}
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	return s
}

// HTTPClient is a client for n concurrent users over loopback.
func HTTPClient(n int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: n * 2, MaxIdleConnsPerHost: n * 2, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}}
}

// Get sends a GET with a bearer token and drains the answer; a status other
// than 200 is an error.
func Get(c *http.Client, url, token string) error {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// Postgres creates a throwaway database on the PostgreSQL server named by
// TREEM_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432) and
// returns its address, or skips when there is no server.
func Postgres(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("TREEM_BENCH_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432"
	}
	admin, err := sql.Open("pgx", base+"/postgres")
	if err != nil {
		tb.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		tb.Skipf("no PostgreSQL at %s: %v", base, err)
	}
	name := fmt.Sprintf("treem_bench_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return base + "/" + name
}

// Run runs a treem sub-command with the environment and returns its output.
func Run(tb testing.TB, env []string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(Binary(tb), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("treem %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Cost is what the server process spent over a stretch of work, read from
// its /metrics (Go's and the process's collectors).
type Cost struct {
	CPU    float64 // seconds, user and system
	Bytes  float64 // allocated on the heap
	Allocs float64 // heap objects allocated
	GCs    float64
}

// Cost reads the server's counters now; subtract two readings.
func (s *Server) Cost(tb testing.TB) Cost {
	tb.Helper()
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	var c Cost
	for _, line := range strings.Split(string(raw), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_cpu_seconds_total":
			c.CPU = v
		case "go_memstats_alloc_bytes_total":
			c.Bytes = v
		case "go_memstats_mallocs_total":
			c.Allocs = v
		case "go_gc_duration_seconds_count":
			c.GCs = v
		}
	}
	return c
}

// PerRequest describes the cost between two readings spread over n requests.
func (c Cost) PerRequest(before Cost, n int) string {
	if n == 0 {
		return "no requests"
	}
	f := float64(n)
	return fmt.Sprintf("server CPU %.2f ms, %.1f KB and %.0f allocations a request (%.0f GCs)",
		1000*(c.CPU-before.CPU)/f, (c.Bytes-before.Bytes)/f/1024, (c.Allocs-before.Allocs)/f, c.GCs-before.GCs)
}

// ProfileEnv is the environment that turns the profiler of a server built
// by Binary on, when TREEM_BENCH_PROFILE names a directory for profiles.
func ProfileEnv(tb testing.TB) []string {
	if os.Getenv("TREEM_BENCH_PROFILE") == "" {
		return nil
	}
	return []string{"TREEM_PPROF_ADDR=" + FreeAddr(tb)}
}

// Profile, when TREEM_BENCH_PROFILE names a directory, takes a CPU
// profile of the server for d in the background and writes it there as
// NAME.cpu.pprof; wait for the returned function before stopping the
// server. Without the variable it does nothing.
func (s *Server) Profile(tb testing.TB, name string, d time.Duration) (wait func()) {
	dir := os.Getenv("TREEM_BENCH_PROFILE")
	addr := ""
	for _, kv := range s.Env {
		if v, ok := strings.CutPrefix(kv, "TREEM_PPROF_ADDR="); ok {
			addr = v
		}
	}
	if dir == "" || addr == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fetch := func(path, file string) {
			c := &http.Client{Timeout: d + time.Minute}
			res, err := c.Get("http://" + addr + path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "profile:", err)
				return
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			os.WriteFile(filepath.Join(dir, file), raw, 0o644)
		}
		fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds())), name+".cpu.pprof")
		fetch("/debug/pprof/allocs", name+".allocs.pprof")
		fetch("/debug/pprof/block", name+".block.pprof")
		fetch("/debug/pprof/mutex", name+".mutex.pprof")
	}()
	return func() { <-done }
}

// lockedWriter lets a process's output be read while it is written.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
