package web_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"treem/internal/auth"
	"treem/internal/testenv"
	"treem/internal/web"
)

// fixtures are records the matrix requests point at: one inside the units
// of the unit-bound test accounts (commune 00004 in province 01) and one
// outside them (commune 25747 in Ho Chi Minh City, province 79).
type fixtures struct {
	h       *testenv.Env
	in, out map[string]map[string]string // kind of record → path parameter → id
}

// routeCase says how to call one route for the matrix.
type routeCase struct {
	params []string // path parameters filled from the fixtures
	body   string   // JSON or form body for unsafe methods ("" for none)
	form   bool     // the body is a form (a page), not JSON
	kind   string   // the kind of record the parameters name ("user" when empty)
	scoped bool     // the record has a unit: outside it, unit-bound roles get 404
	anon   int      // a public route's own answer to the anonymous call, when it is 401 or 403
}

// matrix declares every route. A route missing here fails the test, so a
// new route cannot arrive without a rule.
var matrix = map[string]routeCase{
	"GET /healthz":                                       {},
	"GET /readyz":                                        {},
	"GET /metrics":                                       {},
	"GET /static/":                                       {},
	"GET /api/v1/openapi.json":                           {},
	"GET /login":                                         {},
	"POST /login":                                        {body: "username=nobody&password=x", form: true, anon: http.StatusUnauthorized},
	"GET /login/totp":                                    {},
	"POST /login/totp":                                   {body: "code=000000", form: true},
	"POST /logout":                                       {form: true},
	"POST /lang":                                         {body: "lang=vi&next=/", form: true},
	"GET /{$}":                                           {},
	"GET /account":                                       {},
	"GET /account/password":                              {},
	"POST /account/password":                             {body: "old_password=x&new_password=y", form: true},
	"GET /account/totp":                                  {},
	"GET /account/totp/qr.png":                           {},
	"POST /account/totp":                                 {body: "code=000000", form: true},
	"GET /api/v1/me":                                     {},
	"GET /units":                                         {},
	"GET /api/v1/units":                                  {},
	"GET /api/v1/units/{code}":                           {params: []string{"code"}},
	"GET /api/v1/units/resolve-old/{oldCode}":            {params: []string{"oldCode"}},
	"GET /users":                                         {},
	"GET /users/new":                                     {},
	"POST /users":                                        {body: "username=&role=", form: true},
	"GET /users/{id}":                                    {params: []string{"id"}, scoped: true},
	"POST /users/{id}":                                   {params: []string{"id"}, body: "name=Matrix&role=commune_officer&unit=", form: true, scoped: true},
	"POST /users/{id}/reset-password":                    {params: []string{"id"}, form: true, scoped: true},
	"POST /users/{id}/unlock":                            {params: []string{"id"}, form: true, scoped: true},
	"POST /users/{id}/totp-reset":                        {params: []string{"id"}, form: true, scoped: true},
	"GET /api/v1/users":                                  {},
	"POST /api/v1/users":                                 {body: `{}`},
	"GET /api/v1/users/{id}":                             {params: []string{"id"}, scoped: true},
	"PATCH /api/v1/users/{id}":                           {params: []string{"id"}, body: `{}`, scoped: true},
	"GET /children":                                      {},
	"GET /children/new":                                  {},
	"POST /children":                                     {body: "name=", form: true},
	"POST /children/match":                               {body: "name=L%C3%B2+Th%E1%BB%8B", form: true},
	"GET /children/import":                               {},
	"POST /children/import":                              {form: true},
	"GET /children/import/rejects.csv":                   {},
	"GET /children/{id}":                                 {params: []string{"id"}, kind: "child", scoped: true},
	"GET /children/{id}/edit":                            {params: []string{"id"}, kind: "child", scoped: true},
	"POST /children/{id}":                                {params: []string{"id"}, kind: "child", body: "version=0", form: true, scoped: true},
	"POST /children/{id}/supports":                       {params: []string{"id"}, kind: "child", body: "kind=", form: true, scoped: true},
	"POST /children/{id}/merge":                          {params: []string{"id"}, kind: "child", body: "duplicate=0", form: true, scoped: true},
	"POST /children/{id}/unmerge":                        {params: []string{"id"}, kind: "child", form: true, scoped: true},
	"GET /api/v1/children":                               {},
	"POST /api/v1/children":                              {body: `{}`},
	"GET /api/v1/children/options":                       {},
	"GET /api/v1/children/export":                        {},
	"POST /api/v1/children/imports":                      {},
	"GET /api/v1/children/imports/{id}":                  {params: []string{"id"}, kind: "import"},
	"POST /api/v1/children/match":                        {body: `{"name":"Lò Thị"}`},
	"GET /api/v1/children/{id}":                          {params: []string{"id"}, kind: "child", scoped: true},
	"PATCH /api/v1/children/{id}":                        {params: []string{"id"}, kind: "child", body: `{}`, scoped: true},
	"POST /api/v1/children/{id}/supports":                {params: []string{"id"}, kind: "child", body: `{}`, scoped: true},
	"POST /api/v1/children/{id}/merge":                   {params: []string{"id"}, kind: "child", body: `{}`, scoped: true},
	"POST /api/v1/children/{id}/unmerge":                 {params: []string{"id"}, kind: "child", body: `{}`, scoped: true},
	"GET /children/{id}/privacy":                         {params: []string{"id"}, kind: "child", scoped: true},
	"POST /children/{id}/consents":                       {params: []string{"id"}, kind: "child", body: "basis=", form: true, scoped: true},
	"POST /children/{id}/anonymise":                      {params: []string{"id"}, kind: "child", body: "reason=", form: true, scoped: true},
	"GET /children/{id}/personal-data":                   {params: []string{"id"}, kind: "child", scoped: true},
	"GET /api/v1/personal-data/children/{id}/consents":   {params: []string{"id"}, kind: "child", scoped: true},
	"POST /api/v1/personal-data/children/{id}/consents":  {params: []string{"id"}, kind: "child", body: `{}`, scoped: true},
	"GET /api/v1/personal-data/children/{id}":            {params: []string{"id"}, kind: "child", scoped: true},
	"POST /api/v1/personal-data/children/{id}/anonymise": {params: []string{"id"}, kind: "child", body: `{}`, scoped: true},
	"GET /audit":                                         {},
	"GET /api/v1/audit":                                  {},
	// Indicators and returns (issue 6). Return ids share {id} with
	// accounts here, so the returns' scope is tested in indicators_test.go.
	"GET /indicators":                         {},
	"GET /indicators/catalogue":               {},
	"GET /api/v1/indicators":                  {},
	"GET /api/v1/indicators/export":           {},
	"GET /api/v1/indicators/report":           {},
	"GET /api/v1/indicators/catalogue":        {},
	"GET /api/v1/indicators/catalogue/{code}": {params: []string{"code"}},
	"PUT /api/v1/indicators/catalogue/{code}": {params: []string{"code"}, body: `{}`},
	"GET /returns":                            {},
	"GET /returns/new":                        {},
	"POST /returns":                           {body: "form=", form: true},
	"GET /returns/{id}":                       {params: []string{"id"}},
	"POST /returns/{id}/approve":              {params: []string{"id"}, form: true},
	"POST /returns/{id}/reopen":               {params: []string{"id"}, body: "note=x", form: true},
	"GET /api/v1/returns":                     {},
	"POST /api/v1/returns":                    {body: `{}`},
	"GET /api/v1/returns/completeness":        {},
	"GET /api/v1/returns/{id}":                {params: []string{"id"}},
	"POST /api/v1/returns/{id}/approve":       {params: []string{"id"}, body: `{}`},
	"POST /api/v1/returns/{id}/reopen":        {params: []string{"id"}, body: `{}`},
	"/api/":                                   {},

	// Hotline 111.
	"POST /api/v1/telephony/events":               {body: `{}`, anon: http.StatusUnauthorized}, // signed by the switch
	"POST /webhooks/zalo":                         {body: `{}`, anon: http.StatusUnauthorized}, // signed by Zalo
	"POST /api/v1/public/reports":                 {body: `{}`},
	"GET /api/v1/public/reports/{code}":           {params: []string{"code"}, kind: "ref"},
	"GET /report":                                 {},
	"POST /report":                                {body: "description=", form: true},
	"GET /report/status":                          {},
	"GET /api/v1/contacts":                        {},
	"POST /api/v1/contacts":                       {body: `{}`},
	"GET /api/v1/contacts/{id}":                   {params: []string{"id"}, kind: "contact", scoped: true},
	"PATCH /api/v1/contacts/{id}":                 {params: []string{"id"}, kind: "contact", body: `{}`, scoped: true},
	"POST /api/v1/contacts/{id}/claim":            {params: []string{"id"}, kind: "contact", body: `{}`, scoped: true},
	"POST /api/v1/contacts/{id}/messages":         {params: []string{"id"}, kind: "contact", body: `{}`, scoped: true},
	"POST /api/v1/contacts/{id}/block":            {params: []string{"id"}, kind: "contact", body: `{}`, scoped: true},
	"POST /api/v1/contacts/{id}/referrals":        {params: []string{"id"}, kind: "contact", body: `{}`, scoped: true},
	"GET /api/v1/contacts/{id}/recording":         {params: []string{"id"}, kind: "contact"},
	"GET /api/v1/contacts/{id}/attachments/{aid}": {params: []string{"id", "aid"}, kind: "contact"},
	"GET /api/v1/hotline/queue":                   {},
	"GET /api/v1/hotline/stats":                   {},
	"GET /api/v1/hotline/reference":               {},
	"PUT /api/v1/hotline/reference/{kind}/{code}": {params: []string{"kind", "code"}, kind: "ref", body: `{}`},
	"PUT /api/v1/hotline/extension":               {body: `{}`},
	"PUT /api/v1/hotline/zalo/token":              {body: `{}`},
	"GET /hotline":                                {},
	"GET /hotline/queue":                          {},
	"POST /hotline/extension":                     {body: "extension=", form: true},
	"GET /hotline/contacts":                       {},
	"POST /hotline/contacts":                      {body: "channel=", form: true},
	"GET /hotline/contacts/{id}":                  {params: []string{"id"}, kind: "contact", scoped: true},
	"POST /hotline/contacts/{id}":                 {params: []string{"id"}, kind: "contact", body: "summary=x", form: true, scoped: true},
	"POST /hotline/contacts/{id}/claim":           {params: []string{"id"}, kind: "contact", form: true, scoped: true},
	"POST /hotline/contacts/{id}/reply":           {params: []string{"id"}, kind: "contact", body: "text=", form: true, scoped: true},
	"POST /hotline/contacts/{id}/block":           {params: []string{"id"}, kind: "contact", body: "hours=0", form: true, scoped: true},
	"POST /hotline/contacts/{id}/refer":           {params: []string{"id"}, kind: "contact", body: "commune=", form: true, scoped: true},
	"GET /hotline/supervisor":                     {},
	"GET /hotline/wallboard":                      {},
	"GET /hotline/wallboard/panel":                {},

	// Notifications: a user id is nobody's notification id here, so the
	// allowed roles get 404; notify_test.go proves one sees only one's own.
	"GET /notifications":                   {},
	"POST /notifications/read-all":         {form: true},
	"POST /notifications/{id}/read":        {params: []string{"id"}, form: true},
	"GET /api/v1/notifications":            {},
	"POST /api/v1/notifications/{id}/read": {params: []string{"id"}, body: `{}`},

	// Case management (issue 5).
	"GET /cases":                                   {},
	"GET /cases/new":                               {},
	"POST /cases":                                  {body: "commune=", form: true},
	"GET /cases/access-log":                        {},
	"GET /cases/{id}":                              {params: []string{"id"}, kind: "case", scoped: true},
	"POST /cases/{id}/transitions":                 {params: []string{"id"}, kind: "case", body: "to=", form: true, scoped: true},
	"POST /cases/{id}/assign":                      {params: []string{"id"}, kind: "case", body: "assigned_to=x", form: true, scoped: true},
	"POST /cases/{id}/notes":                       {params: []string{"id"}, kind: "case", body: "text=", form: true, scoped: true},
	"POST /cases/{id}/assessments":                 {params: []string{"id"}, kind: "case", body: "kind=", form: true, scoped: true},
	"POST /cases/{id}/emergency-measures":          {params: []string{"id"}, kind: "case", body: "measure=", form: true, scoped: true},
	"POST /cases/{id}/plans":                       {params: []string{"id"}, kind: "case", body: "goals=", form: true, scoped: true},
	"POST /cases/{id}/reviews":                     {params: []string{"id"}, kind: "case", body: "outcome=", form: true, scoped: true},
	"POST /cases/{id}/perpetrator":                 {params: []string{"id"}, kind: "case", body: "p_name=", form: true, scoped: true},
	"POST /cases/{id}/access":                      {params: []string{"id"}, kind: "case", body: "reason=", form: true, scoped: true},
	"GET /holidays":                                {},
	"POST /holidays":                               {body: "day=", form: true},
	"POST /holidays/{day}/delete":                  {params: []string{"day"}, kind: "holiday", form: true},
	"GET /api/v1/cases":                            {},
	"POST /api/v1/cases":                           {body: `{}`},
	"GET /api/v1/cases/access-log":                 {},
	"GET /api/v1/cases/{id}":                       {params: []string{"id"}, kind: "case", scoped: true},
	"PATCH /api/v1/cases/{id}":                     {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"GET /api/v1/cases/{id}/timeline":              {params: []string{"id"}, kind: "case", scoped: true},
	"POST /api/v1/cases/{id}/transitions":          {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/assessments":          {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/emergency-measures":   {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/plans":                {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/plans/{pid}/approval": {params: []string{"id", "pid"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/reviews":              {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/reports":              {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/incidents":            {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/children":             {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/notes":                {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"PUT /api/v1/cases/{id}/perpetrator":           {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"POST /api/v1/cases/{id}/access":               {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"GET /api/v1/holidays":                         {},
	"PUT /api/v1/holidays/{day}":                   {params: []string{"day"}, kind: "holiday", body: `{}`},
	"DELETE /api/v1/holidays/{day}":                {params: []string{"day"}, kind: "holiday"},

	// Service providers (issue 5, part 4): the directory is a province's.
	"GET /providers":                    {},
	"GET /providers/new":                {},
	"POST /providers":                   {body: "name=", form: true},
	"GET /providers/{id}":               {params: []string{"id"}, kind: "provider", scoped: true},
	"POST /providers/{id}":              {params: []string{"id"}, kind: "provider", body: "name=&version=0", form: true, scoped: true},
	"POST /providers/{id}/users":        {params: []string{"id"}, kind: "provider", body: "username=", form: true, scoped: true},
	"GET /api/v1/providers":             {},
	"POST /api/v1/providers":            {body: `{}`},
	"GET /api/v1/providers/{id}":        {params: []string{"id"}, kind: "provider", scoped: true},
	"PATCH /api/v1/providers/{id}":      {params: []string{"id"}, kind: "provider", body: `{}`, scoped: true},
	"POST /api/v1/providers/{id}/users": {params: []string{"id"}, kind: "provider", body: `{}`, scoped: true},
	// Referrals and documents of a case: a provider's staff reach a
	// referral only when it was made to their provider (the matrix's
	// provider account is linked to none: 404), never the case.
	"GET /api/v1/cases/{id}/referrals":             {params: []string{"id"}, kind: "case", scoped: true},
	"POST /api/v1/cases/{id}/referrals":            {params: []string{"id"}, kind: "case", body: `{}`, scoped: true},
	"GET /api/v1/referrals":                        {},
	"GET /api/v1/referrals/{id}":                   {params: []string{"id"}, kind: "referral", scoped: true},
	"POST /api/v1/referrals/{id}/transitions":      {params: []string{"id"}, kind: "referral", body: `{"to":"nowhere"}`, scoped: true},
	"GET /referrals":                               {},
	"GET /referrals/{id}":                          {params: []string{"id"}, kind: "referral", scoped: true},
	"POST /referrals/{id}":                         {params: []string{"id"}, kind: "referral", body: "to=nowhere", form: true, scoped: true},
	"GET /api/v1/cases/{id}/attachments":           {params: []string{"id"}, kind: "case", scoped: true},
	"POST /api/v1/cases/{id}/attachments":          {params: []string{"id"}, kind: "case", body: "not an image", scoped: true},
	"GET /api/v1/attachments/{id}":                 {params: []string{"id"}, kind: "attachment", scoped: true},
	"GET /cases/{id}/forms/{n}":                    {params: []string{"id", "n"}, kind: "case", scoped: true},
	"GET /cases/{id}/services":                     {params: []string{"id"}, kind: "case", scoped: true},
	"POST /cases/{id}/referrals":                   {params: []string{"id"}, kind: "case", body: "provider_id=", form: true, scoped: true},
	"POST /cases/{id}/attachments":                 {params: []string{"id"}, kind: "case", body: "file=", form: true, scoped: true},
	"DELETE /api/v1/providers/{id}/users/{userID}": {params: []string{"id", "userID"}, kind: "provider"}, // nobody is linked: 404 for every role
}

func newFixtures(t *testing.T, h *testenv.Env) *fixtures {
	inside := h.User(t, auth.CommuneOfficer, "00004")
	outside := h.User(t, auth.CommuneOfficer, "25747")
	admin := h.User(t, auth.Admin, "")
	newChild := func(c *testenv.Client, commune string) string {
		res := c.Post(t, "/api/v1/children", `{"name":"Lò Thị Ma Trận","dob":"2016","sex":"Nữ","commune":"`+commune+`"}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("fixture child: %s", res)
		}
		return fmt.Sprint(res.Data(t)["id"])
	}
	res := admin.Do(t, http.MethodPost, "/api/v1/children/imports?name=x.csv", strings.NewReader("a,b\n"), nil)
	if res.Code != http.StatusAccepted {
		t.Fatalf("fixture import: %s", res)
	}
	imp := fmt.Sprint(res.Data(t)["id"])
	fx := &fixtures{h: h,
		in: map[string]map[string]string{
			"user":   {"id": itoa(inside.UserID), "code": "00004", "oldCode": "00007"},
			"child":  {"id": newChild(inside, "00004")},
			"import": {"id": imp},
		},
		out: map[string]map[string]string{
			"user":   {"id": itoa(outside.UserID), "code": "25747", "oldCode": "25747"},
			"child":  {"id": newChild(outside, "25747")},
			"import": {"id": imp},
		},
	}
	// Contacts: one referred to a commune inside province 01, one outside.
	counsellor := h.User(t, auth.Counsellor, "")
	contact := func(commune string) string {
		res := counsellor.Post(t, "/api/v1/contacts", `{"channel":"walk_in","summary":"matrix fixture"}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("fixture contact: %s", res)
		}
		id := fmt.Sprint(res.Data(t)["id"])
		if res := counsellor.Post(t, "/api/v1/contacts/"+id+"/referrals", `{"commune":"`+commune+`"}`); res.Code != http.StatusCreated {
			t.Fatalf("fixture referral: %s", res)
		}
		return id
	}
	fx.in["contact"] = map[string]string{"id": contact("00004"), "aid": "1"}
	fx.out["contact"] = map[string]string{"id": contact("25747"), "aid": "1"}
	// Cases: one in commune 00004, one in 25747.
	newCase := func(c *testenv.Client, commune string) string {
		res := c.Post(t, "/api/v1/cases", `{"commune":"`+commune+`","children":[{"name":"Lò Thị Ma Trận","dob":"2016","sex":"Nữ"}],
			"source":"commune","summary":"matrix fixture","abuse_forms":["bo_mat"],"risk":"low"}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("fixture case: %s", res)
		}
		return fmt.Sprint(res.Data(t)["id"])
	}
	fx.in["case"] = map[string]string{"id": newCase(inside, "00004"), "pid": "1"}
	fx.out["case"] = map[string]string{"id": newCase(outside, "25747"), "pid": "1"}
	fx.in["holiday"] = map[string]string{"day": "2031-13-40"}
	fx.out["holiday"] = fx.in["holiday"]
	provider := func(unit string) string {
		res := admin.Post(t, "/api/v1/providers", `{"name":"Cơ sở Ma Trận","kind":"health","unit":"`+unit+`"}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("fixture provider: %s", res)
		}
		return fmt.Sprint(res.Data(t)["id"])
	}
	fx.in["provider"] = map[string]string{"id": provider("01"), "userID": itoa(inside.UserID)}
	fx.out["provider"] = map[string]string{"id": provider("79"), "userID": itoa(outside.UserID)}
	// Each case referred to a provider of its province, with an attachment.
	for _, side := range []struct {
		officer  *testenv.Client
		ids      map[string]map[string]string
		provider string
	}{{inside, fx.in, fx.in["provider"]["id"]}, {outside, fx.out, fx.out["provider"]["id"]}} {
		cid := side.ids["case"]["id"]
		side.ids["case"]["n"] = "04"
		res := side.officer.Post(t, "/api/v1/cases/"+cid+"/referrals", `{"provider_id":`+side.provider+`}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("fixture referral: %s", res)
		}
		side.ids["referral"] = map[string]string{"id": idOf(t, res)}
		res = side.officer.Do(t, http.MethodPost, "/api/v1/cases/"+cid+"/attachments?name=x.pdf", strings.NewReader("%PDF-1.4\n"), nil)
		if res.Code != http.StatusCreated {
			t.Fatalf("fixture attachment: %s", res)
		}
		side.ids["attachment"] = map[string]string{"id": idOf(t, res)}
	}
	fx.in["ref"] = map[string]string{"kind": "reason", "code": "no-such-code"}
	fx.out["ref"] = fx.in["ref"]
	return fx
}

func (fx *fixtures) ids(kind string, inside bool) map[string]string {
	if kind == "" {
		kind = "user"
	}
	if inside {
		return fx.in[kind]
	}
	return fx.out[kind]
}

var paramRE = regexp.MustCompile(`\{([a-zA-Z]+)\}`)

func fill(pattern string, ids map[string]string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	if strings.HasSuffix(p, "/") && p != "/" && !strings.HasPrefix(pattern, "/api/") {
		p += "app.css" // GET /static/: a file
	}
	if pattern == "/api/" {
		return "/api/v1/no-such-route"
	}
	return paramRE.ReplaceAllStringFunc(p, func(m string) string { return ids[m[1:len(m)-1]] })
}

// roleUnits are the units the matrix's accounts work in.
var roleUnits = map[auth.Role]string{
	auth.ProvinceOfficer: "01",
	auth.CommuneOfficer:  "00004",
	auth.Provider:        "00004",
}

// verdict is what one role got on one route.
type verdict string

const (
	vPublic  verdict = "public"
	vAllowed verdict = "✓"
	vUnit    verdict = "own unit"
	vDenied  verdict = "—"
)

func TestPermissionMatrix(t *testing.T) {
	h := testenv.New(t)
	fx := newFixtures(t, h)
	routes := h.App.Web.Routes()
	clients := map[auth.Role]*testenv.Client{}
	for _, r := range auth.Roles {
		clients[r] = h.User(t, r, roleUnits[r])
	}
	table := map[string]map[auth.Role]verdict{}
	for _, rt := range routes {
		c, ok := matrix[rt.Pattern]
		if !ok {
			t.Errorf("route %q has no case in the permission matrix (internal/web/matrix_test.go): declare how to call it", rt.Pattern)
			continue
		}
		method, _, _ := strings.Cut(rt.Pattern, " ")
		if !strings.Contains(rt.Pattern, " ") {
			method = "GET"
		}
		row := map[auth.Role]verdict{}
		table[rt.Pattern] = row
		call := func(cl *testenv.Client, ids map[string]string) *testenv.Response {
			path := fill(strings.TrimPrefix(rt.Pattern, method+" "), ids)
			hdr := http.Header{"Sec-Fetch-Site": {"same-origin"}}
			if c.form {
				hdr.Set("Content-Type", "application/x-www-form-urlencoded")
			} else if c.body != "" {
				hdr.Set("Content-Type", "application/json")
			}
			return cl.Do(t, method, path, strings.NewReader(c.body), hdr)
		}
		// Anonymous.
		res := call(h.Browser(t), fx.ids(c.kind, true)) // no account, redirects not followed
		if res.Code >= 500 {
			t.Errorf("%s anonymous: %d", rt.Pattern, res.Code)
		}
		if rt.Rule.Public {
			for _, r := range auth.Roles {
				row[r] = vPublic
			}
			if (res.Code == http.StatusUnauthorized || res.Code == http.StatusForbidden) && res.Code != c.anon {
				t.Errorf("%s is public but refused an anonymous caller: %d", rt.Pattern, res.Code)
			}
			continue
		}
		if res.Code != http.StatusUnauthorized && !(res.Code == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login")) {
			t.Errorf("%s let an anonymous caller through: %d", rt.Pattern, res.Code)
		}
		for _, role := range auth.Roles {
			cl := clients[role]
			want := rt.Rule.Allows(&auth.Principal{Role: role})
			res := call(cl, fx.ids(c.kind, true))
			switch {
			case res.Code >= 500:
				t.Errorf("%s as %s: %d %s", rt.Pattern, role, res.Code, res.Body)
			case !want && res.Code != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403 (the role lacks %s)", rt.Pattern, role, res.Code, rt.Rule.Perm)
			case want && (res.Code == http.StatusForbidden || res.Code == http.StatusUnauthorized):
				t.Errorf("%s as %s: %d, want it allowed", rt.Pattern, role, res.Code)
			}
			if !want {
				row[role] = vDenied
				continue
			}
			row[role] = vAllowed
			if !c.scoped {
				continue
			}
			out := call(cl, fx.ids(c.kind, false))
			unitBound := roleUnits[role] != ""
			switch {
			case out.Code >= 500:
				t.Errorf("%s as %s outside its unit: %d", rt.Pattern, role, out.Code)
			case unitBound && out.Code != http.StatusNotFound:
				t.Errorf("%s as %s of %s reached a record outside its unit: %d, want 404", rt.Pattern, role, roleUnits[role], out.Code)
			case !unitBound && out.Code == http.StatusNotFound:
				t.Errorf("%s as national %s: 404 on a record it should see", rt.Pattern, role)
			}
			if unitBound {
				row[role] = vUnit
			}
		}
	}
	publishMatrix(t, routes, table)
}

// publishMatrix writes the matrix into docs/security.md between its
// markers when TREEM_UPDATE_DOCS=1, and otherwise checks that the
// published one is current.
func publishMatrix(t *testing.T, routes []web.Route, table map[string]map[auth.Role]verdict) {
	var sb strings.Builder
	sb.WriteString("| route | rule |")
	for _, r := range auth.Roles {
		sb.WriteString(" " + string(r) + " |")
	}
	sb.WriteString("\n| --- | --- |" + strings.Repeat(" --- |", len(auth.Roles)) + "\n")
	patterns := make([]string, 0, len(table))
	rules := map[string]web.Rule{}
	for _, r := range routes {
		if _, ok := table[r.Pattern]; ok {
			patterns = append(patterns, r.Pattern)
			rules[r.Pattern] = r.Rule
		}
	}
	sort.SliceStable(patterns, func(i, j int) bool { return pathOf(patterns[i]) < pathOf(patterns[j]) })
	for _, p := range patterns {
		rule := "signed in"
		switch r := rules[p]; {
		case r.Public:
			rule = "public"
		case r.Perm != "":
			rule = "`" + string(r.Perm) + "`"
		case len(r.Any) > 0:
			var ps []string
			for _, p := range r.Any {
				ps = append(ps, "`"+string(p)+"`")
			}
			rule = strings.Join(ps, " or ")
		}
		fmt.Fprintf(&sb, "| `%s` | %s |", strings.ReplaceAll(p, "|", "\\|"), rule)
		for _, r := range auth.Roles {
			sb.WriteString(" " + string(table[p][r]) + " |")
		}
		sb.WriteString("\n")
	}
	path := filepath.Join("..", "..", "docs", "security.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- matrix:start -->\n", "<!-- matrix:end -->"
	doc := string(raw)
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("docs/security.md lacks the %q and %q markers", start, end)
	}
	current := doc[i+len(start) : j]
	if current == sb.String() {
		return
	}
	if os.Getenv("TREEM_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(doc[:i+len(start)]+sb.String()+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the permission matrix in docs/security.md is out of date: run TREEM_UPDATE_DOCS=1 go test ./internal/web -run PermissionMatrix")
}

func pathOf(pattern string) string {
	_, p, ok := strings.Cut(pattern, " ")
	if !ok {
		return pattern
	}
	return p + " " + pattern
}
