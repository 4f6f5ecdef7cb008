// Package web turns HTTP into calls on the domain packages: the JSON API
// under /api/v1, the server-rendered pages and the webhooks. It never
// writes SQL. Every route is listed in routes.go with the rule that guards
// it.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"treem/internal/attachments"
	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/children"
	"treem/internal/errs"
	"treem/internal/geo"
	"treem/internal/hotline"
	"treem/internal/i18n"
	"treem/internal/indicators"
	"treem/internal/notify"
	"treem/internal/privacy"
	"treem/internal/referrals"
	"treem/internal/seal"
	"treem/internal/store"
)

// Deps are the server's explicit dependencies.
type Deps struct {
	Log   *slog.Logger
	DB    *store.DB
	Keys  *seal.Keyring
	Audit *audit.Log
	Auth  *auth.Service
	I18n  *i18n.Bundle
	Units *geo.Units
	Now   func() time.Time

	Children    *children.Service
	Indicators  *indicators.Service
	Hotline     *hotline.Service
	Cases       *cases.Service
	Referrals   *referrals.Service
	Attachments *attachments.Service
	Notify      *notify.Service
	Privacy     *privacy.Service

	TrustProxy    bool
	SecureCookies string // auto, always, never
	Demo          bool   // show the demo banner
}

// Server serves treem over HTTP.
type Server struct {
	Deps
	tmpl    *templates
	metrics *metrics
	routes  []Route
	handler http.Handler
	limits  *limiters

	reqPrefix string
	reqSeq    atomic.Uint64
	unitCache answerCache
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Units == nil {
		d.Units = geo.Default()
	}
	var b [4]byte
	rand.Read(b[:])
	s := &Server{Deps: d, metrics: newMetrics(d.DB), limits: newLimiters(d.Now), reqPrefix: hex.EncodeToString(b[:]) + "-"}
	t, err := loadTemplates(d.I18n)
	if err != nil {
		return nil, err
	}
	s.tmpl = t
	s.handler = s.buildRoutes()
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// envelope is the JSON shape of every answer: {"data":…} or {"error":…}.
type envelope map[string]any

// bufs are reused encoding buffers.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeJSON answers with v as JSON. It encodes into a buffer first, so the
// answer goes out with a Content-Length in one write (no chunking), and an
// encoding error becomes a clean 500 rather than half a body.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		s.Log.Error("encode json", "err", err.Error())
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// data answers {"data": v}.
func (s *Server) data(w http.ResponseWriter, status int, v any) {
	s.writeJSON(w, status, envelope{"data": v})
}

// list answers {"data": items, "total": n, "next": cursor}.
func (s *Server) list(w http.ResponseWriter, items any, total int, next string) {
	s.writeJSON(w, http.StatusOK, envelope{"data": items, "total": total, "next": next})
}

// apiError is the JSON error object.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// localize renders e in the request's language.
func localize(e *errs.Error, l *i18n.Localizer) map[string]any {
	args := e.Args
	if what, ok := args["what"].(string); ok {
		// "what" names a kind of record; say it in the reader's language.
		args = maps.Clone(args)
		args["what"] = l.T("what." + what)
	}
	out := map[string]any{"code": e.Code, "message": l.T(e.Key, args)}
	if len(e.Fields) > 0 {
		f := make(map[string]string, len(e.Fields))
		for name, fe := range e.Fields {
			f[name] = l.T(fe.Key, fe.Args)
		}
		out["fields"] = f
	}
	for k, v := range e.Extra {
		out[k] = v
	}
	return out
}

// fail answers an error as JSON for the API and as a page otherwise.
// Unknown errors become a 500 that shows nothing of the cause, which goes
// to the log (the log never gets personal data: causes are our own
// messages and ids).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := errs.As(err)
	if e.Status >= 500 {
		s.Log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err.Error())
	}
	if e.Status == http.StatusTooManyRequests {
		if sec, ok := e.Args["seconds"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(sec))
		}
	}
	l := s.localizer(r)
	if isAPI(r) {
		s.writeJSON(w, e.Status, envelope{"error": localize(e, l)})
		return
	}
	s.errorPage(w, r, e)
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/webhooks/")
}

// Body limits. Bigger uploads (imports, attachments) set their own.
const maxJSONBody = 1 << 20

// decode reads a JSON request body into T: the content type must be JSON,
// the body at most limit bytes, one value with no unknown field.
func decode[T any](w http.ResponseWriter, r *http.Request, limit int64) (T, error) {
	var v T
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return v, errs.UnsupportedMedia("application/json")
	}
	if limit <= 0 {
		limit = maxJSONBody
	}
	if r.ContentLength > limit {
		return v, errs.TooLarge(limit)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return v, errs.TooLarge(limit)
		}
		return v, errs.Invalid("json.invalid").Wrap(err)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD: refuse
	// it instead, so that what is stored is what was sent.
	if !utf8.Valid(raw) {
		return v, errs.Invalid("input.utf8")
	}
	// A NUL character has no place in our text, and PostgreSQL cannot
	// store one: refuse it here rather than fail at the database.
	if bytes.Contains(bytes.ToLower(raw), []byte(`\u0000`)) {
		return v, errs.Invalid("input.nul")
	}
	if depth := jsonDepth(raw); depth > maxJSONDepth {
		return v, errs.Invalid("json.too_deep").With("max", maxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, jsonError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return v, errs.Invalid("json.trailing")
	}
	return v, nil
}

// maxJSONDepth bounds nesting: no request of ours nests deeper than a few
// levels, and a deep one is an attack on the decoder.
const maxJSONDepth = 32

// jsonDepth is the deepest nesting of objects and arrays in raw.
func jsonDepth(raw []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range raw {
		switch {
		case inString:
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// jsonError explains a decoding failure: where, and what was expected.
func jsonError(err error, limit int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errs.TooLarge(limit)
	case errors.Is(err, io.EOF):
		return errs.Invalid("json.empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Invalid("json.truncated")
	case errors.As(err, &syn):
		return errs.Invalid("json.syntax").With("offset", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return errs.Validation().Field(field, "json.type", "want", typ.Type.String())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Validation().Field(name, "json.unknown_field")
	}
	return errs.Invalid("json.invalid").Wrap(err)
}

// localizer returns the request's localizer.
func (s *Server) localizer(r *http.Request) *i18n.Localizer {
	if l := i18n.From(r.Context()); l != nil {
		return l
	}
	return s.I18n.For(i18n.Default)
}

// clientAddr is the client's address, from X-Forwarded-For only behind a
// trusted proxy.
func (s *Server) clientAddr(r *http.Request) string {
	if s.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			return strings.TrimSpace(first)
		}
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// notFound answers 404 for a record the caller may not see or that does
// not exist, and audits the attempt: the answer is the same either way, so
// existence is not revealed.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, recordType, id string) {
	s.Audit.Record(r.Context(), audit.Event{Action: recordType + ".read", RecordType: recordType, RecordID: id, Outcome: audit.NotFound})
	s.fail(w, r, errs.NotFound(recordType))
}

// pathID reads a numeric path value.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.NotFound(name)
	}
	return id, nil
}

// background gives work that must finish after the response (an audit
// entry, say) a context that the client cannot cancel.
func background(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }
