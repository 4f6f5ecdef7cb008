package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/testenv"
)

func TestUnitSearchIgnoresDiacriticsAndCase(t *testing.T) {
	h := testenv.New(t)
	c := h.User(t, auth.CommuneOfficer, "00004")
	for _, q := range []string{"ba dinh", "Ba Đình", "BA DINH", "dinh ba", "phuong ba dinh"} {
		res := c.Get(t, "/api/v1/units?q="+url.QueryEscape(q))
		if res.Code != http.StatusOK {
			t.Fatalf("q=%q: %s", q, res)
		}
		var out struct {
			Data []struct {
				Code     string
				FullName string `json:"full_name"`
			}
			Total int
		}
		res.JSON(t, &out)
		found := false
		for _, u := range out.Data {
			if u.Code == "00004" {
				found = true
			}
		}
		if !found {
			t.Errorf("q=%q did not find Phường Ba Đình (00004): %s", q, res.Body)
		}
	}
}

func TestUnitFilters(t *testing.T) {
	h := testenv.New(t)
	c := h.User(t, auth.Analyst, "")
	var out struct {
		Data []struct {
			Code, Level, Province string
		}
		Total int
	}
	c.Get(t, "/api/v1/units?level=province&limit=100").JSON(t, &out)
	if out.Total != 34 || len(out.Data) != 34 {
		t.Fatalf("level=province: %d (total %d), want 34 provinces", len(out.Data), out.Total)
	}
	c.Get(t, "/api/v1/units?level=commune&province=01&limit=5").JSON(t, &out)
	if len(out.Data) != 5 || out.Total < 100 {
		t.Fatalf("communes of Hà Nội: %d of %d", len(out.Data), out.Total)
	}
	for _, u := range out.Data {
		if u.Province != "01" || u.Level != "commune" {
			t.Fatalf("filter leaked %+v", u)
		}
	}
	res := c.Get(t, "/api/v1/units?level=district&province=99")
	code, _, fields := res.Error(t)
	if res.Code != http.StatusBadRequest || code != "invalid" || fields["level"] == "" || fields["province"] == "" {
		t.Fatalf("bad filters: want 400 naming level and province, got %s", res)
	}
}

func TestUnitLookupAndOldCodes(t *testing.T) {
	h := testenv.New(t)
	c := h.User(t, auth.Counsellor, "")
	d := c.Get(t, "/api/v1/units/00004").Data(t)
	if d["unit"].(map[string]any)["full_name"] != "Phường Ba Đình" {
		t.Fatalf("unit 00004: %v", d)
	}
	if res := c.Get(t, "/api/v1/units/12345678"); res.Code != http.StatusNotFound {
		t.Fatalf("unknown unit: %s", res)
	}

	// Phường Cống Vị (00007) was split between Ngọc Hà and Giảng Võ.
	d = c.Get(t, "/api/v1/units/resolve-old/00007").Data(t)
	units := d["units"].([]any)
	if len(units) != 2 {
		t.Fatalf("00007 should map to two units: %v", d)
	}
	for _, u := range units {
		if u.(map[string]any)["partial"] != true {
			t.Fatalf("split commune without partial: %v", u)
		}
	}
	// Phường Trúc Bạch (00004 before the reform) went whole into Ba Đình.
	d = c.Get(t, "/api/v1/units/resolve-old/00004").Data(t)
	u := d["units"].([]any)[0].(map[string]any)
	if len(d["units"].([]any)) != 1 || u["code"] != "00004" || u["partial"] != false {
		t.Fatalf("old 00004: %v", d)
	}

	res := c.Get(t, "/api/v1/units/resolve-old/99999")
	code, msg, _ := res.Error(t)
	if res.Code != http.StatusNotFound || code != "not_found" || !strings.Contains(msg, "99999") {
		t.Fatalf("unknown old code: want 404 naming the code, got %s", res)
	}
	c.Lang = "en"
	_, msg, _ = c.Get(t, "/api/v1/units/resolve-old/99999").Error(t)
	if !strings.Contains(msg, "No administrative unit before 1 July 2025") {
		t.Fatalf("English message: %q", msg)
	}
}

func TestAPINeedsAnAccount(t *testing.T) {
	h := testenv.New(t)
	res := h.Anonymous().Get(t, "/api/v1/me")
	code, msg, _ := res.Error(t)
	if res.Code != http.StatusUnauthorized || code != "unauthorized" || msg == "" {
		t.Fatalf("anonymous /me: %s", res)
	}
	res = h.Anonymous().Do(t, "GET", "/api/v1/me", nil, http.Header{"Authorization": {"Bearer trm_not-a-token"}})
	if res.Code != http.StatusUnauthorized {
		t.Fatalf("bad token: %s", res)
	}
}

func TestMe(t *testing.T) {
	h := testenv.New(t)
	c := h.User(t, auth.ProvinceOfficer, "01")
	d := c.Get(t, "/api/v1/me").Data(t)
	if d["name"] != "Người Thử "+c.Username || d["role"] != "province_officer" || d["unit"] != "01" {
		t.Fatalf("/me: %v", d)
	}
}

func countUsers(t *testing.T, h *testenv.Env) int {
	t.Helper()
	var n int
	if err := h.App.DB.Read().QueryRow("SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAccountsAreManagedWithinScope(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		admin := h.User(t, auth.Admin, "")
		hanoi := h.User(t, auth.ProvinceOfficer, "01")
		commune := h.User(t, auth.CommuneOfficer, "00004")

		res := admin.Post(t, "/api/v1/users", `{"username":"lan.nguyen","name":"Nguyễn Thị Lan","role":"commune_officer","unit":"00004"}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("admin creates a commune officer: %s", res)
		}
		d := res.Data(t)
		if pw, _ := d["password"].(string); len(pw) < 16 {
			t.Fatalf("a generated password should be handed back once: %v", d)
		}

		// A province officer manages commune officers of their province only.
		if res := hanoi.Post(t, "/api/v1/users", `{"username":"xa.giangvo","role":"commune_officer","unit":"00025"}`); res.Code != http.StatusCreated {
			t.Fatalf("province officer, commune in province: %s", res)
		}
		before := countUsers(t, h)
		if res := hanoi.Post(t, "/api/v1/users", `{"username":"xa.hue","role":"commune_officer","unit":"19753"}`); res.Code != http.StatusNotFound {
			t.Fatalf("province officer of 01 created an account in another province: %s", res)
		}
		if res := hanoi.Post(t, "/api/v1/users", `{"username":"tinh.hai","role":"province_officer","unit":"01"}`); res.Code != http.StatusForbidden {
			t.Fatalf("province officer created a province officer: %s", res)
		}
		// A commune officer manages nobody: 403, audited.
		if res := commune.Post(t, "/api/v1/users", `{"username":"xa.x","role":"commune_officer","unit":"00004"}`); res.Code != http.StatusForbidden {
			t.Fatalf("commune officer created an account: %s", res)
		}
		h.AssertAudited(t, commune, "access.denied", "POST /api/v1/users")
		if countUsers(t, h) != before {
			t.Fatal("a refused request created an account")
		}

		// Lists are scoped: the province officer sees Hà Nội's accounts only.
		var list struct {
			Data []struct {
				Username, Unit string
				Province       string
			}
			Total int
		}
		hanoi.Get(t, "/api/v1/users").JSON(t, &list)
		for _, u := range list.Data {
			if u.Province != "01" {
				t.Fatalf("province officer of 01 sees %s of province %q", u.Username, u.Province)
			}
		}
		// An account outside the scope answers 404, audited.
		adminID := itoa(admin.UserID)
		if res := hanoi.Get(t, "/api/v1/users/"+adminID); res.Code != http.StatusNotFound {
			t.Fatalf("province officer read a national account: %s", res)
		}
		h.AssertAudited(t, hanoi, "user.read", adminID)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAccountValidationReportsEveryProblem(t *testing.T) {
	h := testenv.New(t)
	admin := h.User(t, auth.Admin, "")
	before := countUsers(t, h)
	res := admin.Post(t, "/api/v1/users", `{"username":"A","role":"chief","unit":"123"}`)
	code, _, fields := res.Error(t)
	if res.Code != http.StatusBadRequest || code != "invalid" {
		t.Fatalf("want 400 invalid, got %s", res)
	}
	for _, f := range []string{"username", "role"} {
		if fields[f] == "" {
			t.Errorf("no problem reported for %s: %v", f, fields)
		}
	}
	res = admin.Post(t, "/api/v1/users", `{"username":"xa.abc","role":"commune_officer","unit":"99999"}`)
	if _, _, fields := res.Error(t); res.Code != http.StatusBadRequest || !strings.Contains(fields["unit"], "99999") {
		t.Fatalf("unknown unit: want 400 naming 99999, got %s", res)
	}
	res = admin.Post(t, "/api/v1/users", `{"username":"xa.abc","role":"commune_officer","unit":"01"}`)
	if _, _, fields := res.Error(t); res.Code != http.StatusBadRequest || fields["unit"] == "" {
		t.Fatalf("commune officer with a province code: %s", res)
	}
	if countUsers(t, h) != before {
		t.Fatal("invalid requests created accounts")
	}
	admin.Post(t, "/api/v1/users", `{"username":"dup.user","role":"analyst"}`)
	res = admin.Post(t, "/api/v1/users", `{"username":"dup.user","role":"analyst"}`)
	if _, _, fields := res.Error(t); res.Code != http.StatusBadRequest || fields["username"] == "" {
		t.Fatalf("duplicate user name: %s", res)
	}
}

func TestBadInputGetsAClearErrorAndChangesNothing(t *testing.T) {
	h := testenv.New(t)
	admin := h.User(t, auth.Admin, "")
	before := countUsers(t, h)
	cases := []struct {
		name        string
		body        string
		contentType string
		status      int
		code        string
		field       string
	}{
		{"malformed JSON", `{"username": "x",`, "application/json", 400, "invalid", ""},
		{"syntax error", `{"username" "x"}`, "application/json", 400, "invalid", ""},
		{"wrong content type", `username=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", ""},
		{"no content type", `{}`, "", 415, "unsupported_media_type", ""},
		{"unknown field", `{"username":"x.y","role":"analyst","is_admin":true}`, "application/json", 400, "invalid", "is_admin"},
		{"wrong type", `{"username":42,"role":"analyst"}`, "application/json", 400, "invalid", "username"},
		{"two objects", `{"username":"a.b","role":"analyst"} {}`, "application/json", 400, "invalid", ""},
		{"empty body", ``, "application/json", 400, "invalid", ""},
		{"body over the limit", `{"username":"` + strings.Repeat("a", 2<<20) + `"}`, "application/json", 413, "too_large", ""},
		{"unknown unit", `{"username":"x.y","role":"commune_officer","unit":"00000"}`, "application/json", 400, "invalid", "unit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := http.Header{}
			if c.contentType != "" {
				hdr.Set("Content-Type", c.contentType)
			}
			for _, lang := range []string{"vi", "en"} {
				hdr.Set("Accept-Language", lang)
				res := admin.Do(t, "POST", "/api/v1/users", strings.NewReader(c.body), hdr)
				code, msg, fields := res.Error(t)
				if res.Code != c.status || code != c.code || msg == "" {
					t.Fatalf("%s: want %d %s with a message, got %s", lang, c.status, c.code, res)
				}
				if c.field != "" && fields[c.field] == "" {
					t.Fatalf("%s: want a problem on %q, got %v", lang, c.field, fields)
				}
				if strings.Contains(msg, "⟦") {
					t.Fatalf("%s: untranslated message %q", lang, msg)
				}
			}
		})
	}
	if countUsers(t, h) != before {
		t.Fatal("bad input created an account")
	}
}

func TestUnknownAPIPathIsJSON404(t *testing.T) {
	h := testenv.New(t)
	res := h.User(t, auth.Admin, "").Get(t, "/api/v1/no-such-thing")
	if code, _, _ := res.Error(t); res.Code != 404 || code != "not_found" {
		t.Fatalf("unknown API path: %s", res)
	}
}

// An API token's account is remembered for a few seconds (a busy client
// costs no query a request), but a change to the account takes effect at
// the next request: moved to another unit, it no longer sees the old
// unit's children; deactivated, its token is refused.
func TestTokenFollowsChangesToItsAccountAtOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		admin := h.User(t, auth.Admin, "")
		officer := h.User(t, auth.CommuneOfficer, "00004")
		id := createChild(t, officer, `{"name":"Lò Thị Mai","dob":"2016","sex":"Nữ","commune":"00004"}`)
		if res := officer.Get(t, "/api/v1/children/"+id); res.Code != http.StatusOK {
			t.Fatalf("own child: %s", res)
		}
		user := strconv.FormatInt(officer.UserID, 10)
		if res := admin.Patch(t, "/api/v1/users/"+user, `{"unit":"00008"}`); res.Code != http.StatusOK {
			t.Fatalf("move the officer: %s", res)
		}
		if res := officer.Get(t, "/api/v1/children/"+id); res.Code != http.StatusNotFound {
			t.Fatalf("an officer moved to 00008 still reads a child of 00004: %s", res)
		}
		if res := admin.Patch(t, "/api/v1/users/"+user, `{"active":false}`); res.Code != http.StatusOK {
			t.Fatalf("deactivate: %s", res)
		}
		if res := officer.Get(t, "/api/v1/me"); res.Code != http.StatusUnauthorized {
			t.Fatalf("a deactivated account's token still works: %s", res)
		}
	})
}

func TestLoginLogoutAndSessionExpiry(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		u := h.User(t, auth.CommuneOfficer, "00004")
		b := h.Browser(t)
		res := b.Login(t, u.Username, testenv.Password)
		if res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Fatalf("login: %s %v", res, res.Header)
		}
		if res := b.Get(t, "/api/v1/me"); res.Code != 200 {
			t.Fatalf("session not working: %s", res)
		}
		h.AssertAudited(t, nil, "auth.login", itoa(u.UserID))

		// Idle sessions end.
		h.Clock.Advance(31 * time.Minute)
		if res := b.Get(t, "/api/v1/me"); res.Code != http.StatusUnauthorized {
			t.Fatalf("session survived 31 idle minutes: %s", res)
		}

		b.Login(t, u.Username, testenv.Password)
		if res := b.PostForm(t, "/logout", nil); res.Code != http.StatusSeeOther {
			t.Fatalf("logout: %s", res)
		}
		if res := b.Get(t, "/api/v1/me"); res.Code != http.StatusUnauthorized {
			t.Fatalf("session survived logout: %s", res)
		}
	})
}

func TestLockOutWithBackOff(t *testing.T) {
	h := testenv.New(t)
	u := h.User(t, auth.CommuneOfficer, "00004")
	b := h.Browser(t)
	for i := 0; i < 5; i++ {
		if res := b.Login(t, u.Username, "wrong password"); res.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, res.Code)
		}
	}
	// Locked now: even the right password is refused, with a message that says so.
	res := b.Login(t, u.Username, testenv.Password)
	if res.Code != http.StatusUnauthorized || !strings.Contains(string(res.Body), "khóa") {
		t.Fatalf("locked account accepted a login: %s", res.Header)
	}
	h.Clock.Advance(61 * time.Second)
	// One more failure after the first lock doubles it to two minutes.
	b.Login(t, u.Username, "wrong again")
	h.Clock.Advance(61 * time.Second)
	if res := b.Login(t, u.Username, testenv.Password); res.Code != http.StatusUnauthorized {
		t.Fatal("second lock should last two minutes")
	}
	h.Clock.Advance(61 * time.Second)
	if res := b.Login(t, u.Username, testenv.Password); res.Code != http.StatusSeeOther {
		t.Fatalf("lock should have ended: %d", res.Code)
	}
	// A success resets the count.
	if res := b.Login(t, u.Username, "wrong"); res.Code != http.StatusUnauthorized {
		t.Fatal("expected a plain failure")
	}
	if res := b.Login(t, u.Username, testenv.Password); res.Code != http.StatusSeeOther {
		t.Fatalf("one failure after a success locked the account: %d", res.Code)
	}
}

func TestUnknownUserAndWrongPasswordLookTheSame(t *testing.T) {
	h := testenv.New(t)
	u := h.User(t, auth.Analyst, "")
	a := h.Browser(t).Login(t, u.Username, "nope nope nope")
	b := h.Browser(t).Login(t, "no.such.user", "nope nope nope")
	if a.Code != b.Code || !strings.Contains(string(a.Body), "Tên đăng nhập hoặc mật khẩu không đúng") ||
		!strings.Contains(string(b.Body), "Tên đăng nhập hoặc mật khẩu không đúng") {
		t.Fatalf("answers differ: %d vs %d", a.Code, b.Code)
	}
}

func TestSecondFactor(t *testing.T) {
	h := testenv.New(t)
	u := h.User(t, auth.ProvinceOfficer, "01")
	secret := auth.NewTOTPSecret()
	if err := h.App.Auth.SetTOTPSecret(context.Background(), u.UserID, secret); err != nil {
		t.Fatal(err)
	}
	b := h.Browser(t)
	res := b.Login(t, u.Username, testenv.Password)
	if !strings.HasPrefix(res.Header.Get("Location"), "/login/totp") {
		t.Fatalf("password alone should not open a session: %v", res.Header)
	}
	if res := b.Get(t, "/api/v1/me"); res.Code != http.StatusUnauthorized {
		t.Fatalf("session usable before the second factor: %s", res)
	}
	if res := b.PostForm(t, "/login/totp", url.Values{"code": {"000000"}}); res.Code != http.StatusBadRequest {
		t.Fatalf("wrong code: %d", res.Code)
	}
	code, _ := auth.TOTPCode(secret, h.Clock.Now())
	if res := b.PostForm(t, "/login/totp", url.Values{"code": {code}}); res.Code != http.StatusSeeOther {
		t.Fatalf("right code: %s", res)
	}
	if res := b.Get(t, "/api/v1/me"); res.Code != 200 {
		t.Fatalf("session after the second factor: %s", res)
	}
	// The same code cannot be used twice.
	b2 := h.Browser(t)
	b2.Login(t, u.Username, testenv.Password)
	if res := b2.PostForm(t, "/login/totp", url.Values{"code": {code}}); res.Code != http.StatusBadRequest {
		t.Fatalf("a code was accepted twice: %d", res.Code)
	}
}

func TestRequiredSecondFactorSendsToEnrolment(t *testing.T) {
	h := testenv.NewWith(t, testenv.Options{Config: func(c *config.Config) { c.RequireTOTP = "province_officer" }})
	u := h.User(t, auth.ProvinceOfficer, "01")
	b := h.Browser(t)
	if res := b.Login(t, u.Username, testenv.Password); res.Header.Get("Location") != "/account/totp" {
		t.Fatalf("login should lead to enrolment: %v", res.Header)
	}
	if res := b.Get(t, "/units"); res.Header.Get("Location") != "/account/totp" {
		t.Fatalf("pages should wait for enrolment: %d %v", res.Code, res.Header)
	}
	page := b.Get(t, "/account/totp")
	if page.Code != 200 || !strings.Contains(string(page.Body), "qr.png") {
		t.Fatalf("enrolment page: %d", page.Code)
	}
	if res := b.Get(t, "/account/totp/qr.png"); res.Code != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR code: %d %v", res.Code, res.Header)
	}
}

func TestGeneratedPasswordMustBeChanged(t *testing.T) {
	h := testenv.New(t)
	admin := h.User(t, auth.Admin, "")
	d := admin.Post(t, "/api/v1/users", `{"username":"moi.vao","role":"analyst"}`).Data(t)
	b := h.Browser(t)
	if res := b.Login(t, "moi.vao", d["password"].(string)); res.Header.Get("Location") != "/account/password" {
		t.Fatalf("first login should ask for a new password: %v", res.Header)
	}
	if res := b.Get(t, "/api/v1/me"); res.Code != http.StatusForbidden {
		t.Fatalf("API before the password change: %s", res)
	}
	res := b.PostForm(t, "/account/password", url.Values{"old_password": {d["password"].(string)}, "new_password": {"short"}})
	if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), "10") {
		t.Fatalf("short password accepted: %d", res.Code)
	}
	res = b.PostForm(t, "/account/password", url.Values{"old_password": {d["password"].(string)}, "new_password": {"một câu dễ nhớ của tôi"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("password change: %s", res)
	}
	if res := b.Get(t, "/api/v1/me"); res.Code != 200 {
		t.Fatalf("after the change: %s", res)
	}
}

func TestCrossSiteFormsAreRefused(t *testing.T) {
	h := testenv.New(t)
	u := h.User(t, auth.Analyst, "")
	b := h.Browser(t)
	b.Login(t, u.Username, testenv.Password)
	res := b.Do(t, "POST", "/logout", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
	if res.Code != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", res.Code)
	}
	if res := b.Get(t, "/api/v1/me"); res.Code != 200 {
		t.Fatal("a cross-site request ended the session")
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := testenv.New(t)
	res := h.Anonymous().Get(t, "/login")
	want := map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	}
	for k, v := range want {
		if !strings.Contains(res.Header.Get(k), v) {
			t.Errorf("%s: %q, want it to contain %q", k, res.Header.Get(k), v)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP allows inline scripts: %s", csp)
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	h := testenv.New(t)
	a := h.Anonymous()
	if res := a.Get(t, "/healthz"); res.Code != 200 {
		t.Fatal(res)
	}
	if res := a.Get(t, "/readyz"); res.Code != 200 {
		t.Fatal(res)
	}
	h.User(t, auth.Analyst, "").Get(t, "/api/v1/units?q=hue")
	m := string(a.Get(t, "/metrics").Body)
	for _, want := range []string{
		`treem_http_requests_total{code="200",method="GET",route="GET /api/v1/units"} 1`,
		`treem_http_request_duration_seconds_bucket{route="GET /api/v1/units"`,
		"go_goroutines", `go_sql_max_open_connections{db_name="treem_read"}`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(m, "hue") {
		t.Error("a query string reached the metrics")
	}
}

func TestPagesRenderInBothLanguages(t *testing.T) {
	h := testenv.New(t)
	admin := h.User(t, auth.Admin, "")
	b := h.Browser(t)
	b.Login(t, admin.Username, testenv.Password)
	for _, lang := range []string{"vi", "en"} {
		b.PostForm(t, "/lang", url.Values{"lang": {lang}, "next": {"/"}})
		for _, p := range []string{"/", "/units?q=hue", "/users", "/users/new", "/users/" + itoa(admin.UserID), "/audit", "/account", "/account/password"} {
			res := b.Get(t, p)
			body := string(res.Body)
			if res.Code != 200 {
				t.Fatalf("%s %s: %d %s", lang, p, res.Code, body)
			}
			if strings.Contains(body, "⟦") {
				i := strings.Index(body, "⟦")
				t.Errorf("%s %s: missing translation near %q", lang, p, body[i:min(len(body), i+60)])
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: page not in %s", lang, p, lang)
			}
		}
	}
}

func TestAuditPageFilters(t *testing.T) {
	h := testenv.New(t)
	admin := h.User(t, auth.Admin, "")
	commune := h.User(t, auth.CommuneOfficer, "00004")
	commune.Post(t, "/api/v1/users", `{}`) // denied, audited
	var out struct {
		Data []struct {
			Actor, Action, Outcome string
		}
		Total int
	}
	admin.Get(t, "/api/v1/audit?outcome=denied").JSON(t, &out)
	if out.Total != 1 || out.Data[0].Actor != commune.Username || out.Data[0].Action != "access.denied" {
		t.Fatalf("denied entries: %+v", out)
	}
	if res := commune.Get(t, "/api/v1/audit"); res.Code != http.StatusForbidden {
		t.Fatalf("commune officer read the audit log: %d", res.Code)
	}
	if res := admin.Get(t, "/api/v1/audit?from=31/02/2026"); res.Code != http.StatusBadRequest {
		t.Fatalf("impossible date accepted: %d", res.Code)
	}
}

func TestHostileBodiesAreRefusedClearly(t *testing.T) {
	h := testenv.New(t)
	admin := h.User(t, auth.Admin, "")
	before := countUsers(t, h)
	cases := []struct {
		name, body string
		status     int
	}{
		{"invalid UTF-8", "{\"username\":\"ab\xff\xfecd\",\"role\":\"analyst\"}", 400},
		{"overlong UTF-8 slash", "{\"username\":\"a\xc0\xafb\",\"role\":\"analyst\"}", 400},
		{"deeply nested", strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100), 400},
		{"nested arrays", strings.Repeat("[", 5000) + strings.Repeat("]", 5000), 400},
	}
	for _, c := range cases {
		res := admin.Post(t, "/api/v1/users", c.body)
		code, msg, _ := res.Error(t)
		if res.Code != c.status || code != "invalid" || msg == "" {
			t.Errorf("%s: want %d invalid with a message, got %s", c.name, c.status, res)
		}
	}
	b := h.Browser(t)
	b.Login(t, admin.Username, testenv.Password)
	res := b.Do(t, "POST", "/users", strings.NewReader("username=x%FFy&role=analyst"), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"}})
	if res.Code != http.StatusBadRequest {
		t.Errorf("form with invalid UTF-8: %d", res.Code)
	}
	res = b.Do(t, "POST", "/users", strings.NewReader("username="+strings.Repeat("a", 2<<20)), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"}})
	if res.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge form: %d", res.Code)
	}
	if countUsers(t, h) != before {
		t.Fatal("a hostile body created an account")
	}
}
