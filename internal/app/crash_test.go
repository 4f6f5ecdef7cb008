package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"treem/bench"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

// crashServer runs the real binary so that it can be killed without mercy.
type crashServer struct {
	cmd *exec.Cmd
	url string
}

func startCrashServer(t *testing.T, env []string) *crashServer {
	t.Helper()
	addr := bench.FreeAddr(t)
	cmd := exec.Command(bench.Binary(t), "serve", "--addr", addr, "--log-level", "error")
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &crashServer{cmd: cmd, url: "http://" + addr}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(s.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("server did not start:\n%s", logs.String())
	return nil
}

func (s *crashServer) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}

// ack is a write the server acknowledged: it must survive any crash.
type ack struct {
	path  string                         // where to read it back
	check func(got map[string]any) error // is it there and whole?
}

// writer is one kind of write the crash test makes (writer w, its n-th
// write); later areas add theirs.
type writer func(c *http.Client, url, token string, w, n int) (*ack, error)

func send(c *http.Client, method, url, token, body string) (*http.Response, error) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return c.Do(req)
}

// renameUser updates writer w's own account: each acknowledged name must
// be there, or a later one of the same writer (written but not yet
// acknowledged when the process died).
func renameUser(ids []int64) writer {
	return func(c *http.Client, base, token string, w, n int) (*ack, error) {
		path := fmt.Sprintf("/api/v1/users/%d", ids[w])
		res, err := send(c, "PATCH", base+path, token, fmt.Sprintf(`{"name":"w%d n%06d"}`, w, n))
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var out struct{ Data struct{ Name string } }
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			return nil, fmt.Errorf("status %d %v", res.StatusCode, err) // not acknowledged
		}
		return &ack{path: path, check: func(got map[string]any) error {
			var gw, gn int
			if _, err := fmt.Sscanf(fmt.Sprint(got["name"]), "w%d n%d", &gw, &gn); err != nil || gw != w || gn < n {
				return fmt.Errorf("name %v, want w%d n%06d or a later write", got["name"], w, n)
			}
			return nil
		}}, nil
	}
}

// created posts a new record and returns where to read it back, or an
// error when the server did not acknowledge it.
func created(c *http.Client, base, token, path, body string) (string, error) {
	res, err := send(c, "POST", base+path, token, body)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct{ Data struct{ ID int64 } }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusCreated || out.Data.ID == 0 {
		return "", fmt.Errorf("status %d %v", res.StatusCode, err) // not acknowledged
	}
	return fmt.Sprintf("%s/%d", path, out.Data.ID), nil
}

// createContact records a complete hotline contact as a counsellor; its
// summary (sealed at rest) and its child must come back whole.
func createContact(token string) writer {
	return func(c *http.Client, base, _ string, w, n int) (*ack, error) {
		summary := fmt.Sprintf("crash w%d n%06d: cháu bị đánh ở nhà", w, n)
		path, err := created(c, base, token, "/api/v1/contacts", fmt.Sprintf(`{"channel":"phone","type":"about_child",
			"urgency":"high","reasons":["bao_luc.the_chat"],"caller":{"kind":"adult","phone":"0912%06d","commune":"00004"},
			"children":[{"name":"Trần Minh Khôi","age":9,"sex":"Nam","commune":"00004"}],"summary":%q,"complete":true}`, n%1000000, summary))
		if err != nil {
			return nil, err
		}
		return &ack{path: path, check: func(got map[string]any) error {
			kids, _ := got["children"].([]any)
			if got["summary"] != summary || len(kids) != 1 {
				return fmt.Errorf("summary %v and %d children, want %q and one child", got["summary"], len(kids), summary)
			}
			return nil
		}}, nil
	}
}

// createChild registers a child in the registry as a commune officer; the
// name, address and group must come back whole.
func createChild(token string) writer {
	return func(c *http.Client, base, _ string, w, n int) (*ack, error) {
		address := fmt.Sprintf("Thôn %d, tổ %06d", w, n)
		path, err := created(c, base, token, "/api/v1/children", fmt.Sprintf(`{"name":"Lò Thị Mai","dob":"2016-05-05",
			"sex":"Nữ","commune":"00004","address":%q,"groups":["a"]}`, address))
		if err != nil {
			return nil, err
		}
		return &ack{path: path, check: func(got map[string]any) error {
			if got["name"] != "Lò Thị Mai" || got["address"] != address {
				return fmt.Errorf("name %v address %v, want Lò Thị Mai, %q", got["name"], got["address"], address)
			}
			return nil
		}}, nil
	}
}

// caseStep opens a case as a commune officer and moves it to verifying: the
// case (its summary sealed at rest) must be there once its creation was
// acknowledged, and at the verifying step once the move was.
func caseStep(token string) writer {
	return func(c *http.Client, base, _ string, w, n int) (*ack, error) {
		summary := fmt.Sprintf("crash w%d n%06d: trẻ bị bỏ mặc", w, n)
		path, err := created(c, base, token, "/api/v1/cases", fmt.Sprintf(`{"commune":"00004",
			"children":[{"name":"Lò Thị Hoa","dob":"2015-03-02","sex":"Nữ"}],"received_at":"2026-11-27T00:30:00Z",
			"source":"hotline","summary":%q,"abuse_forms":["bo_mat"],"risk":"low"}`, summary))
		if err != nil {
			return nil, err
		}
		step := "received"
		res, err := send(c, "POST", base+path+"/transitions", token, `{"to":"verifying","reason":"xác minh tin báo","version":1}`)
		if err == nil {
			if res.StatusCode == http.StatusOK {
				step = "verifying"
			}
			res.Body.Close()
		}
		return &ack{path: path, check: func(got map[string]any) error {
			if got["summary"] != summary || (step == "verifying" && got["step"] != "verifying") {
				return fmt.Errorf("summary %v step %v, want %q and %s", got["summary"], got["step"], summary, step)
			}
			return nil
		}}, nil
	}
}

// Writes from many clients at once, SIGKILL at random moments (at least 20
// times), restart: every acknowledged write is present and whole, and the
// audit chain verifies.
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped with -short")
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dir := t.TempDir()
			dsn := storetest.DSN(t, engine)
			envMap := map[string]string{"TREEM_DB": dsn, "TREEM_KEY_FILE": filepath.Join(dir, "crash.key"), "USER": "tester"}
			run(t, envMap, "keys", "init")
			run(t, envMap, "user", "add", "--name", "crash.admin", "--role", "admin")
			tokOut, err := run(t, envMap, "token", "create", "--user", "crash.admin")
			if err != nil {
				t.Fatal(err)
			}
			token := strings.TrimSpace(tokOut)
			tokenOf := func(name, role string, unit ...string) string {
				args := append([]string{"user", "add", "--name", name, "--role", role}, unit...)
				if _, err := run(t, envMap, args...); err != nil {
					t.Fatal(err)
				}
				out, err := run(t, envMap, "token", "create", "--user", name)
				if err != nil {
					t.Fatal(err)
				}
				return strings.TrimSpace(out)
			}
			counsellor := tokenOf("crash.counsellor", "counsellor")
			officer := tokenOf("crash.officer", "commune_officer", "--unit", "00004")
			env := []string{"TREEM_DB=" + dsn, "TREEM_KEY_FILE=" + envMap["TREEM_KEY_FILE"]}
			if engine == store.SQLite {
				env = append(env, "TREEM_SQLITE_SYNC=FULL")
			}
			// Each writer owns an account it keeps renaming.
			var ids []int64
			for w := 0; w < 8; w++ {
				out, err := run(t, envMap, "user", "add", "--name", fmt.Sprintf("crash.w%d", w), "--role", "analyst")
				if err != nil {
					t.Fatal(err)
				}
				_ = out
			}
			{
				s := startCrashServer(t, env)
				c := &http.Client{Timeout: 5 * time.Second}
				for w := 0; w < 8; w++ {
					res, err := send(c, "GET", s.url+"/api/v1/users?q=crash.w"+fmt.Sprint(w), token, "")
					if err != nil {
						t.Fatal(err)
					}
					var out struct{ Data []struct{ ID int64 } }
					json.NewDecoder(res.Body).Decode(&out)
					res.Body.Close()
					if len(out.Data) != 1 {
						t.Fatalf("writer %d's account: %+v", w, out)
					}
					ids = append(ids, out.Data[0].ID)
				}
				s.kill()
			}
			writers := []writer{renameUser(ids), createContact(counsellor), createChild(officer), caseStep(officer)}

			var mu sync.Mutex
			var acks []*ack
			next := 0
			const cycles = 20
			rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
			for cycle := 0; cycle < cycles; cycle++ {
				s := startCrashServer(t, env)
				stop := make(chan struct{})
				flowing := make(chan struct{}, 1)
				var wg sync.WaitGroup
				for w := 0; w < 8; w++ {
					wg.Add(1)
					go func(w int) {
						defer wg.Done()
						c := &http.Client{Timeout: 5 * time.Second}
						for {
							select {
							case <-stop:
								return
							default:
							}
							mu.Lock()
							n := next
							next++
							mu.Unlock()
							a, err := writers[n%len(writers)](c, s.url, token, w, n)
							if err == nil {
								mu.Lock()
								acks = append(acks, a)
								mu.Unlock()
								select {
								case flowing <- struct{}{}:
								default:
								}
							}
						}
					}(w)
				}
				select { // once writes flow, at a random moment
				case <-flowing:
				case <-time.After(10 * time.Second):
					t.Fatal("no write was acknowledged within 10 s")
				}
				time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
				s.kill() // in the middle of everything
				close(stop)
				wg.Wait()
			}
			if len(acks) < cycles {
				t.Fatalf("only %d writes acknowledged in %d cycles: the test did not exercise the server", len(acks), cycles)
			}
			kinds := map[string]int{}
			for _, a := range acks {
				kinds[strings.Split(a.path, "/")[3]]++
			}
			for _, k := range []string{"users", "contacts", "children", "cases"} {
				if kinds[k] == 0 {
					t.Fatalf("no %s write was acknowledged (%v): that writer is broken", k, kinds)
				}
			}
			t.Logf("acknowledged by kind: %v", kinds)

			s := startCrashServer(t, env)
			defer s.kill()
			c := &http.Client{Timeout: 5 * time.Second}
			missing := 0
			for _, a := range acks {
				req, _ := http.NewRequest("GET", s.url+a.path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var got struct{ Data map[string]any }
				json.NewDecoder(res.Body).Decode(&got)
				res.Body.Close()
				if res.StatusCode != 200 {
					missing++
					t.Errorf("acknowledged %s is gone (%d)", a.path, res.StatusCode)
					continue
				}
				if err := a.check(got.Data); err != nil {
					missing++
					t.Errorf("%s: %v", a.path, err)
				}
			}
			t.Logf("%s: %d cycles, %d writes acknowledged, %d missing", engine, cycles, len(acks), missing)
			s.kill()
			if out, err := run(t, envMap, "audit", "verify"); err != nil {
				t.Fatalf("audit chain after crashes: %v\n%s", err, out)
			}
		})
	}
}
