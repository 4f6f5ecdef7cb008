package app_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"treem/internal/app"
	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

// run runs treem as a user would, with an environment of its own.
func run(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := app.Run(context.Background(), args, getenv, &out, &errOut)
	return out.String() + errOut.String(), err
}

// dbEnv points treem at a new database of the engine, with a key file.
func dbEnv(t *testing.T, engine store.Engine) map[string]string {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"TREEM_DB": storetest.DSN(t, engine), "TREEM_KEY_FILE": filepath.Join(dir, "treem.key"), "USER": "tester"}
	if _, err := run(t, env, "keys", "init"); err != nil {
		t.Fatal(err)
	}
	return env
}

func eachEngine(t *testing.T, f func(t *testing.T, env map[string]string)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) { f(t, dbEnv(t, e)) })
	}
}

func TestUserAddAndTokenCreate(t *testing.T) {
	eachEngine(t, func(t *testing.T, env map[string]string) {
		out, err := run(t, env, "user", "add", "--name", "lan.nguyen", "--role", "commune_officer", "--unit", "00004")
		if err != nil {
			t.Fatalf("user add: %v\n%s", err, out)
		}
		if !strings.Contains(out, "password: ") {
			t.Fatalf("no password printed:\n%s", out)
		}
		out, err = run(t, env, "token", "create", "--user", "lan.nguyen")
		if err != nil || !strings.HasPrefix(strings.TrimSpace(out), "trm_") {
			t.Fatalf("token create: %v\n%s", err, out)
		}
		// The token works against a server on the same database.
		tok := strings.TrimSpace(out)
		addr := startServer(t, env)
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), `"unit":"00004"`) {
			t.Fatalf("/me with the token: %d %s", res.StatusCode, body)
		}
	})
}

func TestUserAddExplainsEveryProblem(t *testing.T) {
	env := dbEnv(t, store.SQLite)
	out, err := run(t, env, "user", "add", "--name", "X", "--role", "commune_officer", "--unit", "01")
	if err == nil {
		t.Fatalf("invalid account created:\n%s", out)
	}
	for _, want := range []string{"--username", "--unit", "commune code"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := run(t, env, "user", "add", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "--name") {
		t.Fatalf("missing --name: %v", err)
	}
}

func TestUnknownCommandAndBadConfig(t *testing.T) {
	if _, err := run(t, nil, "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("unknown command: %v", err)
	}
	_, err := run(t, map[string]string{"TREEM_DB": "mysql://x"}, "migrate")
	if err == nil || !strings.Contains(err.Error(), "sqlite:FILE or postgres://") {
		t.Fatalf("bad --db: %v", err)
	}
	_, err = run(t, map[string]string{"TREEM_DB": "postgres://nobody@127.0.0.1:1/x"}, "migrate")
	if err == nil || !strings.Contains(err.Error(), "key file is required") {
		t.Fatalf("postgres without a key file: %v", err)
	}
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	eachEngine(t, func(t *testing.T, env map[string]string) {
		for _, name := range []string{"a.one", "b.two", "c.three"} {
			if out, err := run(t, env, "user", "add", "--name", name, "--role", "analyst"); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		}
		out, err := run(t, env, "audit", "verify")
		if err != nil || !strings.Contains(out, "audit log intact: 3 entries") {
			t.Fatalf("intact log: %v\n%s", err, out)
		}
		// Someone with database access rewrites who created the second account.
		tamper(t, env["TREEM_DB"], "UPDATE audit_log SET detail = 'role=admin unit=' WHERE id = 2")
		out, err = run(t, env, "audit", "verify")
		if err == nil {
			t.Fatalf("tampered log verified:\n%s", out)
		}
		if !strings.Contains(out, "entry id 2 ") || !strings.Contains(out, "changed") {
			t.Fatalf("the report does not name entry id 2 as changed:\n%s", out)
		}
	})
}

// tamper changes the database directly, disabling the append-only triggers
// the way an intruder with the database's password could.
func tamper(t *testing.T, dsn, q string) {
	t.Helper()
	engine, target, _ := store.ParseDSN(dsn)
	driver := "sqlite"
	stmts := []string{"DROP TRIGGER audit_log_no_update", q}
	if engine == store.Postgres {
		driver = "pgx"
		stmts = []string{"ALTER TABLE audit_log DISABLE TRIGGER USER", q}
	}
	db, err := sql.Open(driver, target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestBackupAndRestore(t *testing.T) {
	env := dbEnv(t, store.SQLite)
	run(t, env, "user", "add", "--name", "before.backup", "--role", "analyst")
	// The server keeps running while the backup is taken.
	startServer(t, env)
	dir := t.TempDir()
	target := filepath.Join(dir, "copy.db")
	out, err := run(t, env, "backup", target)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if _, err := run(t, env, "backup", target); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	run(t, env, "user", "add", "--name", "after.backup", "--role", "analyst")

	// Restore: the copy is a database of its own, with the same key file.
	restored := map[string]string{"TREEM_DB": "sqlite:" + target, "TREEM_KEY_FILE": env["TREEM_KEY_FILE"], "USER": "tester"}
	out, err = run(t, restored, "audit", "verify")
	if err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("restored copy: %v\n%s", err, out)
	}
	if _, err := run(t, restored, "token", "create", "--user", "before.backup"); err != nil {
		t.Fatalf("account made before the backup is missing from it: %v", err)
	}
	if _, err := run(t, restored, "token", "create", "--user", "after.backup"); err == nil {
		t.Fatal("account made after the backup is in it")
	}
	addr := startServer(t, restored)
	if res, err := http.Get("http://" + addr + "/readyz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("server on the restored copy: %v", err)
	}
}

// startServer runs `treem serve` on a free port until the test ends.
func startServer(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() {
		done <- app.RunEnv(ctx, app.Env{Args: []string{"serve", "--addr", "127.0.0.1:0"}, Getenv: getenv,
			Stdout: io.Discard, Stderr: io.Discard, Ready: ready})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

// A request in flight when the server is told to stop still gets its answer.
func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	env := dbEnv(t, store.SQLite)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.RunEnv(ctx, app.Env{Args: []string{"serve", "--addr", "127.0.0.1:0"},
			Getenv: func(k string) string { return env[k] }, Stdout: io.Discard, Stderr: io.Discard, Ready: ready})
	}()
	addr := <-ready
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A sign-in whose body is still arriving: its handler is running,
	// reading the form, when the server is told to stop.
	body := "username=nobody&password=not-the-right-one"
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: treem\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body[:10])
	time.Sleep(200 * time.Millisecond)
	cancel()
	time.Sleep(200 * time.Millisecond)
	fmt.Fprint(conn, body[10:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want the sign-in's own answer (401)", res.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	// New connections are refused once it has stopped.
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestServeDemoPrintsHowToLogIn(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TREEM_DB": "sqlite:" + filepath.Join(dir, "demo.db")}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- app.RunEnv(ctx, app.Env{Args: []string{"serve", "--demo", "--addr", "127.0.0.1:0"},
			Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: io.Discard, Ready: ready})
	}()
	addr := <-ready
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"http://" + addr, "treem-demo-2026", "xa.badinh", "commune_officer", "00004"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "demo.key")); err != nil {
		t.Errorf("no key file beside the demo database: %v", err)
	}
}

// Keys rotate while a server runs: stored secrets are re-sealed with the new
// key, the old key can then be retired, and sign-in with the second factor
// still works; retiring is refused while a value still needs the old key.
func TestKeyRotation(t *testing.T) {
	env := dbEnv(t, store.SQLite)
	run(t, env, "user", "add", "--name", "rot.user", "--role", "analyst")
	cfgEnv := func(k string) string { return env[k] }
	build := func() *app.Instance {
		fs, cfg := config.FlagSet("serve", cfgEnv, true)
		fs.Parse(nil)
		if err := cfg.Check(cfgEnv); err != nil {
			t.Fatal(err)
		}
		inst, err := app.Build(context.Background(), cfg, app.Env{Getenv: cfgEnv, Stdout: io.Discard, Stderr: io.Discard}, app.NewLogger(io.Discard, "error"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(inst.Close)
		return inst
	}
	inst := build()
	u, err := inst.Auth.UserByName(context.Background(), "rot.user")
	if err != nil {
		t.Fatal(err)
	}
	secret := auth.NewTOTPSecret()
	if err := inst.Auth.SetTOTPSecret(context.Background(), u.ID, secret); err != nil {
		t.Fatal(err)
	}
	oldKey := inst.Keys.Active()

	out, err := run(t, env, "keys", "rotate", "--settle", "0")
	if err != nil || !strings.Contains(out, "re-sealed 1 values") {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	// A server started now reads the new file and the re-sealed secret.
	fresh := build()
	if fresh.Keys.Active() == oldKey {
		t.Fatal("the new key is not active")
	}
	inUse, err := seal.InUse(context.Background(), fresh.DB, []seal.Column{{Table: "users", Key: "id", Column: "totp_secret", Context: "users.totp"}})
	if err != nil || inUse[oldKey] != 0 || inUse[fresh.Keys.Active()] != 1 {
		t.Fatalf("keys in use after rotation: %v %v", inUse, err)
	}

	// A value still sealed with the old key (a server that had not reloaded
	// yet wrote it) blocks retiring.
	raw, _ := os.ReadFile(env["TREEM_KEY_FILE"])
	var f seal.File
	json.Unmarshal(raw, &f)
	f.Active = oldKey
	stale, _ := seal.New(f)
	sealed, _ := stale.SealString("users.totp", secret)
	db := fresh.DB
	db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE users SET totp_secret = $1 WHERE id = $2", sealed, u.ID)
		return err
	})
	if out, err := run(t, env, "keys", "retire"); err == nil || !strings.Contains(err.Error(), "still sealed") {
		t.Fatalf("retire with a value on the old key: %v\n%s", err, out)
	}
	if out, err := run(t, env, "keys", "rotate", "--settle", "0"); err != nil {
		t.Fatalf("second rotate: %v\n%s", err, out)
	}
	if out, err := run(t, env, "keys", "retire"); err != nil || !strings.Contains(out, "retired") {
		t.Fatalf("retire: %v\n%s", err, out)
	}
	// Sign in with the second factor against the final key file.
	final := build()
	srv := httptest.NewServer(final.Web)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The account's password was generated: set a known one.
	if err := final.DB.Write(context.Background(), func(tx *store.Tx) error {
		h, _ := auth.HashPassword("rotation test pass")
		_, err := tx.ExecContext(context.Background(), "UPDATE users SET password_hash = $1, must_change_password = FALSE WHERE id = $2", h, u.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	post := func(path string, v url.Values) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	post("/login", url.Values{"username": {"rot.user"}, "password": {"rotation test pass"}})
	code, _ := auth.TOTPCode(secret, time.Now())
	if res := post("/login/totp", url.Values{"code": {code}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second factor after rotation: %d", res.StatusCode)
	}
}
