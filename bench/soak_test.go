package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A bounded mixed load held for a long time on each engine: counsellors
// recording and searching contacts, commune officers working on the
// registry, people searching units and sending public reports. It reports
// latency per kind of request, errors (there should be none) and the
// server's resident memory over time, which is what shows a leak.
//
//	TREEM_SOAK=10m go test ./bench -run '^$' -bench Soak -benchtime 1x -timeout 40m
//
// TREEM_SOAK_RATE sets requests a second (default 40).
func BenchmarkSoak(b *testing.B) {
	d, err := time.ParseDuration(os.Getenv("TREEM_SOAK"))
	if err != nil || d <= 0 {
		d = time.Minute
	}
	rate := 40
	if r := os.Getenv("TREEM_SOAK_RATE"); r != "" {
		fmt.Sscan(r, &rate)
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := "sqlite:" + filepath.Join(b.TempDir(), "treem.db")
			if engine == "postgres" {
				dsn = Postgres(b)
			}
			soak(b, engine, dsn, d, rate)
		})
	}
}

// soakKind is one kind of request in the mix, with its share.
type soakKind struct {
	name   string
	weight int
	do     func(s *soakRun, i int) error
}

type soakRun struct {
	url        string
	client     *http.Client
	counsellor string
	officers   []string // tokens of commune officers, one per commune
	communes   []string
	mu         sync.Mutex
	children   map[string][]string // commune → ids created so far
}

func soak(b *testing.B, engine, dsn string, d time.Duration, rate int) {
	dir := b.TempDir()
	env := []string{"TREEM_DB=" + dsn, "TREEM_KEY_FILE=" + filepath.Join(dir, "soak.key")}
	Run(b, env, "keys", "init")
	Run(b, env, "migrate")
	r := &soakRun{client: HTTPClient(32), children: map[string][]string{},
		communes: []string{"00004", "00008", "00025", "25747", "26740"}}
	Run(b, env, "user", "add", "--name", "soak.counsellor", "--role", "counsellor")
	r.counsellor = strings.TrimSpace(Run(b, env, "token", "create", "--user", "soak.counsellor"))
	for _, c := range r.communes {
		name := "soak.officer." + c
		Run(b, env, "user", "add", "--name", name, "--role", "commune_officer", "--unit", c)
		r.officers = append(r.officers, strings.TrimSpace(Run(b, env, "token", "create", "--user", name)))
	}
	s, _ := Start(b, env)
	defer s.Stop()
	r.url = s.URL

	kinds := []soakKind{
		{"POST /api/v1/contacts", 4, (*soakRun).createContact},
		{"GET /api/v1/contacts?q=", 4, (*soakRun).searchContacts},
		{"GET /api/v1/hotline/queue", 2, func(s *soakRun, i int) error { return s.get(s.counsellor, "/api/v1/hotline/queue") }},
		{"POST /api/v1/children", 2, (*soakRun).createChild},
		{"GET /api/v1/children", 4, (*soakRun).listChildren},
		{"GET /api/v1/children/{id}", 3, (*soakRun).getChild},
		{"POST /api/v1/children/{id}/supports", 1, (*soakRun).addSupport},
		{"GET /api/v1/units?q=", 4, func(s *soakRun, i int) error {
			return s.get(s.counsellor, "/api/v1/units?q="+url.QueryEscape(unitQueries[i%len(unitQueries)]))
		}},
	}
	var table []int
	for k, kind := range kinds {
		for range kind.weight {
			table = append(table, k)
		}
	}

	type sample struct {
		at   time.Duration
		rss  float64
		load string
	}
	var (
		mu      sync.Mutex
		lat     = make([][]time.Duration, len(kinds)+1)
		errs    = make([]int, len(kinds)+1)
		firsts  = make([]string, len(kinds)+1)
		samples []sample
	)
	record := func(k int, el time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		lat[k] = append(lat[k], el)
		if err != nil {
			errs[k]++
			if firsts[k] == "" {
				firsts[k] = err.Error()
			}
		}
	}
	start := time.Now()
	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { // memory every 15 s
		defer bg.Done()
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			samples = append(samples, sample{time.Since(start), s.RSS(b), loadAvg()})
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	go func() { // public reports: four a minute, under the per-address limit
		defer bg.Done()
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for i := 0; ; i++ {
			t0 := time.Now()
			err := r.publicReport(i)
			record(len(kinds), time.Since(t0), err)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()

	type job struct {
		due time.Time
		i   int
	}
	jobs := make(chan job, rate)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				k := table[j.i%len(table)]
				err := kinds[k].do(r, j.i)
				record(k, time.Since(j.due), err)
			}
		}()
	}
	interval := time.Second / time.Duration(rate)
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= d {
			break
		}
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		jobs <- job{due, i}
	}
	close(jobs)
	wg.Wait()
	close(done)
	bg.Wait()
	samples = append(samples, sample{time.Since(start), s.RSS(b), loadAvg()})

	var out strings.Builder
	fmt.Fprintf(&out, "\n%s, %s at %d requests/s (+4 public reports a minute):\n", engine, d, rate)
	fmt.Fprintf(&out, "| request | count | errors | p50 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- |\n")
	var all []time.Duration
	total := 0
	for k := range lat {
		name := "POST /api/v1/public/reports"
		if k < len(kinds) {
			name = kinds[k].name
		}
		st := summarise(lat[k], errs[k], d)
		all = append(all, lat[k]...)
		total += errs[k]
		fmt.Fprintf(&out, "| %s | %d | %d | %.1f | %.1f | %.1f |\n", name, st.Requests, st.Errors, ms(st.P50), ms(st.P99), ms(st.Max))
		if firsts[k] != "" {
			fmt.Fprintf(&out, "|   first error: %s |\n", firsts[k])
		}
	}
	st := summarise(all, total, d)
	fmt.Fprintf(&out, "| all | %d | %d | %.1f | %.1f | %.1f |\n", st.Requests, st.Errors, ms(st.P50), ms(st.P99), ms(st.Max))
	fmt.Fprintf(&out, "resident memory (MiB) every 15 s: ")
	for i, sm := range samples {
		if i > 0 {
			out.WriteString(", ")
		}
		fmt.Fprintf(&out, "%.0f", sm.rss)
	}
	out.WriteString("\nload average every 15 s: ")
	for i, sm := range samples {
		if i > 0 {
			out.WriteString(", ")
		}
		out.WriteString(sm.load)
	}
	out.WriteString("\n")
	// Printed, not logged: the testing package cuts a benchmark's log short.
	fmt.Print(out.String())
	st.Report(b)
	if len(samples) > 0 {
		b.ReportMetric(samples[len(samples)-1].rss, "MiB-RSS-end")
	}
}

// loadAvg is the machine's one-minute load average: the figures mean little
// without it on a shared machine.
func loadAvg() string {
	raw, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(raw)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var soakNames = []string{"Nguyễn Thị Lan", "Trần Minh Khôi", "Lò Văn Nam", "Phạm Thu Hà", "Hoàng Gia Bảo",
	"Đặng Ngọc Ánh", "Vũ Đức Anh", "Bùi Thị Hồng Nhung", "Hà Văn Tùng", "Lê Hoài An"}

func (s *soakRun) createContact(i int) error {
	commune := s.communes[i%len(s.communes)]
	body := fmt.Sprintf(`{"channel":"phone","type":"about_child","urgency":"medium","reasons":["bao_luc.the_chat"],
		"caller":{"kind":"adult","relation":"mẹ","age_band":"18_plus","sex":"Nữ","commune":%q,"name":%q,"phone":"09%08d"},
		"children":[{"name":%q,"age":%d,"sex":"Nam","commune":%q}],"actions":["counselling"],
		"summary":"Gọi về việc cháu bị đánh ở nhà.","complete":true}`,
		commune, soakNames[i%len(soakNames)], i%100000000, soakNames[(i/3)%len(soakNames)], 3+i%14, commune)
	return s.send("POST", s.counsellor, "/api/v1/contacts", body, http.StatusCreated, nil)
}

func (s *soakRun) searchContacts(i int) error {
	q := strings.Fields(soakNames[i%len(soakNames)])
	return s.get(s.counsellor, "/api/v1/contacts?q="+url.QueryEscape(q[0]+" "+q[len(q)-1]))
}

func (s *soakRun) officer(i int) (string, string) {
	k := i % len(s.communes)
	return s.officers[k], s.communes[k]
}

func (s *soakRun) createChild(i int) error {
	tok, commune := s.officer(i)
	body := fmt.Sprintf(`{"name":%q,"dob":"%d-0%d-1%d","sex":"Nữ","commune":%q,"ethnicity":"Kinh"}`,
		soakNames[(i/5)%len(soakNames)], 2010+i%15, 1+i%9, i%10, commune)
	var out struct{ Data struct{ ID any } }
	if err := s.send("POST", tok, "/api/v1/children", body, http.StatusCreated, &out); err != nil {
		return err
	}
	s.mu.Lock()
	s.children[commune] = append(s.children[commune], fmt.Sprint(out.Data.ID))
	s.mu.Unlock()
	return nil
}

func (s *soakRun) child(i int) (string, string, bool) {
	tok, commune := s.officer(i)
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.children[commune]
	if len(ids) == 0 {
		return "", "", false
	}
	return tok, ids[(i*7919)%len(ids)], true
}

func (s *soakRun) listChildren(i int) error {
	tok, _ := s.officer(i)
	if i%2 == 0 {
		return s.get(tok, "/api/v1/children?q="+url.QueryEscape(strings.Fields(soakNames[i%len(soakNames)])[0]))
	}
	return s.get(tok, "/api/v1/children")
}

func (s *soakRun) getChild(i int) error {
	tok, id, ok := s.child(i)
	if !ok {
		return s.listChildren(i)
	}
	return s.get(tok, "/api/v1/children/"+id)
}

func (s *soakRun) addSupport(i int) error {
	tok, id, ok := s.child(i)
	if !ok {
		return s.listChildren(i)
	}
	return s.send("POST", tok, "/api/v1/children/"+id+"/supports",
		`{"kind":"social_allowance","date":"2026-03-01","amount_vnd":750000,"provider":"UBND xã"}`, http.StatusCreated, nil)
}

func (s *soakRun) publicReport(i int) error {
	body := fmt.Sprintf(`{"description":"Em bé hàng xóm bị bỏ mặc một mình nhiều ngày (%d).","commune":"00004",
		"child":{"name":"Lò Văn Nam","age":7,"sex":"Nam"},"reporter":{"name":"Người dân","phone":"0911222333"}}`, i)
	return s.send("POST", "", "/api/v1/public/reports", body, http.StatusCreated, nil)
}

func (s *soakRun) get(tok, path string) error {
	return s.send("GET", tok, path, "", http.StatusOK, nil)
}

func (s *soakRun) send(method, tok, path, body string, want int, out any) error {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %.200s", method, strings.SplitN(path, "?", 2)[0], res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
