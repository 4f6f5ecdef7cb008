package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/i18n"
)

// reqInfo travels with a request so that the outer middleware learns what
// the inner handlers found out (the route, the user).
type reqInfo struct {
	id     string
	route  string
	userID int64
}

type reqInfoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	return ri
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush lets streaming answers (server-sent events) through.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if r.status == 0 {
			r.status = http.StatusOK
		}
		f.Flush()
	}
}

// observe logs each request (without query string, body or any personal
// data) and counts it in the metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: s.requestID(), route: "unmatched"}
		rec := &recorder{ResponseWriter: w}
		w.Header().Set("X-Request-Id", ri.id)
		ctx := context.WithValue(r.Context(), reqInfoKey{}, ri)
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Log.Error("panic", "route", ri.route, "request_id", ri.id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					s.fail(rec, r.WithContext(ctx), errs.Internal(errors.New("panic")))
				}
			}
			d := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.observe(ri.route, r.Method, status, d)
			level := s.Log.Info
			if status >= 500 {
				level = s.Log.Error
			}
			if ri.route != "GET /healthz" && ri.route != "GET /metrics" && ri.route != "GET /static/" {
				level("request", "request_id", ri.id, "method", r.Method, "route", ri.route, "status", status,
					"ms", float64(d.Microseconds())/1000, "bytes", rec.bytes, "user_id", ri.userID)
			}
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// requestID is this instance's random prefix and a counter: unique across
// instances without a call for randomness on every request.
func (s *Server) requestID() string {
	n := s.reqSeq.Add(1)
	return s.reqPrefix + strconv.FormatUint(n, 36)
}

// contentSecurityPolicy allows nothing inline and nothing from elsewhere.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// secure sets the security headers of every answer.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if s.isTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// Answers hold personal data: no shared or browser cache keeps them.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) isTLS(r *http.Request) bool {
	return r.TLS != nil || (s.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
}

// identify finds who is asking (API token or session cookie) and in which
// language, and puts both and the audit actor in the request's context.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var p *auth.Principal
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.fail(w, r.WithContext(s.withLang(ctx, r, nil)), errs.Unauthorized("token.invalid"))
				return
			}
			var err error
			p, err = s.Auth.TokenPrincipal(ctx, strings.TrimSpace(tok))
			if err != nil {
				s.fail(w, r.WithContext(s.withLang(ctx, r, nil)), err)
				return
			}
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			sp, err := s.Auth.SessionPrincipal(ctx, c.Value)
			if err == nil {
				p = sp
			} else if !errs.Is(err, http.StatusUnauthorized) && !errors.Is(err, auth.ErrMFAPending) {
				s.fail(w, r, err)
				return
			}
		}
		if p != nil {
			ctx = auth.With(ctx, p)
			if ri := infoFrom(ctx); ri != nil {
				ri.userID = p.UserID
			}
		}
		ctx = audit.WithActor(ctx, p.Actor(s.clientAddr(r)))
		ctx = s.withLang(ctx, r, p)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withLang chooses the language: for the API an Accept-Language header
// first (programs say what they want); then the lang cookie (the switch on
// every page), the account's choice, and Vietnamese.
func (s *Server) withLang(ctx context.Context, r *http.Request, p *auth.Principal) context.Context {
	lang := i18n.Default
	if c, err := r.Cookie("lang"); err == nil {
		lang = i18n.Match(c.Value)
	} else if p != nil && p.Lang != "" {
		lang = p.Lang
	}
	if al := r.Header.Get("Accept-Language"); al != "" && isAPI(r) {
		lang = i18n.Match(al)
	}
	return i18n.With(ctx, s.I18n.For(lang))
}

// maxFormBody bounds a form post; uploads use multipart with their own limit.
const maxFormBody = 1 << 20

// forms parses url-encoded form posts up front, within a size limit, and
// refuses invalid UTF-8 in them, so that no handler sees mangled text.
func (s *Server) forms(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The path and the query string are text too: invalid UTF-8 or a
		// NUL would reach the database (which refuses them) or a page.
		if key := badText(r.URL.Path); key != "" {
			s.fail(w, r, errs.Invalid(key))
			return
		}
		if r.URL.RawQuery != "" {
			// The whole query string, unescaped: its pairs are the
			// handlers' business (the indicators' dx=a;b included).
			q, err := url.QueryUnescape(r.URL.RawQuery)
			if err != nil {
				q = r.URL.RawQuery
			}
			if key := badText(q); key != "" {
				s.fail(w, r, errs.Invalid(key))
				return
			}
		}
		if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) == "application/x-www-form-urlencoded" {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
			if err := r.ParseForm(); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					s.fail(w, r, errs.TooLarge(maxFormBody))
					return
				}
				s.fail(w, r, errs.Invalid("input.form").Wrap(err))
				return
			}
			for k, vs := range r.PostForm {
				if key := badText(k); key != "" {
					s.fail(w, r, errs.Invalid(key))
					return
				}
				for _, v := range vs {
					if key := badText(v); key != "" {
						s.fail(w, r, errs.Invalid(key))
						return
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// badText returns the i18n key of what is wrong with text sent to us:
// invalid UTF-8 (overlong forms included) or a NUL character; "" if fine.
func badText(v string) string {
	switch {
	case !utf8.ValidString(v):
		return "input.utf8"
	case strings.IndexByte(v, 0) >= 0:
		return "input.nul"
	}
	return ""
}

// Rule says who may use a route.
type Rule struct {
	Public bool        // no login (public pages, health, signed webhooks)
	Perm   auth.Perm   // "" with Public false: any signed-in account
	Any    []auth.Perm // with Perm "": any one of these
	// Pending lets a session that must still change its password or enrol
	// a second factor use the route (the pages that do exactly that).
	Pending bool
}

var (
	public   = Rule{Public: true}
	signedIn = Rule{}
	pending  = Rule{Pending: true}
)

func need(p auth.Perm) Rule { return Rule{Perm: p} }

// needAny allows a route to roles with any one of the permissions.
func needAny(ps ...auth.Perm) Rule { return Rule{Any: ps} }

// Allows reports whether p passes the rule's permission.
func (rule Rule) Allows(p *auth.Principal) bool {
	if rule.Perm != "" {
		return p.Can(rule.Perm)
	}
	if len(rule.Any) == 0 {
		return true
	}
	for _, perm := range rule.Any {
		if p.Can(perm) {
			return true
		}
	}
	return false
}

// Route is a registered route and its rule (for the permission matrix).
type Route struct {
	Pattern string
	Rule    Rule
}

// Routes lists every route with its rule.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// guard enforces a route's rule: 401 (or the login page) without an
// account, 403 when the role may not, both audited.
func (s *Server) guard(pattern string, rule Rule, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri := infoFrom(r.Context()); ri != nil {
			ri.route = pattern
		}
		if rule.Public {
			h.ServeHTTP(w, r)
			return
		}
		p := auth.From(r.Context())
		if p == nil {
			if isAPI(r) || r.Method != http.MethodGet {
				s.fail(w, r, errs.Unauthorized("login.required"))
				return
			}
			http.Redirect(w, r, "/login?next="+safeNext(r.URL.Path), http.StatusSeeOther)
			return
		}
		if !rule.Pending && p.Via == "session" {
			switch {
			case p.MustChangePassword:
				s.redirectOrFail(w, r, "/account/password", "password.change_required")
				return
			case p.NeedsEnrolment(s.Auth):
				s.redirectOrFail(w, r, "/account/totp", "totp.required")
				return
			}
		}
		if !rule.Allows(p) {
			s.Audit.Record(background(r), audit.Event{Action: "access.denied", RecordType: "route", RecordID: pattern, Outcome: audit.Denied})
			s.fail(w, r, errs.Forbidden())
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) redirectOrFail(w http.ResponseWriter, r *http.Request, to, key string) {
	if isAPI(r) || r.Method != http.MethodGet {
		e := errs.Forbidden()
		e.Code, e.Key = strings.ReplaceAll(key, ".", "_"), key
		s.fail(w, r, e)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// safeNext keeps a redirect target on this site.
func safeNext(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	return p
}

// limit rate-limits a route's posts per client address (showing its form
// is free).
func (s *Server) limit(name string, perMinute int, h http.Handler) http.Handler {
	return s.limiter(name, perMinute, false, h)
}

// limitAll rate-limits every request of a route per client address: the
// look-ups by tracking code, which someone could try to guess.
func (s *Server) limitAll(name string, perMinute int, h http.Handler) http.Handler {
	return s.limiter(name, perMinute, true, h)
}

func (s *Server) limiter(name string, perMinute int, reads bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !reads && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			h.ServeHTTP(w, r)
			return
		}
		if wait, ok := s.limits.allow(name, s.clientAddr(r), perMinute); !ok {
			s.fail(w, r, errs.TooMany(int(wait.Seconds())+1))
			return
		}
		h.ServeHTTP(w, r)
	})
}
