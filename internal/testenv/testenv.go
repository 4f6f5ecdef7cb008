// Package testenv runs a real treem for a test: the same wiring as
// `treem serve`, a real database (SQLite, and PostgreSQL when
// TREEM_TEST_POSTGRES is set), real HTTP over loopback and a clock the test
// controls.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"treem/internal/app"
	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

// Clock is a clock tests move by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Start is the time every test starts at: a working Friday morning in
// Hà Nội (08:00 ICT).
var Start = time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)

// Env is a running treem.
type Env struct {
	Engine store.Engine
	URL    string
	// DSN and KeyFile are the database and keys, for a second instance on
	// the same data (NewWith with Options{DSN, KeyFile}) or a command.
	DSN     string
	KeyFile string
	Clock   *Clock
	App     *app.Instance
	srv     *httptest.Server
}

// Options change how the environment is built.
type Options struct {
	Engine  store.Engine // default SQLite
	Demo    bool
	Config  func(*config.Config) // adjust the configuration before start
	Getenv  map[string]string
	Logs    io.Writer
	DSN     string // an existing database instead of a new one
	KeyFile string
}

// New starts treem on a new SQLite database.
func New(t testing.TB) *Env { return NewWith(t, Options{}) }

// NewWith starts treem with options.
func NewWith(t testing.TB, o Options) *Env {
	t.Helper()
	if o.Engine == "" {
		o.Engine = store.SQLite
	}
	dsn := o.DSN
	if dsn == "" {
		dsn = storetest.DSN(t, o.Engine)
	}
	keyFile := o.KeyFile
	if keyFile == "" {
		keyFile = filepath.Join(t.TempDir(), "test.key")
		if err := seal.Write(keyFile, seal.Generate(Start)); err != nil {
			t.Fatal(err)
		}
	}
	getenv := func(k string) string { return o.Getenv[k] }
	fs, cfg := config.FlagSet("serve", getenv, true)
	if err := fs.Parse([]string{"--db", dsn, "--key-file", keyFile, "--sqlite-sync", "NORMAL", "--require-totp", "none"}); err != nil {
		t.Fatal(err)
	}
	cfg.Demo = o.Demo
	if o.Config != nil {
		o.Config(cfg)
	}
	if err := cfg.Check(getenv); err != nil {
		t.Fatal(err)
	}
	clock := NewClock(Start)
	logs := o.Logs
	if logs == nil {
		logs = io.Discard
	}
	env := app.Env{Getenv: getenv, Stdout: io.Discard, Stderr: logs, Now: clock.Now}
	inst, err := app.Build(context.Background(), cfg, env, app.NewLogger(logs, "warn"))
	if err != nil {
		t.Fatalf("build treem on %s: %v", o.Engine, err)
	}
	srv := httptest.NewServer(inst.Web)
	t.Cleanup(func() {
		srv.Close()
		inst.Close()
	})
	return &Env{Engine: o.Engine, URL: srv.URL, DSN: dsn, KeyFile: keyFile, Clock: clock, App: inst, srv: srv}
}

// Each runs f once per engine under test.
func Each(t *testing.T, f func(t *testing.T, h *Env)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f(t, NewWith(t, Options{Engine: e}))
		})
	}
}

// users numbers the accounts User makes, in every environment, so that two
// instances on one database never make the same user name.
var users atomic.Int64

// Password is the password of accounts made by User.
const Password = "correct horse battery"

// Client calls treem as one account (or anonymously).
type Client struct {
	h        *Env
	Username string
	UserID   int64
	Role     auth.Role
	Unit     string
	token    string
	http     *http.Client
	Lang     string
}

// User creates an account of role in unit and returns a client that calls
// the API with its token.
func (h *Env) User(t testing.TB, role auth.Role, unit string) *Client {
	t.Helper()
	name := fmt.Sprintf("%s%d", strings.ReplaceAll(string(role), "_", ""), users.Add(1))
	ctx := audit.WithActor(context.Background(), audit.System)
	u, _, err := h.App.Auth.CreateUser(ctx, nil, auth.NewUser{Username: name, FullName: "Người Thử " + name,
		Role: string(role), Unit: unit, Password: Password})
	if err != nil {
		t.Fatalf("create %s in %q: %v", role, unit, err)
	}
	tok, err := h.App.Auth.CreateToken(ctx, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &Client{h: h, Username: name, UserID: u.ID, Role: role, Unit: unit, token: tok, http: &http.Client{}}
}

// Anonymous returns a client without an account.
func (h *Env) Anonymous() *Client {
	return &Client{h: h, http: &http.Client{}}
}

// Browser returns a client with a cookie jar that does not follow
// redirects, for the pages.
func (h *Env) Browser(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{h: h, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Login signs a browser client in with a form post.
func (c *Client) Login(t testing.TB, username, password string) *Response {
	t.Helper()
	return c.PostForm(t, "/login", url.Values{"username": {username}, "password": {password}})
}

// Response is an answer, read whole.
type Response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("answer %d is not JSON (%v): %s", r.Code, err, r.Body)
	}
}

// Data decodes {"data": …}.
func (r *Response) Data(t testing.TB) map[string]any {
	t.Helper()
	var env struct {
		Data map[string]any `json:"data"`
	}
	r.JSON(t, &env)
	return env.Data
}

// Error decodes {"error": …}.
func (r *Response) Error(t testing.TB) (code, message string, fields map[string]string) {
	t.Helper()
	var env struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.JSON(t, &env)
	return env.Error.Code, env.Error.Message, env.Error.Fields
}

func (r *Response) String() string { return fmt.Sprintf("%d %s", r.Code, r.Body) }

// Do sends a request.
func (c *Client) Do(t testing.TB, method, path string, body io.Reader, header http.Header) *Response {
	t.Helper()
	req, err := http.NewRequest(method, c.h.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Code: res.StatusCode, Header: res.Header, Body: b}
}

// Get sends a GET.
func (c *Client) Get(t testing.TB, path string) *Response {
	t.Helper()
	return c.Do(t, http.MethodGet, path, nil, nil)
}

// Post sends a JSON body (a string, []byte or a value to encode).
func (c *Client) Post(t testing.TB, path string, body any) *Response {
	t.Helper()
	return c.send(t, http.MethodPost, path, body)
}

// Patch sends a JSON body with PATCH.
func (c *Client) Patch(t testing.TB, path string, body any) *Response {
	t.Helper()
	return c.send(t, http.MethodPatch, path, body)
}

func (c *Client) send(t testing.TB, method, path string, body any) *Response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	return c.Do(t, method, path, bytes.NewReader(raw), http.Header{"Content-Type": {"application/json"}})
}

// PostForm sends a form as a browser on this site would.
func (c *Client) PostForm(t testing.TB, path string, v url.Values) *Response {
	t.Helper()
	return c.Do(t, http.MethodPost, path, strings.NewReader(v.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {c.h.URL}, "Sec-Fetch-Site": {"same-origin"}})
}

// Audited reports whether the audit log has an entry by the client's
// account for action on recordID.
func (h *Env) Audited(t testing.TB, c *Client, action, recordID string) bool {
	t.Helper()
	f := audit.Filter{Action: action, RecordID: recordID, Limit: 500}
	if c != nil {
		f.Actor = c.Username
	}
	entries, _, err := h.App.Audit.List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries) > 0
}

// AssertAudited fails the test unless the action was audited.
func (h *Env) AssertAudited(t testing.TB, c *Client, action, recordID string) {
	t.Helper()
	if !h.Audited(t, c, action, recordID) {
		who := "anyone"
		if c != nil {
			who = c.Username
		}
		t.Fatalf("no audit entry %q on %q by %s", action, recordID, who)
	}
}

// Token is the client's API token ("" for a browser or an anonymous
// client), for tests that send requests of their own.
func (c *Client) Token() string { return c.token }
