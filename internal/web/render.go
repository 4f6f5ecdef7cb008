package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"treem/internal/auth"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/i18n"
)

//go:embed templates static
var assets embed.FS

// templates holds one parsed template set per page: the layout, the
// partials and the page's own file.
type templates struct {
	base   *template.Template // the layout and partials, for page fragments
	pages  map[string]*template.Template
	hashes map[string]string // static file → content hash, for cache busting
}

func loadTemplates(b *i18n.Bundle) (*templates, error) {
	t := &templates{pages: map[string]*template.Template{}, hashes: map[string]string{}}
	err := fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		t.hashes[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:4])
		return nil
	})
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"asset": func(name string) string {
			return "/static/" + name + "?v=" + t.hashes[name]
		},
		"dict":     dict,
		"date":     i18n.Date,
		"datetime": i18n.DateTime,
		"num":      func(n any) string { return i18n.Number(toInt64(n)) },
		"vnd":      func(n any) string { return i18n.VND(toInt64(n)) },
		"pct":      func(f float64) string { return i18n.Decimal(f, 1) + "%" },
		"join":     strings.Join,
		"add":      func(a, b int) int { return a + b },
		"has":      func(p *auth.Principal, perm string) bool { return p.Can(auth.Perm(perm)) },
		"upper":    strings.ToUpper,
		"isZero":   func(t time.Time) bool { return t.IsZero() },
		"query":    queryWith,
		// day writes a (possibly partial) date as dd/mm/yyyy, mm/yyyy or
		// yyyy; templates say "about" for an estimate themselves.
		"day":   func(d dates.Date) string { d.Estimated = false; return d.String() },
		"deref": func(b *bool) bool { return b != nil && *b },
	}
	base := template.New("layout").Funcs(funcs)
	if _, err := base.ParseFS(assets, "templates/layout.html", "templates/partials/*.html"); err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	t.base = base
	pages, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		tp, err := template.Must(base.Clone()).ParseFS(assets, p)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		t.pages[name] = tp
	}
	return t, nil
}

func toInt64(n any) int64 {
	switch x := n.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}

// dict builds a map from name, value pairs, to pass several values to a
// partial template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict needs pairs, got %d values", len(kv))
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// view is what every page template receives.
type view struct {
	L      *i18n.Localizer
	User   *auth.Principal
	Nav    []navItem
	Path   string
	Query  map[string]string
	Title  string // i18n key, or text when TitleText is set
	Data   any
	Form   *form
	Flash  string // i18n key of a one-time message
	Demo   bool
	Unread int // the account's unread notifications, for the header
}

// render writes a page. Rendering goes to a buffer first, so that a
// template error becomes a clean error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any, f *form) {
	tp, ok := s.tmpl.pages[page]
	if !ok {
		s.fail(w, r, errs.Internal(fmt.Errorf("no page template %q", page)))
		return
	}
	p := auth.From(r.Context())
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			q[k] = v[0]
		}
	}
	v := view{L: s.localizer(r), User: p, Nav: s.nav(p, r.URL.Path), Path: r.URL.Path, Query: q, Title: title,
		Data: data, Form: f, Demo: s.Demo, Unread: s.unread(r, p)}
	if c, err := r.Cookie("flash"); err == nil {
		v.Flash = c.Value
		http.SetCookie(w, &http.Cookie{Name: "flash", Path: "/", MaxAge: -1})
	}
	var buf bytes.Buffer
	if err := tp.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.fail(w, r, errs.Internal(fmt.Errorf("render %s: %w", page, err)))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderPartial writes one partial template alone: a part of a page that
// a script fetches to update it (X-Partial).
func (s *Server) renderPartial(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl.base.ExecuteTemplate(&buf, name, data); err != nil {
		s.fail(w, r, errs.Internal(fmt.Errorf("render %s: %w", name, err)))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// errorPage shows an error as a page in the user's language.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, e *errs.Error) {
	if e.Status == http.StatusUnauthorized && r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+safeNext(r.URL.Path), http.StatusSeeOther)
		return
	}
	l := s.localizer(r)
	data := map[string]any{"Status": e.Status, "Message": l.T(e.Key, e.Args), "Fields": localize(e, l)["fields"]}
	tp, ok := s.tmpl.pages["error"]
	if !ok {
		http.Error(w, l.T(e.Key, e.Args), e.Status)
		return
	}
	p := auth.From(r.Context())
	v := view{L: l, User: p, Nav: s.nav(p, r.URL.Path), Path: r.URL.Path, Title: "error.title", Data: data, Demo: s.Demo,
		Unread: s.unread(r, p)}
	var buf bytes.Buffer
	if err := tp.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.Log.Error("render error page", "err", err)
		http.Error(w, l.T(e.Key, e.Args), e.Status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(e.Status)
	w.Write(buf.Bytes())
}

// unread counts p's unread notifications for the header (0 when it
// cannot: the page still renders).
func (s *Server) unread(r *http.Request, p *auth.Principal) int {
	if p == nil || s.Notify == nil {
		return 0
	}
	n, err := s.Notify.Unread(r.Context(), p.UserID)
	if err != nil {
		s.Log.WarnContext(r.Context(), "count unread notifications", "err", err.Error())
	}
	return n
}

// flash sets a one-time message (an i18n key) shown on the next page.
func flash(w http.ResponseWriter, key string) {
	http.SetCookie(w, &http.Cookie{Name: "flash", Value: key, Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// navItem is an entry of the main navigation.
type navItem struct {
	Href   string
	Key    string
	Perm   auth.Perm   // "" for every signed-in account
	Any    []auth.Perm // or any one of these
	Active bool
}

// navigation lists the top-level pages in order; each shows only to the
// roles that may use it. Areas add their entries here.
var navigation = []navItem{
	{Href: "/", Key: "nav.home"},
	{Href: "/children", Key: "nav.children", Perm: auth.PermChildRead},
	{Href: "/cases", Key: "nav.cases", Perm: auth.PermCaseRead},
	{Href: "/indicators", Key: "nav.indicators", Perm: auth.PermIndicators},
	{Href: "/returns", Key: "nav.returns", Any: []auth.Perm{auth.PermReturnsEnter, auth.PermReturnsAppr}},
	{Href: "/providers", Key: "nav.providers", Any: []auth.Perm{auth.PermProviders, auth.PermCaseWrite}},
	{Href: "/referrals", Key: "nav.referrals", Perm: auth.PermReferralWork},
	{Href: "/units", Key: "nav.units"},
	{Href: "/hotline", Key: "nav.hotline", Perm: auth.PermContactRead},
	{Href: "/hotline/wallboard", Key: "nav.wallboard", Perm: auth.PermHotlineSuper},
	{Href: "/users", Key: "nav.users", Perm: auth.PermUsersManage},
	{Href: "/audit", Key: "nav.audit", Perm: auth.PermAuditRead},
}

func (s *Server) nav(p *auth.Principal, current string) []navItem {
	if p == nil {
		return nil
	}
	var out []navItem
	for _, n := range navigation {
		if !(Rule{Perm: n.Perm, Any: n.Any}).Allows(p) {
			continue
		}
		n.Active = n.Href == current || (n.Href != "/" && strings.HasPrefix(current, n.Href+"/") && !hasLongerNav(current, n.Href))
		out = append(out, n)
	}
	return out
}

// hasLongerNav reports whether another entry matches current more closely
// (the wallboard under the hotline).
func hasLongerNav(current, href string) bool {
	for _, n := range navigation {
		if len(n.Href) > len(href) && (n.Href == current || strings.HasPrefix(current, n.Href+"/")) {
			return true
		}
	}
	return false
}

// NavHrefs lists the top-level pages a role sees (for the browser test).
func NavHrefs(role auth.Role) []string {
	p := &auth.Principal{Role: role}
	var out []string
	for _, n := range navigation {
		if (Rule{Perm: n.Perm, Any: n.Any}).Allows(p) {
			out = append(out, n.Href)
		}
	}
	return append(out, "/account")
}

// form carries a submitted form back to its page with its problems.
type form struct {
	Values map[string]string
	Errors map[string]string // field → translated message
	Order  []string          // fields with errors, in the page's order
	Error  string            // a message about the whole form
}

// newForm reads the submitted values of the named fields.
func newForm(r *http.Request, fields ...string) *form {
	f := &form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, name := range fields {
		f.Values[name] = strings.TrimSpace(r.PostFormValue(name))
	}
	return f
}

// fail records err on the form: field problems next to their fields, the
// rest at the top. order lists the form's fields as they appear.
func (f *form) fail(l *i18n.Localizer, err error, order ...string) {
	e := errs.As(err)
	if len(e.Fields) == 0 {
		f.Error = l.T(e.Key, e.Args)
		return
	}
	for name, fe := range e.Fields {
		f.Errors[name] = l.T(fe.Key, fe.Args)
	}
	seen := map[string]bool{}
	for _, name := range order {
		if _, ok := f.Errors[name]; ok {
			f.Order = append(f.Order, name)
			seen[name] = true
		}
	}
	var rest []string
	for name := range f.Errors {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	f.Order = append(f.Order, rest...)
}

// First is the first field with a problem, which gets the focus.
func (f *form) First() string {
	if f == nil || len(f.Order) == 0 {
		return ""
	}
	return f.Order[0]
}

// queryWith returns the current query with one value replaced, for
// filter and paging links.
func queryWith(q map[string]string, kv ...string) string {
	m := map[string]string{}
	for k, v := range q {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for i, k := range keys {
		if i == 0 {
			sb.WriteByte('?')
		} else {
			sb.WriteByte('&')
		}
		sb.WriteString(template.URLQueryEscaper(k))
		sb.WriteByte('=')
		sb.WriteString(template.URLQueryEscaper(m[k]))
	}
	return sb.String()
}
